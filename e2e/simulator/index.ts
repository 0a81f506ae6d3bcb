/**
 * A faithful LM Studio simulator for tests, benchmarks and `npm run demo`: LM Studio's HTTP
 * server (http-server.ts), a fake `lms` executable sharing its state (lms/, through control.ts),
 * and a control plane to make it slow, fail, require a token, stall a download or die.
 *
 *   const sim = await startSimulator({ loaded: ['qwen/qwen3-4b'] });
 *   // ... point the client at sim.baseUrl and the runner at sim.lmsPath ...
 *   await sim.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { lmsBundle } from './bundle';
import { type ControlServer, type SimController, startControlServer } from './control';
import { createHome, installLms, removeHome, type SimHome, writeServerConfig } from './home';
import { delay, LmStudioHttpServer } from './http-server';
import { SimState } from './state';
import type { SimConfigPatch, Simulator, SimulatorOptions } from './types';

export { DEFAULT_CATALOG, DEFAULT_DOWNLOAD_BYTES_PER_SECOND, DEFAULT_MODELS } from './defaults';
export type * from './types';

/** Wakes remembered with their command (wakeCount counts them all). */
const MAX_WAKES_KEPT = 1000;

/** How long the app takes to come up when a fake `lms` command wakes it. */
export const WAKE_DURATION_MS = 300;

/** Starts the simulator: HTTP server (per options), control server, temporary home with `lms`. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const state = new SimState(options);
  const home = await createHome();
  const sim = new RunningSimulator(state, home);
  try {
    await sim.start();
  } catch (error) {
    await sim.close();
    throw error;
  }
  return sim;
}

class RunningSimulator implements Simulator {
  private readonly http: LmStudioHttpServer;
  private control: ControlServer | null = null;
  /** Lifecycle changes run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  readonly state: Simulator['state'];

  constructor(
    /** The simulated LM Studio's state, shared with the HTTP and control servers. */
    private readonly studio: SimState,
    private readonly home: SimHome,
  ) {
    this.http = new LmStudioHttpServer(studio);
    this.state = {
      models: () => studio.models.map((m) => ({ ...m })),
      loaded: () => studio.loadedView(),
      downloads: () => studio.downloadsView(),
      wakeCount: () => studio.wakeCount,
      wakes: () => studio.wakes.map((wake) => ({ argv: [...wake.argv], at: wake.at })),
      lmsInvocations: () => studio.lmsInvocations.map((argv) => [...argv]),
      requests: () => [...studio.requests],
      connections: () => studio.connectionCount,
    };
  }

  async start(): Promise<void> {
    if (this.studio.port === 0 && !this.wantListening()) this.studio.port = await freePort();
    await this.sync('graceful');
    await writeServerConfig(this.home, this.studio.port);
    const secret = randomBytes(24).toString('hex');
    const controller: SimController = {
      state: this.studio,
      wake: (argv) => this.wake(argv),
      startServerOn: (port) => this.startServerOn(port),
      stopServer: () => this.stopServer(),
    };
    this.control = await startControlServer(controller, secret);
    await installLms(this.home, await lmsBundle(), this.control.url, secret);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.studio.port}`;
  }
  get port(): number {
    return this.studio.port;
  }
  get homeDir(): string {
    return this.home.homeDir;
  }
  get lmsPath(): string {
    return this.home.lmsPath;
  }

  stopServer(): Promise<void> {
    return this.transition(async () => {
      this.studio.serverOn = false;
      await this.sync('graceful');
    });
  }

  stopListening(): Promise<void> {
    return this.transition(async () => {
      this.studio.serverOn = false;
      this.http.stopListening();
    });
  }

  startServer(): Promise<void> {
    return this.transition(async () => {
      this.studio.appRunning = true;
      this.studio.serverOn = true;
      await this.sync('graceful');
    });
  }

  /** `lms server start [--port N]`: may move the server to another port, as LM Studio does. */
  startServerOn(port: number | undefined): Promise<{ ok: true; port: number } | { ok: false }> {
    return this.transition(async () => {
      this.studio.serverOn = true;
      if (port !== undefined && port !== this.studio.port) {
        await this.http.close('graceful');
        this.studio.port = port;
      }
      try {
        await this.sync('graceful');
      } catch {
        return { ok: false as const };
      }
      await writeServerConfig(this.home, this.studio.port);
      return { ok: true as const, port: this.studio.port };
    });
  }

  quitApp(): Promise<void> {
    return this.transition(async () => {
      this.studio.appStopped('LM Studio quit while the download was running.');
      await this.sync('graceful');
    });
  }

  launchApp(): Promise<void> {
    return this.transition(async () => {
      this.studio.appRunning = true;
      await this.sync('graceful');
    });
  }

  crash(): Promise<void> {
    return this.transition(async () => {
      this.studio.appStopped('LM Studio stopped unexpectedly while the download was running.');
      await this.sync('destroy');
    });
  }

  async wake(argv: string[] = []): Promise<void> {
    if (this.studio.appRunning) return;
    this.studio.wakeCount++;
    this.studio.wakes.push({ argv, at: Date.now() });
    if (this.studio.wakes.length > MAX_WAKES_KEPT) this.studio.wakes.shift();
    await delay(WAKE_DURATION_MS);
    await this.launchApp();
  }

  deleteModel(key: string): boolean {
    return this.studio.deleteModel(key);
  }

  evict(identifier: string): boolean {
    return this.studio.unload(identifier);
  }

  configure(patch: SimConfigPatch): void {
    // Running downloads account for their bytes at the old speed before a new speed or stall applies.
    this.studio.tick();
    Object.assign(this.studio.config, patch);
    if ('foreign' in patch) void this.transition(() => this.sync('graceful'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.http.close('destroy');
    await this.control?.close();
    this.studio.dispose();
    await removeHome(this.home);
  }

  private wantListening(): boolean {
    return this.studio.config.foreign || (this.studio.appRunning && this.studio.serverOn);
  }

  /** Makes the listening socket match the state (another program on the port counts too). */
  private async sync(closeMode: 'graceful' | 'destroy'): Promise<void> {
    if (this.closed) return;
    const want = this.wantListening();
    if (want && !this.http.listening) this.studio.port = await this.http.listen(this.studio.port);
    else if (!want) await this.http.close(closeMode); // also ends connections kept by stopListening
  }

  private transition<T>(change: () => Promise<T>): Promise<T> {
    const next = this.queue.then(change, change);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** A port nothing listens on right now (for a simulator that starts with its server off). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}
