/**
 * Run by flood.test.ts in a node with a small heap: floods the runner with far more output than
 * that heap could hold, through a command whose output is kept (`ls`) and three whose output is
 * only parsed (`load`, `get`, `log stream`: one line far longer than its limit), and prints each outcome as one JSON line. Running out of memory
 * here would kill this process, which is what the test watches for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLmsCli } from '../../../electron/core/lmstudio/lms/cli';
import { spawnWithoutShell, systemClock } from '../../../electron/core/node-ports';
import type { Logger } from '../../../electron/core/ports';
import { createProcessRegistry } from '../../../electron/core/processes';
import { LOG_STREAM_EVENTS, writeFakeLms } from './fake-lms';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const megabytes = Number(process.argv[2] ?? 256);

const dir = await mkdtemp(path.join(tmpdir(), 'lms-flood-'));
// One line that never ends on stdout, then the normal answer.
const lmsPath = await writeFakeLms(dir, {
  prelude: [
    's=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'for i in 1 2 3 4 5 6; do s=$s$s$s$s; done', // 256 KiB
    `i=0; while [ $i -lt ${megabytes * 4} ]; do printf %s "$s"; i=$((i + 1)); done`,
    'answer "$@"',
  ].join('\n'),
});
const registry = createProcessRegistry({ clock: systemClock, logger: silent });
const lms = createLmsCli({
  path: lmsPath,
  spawn: spawnWithoutShell,
  registry,
  clock: systemClock,
  logger: silent,
  platform: 'linux',
});
const outcome = (work: Promise<unknown>) =>
  work.then(
    (value) => ({ ok: true, value }),
    (error: Error) => ({ ok: false, message: error.message }),
  );

/** `lms log stream` after the flood: every recorded event, then stopped as the activity monitor stops it. */
async function logStream() {
  let events = 0;
  let heardAll: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    heardAll = resolve;
  });
  const stream = lms.logStream({
    onEvent: () => {
      events += 1;
      if (events === LOG_STREAM_EVENTS) heardAll();
    },
    onStderrLine: () => {},
  });
  await Promise.race([all, stream.exited]);
  await stream.stop();
  return { events, exit: await stream.exited };
}

const [ls, load, get, stream] = await Promise.all([
  outcome(lms.ls()),
  outcome(lms.load('qwen/qwen3-4b', {}, () => {})),
  outcome(lms.get('qwen/qwen3-4b', () => {}).done),
  outcome(logStream()),
]);
const results = { ls, load, get, stream, running: registry.running().length };
await rm(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(results)}\n`);
