/**
 * Will it fit in memory: `lms load --estimate-only` for one downloaded model and one choice of
 * load options, with the machine's memory beside it (issue 9 part 4, lmstudio-protocol-2.md §2, §4).
 *
 * - Only while LM Studio runs on this machine: never for a remote server, never while the status
 *   says it is closed, and `lms daemon status` (which never wakes it) right before every `lms`
 *   run here, since each of them (`ls`, `runtime survey`, `load --estimate-only`) would wake it.
 * - Exactly the model asked for: `--exact` with its path from `lms ls --json`; without a usable
 *   path, only a key `lms load` cannot confuse with another downloaded model. The `Model:` line
 *   lms prints must then name that model (its key, or its path on builds before 2026-02-11).
 * - Cached per model and options (LM Studio counts what is loaded, so `loadedChanged` clears the
 *   cache); identical requests in flight share one run, and runs go one at a time. An lms
 *   without `--estimate-only` (LM Studio before 0.3.27) is found out once, from its
 *   unknown-option error, and never asked again (another lms, set in Settings, is asked afresh).
 * - RAM from the OS on every answer; VRAM totals from `lms runtime survey --json`, once per LM
 *   Studio session (`sessionEnded`). The memory meter reads the same survey (`runtimeSurvey`).
 * Every answer without an estimate says why in one line (`unavailableReason`).
 */
import { fuzzyMatches, lmStudioRuns } from '../../shared/availability';
import type { EstimateAnswer, LoadOptions, MemoryEstimate, ServerStatus, SystemMemory } from '../../shared/contract';
import { isModelKey } from '../../shared/model-names';
import { CoreError } from '../errors';
import type { LmsCli, MemoryEstimator, RuntimeSurvey } from '../interfaces';
import type { Logger, SystemMemoryPort } from '../ports';

export interface MemoryEstimatorOptions {
  /** The local `lms`, or null when none was found or the server is on another machine. */
  lms: () => LmsCli | null;
  status: () => ServerStatus;
  systemMemory: SystemMemoryPort;
  /** The `estimateMemory` setting. */
  enabled: () => boolean;
  logger: Logger;
}

export const ESTIMATES_OFF = 'Memory estimates are turned off in Settings.';
export const LMS_NOT_FOUND = "LM Studio's lms command was not found, so memory cannot be estimated.";
export const NOT_RUNNING = 'LM Studio is not running: start it to see how much memory this model needs.';
export const TOO_OLD = 'This LM Studio is too old for estimates (0.3.27 or later).';

export interface MemoryEstimatorWithSurvey extends MemoryEstimator {
  /**
   * This LM Studio session's `lms runtime survey` (run now if it has not run yet, the same run
   * the estimates use), or null when there is none: a remote server, no lms, LM Studio not
   * running (never woken for this: `lms daemon status` first) or a survey that failed.
   */
  runtimeSurvey(): Promise<RuntimeSurvey | null>;
}

/**
 * What one estimate came to: an estimate, or why there is none. `keep`: what LM Studio said about
 * this model and these options, cached like an estimate (a passing reason, such as LM Studio not
 * running or lms failing, is not).
 */
type Outcome =
  | { estimate: Omit<MemoryEstimate, 'options'>; reason: null; keep: true }
  | { estimate: null; reason: string; keep: boolean };

/** A reason not to go on, thrown inside one run and answered as `unavailableReason`. */
class Unavailable extends Error {}

type ModelPath = { modelKey: string; path: string | null };

