/**
 * Every way the core runs `lms` (the methods of `LmsCli`, electron/core/lmstudio/lms/cli.ts),
 * each reduced to one typed outcome. A new lms command joins the fault suite by adding a line.
 */
import { expect } from 'vitest';
import { CoreError } from '../../../electron/core/errors';
import type { LmsCli, LmsGetEvent, LmsGetOutcome } from '../../../electron/core/interfaces';
import { ENDLESS_MODEL, LOG_STREAM_EVENTS } from './fake-lms';

/** What one operation came to: a value, or an error with its code and the message the user reads. */
export type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };

export interface OperationContext {
  /** The fault keeps the child silent for ever: stop waiting for it the way the core would. */
  hangs: boolean;
}

export interface Operation {
  name: string;
  run(lms: LmsCli, context: OperationContext): Promise<Outcome>;
}

async function settle(work: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof CoreError) return { ok: false, code: error.code, message: error.message };
    // Anything but a CoreError is a crash of the runner: the suite fails on it.
    return {
      ok: false,
      code: 'crash',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
}

function getOutcome(outcome: LmsGetOutcome): Outcome {
  return outcome.kind === 'failed'
    ? { ok: false, code: 'get-failed', message: outcome.message }
    : { ok: true, value: outcome };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `lms get` and what the download manager does with it: waits for the outcome, or (when the
 * fault keeps it silent) lets go of it as a give-up does, or cancels it as the user does once
 * it has said something (a silent one, once it has been quiet for a moment).
 */
function getOperation(name: string, model: string, stop: 'cancel' | 'detach' | null): Operation {
  return {
    name,
    async run(lms, { hangs }) {
      const ran = await settle(async () => {
        let heard: () => void = () => {};
        const firstEvent = new Promise<void>((resolve) => {
          heard = resolve;
        });
        const child = lms.get(model, (_event: LmsGetEvent) => heard());
        const how = stop ?? (hangs ? 'detach' : null);
        if (how) {
          // A silent child gets a moment; any other is stopped once it has said something.
          await Promise.race([firstEvent, child.done, ...(hangs ? [pause(300)] : [])]);
          await (how === 'cancel' ? child.cancel() : child.detach());
        }
        return child.done;
      });
      return ran.ok ? getOutcome(ran.value as LmsGetOutcome) : ran;
    },
  };
}

/**
 * `lms log stream` as the activity monitor runs it: followed until it has said everything it
 * was going to (the recording's events), it ends on its own, or (when the fault keeps it silent)
 * a moment passes; then stopped as the monitor stops it (SIGINT, SIGKILL after the grace). Its
 * outcome: how many events it gave, each of the documented shape, and how it ended.
 */
const INPUT_KEYS = 'at,modelIdentifier,type';
const OUTPUT_KEYS = 'at,modelIdentifier,predictedTokens,promptTokens,timeToFirstTokenSec,tokensPerSecond,type';
const logStreamOperation: Operation = {
  name: 'log stream',
  async run(lms, { hangs }) {
    return settle(async () => {
      let events = 0;
      let misshapen = 0;
      let heardAll: () => void = () => {};
      const all = new Promise<void>((resolve) => {
        heardAll = resolve;
      });
      const stream = lms.logStream({
        onEvent: (event) => {
          // A listener's throw is caught and logged by the runner: count instead, and fail after.
          const keys = Object.keys(event).sort().join(',');
          if (keys !== (event.type === 'input' ? INPUT_KEYS : OUTPUT_KEYS)) misshapen += 1;
          events += 1;
          if (events === LOG_STREAM_EVENTS) heardAll();
        },
        onStderrLine: () => {},
      });
      await Promise.race([all, stream.exited, ...(hangs ? [pause(300)] : [])]);
      await stream.stop();
      const { code, signal } = await stream.exited;
      if (misshapen > 0) throw new Error(`${misshapen} events of lms log stream were not of the documented shape`);
      return { events, code, signal };
    });
  },
};

export const OPERATIONS: readonly Operation[] = [
  { name: 'server status', run: (lms) => settle(() => lms.serverStatus()) },
  { name: 'daemon status', run: (lms) => settle(() => lms.daemonStatus()) },
  { name: 'version', run: (lms) => settle(() => lms.version()) },
  { name: 'LM Studio version', run: (lms) => settle(() => lms.lmStudioVersion()) },
  logStreamOperation,
  { name: 'ls', run: (lms) => settle(() => lms.ls()) },
  { name: 'ps', run: (lms) => settle(() => lms.ps()) },
  { name: 'server start', run: (lms) => settle(() => lms.serverStart({ port: 1234 })) },
  { name: 'server stop', run: (lms) => settle(() => lms.serverStop()) },
  { name: 'load', run: (lms) => settle(() => lms.load('qwen/qwen3-4b', { contextLength: 4096 }, () => {})) },
  {
    name: 'load --estimate-only',
    run: (lms) => settle(() => lms.estimate('qwen/qwen3-4b', { contextLength: 4096, gpuOffload: 'max' })),
  },
  { name: 'runtime survey', run: (lms) => settle(() => lms.runtimeSurvey()) },
  { name: 'ls (paths)', run: (lms) => settle(() => lms.lsPaths!()) },
  { name: 'unload', run: (lms) => settle(() => lms.unload('qwen/qwen3-4b')) },
  { name: 'unload --all', run: (lms) => settle(() => lms.unloadAll()) },
  getOperation('get', 'qwen/qwen3-4b', null),
  getOperation('get, then cancel', ENDLESS_MODEL, 'cancel'),
  getOperation('get, then detach', ENDLESS_MODEL, 'detach'),
];

/** What each operation gives when lms behaves (matchers for `toEqual`). */
export const NORMAL_OUTCOMES: Record<string, Outcome> = {
  'server status': { ok: true, value: { running: true, port: 1234 } },
  'daemon status': { ok: true, value: { running: true, pid: 4242 } },
  version: { ok: true, value: 'f13588d' },
  'LM Studio version': { ok: true, value: '0.4.2' },
  // Every recorded event, then SIGINT: lms unsubscribes and exits 0.
  'log stream': { ok: true, value: { events: LOG_STREAM_EVENTS, code: 0, signal: null } },
  ls: {
    ok: true,
    value: [expect.objectContaining({ key: 'qwen/qwen3-4b', displayName: 'Qwen3 4B', sizeBytes: 2497280000 })],
  },
  ps: {
    ok: true,
    value: [expect.objectContaining({ identifier: 'qwen/qwen3-4b', modelKey: 'qwen/qwen3-4b', contextLength: 4096 })],
  },
  'server start': { ok: true, value: undefined },
  'server stop': { ok: true, value: undefined },
  load: { ok: true, value: { identifier: 'qwen/qwen3-4b' } },
  'load --estimate-only': {
    ok: true,
    value: {
      supported: true,
      estimate: {
        model: 'qwen/qwen3-4b',
        gpuBytes: 5_583_457_485,
        totalBytes: 5_583_457_485,
        confidence: 'high',
        passesGuardrails: true,
      },
    },
  },
  // An Apple Silicon Mac: its GPU's memory is the RAM it shares (runtime-survey-integrated).
  'runtime survey': {
    ok: true,
    value: {
      ramBytes: null,
      vramBytes: 51_539_607_552,
      totalMemoryBytes: null,
      gpus: [{ name: 'Apple M2 Max', vramBytes: 51_539_607_552 }],
    },
  },
  'ls (paths)': { ok: true, value: [{ modelKey: 'qwen/qwen3-4b', path: null }] },
  unload: { ok: true, value: undefined },
  'unload --all': { ok: true, value: 1 },
  get: { ok: true, value: { kind: 'completed' } },
  'get, then cancel': { ok: true, value: { kind: 'cancelled' } },
  'get, then detach': { ok: true, value: { kind: 'continuing' } },
};
