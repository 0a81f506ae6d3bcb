/**
 * How `lms` writes: `createLogger` sends every message to stderr (`W ` and `Error: ` prefixes),
 * `console.info` (JSON, tables) and the progress bars go to stdout. Writes to pipes are
 * synchronous on Linux and macOS, so exiting right after a write loses nothing.
 */
export const log = {
  info(message = ''): void {
    process.stderr.write(`${message}\n`);
  },
  warn(message: string): void {
    process.stderr.write(`W ${message}\n`);
  },
  error(message: string): void {
    process.stderr.write(`Error: ${message}\n`);
  },
};

export function stdout(text: string): void {
  process.stdout.write(text);
}

/** `console.info(line)`. */
export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Thrown to end the run with an exit code after the message was printed. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function exit(code: number): never {
  throw new Exit(code);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
