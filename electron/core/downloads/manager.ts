/**
 * Downloads: several at once, each a row the popup keeps until the user dismisses it.
 *
 * Two paths (design brief §5):
 * - `lms get --yes MODEL` when `lms` is available and the server is this machine: progress
 *   parsed from its output (`LmsGetEvent`), a real cancel (SIGINT, then `N`).
 * - REST (`POST /api/v1/models/download`, then polling its status) otherwise. There is no cancel
 *   endpoint: cancelling stops tracking and says the download continues in LM Studio.
 *
 * Stalls: a download is stalled when its bytes stop growing for `stallAfterMs`. `lms get`
 * redraws identical frames every 50 ms, so output is not progress; only more bytes are (or, in
 * the phases without bytes, a new phase). Waking LM Studio, resolving the plan and finalizing
 * may be silent for minutes and get `slowPhaseStallAfterMs`. A stall that lasts `giveUpAfterMs`
 * fails the download and ends its `lms get`.
 *
 * Updates to the list are coalesced to at most 10 a second (`onChange`): the first change after a
 * quiet spell goes out at once, a burst is thinned to the rate and ends with its latest state, and
 * a list identical to the last one is not sent at all. `onFinished` fires once per attempt when a
 * row reaches a finished status.
 */
import { randomBytes } from 'node:crypto';
import { type DownloadState, type DownloadStatus, FINISHED_DOWNLOAD_STATUSES } from '../../shared/contract';
import { createCoalescer } from '../coalesce';
import { CoreError } from '../errors';
import type {
  DownloadManager,
  LmStudioClient,
  LmsCli,
  LmsGetEvent,
  LmsGetOutcome,
  LmsGetProcess,
  RestDownloadJob,
} from '../interfaces';
import type { Clock, Logger } from '../ports';
import { classifyDownloadFailure, type FailedAttempt } from './failure-kind';

export interface DownloadManagerOptions {
  client: () => LmStudioClient;
  lms: () => LmsCli | null;
  clock: Clock;
  logger: Logger;
  platform: NodeJS.Platform;
  /** Downloads running at once; more wait as `queued`. Default 3. */
  maxConcurrent?: number;
  /** No byte growth for this long while downloading: `stalled`. Default 60 s. */
  stallAfterMs?: number;
  /** The same for waking, resolving and finalizing, which are silent by nature. Default 5 min. */
  slowPhaseStallAfterMs?: number;
  /** A stall this long fails the download and ends its child. Default 15 min. */
  giveUpAfterMs?: number;
  /** REST status polling interval. Default 1 s. */
  restPollMs?: number;
  /** Largest number of `onChange` calls a second. Default 10. */
  maxUpdatesPerSecond?: number;
}

export const CONTINUES_IN_LM_STUDIO = 'The download continues in LM Studio.';

/** Phases with no byte counter, where only the next phase shows life. */
const SLOW_PHASES: readonly DownloadStatus[] = ['waking', 'resolving', 'finalizing'];

interface Entry {
  state: DownloadState;
  /** Bumped by retry, so late events from an earlier attempt are ignored. */
  attempt: number;
  /** The status to return to when a stall ends. */
  phase: DownloadStatus;
  /** Bytes (or percent, when bytes are unknown) last seen growing, and when. */
  /** The furthest bytes and percent seen: growth in either is progress. */
  progressMark: { bytes: number; percent: number };
  lastProgressAt: number;
  process: LmsGetProcess | null;
  pollTimer: unknown;
  /** Settles when the running attempt has ended (its child exited or polling stopped). */
  ended: Promise<void> | null;
  /** REST reports the job paused inside LM Studio: the user's choice, not a stall. */
  paused: boolean;
  /** Set by cancel/shutdown so the outcome is read in that light. */
  stopping: 'cancel' | 'detach' | 'give-up' | null;
}

