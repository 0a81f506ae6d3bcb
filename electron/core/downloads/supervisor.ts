/**
 * The download supervisor: looks after the DownloadManager's downloads so they finish by
 * themselves, driving the manager only through its interface.
 *
 * - An attempt that ends without completing is started again: 10 s, 30 s, 1, 2, 5 min, then
 *   every 5 min, for an hour of not-waiting time after the first failure of the run (a run starts
 *   over once an attempt got further than any before it). Failures we do not recognise are
 *   retried five times; permanent ones (not found, no such variant, not enough disk) never.
 * - Nothing automatic wakes LM Studio: before an automatic attempt the `lms` path asks
 *   `lms daemon status` (never wakes it) and the REST path the health monitor; while LM Studio or
 *   its server is down the row is `waiting`, which does not count toward the hour and gives up
 *   after 24 h. The user's own start and `Retry now` may wake it.
 * - A stall is never cancelled (that may throw the partial download away): the row says
 *   `stalled` and keeps following; `Retry now` lets go of the attempt (SIGINT, `Y`) and runs
 *   `lms get --yes KEY` again, which re-attaches to LM Studio's job.
 * - Disk: the user's start is refused when a known size will not fit; every automatic attempt
 *   checks the bytes still missing; once the plan gives the size, an `lms` download that will not
 *   fit is cancelled at once (SIGINT, `N`: safe this early); under the floor, `lms` downloads are
 *   cancelled and REST ones (which cannot be stopped from here) get a warning.
 * - Unfinished downloads are kept in the journal (downloads.json) and picked up at the next start.
 *
 * The list is the manager's rows with the supervisor's statuses and fields on top, coalesced like
 * the manager's. Only a final outcome reaches `onFinished`.
 */
import {
  type DownloadFailureKind,
  type DownloadState,
  type DownloadStatus,
  FINISHED_DOWNLOAD_STATUSES,
  PERMANENT_DOWNLOAD_FAILURES,
  type ServerStatus,
} from '../../shared/contract';
import { downloadTargetProblem } from '../../shared/model-names';
import { MODEL_SUGGESTIONS } from '../../shared/suggestions';
import { createCoalescer } from '../coalesce';
import { CoreError } from '../errors';
import type {
  DiskGuard,
  DiskRefusal,
  DownloadJournal,
  DownloadManager,
  DownloadSupervisor,
  JournalEntry,
  LmsCli,
} from '../interfaces';
import type { Clock, Logger } from '../ports';

export interface DownloadSupervisorOptions {
  manager: DownloadManager;
  /** The local `lms` (null for a remote server or when none was found): the manager's `lms` path. */
  lms: () => LmsCli | null;
  /** The server's status as the health monitor shows it: REST downloads wait while it is not online. */
  status: () => ServerStatus;
  /** The models folder's free space; null where it cannot be known. */
  disk: DiskGuard | null;
  /** The `checkDiskSpace` setting. */
  checkDiskSpace: () => boolean;
  /** downloads.json; null keeps nothing across restarts. */
  journal: DownloadJournal | null;
  /** The `retryDownloads` setting: off, a failed attempt is final and nothing is picked up at start. */
  retryDownloads: () => boolean;
  clock: Clock;
  logger: Logger;
  /** Delays before each automatic attempt of a run; the last one repeats. Default 10 s, 30 s, 1, 2, 5 min. */
  retryDelaysMs?: readonly number[];
  /** Not-waiting time after the first failure of a run before giving up. Default 60 min. */
  retryForMs?: number;
  /** Retries of a failure not recognised. Default 5. */
  maxUnknownRetries?: number;
  /** Waiting for LM Studio (or its server) this long gives up. Default 24 h. */
  maxWaitMs?: number;
  /** While downloads wait, how often LM Studio is asked (without waking it) whether it runs. Default 30 s. */
  waitCheckMs?: number;
  /** Largest number of `onChange` calls a second. Default 10. */
  maxUpdatesPerSecond?: number;
}

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [10_000, 30_000, 60_000, 120_000, 300_000];
const HOUR_MS = 60 * 60_000;

type Phase =
  /** An attempt runs in the manager (the row is the manager's). */
  | 'active'
  /** The last attempt failed; the next starts at `nextRetryAt`. */
  | 'retrying'
  /** LM Studio or its server is down; the next attempt starts once it is up. */
  | 'waiting'
  /** Picked up from the journal, LM Studio being asked whether it runs. */
  | 'pending'
  | 'final';

