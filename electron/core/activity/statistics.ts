/**
 * Per-model activity from `lms log stream` events (pure: time is passed in, nothing runs on its
 * own). Counts and timings only: an event carries no text (the parser dropped it).
 *
 * - In progress: inputs not yet followed by an output. The stream has no request id and
 *   concurrent outputs come out of order (protocol-2 §1), so an output closes the open request
 *   whose start best matches its own stats (output time minus time to first token minus
 *   generation time), else the oldest. The count is never negative and is reset when the stream
 *   restarts and when the model unloads, since nothing can pair what was missed.
 * - Requests in the last 5 minutes (by their inputs), the answers of the last 10 minutes (the
 *   chart's points), the last answer, and the median tokens/s and time to first token over the
 *   model's last HISTORY_SIZE answers (its usual, which also outlives the windows).
 * - Possibly stuck: a request open for more than 10 minutes and more than 5 times the model's
 *   median total time (10 minutes alone without history), reported once per request.
 */
import type { ActivitySample, ModelActivity } from '../../shared/contract';
import type { LogStreamEvent } from '../interfaces';

export const REQUESTS_WINDOW_MS = 5 * 60_000;
export const RECENT_WINDOW_MS = 10 * 60_000;
/** A request is never called stuck before this long. */
export const STUCK_AFTER_MS = 10 * 60_000;
/** ...nor before this many times its model's median total time. */
export const STUCK_FACTOR = 5;
/** Answers per model the medians (the model's usual) are taken over. */
export const HISTORY_SIZE = 50;
/** Bounds whatever the stream sends: a flood of requests, or many models over a long run. */
const MAX_RECENT = 600;
const MAX_INPUTS = 10_000;
const MAX_OPEN = 1_000;
const MAX_MODELS = 32;

export interface StuckRequest {
  modelIdentifier: string;
  runningForMs: number;
}

export interface ActivityStatistics {
  /** One event of the stream, received at `now`. */
  record(event: LogStreamEvent, now: number): void;
  /** The stream (re)started or stopped: what is open can no longer be paired. */
  resetInProgress(): void;
  /** The loaded instances now: a model that was loaded and no longer is has its requests closed. */
  loadedChanged(identifiers: readonly string[]): void;
  /** Requests newly found possibly stuck at `now`, each reported once. */
  checkStuck(now: number): StuckRequest[];
  /** Per model, as of `now`: those with something to show (in progress, recent, or loaded), by identifier. */
  models(now: number): ModelActivity[];
  /** True while a request is open somewhere. */
  busy(): boolean;
  /**
   * When the figures change next without an event (a window lets go of an entry, a request may
   * turn stuck), or null when nothing will: the caller's only timer.
   */
  nextChangeAt(now: number): number | null;
}

interface OpenRequest {
  startedAt: number;
  flagged: boolean;
}

interface Answer {
  tokensPerSecond: number | null;
  timeToFirstTokenSec: number | null;
  durationMs: number | null;
}

