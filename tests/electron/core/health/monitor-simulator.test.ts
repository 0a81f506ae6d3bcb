/**
 * The real monitor, real client and real `lms` runner against the LM Studio simulator and its
 * fake `lms`: every state it can report, reached the way a user would reach it, and LM Studio
 * never woken while it is quit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../../../e2e/simulator/index';
import { createHealthMonitor } from '../../../../electron/core/health/monitor';
import type { HealthMonitor } from '../../../../electron/core/interfaces';
import { createLmStudioClient } from '../../../../electron/core/lmstudio/client';
import { createLmsCli } from '../../../../electron/core/lmstudio/lms/cli';
import { spawnWithoutShell, systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import { createProcessRegistry } from '../../../../electron/core/processes';
import type { ServerState } from '../../../../electron/shared/contract';

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** `lms` commands that never wake LM Studio: the only ones the monitor may run. */
const NON_WAKING = ['daemon status --json', 'server status --json'];

interface Running {
  sim: Simulator;
  monitor: HealthMonitor;
  states: ServerState[];
  token: { value: string | null };
  stateIs(state: ServerState): Promise<void>;
}

let running: Running | null = null;

afterEach(async () => {
  if (!running) return;
  running.monitor.stop();
  // Whatever the test did, the monitor itself only ever asked lms the non-waking questions.
  const commands = running.sim.state.lmsInvocations().map((argv) => argv.join(' '));
  expect(commands.filter((c) => !NON_WAKING.includes(c))).toEqual([]);
  await running.sim.close();
  running = null;
});

async function run(options: SimulatorOptions = {}, probeTimeoutMs = 1_500): Promise<Running> {
  const sim = await startSimulator(options);
  const token = { value: null as string | null };
  const client = createLmStudioClient({ baseUrl: sim.baseUrl, token: () => token.value });
  const registry = createProcessRegistry({ clock: systemClock, logger });
  const lms = createLmsCli({
    path: sim.lmsPath,
    spawn: spawnWithoutShell,
    registry,
    clock: systemClock,
    logger,
    platform: process.platform,
  });
  const monitor = createHealthMonitor({
    client: () => client,
    lms: () => lms,
    lmsDiscovery: () => ({ path: sim.lmsPath, searched: [sim.lmsPath] }),
    clock: systemClock,
    logger,
    pollIntervalMs: () => 1_000,
    probeTimeoutMs,
  });
  const states: ServerState[] = [];
  monitor.onChange((status) => states.push(status.state));
  const stateIs = (state: ServerState) =>
    expect.poll(() => monitor.current().state, { timeout: 10_000, interval: 20 }).toBe(state);
  running = { sim, monitor, states, token, stateIs };
  monitor.start();
  return running;
}

describe('health monitor against the simulator', () => {
  it('online -> crash -> offline -> launch -> online, never waking LM Studio', async () => {
    const { sim, monitor, states, stateIs } = await run();
    await stateIs('online');
    expect(monitor.current().apiGeneration).toBe('v1');
    await sim.crash();
    await stateIs('offline');
    expect(monitor.current().detail).toBe(
      'LM Studio is not running. Open LM Studio, or start the server with `lms server start`.',
    );
    await sim.launchApp();
    await stateIs('online');
    expect(states).toEqual(['online', 'offline', 'online']);
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('stays quiet while LM Studio is quit: polls over HTTP and asks lms only what never wakes it', async () => {
    const { sim, monitor, stateIs } = await run();
    await stateIs('online');
    const before = sim.state.lmsInvocations().length;
    await sim.quitApp();
    await stateIs('offline');
    // A few polls go by while the app is quit.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(monitor.current().state).toBe('offline');
    const asked = sim.state
      .lmsInvocations()
      .slice(before)
      .map((argv) => argv.join(' '));
    expect(asked).toContain('daemon status --json');
    expect(asked.every((command) => NON_WAKING.includes(command))).toBe(true);
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('server stop -> server-stopped -> start -> online', async () => {
    const { sim, monitor, stateIs } = await run();
    await stateIs('online');
    await sim.stopServer();
    await stateIs('server-stopped');
    expect(monitor.current().detail).toBe(
      'LM Studio is open but its server is off. Start it here or run `lms server start`.',
    );
    await sim.startServer();
    await stateIs('online');
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('a required token -> unauthorized, then online once it is set', async () => {
    const secret = 'sk-lm-abcdefgh:abcdefghijklmnopqrst';
    const { monitor, token, stateIs } = await run({ token: secret });
    await stateIs('unauthorized');
    expect(monitor.current().detail).toMatch(/API token/);
    token.value = secret;
    await stateIs('online');
  });

  it('another program on the port -> foreign', async () => {
    const { monitor, stateIs } = await run({ foreign: true });
    await stateIs('foreign');
    expect(monitor.current().detail).toBe(
      `Another program answers on port ${monitor.current().port}. Change the LM Studio address in Settings.`,
    );
  });

  it('a hung server -> not-responding, and back', async () => {
    const { sim, stateIs } = await run({}, 300);
    await stateIs('online');
    sim.configure({ hang: true });
    await stateIs('not-responding');
    sim.configure({ hang: false });
    await stateIs('online');
  });
});
