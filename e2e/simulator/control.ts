/**
 * The control server: an always-on loopback endpoint through which the fake `lms` acts on the
 * simulator's state (see control-protocol.ts). It answers whether or not the simulated app is
 * running, since it stands for what `lms` itself can do (wake the app, read its files).
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { InstanceStatus, RpcDownload, RpcMethods, RpcName } from './control-protocol';
import { estimateMemory, runtimeSurvey } from './resources';
import type { Download, Instance, SimState } from './state';

/** What the control server needs from the running simulator. */
export interface SimController {
  readonly state: SimState;
  /** The app launches because an `lms` command (its argv) needed it (counted in wakeCount). */
  wake(argv: string[]): Promise<void>;
  /** `lms server start [--port N]`: false when the port cannot be had. */
  startServerOn(port: number | undefined): Promise<{ ok: true; port: number } | { ok: false }>;
  stopServer(): Promise<void>;
}

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

type Handlers = {
  [K in RpcName]: (params: RpcMethods[K]['params'], signal: AbortSignal) => Promise<RpcMethods[K]['result']>;
};

/** `lms ps`'s `status` and `queued`: busiest phase of its requests, and how many there are. */
function processingState(instance: Instance): { status: InstanceStatus; queued: number } {
  const phases = instance.predictions.map((p) => p.phase);
  const status = phases.includes('generating')
    ? 'generating'
    : phases.includes('processingPrompt')
      ? 'processingPrompt'
      : 'idle';
  return { status, queued: instance.predictions.length };
}

export async function startControlServer(sim: SimController, secret: string): Promise<ControlServer> {
  const handlers = createHandlers(sim);
  const expected = Buffer.from(`Bearer ${secret}`);
  const server = http.createServer((req, res) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (
      req.method !== 'POST' ||
      req.url !== '/rpc' ||
      given.length !== expected.length ||
      !timingSafeEqual(given, expected)
    ) {
      res.writeHead(403).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A long poll (`logNext`) stops waiting when its stream goes away.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    req.on('end', () => {
      void (async () => {
        let reply: unknown;
        try {
          const { method, params } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            method: RpcName;
            params: never;
          };
          const handler = handlers[method] as ((p: never, signal: AbortSignal) => Promise<unknown>) | undefined;
          if (!handler) throw new Error(`unknown control method ${String(method)}`);
          reply = { ok: true, result: await handler(params, gone.signal) };
        } catch (error) {
          reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
        if (!res.destroyed) res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
      })();
    });
  });
  // A `logNext` long poll may wait for hours: no request timeout on this loopback-only server.
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected control server address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function downloadView(d: Download): RpcDownload {
  return {
    id: d.id,
    status: d.status,
    downloadedBytes: d.downloadedBytes,
    totalBytes: d.totalBytes,
    bytesPerSecond: d.bytesPerSecond,
    finalizing: d.finalizingSince !== null,
    error: d.error,
  };
}

function createHandlers(sim: SimController): Handlers {
  const { state } = sim;
  return {
    hello: async ({ argv }) => {
      state.recordLmsInvocation(argv);
      return {
        generation: state.config.generation,
        hang: state.config.lmsHangs,
        appRunning: state.appRunning,
        pid: process.pid,
        estimateOnlySupported: state.config.estimateOnlySupported,
        logStreamBuild: state.config.logStreamBuild,
        lmStudioVersion: state.config.lmStudioVersion,
        headless: state.config.headless,
      };
    },
    wake: async ({ argv }) => {
      await sim.wake(argv);
      return {};
    },
    models: async () => ({
      models: state.models,
      instances: state.instances.map((instance) => ({
        identifier: instance.identifier,
        modelKey: instance.modelKey,
        contextLength: instance.contextLength,
        ttlMs: instance.ttlMs,
        lastUsedTime: instance.lastUsedTime,
        parallel: instance.parallel,
        ...processingState(instance),
      })),
    }),
    serverStart: ({ port }) => sim.startServerOn(port),
    serverStop: async () => {
      await sim.stopServer();
      return {};
    },
    beginLoad: async ({ modelKey, identifier, contextLength, ttlMs, gpuRatio }) => {
      if (!state.findModel(modelKey)) throw new Error(`Model "${modelKey}" not found.`);
      const load = state.beginLoad({ modelKey, identifier, contextLength, ttlMs: ttlMs ?? null, gpuRatio });
      return { loadId: load.id, durationMs: load.durationMs };
    },
    loadStatus: async ({ loadId }) => {
      const load = state.pendingLoads.get(loadId);
      if (!load) throw new Error(`No load ${loadId}.`);
      const progress = Math.min(1, (Date.now() - load.startedAt) / load.durationMs);
      if (!load.outcome) return { progress: Math.min(progress, 0.99), done: false };
      return load.outcome.ok
        ? { progress: 1, done: true, identifier: load.outcome.instance.identifier, error: null, guardrail: false }
        : {
            progress,
            done: true,
            identifier: null,
            error: load.outcome.message,
            guardrail: load.outcome.guardrail === true,
          };
    },
    estimate: async ({ modelKey, contextLength, gpuRatio }) => {
      const model = state.findModel(modelKey);
      if (!model) throw new Error(`Model "${modelKey}" not found.`);
      const estimate = estimateMemory(state.config, model, { contextLength, gpuRatio });
      return {
        gpuBytes: estimate.gpuBytes,
        totalBytes: estimate.totalBytes,
        confidence: estimate.confidence,
        passesGuardrails: estimate.passesGuardrails,
        units: state.config.estimateUnits,
        modelLine: state.config.estimateModelLine,
      };
    },
    survey: async () => runtimeSurvey(state.config),
    cancelLoad: async ({ loadId }) => {
      state.pendingLoads.get(loadId)?.cancel();
      return {};
    },
    unload: async ({ identifier }) => ({ unloaded: state.unload(identifier) }),
    resolveDownload: async ({ target }) => {
      const resolution = state.resolveDownload(target);
      switch (resolution.kind) {
        case 'available': {
          const download = state.startDownload(resolution.entry, target, 'lms');
          return {
            kind: 'started',
            download: downloadView(download),
            model: resolution.entry.model,
            planKey: resolution.entry.key,
          };
        }
        case 'in-progress':
          return {
            kind: 'attached',
            download: downloadView(resolution.download),
            model: resolution.download.entry.model,
            planKey: resolution.download.entry.key,
          };
        default:
          return resolution;
      }
    },
    searchStaffPicks: async ({ term }) => {
      const needle = term.toLowerCase();
      const nameOf = (key: string) => key.toLowerCase().split('/').pop() ?? '';
      const exact = state.catalog.find((c) => nameOf(c.key) === needle || c.key.toLowerCase() === needle);
      if (exact) return { key: exact.key, exact: true };
      const first = state.catalog.find((c) => c.key.toLowerCase().includes(needle));
      return first ? { key: first.key, exact: false } : null;
    },
    downloadStatus: async ({ id }) => {
      const download = state.findDownload(id);
      return download ? downloadView(download) : null;
    },
    cancelDownload: async ({ id }) => {
      state.cancelDownload(id);
      return {};
    },
    logSubscribe: async () => (state.appRunning ? state.logs.cursor() : null),
    logNext: (cursor, signal) => state.logs.next(cursor, signal),
  };
}
