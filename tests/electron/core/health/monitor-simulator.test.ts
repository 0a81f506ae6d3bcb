/**
 * The real monitor, real client and real `lms` runner against the LM Studio simulator and its
 * fake `lms`: every state it can report, reached the way a user would reach it, and LM Studio
 * never woken while it is quit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../../../e2e/simulator/index';
import { createHealthMonitor } from '../../../../electron/core/health/monitor';
import type { HealthMonitor, LmStudioClient } from '../../../../electron/core/interfaces';
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
  client: LmStudioClient;
  /** The state as shown, once per change of state. */
  states: ServerState[];
  /** Confirmed transitions (what notifications follow). */
  transitions: ServerState[];
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

async function run(
  options: SimulatorOptions = {},
  {
    probeTimeoutMs = 1_500,
    pollIntervalMs = 1_000,
    connectCheckMs,
  }: { probeTimeoutMs?: number; pollIntervalMs?: number; connectCheckMs?: number } = {},
): Promise<Running> {
  const sim = await startSimulator(options);
  const token = { value: null as string | null };
  let monitor: HealthMonitor | null = null;
  const client: LmStudioClient = createLmStudioClient({
    baseUrl: sim.baseUrl,
    token: () => token.value,
    onAuthEvidence: (evidence) => monitor?.authEvidence(client, evidence),
  });
  const registry = createProcessRegistry({ clock: systemClock, logger });
  const lms = createLmsCli({
    path: sim.lmsPath,
    spawn: spawnWithoutShell,
    registry,
    clock: systemClock,
    logger,
    platform: process.platform,
  });
  monitor = createHealthMonitor({
    client: () => client,
    lms: () => lms,
    lmsDiscovery: () => ({ path: sim.lmsPath, searched: [sim.lmsPath] }),
    clock: systemClock,
    logger,
    pollIntervalMs: () => pollIntervalMs,
    probeTimeoutMs,
    connectCheckMs,
  });
  const states: ServerState[] = [];
  const transitions: ServerState[] = [];
  monitor.onChange((status, previous) => {
    if (status.state !== previous.state) states.push(status.state);
  });
  monitor.onTransition((status) => transitions.push(status.state));
  const shown = monitor;
  const stateIs = (state: ServerState) =>
    expect.poll(() => shown.current().state, { timeout: 10_000, interval: 20 }).toBe(state);
  running = { sim, monitor, client, states, transitions, token, stateIs };
  monitor.start();
  return running;
}

describe('health monitor against the simulator', () => {
  it('online -> crash -> offline -> launch -> online, never waking LM Studio', async () => {
    const { sim, monitor, states, transitions, stateIs } = await run();
    await stateIs('online');
    expect(monitor.current().apiGeneration).toBe('v1');
    await sim.crash();
    await stateIs('offline');
    // Shown at once ("checking"), then refined by `lms daemon status`.
    await expect
      .poll(() => monitor.current().detail, { timeout: 10_000 })
      .toBe('LM Studio is not running. Open LM Studio, or start the server with `lms server start`.');
    // Confirmed (a return before the confirming probe would have been a blip).
    await expect.poll(() => transitions.at(-1)).toBe('offline');
    await sim.launchApp();
    await stateIs('online');
    expect(states).toEqual(['online', 'offline', 'online']);
    expect(transitions).toEqual(['online', 'offline', 'online']);
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

  it('a server that stops listening but keeps its connections -> server-stopped (only a new connection tells), then back', async () => {
    const { sim, monitor, states, transitions, stateIs } = await run();
    await stateIs('online');
    // Let the first check's requests and the watch settle, then count.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sim.stopListening();
    await stateIs('server-stopped');
    expect(monitor.current().detail).toBe(
      'LM Studio is open but its server is off. Start it here or run `lms server start`.',
    );
    await expect.poll(() => transitions.at(-1)).toBe('server-stopped');
    await sim.startServer();
    await stateIs('online');
    // "Offline, checking…" may come first, until `lms` has answered.
    expect(states.filter((s) => s !== 'offline')).toEqual(['online', 'server-stopped', 'online']);
    expect(transitions.filter((s) => s !== 'offline')).toEqual(['online', 'server-stopped', 'online']);
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('a crash closes the watched bare connection: seen without waiting for a poll or connect check', async () => {
    const { sim, stateIs } = await run({}, { pollIntervalMs: 60_000, connectCheckMs: 60_000 });
    await stateIs('online');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sim.crash();
    await expect.poll(() => running?.monitor.current().state, { timeout: 5_000, interval: 5 }).toBe('offline');
  });

  it('"Require Authentication" switched on while online (open greeting): any API answer tells, and off again', async () => {
    const secret = 'sk-lm-abcdefgh:abcdefghijklmnopqrst';
    const { sim, monitor, client, token, transitions, stateIs } = await run();
    await stateIs('online');
    sim.configure({ token: secret });
    // No check of the monitor's own sees it (the greeting is open): the next API answer does.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(monitor.current().state).toBe('online');
    await expect(client.unloadModel('qwen/qwen3-4b')).rejects.toThrow(/requires an API token/);
    expect(monitor.current()).toMatchObject({
      state: 'unauthorized',
      detail: expect.stringMatching(/^LM Studio now requires an API token/),
    });
    token.value = 'sk-lm-wrong:token';
    await expect(client.listModels()).rejects.toThrow(/refused the token in Settings/);
    expect(monitor.current().detail).toMatch(/^LM Studio refused the token in Settings/);
    token.value = secret;
    await stateIs('online');
    sim.configure({ token: null });
    expect((await client.listModels()).generation).toBe('v1');
    expect(monitor.current().state).toBe('online');
    expect(transitions).toEqual(['online', 'unauthorized', 'online']);
  });

  it('"Require Authentication" switched on with a closed greeting: the poll sees it, and the token given brings it back', async () => {
    const secret = 'sk-lm-abcdefgh:abcdefghijklmnopqrst';
    const { sim, monitor, token, stateIs } = await run();
    await stateIs('online');
    sim.configure({ token: secret, greetingNeedsToken: true });
    await stateIs('unauthorized');
    expect(monitor.current().detail).toMatch(/^LM Studio now requires an API token/);
    token.value = secret;
    await stateIs('online');
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
      `Another program answers on port ${monitor.current().port}. It answered HTTP 404 with a web page instead of LM Studio’s greeting. Change the LM Studio address in Settings.`,
    );
  });

  it('a hung server -> not-responding, and back', async () => {
    const { sim, stateIs } = await run({}, { probeTimeoutMs: 300 });
    await stateIs('online');
    sim.configure({ hang: true });
    await stateIs('not-responding');
    sim.configure({ hang: false });
    await stateIs('online');
  });
});
