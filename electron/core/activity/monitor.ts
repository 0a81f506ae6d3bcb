/**
 * Follows `lms log stream` while LM Studio runs on this machine and turns its events into
 * per-model activity (statistics.ts), for the snapshot's `activity` and `activity:changed`.
 *
 * - Only while LM Studio runs (status online, server stopped or asking for a token: LM Studio is
 *   up, and lms has its own key), for a local server with an lms. `lms log stream` wakes LM
 *   Studio when it is not running, so `lms daemon status` (which never does) runs right before
 *   every start, and a child that prints `Waking up LM Studio service...` anyway (LM Studio quit
 *   in between) is stopped at once.
 * - Never more than one child. One that exits on its own is started again after 1, 2, 4 … 60 s
 *   while LM Studio still runs; three exits in a row each within 5 s of starting (the early-exit
 *   builds of late 2025) and it gives up, saying so, until LM Studio restarts. An lms that
 *   refuses `--source` (before LM Studio 0.3.26) is not asked again either.
 * - Its exit and its `WebSocket connection closed` line mean LM Studio may have gone: `evidence`
 *   asks the health monitor to look now.
 * - `onChange` is coalesced (at most 4 a second) and silent while nothing changes. The only timer
 *   is the statistics' next change (a request that may turn stuck, a window letting go of an
 *   entry): none once everything has been quiet for 10 minutes.
 */
import { lmStudioRuns } from '../../shared/availability';
import type { ActivitySnapshot, LoadedInstance, ServerStatus } from '../../shared/contract';
import { createCoalescer } from '../coalesce';
import type { ActivityMonitor, LmsCli, LmsLogStream, LogStreamEvent } from '../interfaces';
import { classifyLogStreamStderr } from '../lmstudio/lms/log-stream-parser';
import { messageText } from '../lmstudio/lms/parsers';
import type { Clock, Logger } from '../ports';
import { createActivityStatistics } from './statistics';

export const LMS_MISSING = "LM Studio's lms command was not found, so live activity cannot be shown.";
export const TOO_OLD = 'Live activity needs LM Studio 0.3.26 or newer.';
export const GAVE_UP =
  "LM Studio's activity stream (lms log stream) kept stopping right after it started, so live activity is not shown. Update LM Studio, then restart it.";
export const RESTARTING = "LM Studio's activity stream stopped; starting it again.";
export function remoteMessage(baseUrl: string): string {
  return `Live activity is shown only for LM Studio on this computer, not for ${new URL(baseUrl).host}.`;
}

const EARLY_EXIT_MS = 5_000;
const EARLY_EXITS_TO_GIVE_UP = 3;
const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 60_000;
const MAX_EMITS_PER_SECOND = 4;

export interface ActivityMonitorOptions {
  /** The local `lms`, or null when none was found or the server is on another machine. */
  lms: () => LmsCli | null;
  clock: Clock;
  logger: Logger;
  /** The stream ended, or lost LM Studio: the health monitor should look now. */
  evidence: () => void;
  /** Within this long of starting, an exit counts as early (default 5 s). */
  earlyExitMs?: number;
}

/** LM Studio itself runs (its HTTP API may still refuse us). */
function lmStudioUp(status: ServerStatus): boolean {
  return lmStudioRuns(status) === true;
}

/** One child, from its start to its exit. */
interface Run {
  lms: LmsCli;
  stream: LmsLogStream | null;
  startedAt: number;
  /** We asked it to stop (LM Studio went down, Settings changed, quitting). */
  stoppedByUs: boolean;
  /** It printed `Waking up LM Studio service...`: LM Studio was not running after all. */
  woke: boolean;
  /** It refused `--source`: an lms from before LM Studio 0.3.26. */
  unsupported: boolean;
  socketClosed: boolean;
}