export function createDownloadManager(options: DownloadManagerOptions): DownloadManager {
  const { clock, logger, platform } = options;
  const maxConcurrent = options.maxConcurrent ?? 3;
  const stallAfterMs = options.stallAfterMs ?? 60_000;
  const slowPhaseStallAfterMs = options.slowPhaseStallAfterMs ?? 300_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 900_000;
  const restPollMs = options.restPollMs ?? 1000;
  const stallCheckMs = Math.max(50, Math.min(1000, Math.floor(stallAfterMs / 4)));

  const entries = new Map<string, Entry>();
  const changeListeners = new Set<(downloads: DownloadState[]) => void>();
  const finishedListeners = new Set<(download: DownloadState) => void>();
  const changes = createCoalescer<DownloadState[]>(
    (list) => {
      for (const listener of changeListeners) safely(() => listener(list));
    },
    { clock, maxPerSecond: options.maxUpdatesPerSecond ?? 10 },
  );
  let stallTimer: unknown = null;
  let sequence = 0;
  let shuttingDown = false;

  const list = (): DownloadState[] => [...entries.values()].map((entry) => ({ ...entry.state }));
  /** The list as last offered to the coalescer, to tell a change from an identical redraw. */
  let lastOffered = '';
  const changed = () => {
    const current = list();
    const text = JSON.stringify(current);
    // `lms get` redraws the same frame every 50 ms: a repeat is no news, and must not spend the
    // rate budget, so the next real change after it still goes out at once (leading edge).
    if (text === lastOffered) return;
    lastOffered = text;
    changes.push(current);
  };
  const isFinished = (status: DownloadStatus) => FINISHED_DOWNLOAD_STATUSES.includes(status);
  const isRunning = (entry: Entry) => entry.state.status !== 'queued' && !isFinished(entry.state.status);

  function safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      logger.error('A downloads listener threw', error);
    }
  }

  function newId(): string {
    sequence += 1;
    return `dl-${sequence}-${randomBytes(3).toString('hex')}`;
  }

  function get(id: string): Entry {
    const entry = entries.get(id);
    if (!entry) throw new CoreError('not-found', 'That download is no longer in the list.');
    return entry;
  }

  function localLms(): LmsCli | null {
    // The local lms would act on this machine's LM Studio, not a remote server's.
    return options.client().isLocal ? options.lms() : null;
  }

  // -------------------------------------------------------------------------------------------
  // State changes
  // -------------------------------------------------------------------------------------------

  function enterPhase(entry: Entry, phase: DownloadStatus): void {
    entry.phase = phase;
    entry.lastProgressAt = clock.now();
    entry.state.status = phase;
    changed();
  }

  /** `failure`: what a failed attempt left behind beyond its message (exit code, REST job), for its kind. */
  function finish(
    entry: Entry,
    status: DownloadStatus,
    message: string | null,
    failure: Omit<FailedAttempt, 'message'> = {},
  ): void {
    if (isFinished(entry.state.status)) return;
    if (entry.pollTimer !== null) clock.clearTimeout(entry.pollTimer);
    entry.pollTimer = null;
    entry.process = null;
    entry.state.status = status;
    entry.state.message = message;
    entry.state.endedAt = clock.now();
    entry.state.failureKind =
      status === 'failed' ? classifyDownloadFailure({ message: message ?? '', ...failure }) : null;
    if (status === 'completed') {
      entry.state.percent = 100;
      if (entry.state.totalBytes !== null) entry.state.downloadedBytes = entry.state.totalBytes;
    }
    if (status !== 'downloading') {
      entry.state.bytesPerSecond = null;
      entry.state.etaSeconds = null;
    }
    const finished = { ...entry.state };
    changed();
    for (const listener of finishedListeners) safely(() => listener(finished));
    pump();
  }

  /** Records progress; only growth (not an identical redraw) counts against the stall timer. */
  function progress(
    entry: Entry,
    update: {
      percent: number | null;
      downloadedBytes: number | null;
      totalBytes: number | null;
      bytesPerSecond: number | null;
      etaSeconds: number | null;
    },
  ): void {
    const s = entry.state;
    // Either figure may move first: lms prints sizes in 10 MB steps but the percentage in steps
    // of 0.01 %, so on a large file over a slow link only one of them grows for a while.
    const mark = entry.progressMark;
    const bytesGrew = update.downloadedBytes !== null && update.downloadedBytes > mark.bytes;
    const percentGrew = update.percent !== null && update.percent > mark.percent;
    const grew = bytesGrew || percentGrew;
    if (bytesGrew) mark.bytes = update.downloadedBytes!;
    if (percentGrew) mark.percent = update.percent!;
    if (grew) entry.lastProgressAt = clock.now();
    if (entry.phase !== 'downloading') {
      // The first progress frame after a phase change is life in itself.
      entry.phase = 'downloading';
      entry.lastProgressAt = clock.now();
    }
    s.percent = update.percent ?? s.percent;
    s.downloadedBytes = update.downloadedBytes ?? s.downloadedBytes;
    s.totalBytes = update.totalBytes ?? s.totalBytes;
    if (s.percent === null && s.downloadedBytes !== null && s.totalBytes) {
      s.percent = Math.min(100, (s.downloadedBytes / s.totalBytes) * 100);
    }
    const stillStalled = s.status === 'stalled' && !grew;
    // A frozen bar keeps showing its last speed and ETA: while stalled they are not true.
    s.bytesPerSecond = stillStalled ? null : update.bytesPerSecond;
    s.etaSeconds = stillStalled ? null : update.etaSeconds;
    if (!stillStalled) {
      if (s.status === 'stalled') s.message = null;
      s.status = 'downloading';
    }
    changed();
  }

  // -------------------------------------------------------------------------------------------
  // Running an attempt
  // -------------------------------------------------------------------------------------------

  function pump(): void {
    if (shuttingDown) return;
    let running = [...entries.values()].filter(isRunning).length;
    for (const entry of entries.values()) {
      if (running >= maxConcurrent) break;
      if (entry.state.status !== 'queued') continue;
      running += 1;
      begin(entry);
    }
    updateStallTimer();
  }

  function begin(entry: Entry): void {
    const lms = localLms();
    entry.state.via = lms ? 'lms' : 'rest';
    entry.state.startedAt = clock.now();
    entry.stopping = null;
    if (lms) beginLms(entry, lms);
    else beginRest(entry);
  }

  function beginLms(entry: Entry, lms: LmsCli): void {
    const attempt = entry.attempt;
    const current = () => entry.attempt === attempt && !isFinished(entry.state.status);
    enterPhase(entry, 'resolving');
    let child: LmsGetProcess;
    try {
      child = lms.get(entry.state.model, (event) => {
        if (current()) onLmsEvent(entry, event);
      });
    } catch (error) {
      finish(entry, 'failed', error instanceof Error ? error.message : String(error));
      return;
    }
    entry.process = child;
    entry.ended = child.done.then(
      (outcome) => {
        if (current()) onLmsOutcome(entry, outcome);
      },
      (error: unknown) => {
        if (current()) finish(entry, 'failed', `lms get failed: ${error instanceof Error ? error.message : error}`);
      },
    );
  }

  function onLmsEvent(entry: Entry, event: LmsGetEvent): void {
    switch (event.type) {
      case 'waking':
        enterPhase(entry, 'waking');
        return;
      case 'resolving':
        enterPhase(entry, 'resolving');
        return;
      case 'plan':
        entry.state.totalBytes = event.totalBytes ?? entry.state.totalBytes;
        entry.state.modelKey = event.modelKey ?? entry.state.modelKey;
        enterPhase(entry, 'downloading');
        return;
      case 'attached':
        entry.state.attached = true;
        enterPhase(entry, 'downloading');
        return;
      case 'progress':
        progress(entry, event);
        return;
      case 'finalizing':
        enterPhase(entry, 'finalizing');
        return;
      case 'error':
        entry.state.message = event.message;
        changed();
        return;
      // The outcome (from `done`) settles these; nothing to show before it.
      case 'completed':
      case 'already-downloaded':
      case 'prompt':
      case 'continuing':
      case 'cancelled':
        return;
    }
  }

  function onLmsOutcome(entry: Entry, outcome: LmsGetOutcome): void {
    if (entry.stopping === 'give-up') {
      finish(entry, 'continuing', giveUpMessage());
      return;
    }
    switch (outcome.kind) {
      case 'completed':
        finish(entry, 'completed', null);
        return;
      case 'already-downloaded':
        finish(entry, 'already-downloaded', outcome.message);
        return;
      case 'cancelled':
        finish(entry, 'cancelled', 'Download cancelled.');
        return;
      case 'continuing':
        finish(entry, 'continuing', CONTINUES_IN_LM_STUDIO);
        return;
      case 'failed':
        finish(entry, 'failed', outcome.message || entry.state.message || failedWithoutWords(outcome.exitCode), {
          exitCode: outcome.exitCode,
        });
        return;
    }
  }

  function beginRest(entry: Entry): void {
    const attempt = entry.attempt;
    const current = () => entry.attempt === attempt && !isFinished(entry.state.status);
    enterPhase(entry, 'resolving');
    let resolveEnded: () => void = () => {};
    entry.ended = new Promise<void>((resolve) => {
      resolveEnded = resolve;
    });
    const stop = () => resolveEnded();

    const apply = (job: RestDownloadJob): boolean => {
      switch (job.status) {
        case 'already_downloaded':
          finish(entry, 'already-downloaded', `${entry.state.model} is already downloaded.`);
          return false;
        case 'completed':
          finish(entry, 'completed', null);
          return false;
        case 'failed':
          finish(entry, 'failed', `LM Studio reports that the download of ${entry.state.model} failed.`, {
            job: 'failed',
          });
          return false;
        case 'paused':
        case 'downloading': {
          const percent =
            job.downloadedBytes !== null && job.totalBytes
              ? Math.min(100, (job.downloadedBytes / job.totalBytes) * 100)
              : null;
          const wasPaused = entry.paused;
          entry.paused = job.status === 'paused';
          progress(entry, { ...job, percent });
          if (entry.paused) {
            entry.state.status = 'stalled';
            entry.state.message = 'Paused in LM Studio. Resume it there.';
          } else if (wasPaused) {
            entry.lastProgressAt = clock.now();
            entry.state.status = 'downloading';
            entry.state.message = null;
          }
          changed();
          return true;
        }
      }
    };

    const poll = (jobId: string) => {
      entry.pollTimer = clock.setTimeout(async () => {
        entry.pollTimer = null;
        if (!current() || entry.stopping) return stop();
        try {
          const job = await options.client().downloadStatus(jobId);
          if (!current() || entry.stopping) return stop();
          if (apply(job)) return poll(jobId);
        } catch (error) {
          // LM Studio says the job does not exist (it restarted, or the job was removed): no
          // answer will ever bring it back, so the row must not wait for the stall timer.
          if (error instanceof CoreError && error.code === 'not-found') {
            if (current() && !entry.stopping)
              finish(entry, 'failed', lostJobMessage(entry.state.model), { job: 'lost' });
            return stop();
          }
          // The server may be restarting: keep polling; the stall timer decides when to give up.
          logger.warn(`Download status for ${entry.state.model} failed`, error);
          if (current() && !entry.stopping) return poll(jobId);
        }
        stop();
      }, restPollMs);
    };

    options
      .client()
      .startDownload(entry.state.model)
      .then((job) => {
        if (!current()) return stop();
        if (!apply(job)) return stop();
        if (!job.jobId) {
          finish(entry, 'continuing', `LM Studio did not give a job to follow. ${CONTINUES_IN_LM_STUDIO}`);
          return stop();
        }
        poll(job.jobId);
      })
      .catch((error: unknown) => {
        if (current()) finish(entry, 'failed', error instanceof Error ? error.message : String(error));
        stop();
      });
  }

  // -------------------------------------------------------------------------------------------
  // Stalls
  // -------------------------------------------------------------------------------------------

  function updateStallTimer(): void {
    const anyRunning = [...entries.values()].some(isRunning);
    if (anyRunning && stallTimer === null) stallTimer = clock.setInterval(checkStalls, stallCheckMs);
    if (!anyRunning && stallTimer !== null) {
      clock.clearInterval(stallTimer);
      stallTimer = null;
    }
  }

  function checkStalls(): void {
    const now = clock.now();
    for (const entry of entries.values()) {
      if (!isRunning(entry) || entry.stopping || entry.paused) continue;
      const quietFor = now - entry.lastProgressAt;
      const limit = SLOW_PHASES.includes(entry.phase) ? slowPhaseStallAfterMs : stallAfterMs;
      if (quietFor >= giveUpAfterMs) {
        giveUp(entry);
      } else if (quietFor >= limit && entry.state.status !== 'stalled') {
        entry.state.status = 'stalled';
        entry.state.bytesPerSecond = null;
        entry.state.etaSeconds = null;
        entry.state.message = stalledMessage(entry.phase, quietFor);
        changed();
      }
    }
    updateStallTimer();
  }

  /**
   * Stops tracking a download that has made no progress for a long time, but leaves it to
   * LM Studio (answering `Y`): it may resume when the network comes back, and cancelling it would
   * throw away what it already has. The user can still cancel it in LM Studio.
   */
  function giveUp(entry: Entry): void {
    entry.stopping = 'give-up';
    logger.warn(`No longer tracking the stalled download of ${entry.state.model}`);
    const child = entry.process;
    if (child) {
      // The outcome handler reports the give-up message.
      child.detach().catch((error: unknown) => logger.error('Could not let go of a stalled lms get', error));
    } else {
      finish(entry, 'continuing', giveUpMessage());
    }
  }

  function giveUpMessage(): string {
    const minutes = Math.round(giveUpAfterMs / 60_000);
    return `No progress for ${minutes} minute${minutes === 1 ? '' : 's'}: LM Studio Tray stopped following this download, which stays in LM Studio. Check the network, then look in LM Studio or download it again.`;
  }

  /** Starts the row over as a new attempt (queued, nothing known yet). */
  function newAttempt(entry: Entry): void {
    const now = clock.now();
    Object.assign(entry, freshTracking(now));
    Object.assign(entry.state, freshAttemptState(now), { attempt: entry.attempt });
    pump();
    changed();
  }

  function retry(id: string): DownloadState {
    const entry = get(id);
    if (shuttingDown) throw new CoreError('unavailable', 'LM Studio Tray is quitting; retry later.');
    if (!isFinished(entry.state.status)) {
      throw new CoreError('invalid-input', `The download of ${entry.state.model} is still running.`);
    }
    if (entry.state.status === 'completed' || entry.state.status === 'already-downloaded') {
      throw new CoreError('invalid-input', `${entry.state.model} is already downloaded.`);
    }
    entry.attempt += 1;
    newAttempt(entry);
    return { ...entry.state };
  }

  // -------------------------------------------------------------------------------------------
  // The interface
  // -------------------------------------------------------------------------------------------

  return {
    list,
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onFinished(listener) {
      finishedListeners.add(listener);
      return () => finishedListeners.delete(listener);
    },

    start(model) {
      const target = model.trim();
      if (shuttingDown)
        throw new CoreError('unavailable', 'LM Studio Tray is quitting; start the download again later.');
      // A second click on the same model shows the row already running rather than a duplicate.
      for (const entry of entries.values()) {
        if (entry.state.model === target && !isFinished(entry.state.status)) return { ...entry.state };
      }
      const now = clock.now();
      const entry: Entry = {
        state: { id: newId(), model: target, via: localLms() ? 'lms' : 'rest', ...freshAttemptState(now) },
        attempt: 1,
        pollTimer: null,
        ...freshTracking(now),
      };
      entries.set(entry.state.id, entry);
      pump();
      changed();
      return { ...entry.state };
    },

    async cancel(id) {
      const entry = get(id);
      const status = entry.state.status;
      if (isFinished(status)) return { ...entry.state };
      if (status === 'queued') {
        finish(entry, 'cancelled', 'Download cancelled before it started.');
        return { ...entry.state };
      }
      if (entry.state.via === 'rest') {
        // No cancel endpoint: stop following it and say where it went.
        entry.stopping = 'detach';
        finish(entry, 'continuing', CONTINUES_IN_LM_STUDIO);
        return { ...entry.state };
      }
      entry.stopping = 'cancel';
      const child = entry.process;
      // On Windows a "SIGINT" is a hard kill: the cli detaches instead and reports `continuing`.
      if (child) await child.cancel();
      await entry.ended;
      if (!isFinished(entry.state.status)) {
        finish(
          entry,
          platform === 'win32' ? 'continuing' : 'cancelled',
          platform === 'win32' ? CONTINUES_IN_LM_STUDIO : 'Download cancelled.',
        );
      }
      return { ...entry.state };
    },

    retry,

    async restart(id) {
      const entry = get(id);
      if (entry.state.status === 'queued') return { ...entry.state };
      if (!isRunning(entry)) return retry(id);
      if (shuttingDown) throw new CoreError('unavailable', 'LM Studio Tray is quitting; retry later.');
      // From here on, whatever the attempt let go of still reports is ignored.
      entry.attempt += 1;
      entry.stopping = 'detach';
      if (entry.pollTimer !== null) clock.clearTimeout(entry.pollTimer);
      entry.pollTimer = null;
      await entry.process
        ?.detach()
        .catch((error: unknown) => logger.error(`Could not let go of lms get for ${entry.state.model}`, error));
      if (shuttingDown) {
        finish(entry, 'continuing', CONTINUES_IN_LM_STUDIO);
        return { ...entry.state };
      }
      newAttempt(entry);
      return { ...entry.state };
    },

    dismiss(id) {
      const entry = entries.get(id);
      if (!entry) return;
      if (!isFinished(entry.state.status)) {
        throw new CoreError('invalid-input', `Cancel the download of ${entry.state.model} before removing it.`);
      }
      entries.delete(id);
      changed();
    },

    resume() {
      // Time asleep is not a stall: count quiet time again from now.
      const now = clock.now();
      for (const entry of entries.values()) if (isRunning(entry)) entry.lastProgressAt = now;
    },

    async shutdown(mode) {
      shuttingDown = true;
      const waits: Array<Promise<void>> = [];
      for (const entry of entries.values()) {
        if (entry.state.status === 'queued') {
          finish(entry, 'cancelled', 'Not started: LM Studio Tray quit first.');
          continue;
        }
        if (!isRunning(entry)) continue;
        const child = entry.process;
        if (entry.state.via === 'rest' || !child) {
          entry.stopping = 'detach';
          finish(entry, 'continuing', CONTINUES_IN_LM_STUDIO);
          continue;
        }
        entry.stopping = mode === 'cancel' ? 'cancel' : 'detach';
        const stopChild = mode === 'cancel' ? child.cancel() : child.detach();
        waits.push(
          stopChild
            .catch((error: unknown) => logger.error(`Could not stop lms get for ${entry.state.model}`, error))
            .then(() => entry.ended ?? undefined),
        );
      }
      await Promise.all(waits);
      if (stallTimer !== null) clock.clearInterval(stallTimer);
      stallTimer = null;
      changes.flush();
    },
  };
}

