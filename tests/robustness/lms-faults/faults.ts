/**
 * The ways an `lms` goes wrong, each with the outcome every operation must come to (issue 8,
 * item 3). A new fault joins the suite by adding an entry: how to install its fake `lms`, and
 * what each operation must then say.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { scaled } from '../tally';
import { NORMAL_PRELUDE, writeFakeLms } from './fake-lms';
import { NORMAL_OUTCOMES, type Outcome } from './operations';

export interface Fault {
  name: string;
  /** Creates the `lms` of this fault in `dir` (an empty folder) and returns the path the runner is given. */
  install(dir: string): Promise<string>;
  /** The child stays silent for ever: time must pass the runner's limits (the suite jumps the clock). */
  hangs?: boolean;
  /** How many times each operation runs in a row (a fault may change what the next run finds). */
  runs?: number;
  /** What `operation` must come to on run `run` (0-based): a value or a matcher for `toEqual`. */
  expected(operation: string, run: number): Outcome;
  /** Another outcome that is as true, when a race decides between them (null: none). */
  alsoTrue?(operation: string, run: number): Outcome | null;
}

const JSON_COMMANDS: Record<string, string> = {
  'server status': 'lms server status --json',
  'daemon status': 'lms daemon status --json',
  version: 'lms version --json',
  ls: 'lms ls --json',
  ps: 'lms ps --json',
  'runtime survey': 'lms runtime survey --json',
  'ls (paths)': 'lms ls --json',
};
const RUN_COMMANDS: Record<string, string> = {
  ...JSON_COMMANDS,
  'server start': 'lms server start --port 1234',
  'server stop': 'lms server stop',
  'LM Studio version': 'lms daemon status',
  unload: 'lms unload qwen/qwen3-4b',
  'unload --all': 'lms unload --all',
  'load --estimate-only': 'lms load --estimate-only --yes --context-length 4096 --gpu max qwen/qwen3-4b',
};
const QUICK = ['server status', 'daemon status', 'version', 'LM Studio version'];
/** What only reads what lms printed, whatever its exit: no version said is an unknown version. */
const READS_ONLY = ['version', 'LM Studio version'];
const GETS = ['get', 'get, then cancel', 'get, then detach'];

function failed(code: string, message: string | RegExp): Outcome {
  return { ok: false, code, message: typeof message === 'string' ? message : expect.stringMatching(message) };
}

/** The same failure from every operation (`get` reports it as its outcome's message). */
function failsEverywhere(operation: string, code: string, message: string | RegExp): Outcome {
  return GETS.includes(operation) ? failed('get-failed', message) : failed(code, message);
}

const value = (v: unknown): Outcome => ({ ok: true, value: v });
/** How `lms log stream` ended, and how many events it gave before that. */
const streamEnded = (code: number | null, signal: NodeJS.Signals | null, events = 0): Outcome =>
  value({ events, code, signal });
/** A stream that could not start: its exit says so (code and signal null), the runner logs why. */
const STREAM_NOT_STARTED = streamEnded(null, null);
const normal = (operation: string): Outcome => NORMAL_OUTCOMES[operation]!;

/** A fault that only changes the script's first lines. */
function scripted(prelude: string, extra: { bad?: Buffer } = {}) {
  return (dir: string) => writeFakeLms(dir, { prelude, ...extra });
}

const SPAWN_FAILED = (why: string) => new RegExp(`^Could not run LM Studio's \`lms\` at .*lms \\(spawn .* ${why}\\)`);

/** A seeded mess of digits, punctuation, control characters and broken escapes: no word lms would say. */
export function garbageBytes(seed: number, length: number): Buffer {
  const pool = Buffer.from('0123456789!#$%&()*+,./:;<=>?@[]^_{|}~ \t\r\n\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x9b\xff');
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = pool[(state >>> 0) % pool.length]!;
  }
  return bytes;
}

/** Seeded garbage on both streams, then exit 1 (`npm run fuzz` tries a dozen seeds). */
function garbageFault(seed: number): Fault {
  return {
    name: seed === 1 ? 'prints garbage' : `prints garbage (seed ${seed})`,
    install: async (dir) => {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'garbage.bin'), garbageBytes(seed, 4096));
      return writeFakeLms(dir, {
        prelude: `cat "$(dirname "$0")/garbage.bin"; cat "$(dirname "$0")/garbage.bin" >&2; exit 1`,
      });
    },
    // What lms said is shown (cleaned); there is nothing truer to say.
    expected: (operation) => {
      if (operation === 'log stream') return streamEnded(1, null);
      return READS_ONLY.includes(operation) ? value(null) : failsEverywhere(operation, 'lms-failed', /\S/);
    },
    // Garbage can look like a progress frame: the stop may then reach it before it exits on its own.
    alsoTrue: (operation) => {
      if (operation === 'get, then cancel') return value({ kind: 'cancelled' });
      return operation === 'get, then detach' ? value({ kind: 'continuing' }) : null;
    },
  };
}