export function createActivityMonitor(options: ActivityMonitorOptions): ActivityMonitor {
  const { clock, logger } = options;
  const earlyExitMs = options.earlyExitMs ?? EARLY_EXIT_MS;
  const statistics = createActivityStatistics();
  const changeListeners = new Set<(activity: ActivitySnapshot) => void>();
  const stuckListeners = new Set<(modelIdentifier: string, runningForMs: number) => void>();

  let status: ServerStatus | null = null;
  let run: Run | null = null;
  /** A `daemon status` check before a start is under way. */
  let starting = false;
  let restartTimer: unknown = null;
  /** Restarts in a row without a long run between them: the back-off's exponent. */
  let restarts = 0;
  let earlyExits = 0;
  /** Why this lms is not asked again (until LM Studio restarts or another lms is set). */
  let blocked: { lms: LmsCli; message: string } | null = null;
  let tickTimer: unknown = null;
  let stopped = false;
  let lastPublished = '';

  const coalescer = createCoalescer<null>(() => publish(), { clock, maxPerSecond: MAX_EMITS_PER_SECOND });

  function snapshot(): ActivitySnapshot {
    return { ...activityState(), models: statistics.models(clock.now()) };
  }

  function activityState(): Pick<ActivitySnapshot, 'state' | 'message'> {
    if (status === null) return { state: 'waiting', message: null };
    if (status.remote) return { state: 'unavailable', message: remoteMessage(status.baseUrl) };
    const lms = options.lms();
    if (lms === null) return { state: 'unavailable', message: LMS_MISSING };
    if (blocked !== null && blocked.lms === lms) return { state: 'unavailable', message: blocked.message };
    if (run !== null && !run.stoppedByUs) return { state: 'following', message: null };
    if (starting) return { state: 'following', message: null };
    if (restartTimer !== null) return { state: 'following', message: RESTARTING };
    return { state: 'waiting', message: null };
  }

  function publish(): void {
    if (stopped) return;
    const activity = snapshot();
    const serialised = JSON.stringify(activity);
    if (serialised === lastPublished) return;
    lastPublished = serialised;
    for (const listener of changeListeners) {
      try {
        listener(activity);
      } catch (error) {
        logger.error('An activity listener threw', error);
      }
    }
  }

  /** Something may have changed: publish (coalesced, and only if it did) and set the one timer. */
  function changed(): void {
    if (stopped) return;
    coalescer.push(null);
    scheduleTick();
  }

  function scheduleTick(): void {
    if (tickTimer !== null) clock.clearTimeout(tickTimer);
    tickTimer = null;
    const now = clock.now();
    const next = statistics.nextChangeAt(now);
    if (next === null || stopped) return;
    tickTimer = clock.setTimeout(
      () => {
        tickTimer = null;
        for (const stuck of statistics.checkStuck(clock.now())) {
          logger.warn(
            `A request to ${stuck.modelIdentifier} has run for ${Math.round(stuck.runningForMs / 60_000)} min: possibly stuck`,
          );
          for (const listener of stuckListeners) {
            try {
              listener(stuck.modelIdentifier, stuck.runningForMs);
            } catch (error) {
              logger.error('A stuck-request listener threw', error);
            }
          }
        }
        changed();
      },
      Math.max(0, next - now),
    );
  }

  /** The stream should run now: LM Studio up on this machine, an lms not ruled out. */
  function shouldRun(): boolean {
    if (stopped || status === null || status.remote || !lmStudioUp(status)) return false;
    const lms = options.lms();
    return lms !== null && !(blocked !== null && blocked.lms === lms);
  }

  /** LM Studio stopped running: the next session starts afresh (it may have been updated). */
  function sessionEnded(): void {
    restarts = 0;
    earlyExits = 0;
    blocked = null;
    cancelRestart();
  }

  function cancelRestart(): void {
    if (restartTimer !== null) clock.clearTimeout(restartTimer);
    restartTimer = null;
  }

  /** Starts, keeps or stops the child to match the status. */
  function reconcile(): void {
    if (stopped || status === null || status.state === 'checking') return;
    if (!shouldRun()) {
      cancelRestart();
      if (run !== null) stopRun(run);
      return;
    }
    if (run !== null && run.lms !== options.lms()) {
      // Another lms was set: this child ends, and its exit starts the new one.
      stopRun(run);
      return;
    }
    if (run === null && !starting && restartTimer === null) void start();
  }

  function scheduleRestart(): void {
    if (stopped || restartTimer !== null) return;
    const delay = Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** restarts);
    restarts += 1;
    restartTimer = clock.setTimeout(() => {
      restartTimer = null;
      reconcile();
      changed();
    }, delay);
  }

  async function start(): Promise<void> {
    const lms = options.lms();
    if (lms === null) return;
    starting = true;
    changed();
    let running: boolean | null;
    try {
      ({ running } = await lms.daemonStatus());
    } catch (error) {
      logger.info('Could not find out whether LM Studio runs before following its activity', error);
      running = null;
    }
    starting = false;
    if (!shouldRun() || run !== null || options.lms() !== lms) {
      reconcile();
      changed();
      return;
    }
    if (running !== true) {
      // The status says it runs, lms says it does not: never wake it; look again later.
      if (running === false) options.evidence();
      scheduleRestart();
      changed();
      return;
    }
    follow(lms);
  }

  function follow(lms: LmsCli): void {
    const current: Run = {
      lms,
      stream: null,
      startedAt: clock.now(),
      stoppedByUs: false,
      woke: false,
      unsupported: false,
      socketClosed: false,
    };
    run = current;
    // A new stream cannot pair what the last one left open.
    statistics.resetInProgress();
    try {
      current.stream = lms.logStream({
        onEvent: (event) => onEvent(current, event),
        onStderrLine: (line) => onStderrLine(current, line),
      });
    } catch (error) {
      logger.warn('Could not start lms log stream', error);
      run = null;
      scheduleRestart();
      changed();
      return;
    }
    logger.info(`Following LM Studio's activity (lms log stream, pid ${current.stream.pid})`);
    const { stream } = current;
    void stream.exited.then((outcome) => exited(current, outcome));
    // `Waking up…` may have arrived before the handle existed.
    if (current.woke) void stream.stop();
    changed();
  }

  function onEvent(current: Run, event: LogStreamEvent): void {
    if (run !== current || stopped) return;
    statistics.record(event, clock.now());
    changed();
  }

  function onStderrLine(current: Run, line: string): void {
    switch (classifyLogStreamStderr(line)) {
      case 'waking':
        if (current.woke) return;
        current.woke = true;
        logger.warn('lms log stream found LM Studio not running and began to wake it: stopped at once');
        current.stoppedByUs = true;
        void current.stream?.stop();
        options.evidence();
        return;
      case 'socket-closed':
        if (current.socketClosed) return;
        current.socketClosed = true;
        logger.info("lms log stream lost LM Studio's connection (WebSocket connection closed)");
        options.evidence();
        return;
      case 'unsupported':
        current.unsupported = true;
        return;
      case 'banner':
        logger.debug('lms log stream is streaming');
        return;
      case 'error':
        // lms's own messages (connection, flags); never the stream's text, which is on stdout.
        logger.warn(`lms log stream: ${messageText(line)}`);
        return;
      default:
        return;
    }
  }

  function stopRun(current: Run): Promise<void> {
    current.stoppedByUs = true;
    return current.stream ? current.stream.stop() : Promise.resolve();
  }

  function exited(current: Run, outcome: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (run === current) run = null;
    const ranForMs = clock.now() - current.startedAt;
    // Outputs of what was open will never be seen.
    statistics.resetInProgress();
    if (stopped) return;
    logger.info(
      `lms log stream exited (code ${outcome.code}, signal ${outcome.signal}) after ${Math.round(ranForMs / 1000)} s`,
    );
    if (current.unsupported) {
      blocked = { lms: current.lms, message: TOO_OLD };
      logger.info(`lms refused --source: ${TOO_OLD}`);
    } else if (current.woke) {
      // LM Studio was not running: the health monitor has been told; the next start checks first.
      scheduleRestart();
    } else if (!current.stoppedByUs) {
      options.evidence();
      if (ranForMs >= MAX_RESTART_MS) restarts = 0;
      earlyExits = ranForMs < earlyExitMs ? earlyExits + 1 : 0;
      if (earlyExits >= EARLY_EXITS_TO_GIVE_UP) {
        blocked = { lms: current.lms, message: GAVE_UP };
        logger.warn(`lms log stream exited ${earlyExits} times right after starting; not started again`);
      } else {
        scheduleRestart();
      }
    }
    reconcile();
    changed();
  }

  return {
    snapshot,
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onStuck(listener) {
      stuckListeners.add(listener);
      return () => stuckListeners.delete(listener);
    },
    serverChanged(next) {
      if (stopped) return;
      status = next;
      if (next.state !== 'checking' && !lmStudioUp(next)) sessionEnded();
      reconcile();
      changed();
    },
    loadedChanged(loaded: LoadedInstance[]) {
      if (stopped) return;
      statistics.loadedChanged(loaded.map((instance) => instance.identifier));
      changed();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      cancelRestart();
      coalescer.cancel();
      if (tickTimer !== null) clock.clearTimeout(tickTimer);
      tickTimer = null;
      if (run !== null) await stopRun(run);
    },
  };
}