export function createMemoryEstimator(options: MemoryEstimatorOptions): MemoryEstimatorWithSurvey {
  const { logger } = options;
  /** Cleared when the loaded set changes or LM Studio quits or starts. */
  const cache = new Map<string, Outcome>();
  const inflight = new Map<string, Promise<Outcome>>();
  /** The last run started: runs go one at a time (the popup asks again as options change). */
  let queue: Promise<unknown> = Promise.resolve();
  /** Bumped by every clearing, so a run that started before one does not fill the cache after it. */
  let generation = 0;
  /** The lms the support and the readings below belong to (a new path in Settings is another lms). */
  let lmsInUse: LmsCli | null = null;
  let unsupported = false;
  /** `lms ls --json`'s keys and paths, read once per LM Studio session (again for a key it lacks). */
  let paths: Promise<ModelPath[]> | null = null;
  let survey: RuntimeSurvey | null = null;
  let surveyRun: Promise<void> | null = null;
  let surveyDone = false;

  function forgetSession(): void {
    generation += 1;
    cache.clear();
    inflight.clear();
    paths = null;
    survey = null;
    surveyRun = null;
    surveyDone = false;
  }

  /** Another lms (a new path in Settings) is asked afresh: its support and this session's readings are forgotten. */
  function use(lms: LmsCli): void {
    if (lms === lmsInUse) return;
    lmsInUse = lms;
    unsupported = false;
    forgetSession();
  }

  function memory(): SystemMemory {
    let ram = { totalBytes: 0, freeBytes: 0 };
    try {
      ram = options.systemMemory();
    } catch (error) {
      logger.warn("Could not read the machine's memory", error);
    }
    return {
      ramTotalBytes: ram.totalBytes,
      ramFreeBytes: ram.freeBytes,
      vramTotalBytes: survey?.vramBytes ?? null,
      gpus: survey ? survey.gpus.map((gpu) => ({ ...gpu })) : [],
    };
  }

  function answer(outcome: Outcome, loadOptions: LoadOptions): EstimateAnswer {
    return outcome.estimate
      ? {
          estimate: { ...outcome.estimate, options: { ...loadOptions } },
          unavailableReason: null,
          memory: memory(),
        }
      : { estimate: null, unavailableReason: outcome.reason, memory: memory() };
  }

  const unavailable = (reason: string): EstimateAnswer => answer({ estimate: null, reason, keep: false }, {});

  /** `lms daemon status` (never wakes LM Studio): throws Unavailable unless it runs. */
  async function ensureRunning(lms: LmsCli): Promise<void> {
    let running: boolean;
    try {
      ({ running } = await lms.daemonStatus());
    } catch (error) {
      throw new Unavailable(`Could not find out whether LM Studio runs: ${messageOf(error)}`);
    }
    if (!running) throw new Unavailable(NOT_RUNNING);
  }

  /** The downloaded models' keys and paths (keys only from an lms that cannot list paths). */
  async function modelPaths(lms: LmsCli, reread: boolean): Promise<ModelPath[]> {
    if (reread) paths = null;
    if (paths === null) {
      const reading = (async (): Promise<ModelPath[]> => {
        await ensureRunning(lms);
        if (lms.lsPaths) return lms.lsPaths();
        return (await lms.ls()).map((model) => ({ modelKey: model.key, path: null }));
      })();
      paths = reading;
      reading.catch(() => {
        if (paths === reading) paths = null;
      });
    }
    return paths;
  }

  /**
   * The model's path (what the `Model:` line of older builds names) and whether to pass it with
   * `--exact`; without a path lms may be given, only an unambiguous key. Unavailable when neither.
   */
  async function target(lms: LmsCli, modelKey: string): Promise<{ path: string | null; exact: boolean }> {
    let models = await modelPaths(lms, false);
    // Downloaded since the list was read: read it again once.
    if (!models.some((model) => model.modelKey === modelKey)) models = await modelPaths(lms, true);
    const entry = models.find((model) => model.modelKey === modelKey);
    if (!entry) throw new Unavailable(notDownloaded(modelKey));
    if (entry.path !== null && isModelKey(entry.path)) return { path: entry.path, exact: true };
    // `lms load` matches the key loosely against other models' keys (and paths, on older builds).
    const rival = models.find(
      (model) =>
        model.modelKey !== modelKey &&
        (fuzzyMatches(modelKey, model.modelKey) || (model.path !== null && fuzzyMatches(modelKey, model.path))),
    );
    if (rival) {
      throw new Unavailable(
        `lms matches names loosely: ${modelKey} also matches ${rival.modelKey}, so it cannot be estimated exactly.`,
      );
    }
    return { path: entry.path, exact: false };
  }

  /** `lms runtime survey --json`, once per LM Studio session; a failure only leaves VRAM unknown. */
  async function ensureSurvey(lms: LmsCli): Promise<void> {
    if (surveyDone) return;
    const session = generation;
    surveyRun ??= (async () => {
      await ensureRunning(lms);
      try {
        const result = await lms.runtimeSurvey();
        if (session === generation) survey = result;
      } catch (error) {
        logger.info('lms runtime survey failed; VRAM totals stay unknown this session', error);
      }
      if (session === generation) surveyDone = true;
    })().finally(() => {
      surveyRun = null;
    });
    await surveyRun.catch(() => undefined);
  }

  /** One estimate from start to end; never throws. */
  async function run(lms: LmsCli, modelKey: string, loadOptions: LoadOptions): Promise<Outcome> {
    try {
      const model = await target(lms, modelKey);
      await ensureSurvey(lms);
      await ensureRunning(lms);
      const result = await lms.estimate(modelKey, loadOptions, model.exact && model.path ? model.path : undefined);
      if (!result.supported) {
        if (lmsInUse === lms) unsupported = true;
        return { estimate: null, reason: TOO_OLD, keep: false };
      }
      const { estimate } = result;
      if (estimate.model !== modelKey && estimate.model !== model.path) {
        return {
          estimate: null,
          reason: `LM Studio estimated ${estimate.model} instead of ${modelKey}, so no estimate is shown.`,
          keep: true,
        };
      }
      return {
        estimate: {
          modelKey,
          gpuBytes: estimate.gpuBytes,
          totalBytes: estimate.totalBytes,
          confidence: estimate.confidence,
          passesGuardrails: estimate.passesGuardrails,
        },
        reason: null,
        keep: true,
      };
    } catch (error) {
      if (error instanceof Unavailable) return { estimate: null, reason: error.message, keep: false };
      if (error instanceof CoreError && error.code === 'not-found') {
        return { estimate: null, reason: notDownloaded(modelKey), keep: false };
      }
      logger.warn(`Estimating ${modelKey} failed`, error);
      return { estimate: null, reason: `LM Studio could not estimate ${modelKey}: ${messageOf(error)}`, keep: false };
    }
  }

  return {
    async estimate(modelKey, loadOptions) {
      if (!options.enabled()) return unavailable(ESTIMATES_OFF);
      const status = options.status();
      if (status.remote) {
        return unavailable(
          `LM Studio runs on another computer (${hostOf(status.baseUrl)}): memory can only be estimated where it runs.`,
        );
      }
      const lms = options.lms();
      if (!lms) return unavailable(LMS_NOT_FOUND);
      use(lms);
      if (unsupported) return unavailable(TOO_OLD);
      if (lmStudioRuns(status) === false) return unavailable(NOT_RUNNING);

      const key = cacheKey(modelKey, loadOptions);
      const cached = cache.get(key);
      if (cached) return answer(cached, loadOptions);
      let running = inflight.get(key);
      if (!running) {
        const started = generation;
        // `run` never throws, so the queue never stops.
        const promise = queue
          .then(() => run(lms, modelKey, loadOptions))
          .then((outcome) => {
            if (started === generation) {
              inflight.delete(key);
              if (outcome.keep) cache.set(key, outcome);
            }
            return outcome;
          });
        queue = promise;
        inflight.set(key, promise);
        running = promise;
      }
      return answer(await running, loadOptions);
    },
    async runtimeSurvey() {
      const status = options.status();
      const lms = options.lms();
      if (status.remote || !lms) return null;
      use(lms);
      // Closed as far as the status knows: what this session surveyed still holds, nothing runs.
      if (lmStudioRuns(status) === false) return survey;
      await ensureSurvey(lms);
      return survey;
    },
    loadedChanged() {
      generation += 1;
      cache.clear();
      inflight.clear();
    },
    sessionEnded() {
      forgetSession();
    },
  };
}

/** The options that change an estimate (the TTL does not), in a fixed order. */
function cacheKey(modelKey: string, options: LoadOptions): string {
  return JSON.stringify([modelKey, options.contextLength ?? null, options.gpuOffload ?? null]);
}

function notDownloaded(modelKey: string): string {
  return `${modelKey} is not among the downloaded models, so it cannot be estimated.`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
