/**
 * The private protocol between the fake `lms` and the simulator that started it: one JSON
 * request per call, `POST /rpc` on a loopback port, authorised by a secret baked into `bin/lms`.
 * Standing in for the WebSocket the real `lms` uses to reach LM Studio.
 */
import type { SimLogEvent } from './predictions';
import type { SimGeneration, SimLogStreamBuild, SimModel } from './types';

export const CONTROL_ENV = {
  url: 'LMS_SIM_CONTROL',
  secret: 'LMS_SIM_SECRET',
  home: 'LMS_SIM_HOME',
} as const;

export interface RpcInstance {
  identifier: string;
  modelKey: string;
  contextLength: number;
  ttlMs: number | null;
  lastUsedTime: number | null;
  parallel: number | null;
  /** `getInstanceProcessingState` (lmstudio-protocol-2.md §6). */
  status: InstanceStatus;
  /** Requests on it, the running ones included. */
  queued: number;
}

export type InstanceStatus = 'idle' | 'processingPrompt' | 'generating' | 'computingEmbedding';

export interface RpcDownload {
  id: string;
  status: 'downloading' | 'completed' | 'failed' | 'cancelled' | 'paused';
  downloadedBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  /** All bytes arrived; LM Studio is finalizing. */
  finalizing: boolean;
  error: string | null;
}

export interface RpcEstimate {
  gpuBytes: number;
  totalBytes: number;
  confidence: 'high' | 'low';
  passesGuardrails: boolean;
  units: 'GiB' | 'GB';
  modelLine: 'key' | 'path';
}

export type RpcResolution =
  | { kind: 'started' | 'attached'; download: RpcDownload; model: SimModel; planKey: string }
  | { kind: 'already-downloaded'; model: SimModel }
  | { kind: 'variant-missing'; variant: string }
  | { kind: 'not-found' };

export interface RpcMethods {
  /** Every run starts here: records argv, tells the CLI what to be. */
  hello: {
    params: { argv: string[] };
    result: {
      generation: SimGeneration;
      hang: boolean;
      appRunning: boolean;
      pid: number;
      /** false: an lms from before LM Studio 0.3.27 (no `--estimate-only`). */
      estimateOnlySupported: boolean;
      logStreamBuild: SimLogStreamBuild;
      lmStudioVersion: string;
      headless: boolean;
    };
  };
  /** Launches the app (counted as a wake, with the waking command's argv), ~300 ms; fails if LM Studio cannot start. */
  wake: { params: { argv: string[] }; result: Record<string, never> };
  models: { params: Record<string, never>; result: { models: SimModel[]; instances: RpcInstance[] } };
  serverStart: { params: { port?: number }; result: { ok: true; port: number } | { ok: false } };
  serverStop: { params: Record<string, never>; result: Record<string, never> };
  beginLoad: {
    params: { modelKey: string; identifier?: string; contextLength?: number; ttlMs?: number; gpuRatio?: number };
    result: { loadId: string; durationMs: number };
  };
  loadStatus: {
    params: { loadId: string };
    result:
      | { progress: number; done: false }
      | { progress: number; done: true; identifier: string | null; error: string | null; guardrail: boolean };
  };
  /** `estimateModelUsage`: the estimate and how this lms build prints it. */
  estimate: {
    params: { modelKey: string; contextLength?: number; gpuRatio?: number };
    result: RpcEstimate;
  };
  /** `surveyHardware`: `lms runtime survey`'s object. */
  survey: { params: Record<string, never>; result: unknown };
  cancelLoad: { params: { loadId: string }; result: Record<string, never> };
  unload: { params: { identifier: string }; result: { unloaded: boolean } };
  /** Resolves a `lms get` target and starts (or attaches to) its download. */
  resolveDownload: { params: { target: string }; result: RpcResolution };
  /** `lms get <name>` without `owner/`: the staff pick it resolves to (an exact name wins). */
  searchStaffPicks: { params: { term: string }; result: { key: string; exact: boolean } | null };
  downloadStatus: { params: { id: string }; result: RpcDownload | null };
  cancelDownload: { params: { id: string }; result: Record<string, never> };
  /** `streamLogs`: where a new stream starts; null when LM Studio is not running. */
  logSubscribe: { params: Record<string, never>; result: { session: number; seq: number } | null };
  /**
   * A long poll: answers once events follow `seq` (or at once when some already do), or with
   * `closed` when LM Studio quit or crashed since `session`. Nothing runs while it waits.
   */
  logNext: {
    params: { session: number; seq: number };
    result: { events: SimLogEvent[]; seq: number; closed: boolean };
  };
}

export type RpcName = keyof RpcMethods;
