/**
 * Runs the simulator on its own, for `npm run demo` and benchmarks:
 *
 *   node --import tsx e2e/simulator/cli.ts [--port N] [--generation 0.3|0.4] [--token T]
 *
 * Prints `{"baseUrl":...,"lmsPath":...,"homeDir":...,"port":...}` on one stdout line once ready,
 * and closes cleanly (temporary home removed) on SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startSimulator } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    generation: { type: 'string' },
    token: { type: 'string' },
  },
});

const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`--port must be a port number, not "${values.port}".\n`);
  process.exit(2);
}
const generation = values.generation ?? '0.4';
if (generation !== '0.4' && generation !== '0.3') {
  process.stderr.write(`--generation must be 0.4 or 0.3, not "${generation}".\n`);
  process.exit(2);
}

const sim = await startSimulator({ port, generation, token: values.token ?? null });
process.stdout.write(
  `${JSON.stringify({ baseUrl: sim.baseUrl, lmsPath: sim.lmsPath, homeDir: sim.homeDir, port: sim.port })}\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  sim.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`Could not close the simulator cleanly: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