interface Job {
  id: string;
  model: string;
  /** The manager's row for this download, once it has one (a picked-up download has none at first). */
  managerId: string | null;
  loadWhenDone: boolean;
  startedAt: number;
  phase: Phase;
  /** The attempt running, or the next one while retrying/waiting. */
  attempt: number;
  failureKind: DownloadFailureKind | null;
  /** The last failure's words: the reason shown while retrying and when giving up. */
  reason: string | null;
  /** The current run of retries: when it began, and its not-waiting time folded in so far. */
  firstFailureAt: number | null;
  retryingMs: number;
  /** Since when not-waiting time is being counted (null while waiting or outside a run). */
  countingSince: number | null;
  unknownRetries: number;
  retryIndex: number;
  nextRetryAt: number | null;
  timer: unknown;
  waitingFor: 'lms' | 'server' | null;
  waitingSince: number | null;
  /** The furthest bytes seen, and that figure when the current attempt began (growth = progress). */
  furthestBytes: number;
  bytesAtAttemptStart: number;
  /** The size was checked against the disk for this attempt. */
  planChecked: boolean;
  warning: string | null;
  /** Why the supervisor (or the user) stopped the running attempt, so its `cancelled` is read right. */
  stopping: { by: 'disk'; message: string } | { by: 'user' } | null;
  final: {
    status: DownloadStatus;
    message: string | null;
    failureKind: DownloadFailureKind | null;
    endedAt: number;
  } | null;
  /** Bumped whenever what an awaited step was for may have changed: a stale step does nothing. */
  turn: number;
}

