// The fake `lms` entry point; the commands arrive in the next commit.
process.stderr.write('Error: this simulator build has no lms commands yet.\n');
process.exit(1);