/** A download row as it is when an attempt starts (queued, nothing known yet). */
function freshAttemptState(now: number): Omit<DownloadState, 'id' | 'model' | 'via'> {
  return {
    status: 'queued',
    attached: false,
    percent: null,
    downloadedBytes: null,
    totalBytes: null,
    bytesPerSecond: null,
    etaSeconds: null,
    message: null,
    warning: null,
    startedAt: now,
    endedAt: null,
    attempt: 1,
    nextRetryAt: null,
    failureKind: null,
    loadWhenDone: false,
    modelKey: null,
  };
}

/** The per-attempt bookkeeping of an entry, reset for a start and for each retry. */
function freshTracking(
  now: number,
): Pick<Entry, 'phase' | 'progressMark' | 'lastProgressAt' | 'process' | 'ended' | 'paused' | 'stopping'> {
  return {
    phase: 'queued',
    progressMark: { bytes: -1, percent: -1 },
    lastProgressAt: now,
    process: null,
    ended: null,
    paused: false,
    stopping: null,
  };
}

function stalledMessage(phase: DownloadStatus, quietForMs: number): string {
  const seconds = Math.round(quietForMs / 1000);
  const span = seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`;
  switch (phase) {
    case 'waking':
      return `LM Studio has not woken up after ${span}. It may be starting slowly; check that it can run.`;
    case 'resolving':
      return `No download plan after ${span}. Check the network connection.`;
    case 'finalizing':
      return `Finalizing has taken ${span}. LM Studio may still be verifying the files.`;
    default:
      return `No progress for ${span}. Check the network connection; it resumes on its own when data flows again.`;
  }
}

function failedWithoutWords(exitCode: number | null): string {
  return `lms get stopped${exitCode === null ? '' : ` with exit code ${exitCode}`} without saying why. Try again, or download it in LM Studio.`;
}

/** The REST job vanished from LM Studio: what happened, and what to do. */
function lostJobMessage(model: string): string {
  return `LM Studio no longer knows the download of ${model} (it may have restarted). Retry to start it again.`;
}