export function createDownloadSupervisor(options: DownloadSupervisorOptions): DownloadSupervisor {
  const { manager, clock, logger, journal } = options;
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const retryForMs = options.retryForMs ?? HOUR_MS;
  const maxUnknownRetries = options.maxUnknownRetries ?? 5;
  const maxWaitMs = options.maxWaitMs ?? 24 * HOUR_MS;
  const waitCheckMs = options.waitCheckMs ?? 30_000;

  const jobs = new Map<string, Job>();
  const changeListeners = new Set<(downloads: DownloadState[]) => void>();
  const finishedListeners = new Set<(download: DownloadState) => void>();
  const changes = createCoalescer<DownloadState[]>(
    (downloads) => {
      for (const listener of changeListeners) safely(() => listener(downloads));
    },
    { clock, maxPerSecond: options.maxUpdatesPerSecond ?? 10 },
  );
  let lastOffered = '';
  let waitTimer: unknown = null;
  let stopWatching: (() => void) | null = null;
  let readinessCheck: Promise<'ready' | 'lms' | 'server'> | null = null;
  let journalWork: Promise<void> = Promise.resolve();
  let restored = false;
  let shuttingDown: 'leave-running' | 'cancel' | null = null;

  function safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      logger.error('A downloads listener threw', error);
    }
  }

  const isFinished = (status: DownloadStatus) => FINISHED_DOWNLOAD_STATUSES.includes(status);
  /** (A function, so a check after an await is not narrowed away by the one before it.) */
  const isFinal = (job: Job) => job.phase === 'final';
  const managerRows = () => new Map(manager.list().map((row) => [row.id, row]));

  // -------------------------------------------------------------------------------------------
  // The list
  // -------------------------------------------------------------------------------------------

  function rowOf(job: Job, rows = managerRows()): DownloadState {
    const managed = job.managerId === null ? undefined : rows.get(job.managerId);
    const row: DownloadState = {
      ...(managed ?? blankRow(job)),
      id: job.id,
      model: job.model,
      attempt: job.attempt,
      nextRetryAt: null,
      failureKind: job.failureKind,
      loadWhenDone: job.loadWhenDone,
    };
    row.warning = job.warning ?? row.warning;
    switch (job.phase) {
      case 'active':
        break;
      case 'retrying':
        Object.assign(row, idle(), { status: 'retrying', nextRetryAt: job.nextRetryAt, message: job.reason });
        break;
      case 'waiting':
        Object.assign(row, idle(), { status: 'waiting', message: waitingMessage(job) });
        break;
      case 'pending':
        Object.assign(row, idle(), { status: 'queued' });
        break;
      case 'final':
        Object.assign(
          row,
          job.final,
          job.final?.status === 'completed' ? {} : { bytesPerSecond: null, etaSeconds: null },
        );
        break;
    }
    return row;
  }

  function blankRow(job: Job): DownloadState {
    return {
      id: job.id,
      model: job.model,
      status: 'queued',
      attached: false,
      via: options.lms() ? 'lms' : 'rest',
      percent: null,
      downloadedBytes: null,
      totalBytes: null,
      bytesPerSecond: null,
      etaSeconds: null,
      message: null,
      warning: null,
      startedAt: job.startedAt,
      endedAt: null,
      attempt: job.attempt,
      nextRetryAt: null,
      failureKind: job.failureKind,
      loadWhenDone: job.loadWhenDone,
      modelKey: null,
    };
  }

  const list = (): DownloadState[] => {
    const rows = managerRows();
    return [...jobs.values()].map((job) => rowOf(job, rows));
  };

  function changed(): void {
    const current = list();
    const text = JSON.stringify(current);
    if (text === lastOffered) return;
    lastOffered = text;
    changes.push(current);
  }

  function get(id: string): Job {
    const job = jobs.get(id);
    if (!job) throw new CoreError('not-found', 'That download is no longer in the list.');
    return job;
  }

  // -------------------------------------------------------------------------------------------
  // The journal (downloads.json): written in order, failures logged, never in the way
  // -------------------------------------------------------------------------------------------

  function record(job: Job): void {
    if (!journal) return;
    const entry: JournalEntry = {
      id: job.id,
      model: job.model,
      loadWhenDone: job.loadWhenDone,
      attempt: job.attempt,
      firstFailureAt: job.firstFailureAt,
      retryingMs: countedMs(job),
      failureKind: job.failureKind,
      startedAt: job.startedAt,
    };
    journalWork = journalWork
      .then(() => journal.put(entry))
      .catch((error: unknown) => logger.warn(`Could not record the download of ${job.model}`, error));
  }

  function forget(id: string): void {
    if (!journal) return;
    journalWork = journalWork
      .then(() => journal.remove(id))
      .catch((error: unknown) => logger.warn('Could not remove a download from downloads.json', error));
  }

  // -------------------------------------------------------------------------------------------
  // Time toward the hour: not-waiting time since the first failure of the run
  // -------------------------------------------------------------------------------------------

  function countedMs(job: Job): number {
    return job.retryingMs + (job.countingSince === null ? 0 : clock.now() - job.countingSince);
  }

  function pauseCounting(job: Job): void {
    job.retryingMs = countedMs(job);
    job.countingSince = null;
  }

  function resumeCounting(job: Job): void {
    if (job.firstFailureAt !== null && job.countingSince === null) job.countingSince = clock.now();
  }

  function newRun(job: Job): void {
    job.firstFailureAt = null;
    job.retryingMs = 0;
    job.countingSince = null;
    job.unknownRetries = 0;
    job.retryIndex = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Attempts
  // -------------------------------------------------------------------------------------------

  /** Whether an automatic attempt may run now, asked without waking LM Studio; one question at a time. */
  function readiness(): Promise<'ready' | 'lms' | 'server'> {
    readinessCheck ??= (async () => {
      const cli = options.lms();
      const online = () => options.status().state === 'online';
      if (!cli) return online() ? 'ready' : 'server';
      try {
        return (await cli.daemonStatus()).running ? 'ready' : 'lms';
      } catch (error) {
        logger.debug('lms daemon status failed; going by the server status', error);
        return online() ? 'ready' : 'lms';
      }
    })().finally(() => {
      readinessCheck = null;
    });
    return readinessCheck;
  }

  async function diskRefusal(bytesMissing: number | null): Promise<DiskRefusal | null> {
    if (!options.disk || !options.checkDiskSpace()) return null;
    try {
      return await options.disk.refusal(bytesMissing);
    } catch (error) {
      logger.warn('Could not check the free disk space', error);
      return null;
    }
  }

  /** What the next attempt still has to write, as far as is known. */
  function bytesMissing(job: Job): number | null {
    const row = job.managerId === null ? undefined : managerRows().get(job.managerId);
    if (!row?.totalBytes) return null;
    return Math.max(0, row.totalBytes - job.furthestBytes);
  }

  /**
   * Runs the next attempt. An automatic one waits while LM Studio (or its server) is down and
   * gives up when the disk cannot hold what is missing; the user's may wake LM Studio and is
   * refused (thrown) when the disk cannot hold it.
   */
  async function attempt(job: Job, by: 'auto' | 'user'): Promise<void> {
    if (by === 'user') {
      // Checked before anything changes: a refusal leaves the row (and its timer) as it was.
      const refusal = await diskRefusal(bytesMissing(job));
      if (refusal) throw new CoreError('unavailable', refusal.message);
      if (job.phase === 'active' || job.phase === 'final') return; // started or cancelled meanwhile
      job.turn += 1;
      clearTimer(job);
      return launch(job);
    }
    const turn = ++job.turn;
    clearTimer(job);
    if (!options.retryDownloads()) return giveUp(job, job.reason ?? 'Download failed.');
    const ready = await readiness();
    if (turn !== job.turn) return;
    if (ready !== 'ready') return wait(job, ready);
    const refusal = await diskRefusal(bytesMissing(job));
    if (turn !== job.turn) return;
    if (refusal) return finalize(job, 'failed', refusal.message, 'not-enough-disk');
    launch(job);
  }

  function launch(job: Job): void {
    const rows = managerRows();
    job.phase = 'active';
    job.waitingSince = null;
    job.waitingFor = null;
    job.nextRetryAt = null;
    job.planChecked = false;
    job.warning = null;
    job.stopping = null;
    job.bytesAtAttemptStart = job.furthestBytes;
    resumeCounting(job);
    let state: DownloadState;
    try {
      state =
        job.managerId !== null && rows.has(job.managerId) ? manager.retry(job.managerId) : manager.start(job.model);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      finalize(job, 'failed', message, 'unknown');
      return;
    }
    job.managerId = state.id;
    record(job);
    afterManagerChange();
    if (isFinished(state.status)) attemptEnded(job, state);
  }

  function clearTimer(job: Job): void {
    if (job.timer !== null) clock.clearTimeout(job.timer);
    job.timer = null;
  }

  function wait(job: Job, on: 'lms' | 'server'): void {
    const already = job.phase === 'waiting';
    pauseCounting(job);
    job.phase = 'waiting';
    job.waitingFor = on;
    job.waitingSince ??= clock.now();
    job.nextRetryAt = null;
    if (!already) record(job);
    updateTimers();
    changed();
  }

  /** An attempt ended in the manager: final, or the next one is scheduled. */
  function attemptEnded(job: Job, state: DownloadState): void {
    job.furthestBytes = Math.max(job.furthestBytes, state.downloadedBytes ?? 0);
    if (shuttingDown) {
      // Quitting: what did not finish is picked up at the next start, unless asked to cancel.
      const done = state.status === 'completed' || state.status === 'already-downloaded';
      if (done || shuttingDown === 'cancel') finalize(job, state.status, state.message, null);
      else record(job);
      return;
    }
    const stopping = job.stopping;
    if (stopping?.by === 'disk') {
      const note = state.status === 'continuing' ? ` ${state.message ?? ''}` : '';
      finalize(job, 'failed', `${stopping.message}${note}`.trim(), 'not-enough-disk');
      return;
    }
    if (state.status !== 'failed' || stopping?.by === 'user') {
      finalize(job, state.status, state.message, state.status === 'failed' ? state.failureKind : null);
      return;
    }
    failed(job, state.failureKind ?? 'unknown', state.message ?? 'Download failed.');
  }

  function failed(job: Job, kind: DownloadFailureKind, reason: string): void {
    const now = clock.now();
    job.failureKind = kind;
    job.reason = reason;
    // An attempt that got further than any before it starts a new run: a long download over a
    // flaky link keeps going as long as it keeps gaining.
    if (job.firstFailureAt === null || job.furthestBytes > job.bytesAtAttemptStart) {
      newRun(job);
      job.firstFailureAt = now;
      job.countingSince = now;
    }
    if (PERMANENT_DOWNLOAD_FAILURES.includes(kind) || !options.retryDownloads()) {
      finalize(job, 'failed', reason, kind);
      return;
    }
    if (countedMs(job) >= retryForMs) {
      finalize(job, 'failed', `Gave up after ${job.attempt} attempts over an hour: ${reason}`, kind);
      return;
    }
    if (kind === 'unknown') {
      if (job.unknownRetries >= maxUnknownRetries) {
        finalize(job, 'failed', `Gave up after ${job.attempt} attempts: ${reason}`, kind);
        return;
      }
      job.unknownRetries += 1;
    }
    const delay = delays[Math.min(job.retryIndex, delays.length - 1)]!;
    job.retryIndex += 1;
    job.attempt += 1;
    job.phase = 'retrying';
    job.nextRetryAt = now + delay;
    job.timer = clock.setTimeout(() => {
      job.timer = null;
      void attempt(job, 'auto').catch((error: unknown) => logger.error('A download retry failed', error));
    }, delay);
    record(job);
    updateTimers();
    changed();
  }

  function giveUp(job: Job, reason: string): void {
    finalize(job, 'failed', reason, job.failureKind);
  }

  function finalize(
    job: Job,
    status: DownloadStatus,
    message: string | null,
    failureKind: DownloadFailureKind | null,
  ): void {
    clearTimer(job);
    job.turn += 1;
    pauseCounting(job);
    job.phase = 'final';
    job.nextRetryAt = null;
    job.stopping = null;
    job.warning = null;
    job.failureKind = failureKind;
    job.final = { status, message, failureKind, endedAt: clock.now() };
    forget(job.id);
    updateTimers();
    changed();
    const row = rowOf(job);
    for (const listener of finishedListeners) safely(() => listener(row));
  }

  // -------------------------------------------------------------------------------------------
  // Following the manager: plan-line disk check, progress, the disk watch
  // -------------------------------------------------------------------------------------------

  function afterManagerChange(): void {
    const rows = managerRows();
    for (const job of jobs.values()) {
      if (job.phase !== 'active' || job.managerId === null) continue;
      const row = rows.get(job.managerId);
      if (!row) continue;
      job.furthestBytes = Math.max(job.furthestBytes, row.downloadedBytes ?? 0);
      if (!job.planChecked && row.status === 'downloading' && row.totalBytes !== null) {
        job.planChecked = true;
        void checkSize(job, Math.max(0, row.totalBytes - job.furthestBytes));
      }
    }
    updateTimers();
    changed();
  }

  /** The plan (or REST's `total_size_bytes`) gave the size: an `lms` download that will not fit stops now. */
  async function checkSize(job: Job, missing: number): Promise<void> {
    const turn = job.turn;
    const refusal = await diskRefusal(missing);
    if (refusal && turn === job.turn && job.phase === 'active') tooLittleDisk(job, refusal);
  }

  function tooLittleDisk(job: Job, refusal: DiskRefusal): void {
    const row = job.managerId === null ? undefined : managerRows().get(job.managerId);
    if (!row || isFinished(row.status) || job.stopping) return;
    if (row.via === 'lms') {
      job.stopping = { by: 'disk', message: refusal.message };
      manager
        .cancel(row.id)
        .catch((error: unknown) => logger.error(`Could not stop the download of ${job.model}`, error));
    } else {
      job.warning = `${refusal.message} LM Studio Tray cannot stop this download: pause it in LM Studio.`;
      changed();
    }
  }

  async function diskLow(): Promise<void> {
    for (const job of jobs.values()) {
      if (job.phase !== 'active') continue;
      const turn = job.turn;
      const refusal = await diskRefusal(bytesMissing(job));
      if (refusal && turn === job.turn && job.phase === 'active') tooLittleDisk(job, refusal);
    }
  }

  /** The disk watch runs while attempts run; the wait check while downloads wait. */
  function updateTimers(): void {
    const active = [...jobs.values()].some((job) => job.phase === 'active');
    if (active && stopWatching === null && options.disk && options.checkDiskSpace() && !shuttingDown) {
      stopWatching = options.disk.watch(() => {
        void diskLow().catch((error: unknown) => logger.error('Checking downloads against the disk failed', error));
      });
    } else if (!active && stopWatching !== null) {
      stopWatching();
      stopWatching = null;
    }
    const waiting = [...jobs.values()].some((job) => job.phase === 'waiting');
    if (waiting && waitTimer === null && !shuttingDown) waitTimer = clock.setInterval(checkWaiting, waitCheckMs);
    else if (!waiting && waitTimer !== null) {
      clock.clearInterval(waitTimer);
      waitTimer = null;
    }
  }

  /** Waiting downloads go on if LM Studio (or its server) is back; 24 h of waiting gives up. */
  function checkWaiting(): void {
    const now = clock.now();
    for (const job of jobs.values()) {
      if (job.phase !== 'waiting') continue;
      if (job.waitingSince !== null && now - job.waitingSince >= maxWaitMs) {
        const what = job.waitingFor === 'server' ? "LM Studio's server to be online" : 'LM Studio to run';
        giveUp(job, `Gave up after waiting 24 hours for ${what}.${job.reason ? ` ${job.reason}` : ''}`);
        continue;
      }
      void attempt(job, 'auto').catch((error: unknown) => logger.error('A waiting download failed', error));
    }
  }

  const subscriptions = [
    manager.onChange(() => afterManagerChange()),
    manager.onFinished((state) => {
      const job = [...jobs.values()].find((candidate) => candidate.managerId === state.id);
      if (job && job.phase === 'active') attemptEnded(job, state);
    }),
  ];

  function newJob(id: string, model: string, loadWhenDone: boolean, startedAt: number): Job {
    return {
      id,
      model,
      managerId: null,
      loadWhenDone,
      startedAt,
      phase: 'pending',
      attempt: 1,
      failureKind: null,
      reason: null,
      firstFailureAt: null,
      retryingMs: 0,
      countingSince: null,
      unknownRetries: 0,
      retryIndex: 0,
      nextRetryAt: null,
      timer: null,
      waitingFor: null,
      waitingSince: null,
      furthestBytes: 0,
      bytesAtAttemptStart: 0,
      planChecked: false,
      warning: null,
      stopping: null,
      final: null,
      turn: 0,
    };
  }

  const unfinishedFor = (model: string) =>
    [...jobs.values()].find((job) => job.model === model && job.phase !== 'final');

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

    async start(model, startOptions) {
      const target = model.trim();
      if (shuttingDown)
        throw new CoreError('unavailable', 'LM Studio Tray is quitting; start the download again later.');
      const problem = downloadTargetProblem(target);
      if (problem !== null) throw new CoreError('invalid-input', problem);
      const running = unfinishedFor(target);
      if (running) return rowOf(running);
      // A size known without starting: a suggestion's, also when the typed key is one.
      const suggestion = MODEL_SUGGESTIONS.find((s) => s.key === target.toLowerCase());
      const refusal = await diskRefusal(suggestion?.sizeBytes ?? null);
      if (refusal) throw new CoreError('unavailable', refusal.message);
      const again = unfinishedFor(target);
      if (again) return rowOf(again);
      const state = manager.start(target);
      const job = newJob(state.id, target, startOptions?.loadWhenDone ?? false, state.startedAt);
      job.managerId = state.id;
      job.phase = 'active';
      jobs.set(job.id, job);
      record(job);
      afterManagerChange();
      if (isFinished(state.status)) attemptEnded(job, state);
      return rowOf(job);
    },

    async cancel(id) {
      const job = get(id);
      if (job.phase === 'final') return rowOf(job);
      if (job.phase === 'active' && job.managerId !== null) {
        job.stopping = { by: 'user' };
        await manager.cancel(job.managerId);
        // The manager's outcome has settled it, unless the attempt had already ended.
        if (!isFinal(job)) finalize(job, 'cancelled', 'Download cancelled.', null);
        return rowOf(job);
      }
      finalize(job, 'cancelled', 'Download cancelled.', null);
      return rowOf(job);
    },

    async retry(id) {
      const job = get(id);
      if (shuttingDown) throw new CoreError('unavailable', 'LM Studio Tray is quitting; retry later.');
      switch (job.phase) {
        case 'active': {
          // Stalled (or running): let go of the attempt without cancelling it and follow anew.
          if (managerRows().get(job.managerId!)?.status === 'queued') return rowOf(job);
          job.turn += 1;
          job.attempt += 1;
          job.planChecked = false;
          job.warning = null;
          job.bytesAtAttemptStart = job.furthestBytes;
          await manager.restart(job.managerId!);
          record(job);
          changed();
          return rowOf(job);
        }
        case 'final': {
          const status = job.final?.status;
          if (status === 'completed' || status === 'already-downloaded') {
            throw new CoreError('invalid-input', `${job.model} is already downloaded.`);
          }
          // Checked before anything changes: a refusal leaves the row as it was.
          const refusal = await diskRefusal(bytesMissing(job));
          if (refusal) throw new CoreError('unavailable', refusal.message);
          newRun(job);
          job.attempt += 1;
          job.final = null;
          job.reason = null;
          job.waitingSince = null;
          launch(job);
          return rowOf(job);
        }
        default:
          // Retrying, waiting or just picked up: now, and LM Studio may be woken for it.
          await attempt(job, 'user');
          return rowOf(job);
      }
    },

    dismiss(id) {
      const job = jobs.get(id);
      if (!job) return;
      if (job.phase !== 'final') {
        throw new CoreError('invalid-input', `Cancel the download of ${job.model} before removing it.`);
      }
      if (job.managerId !== null && managerRows().has(job.managerId)) manager.dismiss(job.managerId);
      jobs.delete(id);
      forget(id);
      changed();
    },

    async restore() {
      if (!journal || restored) return;
      restored = true;
      let entries: JournalEntry[];
      try {
        entries = await journal.read();
      } catch (error) {
        logger.warn('Could not read downloads.json; unfinished downloads are not picked up', error);
        return;
      }
      if (!options.retryDownloads()) {
        // Off: they are not picked up, now or later (turning it on must not bring back old ones).
        for (const entry of entries) forget(entry.id);
        return;
      }
      const picked: Job[] = [];
      for (const entry of entries) {
        const permanent = entry.failureKind !== null && PERMANENT_DOWNLOAD_FAILURES.includes(entry.failureKind);
        if (jobs.has(entry.id) || unfinishedFor(entry.model) || permanent) {
          if (!jobs.has(entry.id)) forget(entry.id);
          continue;
        }
        const job = newJob(entry.id, entry.model, entry.loadWhenDone, entry.startedAt);
        // Picking it up is a new attempt; a run of retries under way goes on counting.
        job.attempt = entry.attempt + 1;
        job.firstFailureAt = entry.firstFailureAt;
        job.retryingMs = entry.retryingMs;
        job.failureKind = entry.failureKind;
        jobs.set(job.id, job);
        picked.push(job);
      }
      changed();
      await Promise.all(
        picked.map((job) =>
          attempt(job, 'auto').catch((error: unknown) => logger.error(`Could not pick up ${job.model}`, error)),
        ),
      );
    },

    serverChanged(status: ServerStatus) {
      if (shuttingDown || status.state === 'checking') return;
      if ([...jobs.values()].some((job) => job.phase === 'waiting')) checkWaiting();
    },

    resume() {
      manager.resume();
      // Time asleep does not count toward the hour (what was counted since the last failure is
      // dropped with it: the hour errs long). Waiting's 24 h are wall-clock time.
      const now = clock.now();
      for (const job of jobs.values()) {
        if (job.countingSince !== null) job.countingSince = now;
      }
      if (!shuttingDown) checkWaiting();
    },

    async shutdown(mode) {
      if (shuttingDown) return;
      shuttingDown = mode;
      for (const job of jobs.values()) {
        if (job.phase === 'active' || job.phase === 'final') continue;
        clearTimer(job);
        job.turn += 1;
        if (mode === 'cancel') finalize(job, 'cancelled', 'Download cancelled: LM Studio Tray quit.', null);
        else record(job);
      }
      if (stopWatching) stopWatching();
      stopWatching = null;
      if (waitTimer !== null) clock.clearInterval(waitTimer);
      waitTimer = null;
      try {
        await manager.shutdown(mode);
      } finally {
        for (const unsubscribe of subscriptions) unsubscribe();
        changed();
        changes.flush();
        await journalWork;
      }
    },
  };
}

/** A row not being downloaded right now: no speed, no ETA, not ended. */
function idle(): Pick<DownloadState, 'bytesPerSecond' | 'etaSeconds' | 'endedAt'> {
  return { bytesPerSecond: null, etaSeconds: null, endedAt: null };
}

function waitingMessage(job: Job): string {
  return job.waitingFor === 'server'
    ? "Waiting for LM Studio's server to be online; the download goes on once it is."
    : 'Waiting for LM Studio to run again (LM Studio Tray does not wake it); the download goes on once it does.';
}