/** A command stopped at its time limit (5 s for the status commands, 30 s for the others). */
function deadlineFailure(operation: string): Outcome {
  const limit = QUICK.includes(operation) ? 5 : 30;
  return failed(
    'lms-failed',
    new RegExp(`^\`${RUN_COMMANDS[operation]}\` did not answer within ${limit} s and was stopped\\.`),
  );
}
const SILENT_LOAD = failed('lms-failed', /^`lms load` showed no sign of progress for 120 s and was stopped\./);

const LMS_ERROR = 'LM Studio refused the request (fault test).';
const LMS_ERROR_ON_SUCCESS = 'Could not reach LM Studio (fault test).';

export const FAULTS: readonly Fault[] = [
  {
    name: 'missing',
    install: async (dir) => path.join(dir, 'not-there', 'lms'),
    expected: (operation) =>
      operation === 'log stream'
        ? STREAM_NOT_STARTED
        : failsEverywhere(operation, 'lms-missing', SPAWN_FAILED('ENOENT')),
  },
  {
    name: 'not executable',
    install: (dir) => writeFakeLms(dir, { prelude: NORMAL_PRELUDE, mode: 0o644 }),
    expected: (operation) =>
      operation === 'log stream'
        ? STREAM_NOT_STARTED
        : failsEverywhere(operation, 'lms-missing', SPAWN_FAILED('EACCES')),
  },
  {
    name: 'a directory',
    install: async (dir) => {
      await mkdir(path.join(dir, 'lms'), { recursive: true });
      return path.join(dir, 'lms');
    },
    expected: (operation) =>
      operation === 'log stream'
        ? STREAM_NOT_STARTED
        : failsEverywhere(operation, 'lms-missing', SPAWN_FAILED('EACCES')),
  },
  {
    // LM Studio updated or uninstalled while lms ran: that run ends normally, the next finds nothing.
    name: 'deleted mid-run',
    install: scripted(`rm -f "$0"\n${NORMAL_PRELUDE}`),
    runs: 2,
    expected: (operation, run) => {
      if (run === 0) return normal(operation);
      return operation === 'log stream'
        ? STREAM_NOT_STARTED
        : failsEverywhere(operation, 'lms-missing', SPAWN_FAILED('ENOENT'));
    },
  },
  {
    name: 'exits 1 with Error:',
    install: scripted(`printf 'W Something odd.\\nError: ${LMS_ERROR}\\n    at main (lms.js:1:1)\\n' >&2; exit 1`),
    expected: (operation) => {
      if (operation === 'log stream') return streamEnded(1, null);
      return READS_ONLY.includes(operation) ? value(null) : failsEverywhere(operation, 'lms-failed', LMS_ERROR);
    },
  },
  {
    // It had said something unrelated first: the signal, not that line, is what happened.
    name: 'killed by a signal',
    install: scripted(`printf 'Waking up LM Studio service...\\n' >&2; kill -KILL $$`),
    expected: (operation) => {
      if (READS_ONLY.includes(operation)) return value(null);
      if (operation === 'log stream') return streamEnded(null, 'SIGKILL');
      if (GETS.includes(operation)) return failed('get-failed', 'lms get was stopped by SIGKILL.');
      return failed('lms-failed', /^`lms [^`]+` was stopped by SIGKILL\.$/);
    },
    // Its `Waking up` line is something said: the stop may reach it before it kills itself (seen under fuzz load).
    alsoTrue: (operation) => {
      if (operation === 'get, then cancel') return value({ kind: 'cancelled' });
      return operation === 'get, then detach' ? value({ kind: 'continuing' }) : null;
    },
  },
  ...Array.from({ length: scaled(1, 12) }, (_, index) => garbageFault(index + 1)),
  {
    // Bytes that are not UTF-8 in names and in a line of stderr: replaced, never a failure.
    name: 'invalid UTF-8',
    install: scripted(`printf '%s W odd bytes\\n' "$BAD" >&2\n${NORMAL_PRELUDE}`, {
      bad: Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80]),
    }),
    expected: (operation) => {
      if (operation === 'ls') {
        return value([expect.objectContaining({ displayName: expect.stringMatching(/^Qwen3 4B\uFFFD+\(\uFFFD+$/) })]);
      }
      return normal(operation);
    },
  },
  {
    // 34 MB on stdout, then the normal answer: commands whose output is kept stop at the cap.
    name: 'a flood',
    install: scripted(
      [
        's=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        'for i in 1 2 3 4 5; do s=$s$s$s$s; done',
        'i=0; while [ $i -lt 544 ]; do printf %s "$s"; i=$((i + 1)); done',
        'i=0; while [ $i -lt 16 ]; do printf "%s\\n" "$s" >&2; i=$((i + 1)); done',
        NORMAL_PRELUDE,
      ].join('\n'),
    ),
    expected: (operation) =>
      operation in RUN_COMMANDS
        ? failed('lms-failed', `\`${RUN_COMMANDS[operation]}\` printed far more output than expected and was stopped.`)
        : normal(operation),
    // On a busy machine the 34 MB may take longer than a command's time limit: that is true too.
    alsoTrue: (operation) => (operation in RUN_COMMANDS ? deadlineFailure(operation) : null),
  },
  {
    name: 'prints the older formats',
    install: scripted(
      String.raw`case "$1" in
  version) printf 'lms - LM Studio CLI - v0.0.47\n' ;;
  daemon) printf "error: unknown command 'daemon'\n" >&2; exit 1 ;;
  load) if [ "$2" = --estimate-only ]; then cat "$FIX/estimate-unknown-option.stderr.fixture.txt" >&2; exit 1; fi
    cat "$FIX/load-legacy.stdout.fixture.txt"; cat "$FIX/load-legacy.stderr.fixture.txt" >&2 ;;
  server) if [ "$2" = status ]; then printf 'The server is running on port 1234.\n' >&2; else answer "$@"; fi ;;
  get) if [ "$3" = qwen/qwen3-4b ]; then cat "$FIX/get-legacy-search.stdout.fixture.txt"; cat "$FIX/get-legacy-search.stderr.fixture.txt" >&2; else answer "$@"; fi ;;
  *) answer "$@" ;;
esac`,
    ),
    expected: (operation) => {
      switch (operation) {
        case 'version':
          return value('0.0.47');
        case 'daemon status':
          return failed('lms-failed', "error: unknown command 'daemon'");
        case 'LM Studio version':
          return value(null);
        case 'server status':
          return failed(
            'lms-failed',
            /^`lms server status --json` did not print JSON \(it printed nothing\)\. .*update it/,
          );
        case 'load':
          return value({ identifier: 'qwen3-4b' });
        // Before LM Studio 0.3.27: commander's unknown-option error, read as "no estimates here".
        case 'load --estimate-only':
          return value({ supported: false });
        default:
          return normal(operation);
      }
    },
  },
  {
    name: 'hangs without output',
    install: scripted('exec sleep 1000'),
    hangs: true,
    expected: (operation) => {
      if (operation in RUN_COMMANDS) return deadlineFailure(operation);
      if (operation === 'load') return SILENT_LOAD;
      // SIGINT ends it (the shell's default): the stop the monitor asked for.
      if (operation === 'log stream') return streamEnded(null, 'SIGINT');
      // SIGINT ends it (lms's own default), which is the cancel or the letting go asked for.
      return value({ kind: operation === 'get, then cancel' ? 'cancelled' : 'continuing' });
    },
  },
  {
    name: 'ignores SIGINT',
    install: scripted(`trap '' INT TERM\nexec sleep 1000`),
    hangs: true,
    expected: (operation) => {
      if (operation in RUN_COMMANDS) return deadlineFailure(operation);
      if (operation === 'load') return SILENT_LOAD;
      // Killed once the grace after SIGINT is over.
      if (operation === 'log stream') return streamEnded(null, 'SIGKILL');
      // Killed without confirming the cancel: like a second Ctrl+C, the download may go on in LM Studio.
      return value({ kind: 'continuing' });
    },
  },
  {
    name: 'exits 0 but says it failed',
    install: scripted(`printf 'Error: ${LMS_ERROR_ON_SUCCESS}\\n' >&2; exit 0`),
    expected: (operation) => {
      if (operation === 'log stream') return streamEnded(0, null);
      return READS_ONLY.includes(operation)
        ? value(null)
        : failsEverywhere(operation, 'lms-failed', LMS_ERROR_ON_SUCCESS);
    },
  },
];