interface ModelState {
  open: OpenRequest[];
  /** Start times of the inputs of the last 5 minutes, oldest first. */
  inputs: number[];
  recent: ActivitySample[];
  last: ActivitySample | null;
  history: Answer[];
  lastEventAt: number;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const known = (values: Array<number | null>): number[] => values.filter((value): value is number => value !== null);

/** How long the answer took from its input, by its own stats: time to first token plus generation. */
function durationFromStats(event: Extract<LogStreamEvent, { type: 'output' }>): number | null {
  const { timeToFirstTokenSec, predictedTokens, tokensPerSecond } = event;
  if (timeToFirstTokenSec === null || predictedTokens === null || tokensPerSecond === null || tokensPerSecond <= 0) {
    return null;
  }
  return (timeToFirstTokenSec + predictedTokens / tokensPerSecond) * 1000;
}

export function createActivityStatistics(): ActivityStatistics {
  const models = new Map<string, ModelState>();
  let loaded: Set<string> | null = null;

  function model(identifier: string, now: number): ModelState {
    let state = models.get(identifier);
    if (!state) {
      state = { open: [], inputs: [], recent: [], last: null, history: [], lastEventAt: now };
      models.set(identifier, state);
      evictBeyondLimit();
    }
    return state;
  }

  /** Forgets the models idle for longest (never one in progress or loaded) past MAX_MODELS. */
  function evictBeyondLimit(): void {
    if (models.size <= MAX_MODELS) return;
    const idle = [...models.entries()]
      .filter(([identifier, state]) => state.open.length === 0 && !loaded?.has(identifier))
      .sort((a, b) => a[1].lastEventAt - b[1].lastEventAt);
    for (const [identifier] of idle.slice(0, models.size - MAX_MODELS)) models.delete(identifier);
  }

  function prune(state: ModelState, now: number): void {
    const inputsFrom = now - REQUESTS_WINDOW_MS;
    const recentFrom = now - RECENT_WINDOW_MS;
    while (state.inputs.length > 0 && state.inputs[0]! <= inputsFrom) state.inputs.shift();
    while (state.recent.length > 0 && state.recent[0]!.at <= recentFrom) state.recent.shift();
  }

  function stuckAfter(state: ModelState): number {
    const usual = median(known(state.history.map((answer) => answer.durationMs)));
    return usual === null ? STUCK_AFTER_MS : Math.max(STUCK_AFTER_MS, STUCK_FACTOR * usual);
  }

  /** The open request this output most likely ends (its start by the stats, else the oldest). */
  function closing(state: ModelState, startEstimate: number | null): number {
    if (startEstimate === null) return 0;
    let best = 0;
    for (let i = 1; i < state.open.length; i += 1) {
      const distance = Math.abs(state.open[i]!.startedAt - startEstimate);
      if (distance < Math.abs(state.open[best]!.startedAt - startEstimate)) best = i;
    }
    return best;
  }

  function record(event: LogStreamEvent, now: number): void {
    // The stream's timestamps come from LM Studio's clock: one from the future counts as now.
    const at = Math.min(event.at, now);
    const state = model(event.modelIdentifier, now);
    state.lastEventAt = now;
    prune(state, now);
    if (event.type === 'input') {
      state.open.push({ startedAt: at, flagged: false });
      // Inputs arrive in order, but keep the list sorted (oldest first) whatever the timestamps say.
      state.open.sort((a, b) => a.startedAt - b.startedAt);
      if (state.open.length > MAX_OPEN) state.open.shift();
      state.inputs.push(at);
      state.inputs.sort((a, b) => a - b);
      if (state.inputs.length > MAX_INPUTS) state.inputs.shift();
      return;
    }
    const statsDuration = durationFromStats(event);
    let durationMs = statsDuration;
    if (state.open.length > 0) {
      const index = closing(state, statsDuration === null ? null : at - statsDuration);
      const [request] = state.open.splice(index, 1);
      durationMs ??= Math.max(0, at - request!.startedAt);
    }
    const sample: ActivitySample = {
      at,
      tokensPerSecond: event.tokensPerSecond,
      timeToFirstTokenSec: event.timeToFirstTokenSec,
      promptTokens: event.promptTokens,
      predictedTokens: event.predictedTokens,
    };
    state.last = sample;
    state.recent.push(sample);
    state.recent.sort((a, b) => a.at - b.at);
    if (state.recent.length > MAX_RECENT) state.recent.shift();
    state.history.push({
      tokensPerSecond: event.tokensPerSecond,
      timeToFirstTokenSec: event.timeToFirstTokenSec,
      durationMs,
    });
    if (state.history.length > HISTORY_SIZE) state.history.shift();
  }

  function checkStuck(now: number): StuckRequest[] {
    const stuck: StuckRequest[] = [];
    for (const [identifier, state] of models) {
      const after = stuckAfter(state);
      for (const request of state.open) {
        const runningForMs = now - request.startedAt;
        if (!request.flagged && runningForMs > after) {
          request.flagged = true;
          stuck.push({ modelIdentifier: identifier, runningForMs });
        }
      }
    }
    return stuck;
  }

  function view(identifier: string, state: ModelState): ModelActivity {
    const flagged = state.open.filter((request) => request.flagged);
    return {
      identifier,
      inProgress: state.open.length,
      busySince: state.open[0]?.startedAt ?? null,
      requestsLast5Min: state.inputs.length,
      last: state.last ? { ...state.last } : null,
      medianTokensPerSecond: median(known(state.history.map((answer) => answer.tokensPerSecond))),
      medianTimeToFirstTokenSec: median(known(state.history.map((answer) => answer.timeToFirstTokenSec))),
      recent: state.recent.map((sample) => ({ ...sample })),
      possiblyStuckSince: flagged[0]?.startedAt ?? null,
    };
  }

  return {
    record,
    resetInProgress() {
      for (const state of models.values()) state.open = [];
    },
    loadedChanged(identifiers) {
      const now = new Set(identifiers);
      if (loaded !== null) {
        for (const identifier of loaded) {
          const state = models.get(identifier);
          if (!now.has(identifier) && state) state.open = [];
        }
      }
      loaded = now;
      evictBeyondLimit();
    },
    checkStuck,
    models(now) {
      const shown: ModelActivity[] = [];
      for (const [identifier, state] of models) {
        prune(state, now);
        const active = state.open.length > 0 || state.inputs.length > 0 || state.recent.length > 0;
        if (active || loaded?.has(identifier)) shown.push(view(identifier, state));
      }
      return shown.sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
    },
    busy: () => [...models.values()].some((state) => state.open.length > 0),
    nextChangeAt(now) {
      let next: number | null = null;
      const consider = (at: number) => {
        next = next === null ? at : Math.min(next, at);
      };
      for (const state of models.values()) {
        prune(state, now);
        const after = stuckAfter(state);
        for (const request of state.open) if (!request.flagged) consider(request.startedAt + after + 1);
        if (state.inputs.length > 0) consider(state.inputs[0]! + REQUESTS_WINDOW_MS);
        if (state.recent.length > 0) consider(state.recent[0]!.at + RECENT_WINDOW_MS);
      }
      return next;
    },
  };
}
