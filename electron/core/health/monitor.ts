/**
 * The LM Studio server's state, kept current cheaply and told apart precisely.
 *
 * - Liveness is judged by the greeting on a fresh connection (a pooled socket can keep
 *   answering after the server stopped listening).
 * - A refused connection to a server on this machine is a fact: the status shows it at once
 *   (with the last `lms` verdict for the port if under a minute old, else "checking"). What it
 *   means (not running / server off) is told only by `lms daemon status` and `lms server
 *   status`, which never wake LM Studio; nothing else of `lms` runs from here.
 * - Between polls a loopback server gets a connect-only check (a TCP connection opened and
 *   closed, no HTTP request) every CONNECT_CHECK_MS while online, CONNECT_CHECK_DOWN_MS while
 *   refused: a server that stopped listening but kept its connections is seen within that, and
 *   so is its return. One connection is also held
 *   open while online (a bare one on this machine): its `close` arrives within milliseconds of
 *   the server dying, and a fresh check decides at once. A remote server keeps the poll
 *   interval and the watch.
 * - Two streams of change: `onChange` for the status as shown, `onTransition` for changes that
 *   are confirmed, which is what notifications follow. Leaving online is confirmed by a second
 *   fresh connection after `confirmDelayMs`, and only once the grace period after waking is
 *   over, so a blip may show Offline for a moment but is never news. A remote server's status
 *   waits for the confirmation and the grace too. `unstable` counts confirmed transitions only.
 * - Any API answer that asks for a token (`authEvidence`, from any route and caller) makes the
 *   status `unauthorized` at once; while unauthorized, each poll checks the token again.
 * - While a loopback server is online, any other API answer (the app's periodic model refresh,
 *   a user's action) proves what the poll's greeting would, that LM Studio answers: the greeting
 *   waits until a poll interval after the last answer. A server that hangs (accepts, never
 *   answers) is still seen within a poll interval and a greeting's timeout of its last answer;
 *   listening is the connect checks' job.
 *
 * All timing goes through the injected Clock.
 */
import type { ApiGeneration, ServerState, ServerStatus } from '../../shared/contract';
import { CoreError } from '../errors';
import type { AuthEvidence, GreetingResult, HealthMonitor, LmStudioClient, LmsCli, LmsDiscovery } from '../interfaces';
import { tokenMessage } from '../lmstudio/client';
import type { Clock, Logger } from '../ports';

export interface HealthMonitorOptions {
  /** Read before every probe, so a new address or token applies at once. */
  client: () => LmStudioClient;
  /** The `lms` runner, or null when discovery found none. */
  lms: () => LmsCli | null;
  lmsDiscovery: () => LmsDiscovery;
  clock: Clock;
  logger: Logger;
  /** Read after every probe, so a settings change applies from the next poll. */
  pollIntervalMs: () => number;
  /** Wait before the confirming second probe (default 250 ms). */
  confirmDelayMs?: number;
  /** After resume(), failures are not outages for this long (default 10 s). */
  resumeGraceMs?: number;
  /** Timeout of each greeting (default 1.5 s). */
  probeTimeoutMs?: number;
  /** Between two connect-only checks of a loopback server online / refusing (defaults CONNECT_CHECK_MS / CONNECT_CHECK_DOWN_MS). */
  connectCheckMs?: number;
  connectCheckDownMs?: number;
  /** The generation the model service last listed with, when it knows. */
  modelsGeneration?: () => ApiGeneration | null;
}

/** Outages plus recoveries within this window that make the status `unstable`. */
export const FLAP_WINDOW_MS = 60_000;
export const FLAP_TRANSITIONS = 3;
/** The connection watch is re-armed at most this often (bounds the cost of servers that close idle sockets fast). */
export const MIN_REARM_INTERVAL_MS = 1_000;
/** How often a failing server is re-probed during the grace period after resume. */
export const GRACE_RECHECK_MS = 1_000;
/** Longest wait between `lms daemon status` runs while the server stays refused. */
export const LMS_RECHECK_MAX_MS = 30_000;
/**
 * Between two connect-only checks of a loopback server while online: a server that stops
 * listening (its open connections kept) is seen within this. The price is CPU, ours and LM
 * Studio's (an accept and a close): ~0.5 ms of ours a check on a 2-core VM, the largest share
 * of the idle cost, so this is as slow as a p95 under 500 ms allows (p95 ≈ 0.95 × this + a few
 * ms, `npm run bench`).
 */
export const CONNECT_CHECK_MS = 450;
/** The same while the port refuses: a server that comes back is greeted within this. */
export const CONNECT_CHECK_DOWN_MS = 500;
/** An `lms` verdict on the port this recent labels a refusal at once. */
export const VERDICT_FRESH_MS = 60_000;

const DEFAULT_CONFIRM_DELAY_MS = 250;
const DEFAULT_RESUME_GRACE_MS = 10_000;
const DEFAULT_PROBE_TIMEOUT_MS = 1_500;

const INSTALL_URL = 'https://lmstudio.ai/download';

/** What one probe concluded. */
interface Observation {
  state: Exclude<ServerState, 'checking'>;
  detail: string;
  /** Only `lms daemon status` can say LM Studio is closed (then nothing is loaded). */
  lmStudioClosed?: true;
}

/** The last `lms` verdict on a refused port, reused (with back-off) while nothing changes. */
interface RefusedVerdict {
  client: LmStudioClient;
  observation: Observation;
  /** When `lms` gave it. */
  at: number;
  nextAt: number;
  backoffMs: number;
}

/** The connection being watched. */
interface Watch {
  client: LmStudioClient;
  stop: (() => void) | null;
}

/**
 * Creates the monitor. It does nothing until `start()`; `checkNow()` works either way.
 */
export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const { clock, logger } = options;
  const confirmDelayMs = options.confirmDelayMs ?? DEFAULT_CONFIRM_DELAY_MS;
  const resumeGraceMs = options.resumeGraceMs ?? DEFAULT_RESUME_GRACE_MS;
  const probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const connectCheckMs = options.connectCheckMs ?? CONNECT_CHECK_MS;
  const connectCheckDownMs = options.connectCheckDownMs ?? CONNECT_CHECK_DOWN_MS;
  type Listener = (status: ServerStatus, previous: ServerStatus) => void;
  const changeListeners = new Set<Listener>();
  const transitionListeners = new Set<Listener>();

  /** The status as shown. */
  let status = initialStatus(options.client(), clock.now());
  /** The last confirmed status: what notifications know. */
  let confirmed = status;
  let running = false;
  let suspended = false;
  let inFlight: Promise<ServerStatus> | null = null;
  /** What the check in flight was made with: a caller wanting more, or another server, waits for a new one. */
  let inFlightFor: { client: LmStudioClient; force: boolean } | null = null;
  let pollTimer: unknown = null;
  let connectTimer: unknown = null;
  let rearmTimer: unknown = null;
  let watch: Watch | null = null;
  let lastArmAt = Number.NEGATIVE_INFINITY;
  let graceUntil = 0;
  /** Times a confirmed status went down or came back, for `unstable`. */
  let transitions: number[] = [];
  /** The client whose token was last found acceptable while online. */
  let authorisedClient: LmStudioClient | null = null;
  let ownGeneration: ApiGeneration | null = null;
  let refusedVerdict: RefusedVerdict | null = null;
  /** The classification of a refusal under way, if any. */
  let classifying: { client: LmStudioClient; verdict: Promise<Observation> } | null = null;
  /** The last check failed during the resume grace period and was not confirmed. */
  let deferredFailure = false;
  /** When an API answer that did not ask for a token last came, and through which client. */
  let lastAnswer: { client: LmStudioClient; at: number } | null = null;

  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  const inGrace = () => clock.now() < graceUntil;
  const active = () => running && !suspended;

  // -------------------------------------------------------------------------------------------
  // One check: probe, show, confirm
  // -------------------------------------------------------------------------------------------

  /**
   * One check. `force`: someone waits for the answer (`checkNow`, start, resume): caches are
   * ignored and a refusal waits for `lms`'s verdict. Otherwise (polls, connect checks, the
   * watch) a refusal shows what is known now and `lms`'s verdict refines it when it comes, so
   * a check never waits for `lms` and never holds back the next connect check.
   */
  async function check(force: boolean): Promise<ServerStatus> {
    const client = options.client();
    const greeting = await client.greet({ timeoutMs: probeTimeoutMs });
    // Leaving online needs confirming; anything else is confirmed as found, and so is an
    // answer asking for a token.
    if (confirmed.state === 'online' && greeting.kind !== 'lmstudio' && greeting.kind !== 'unauthorized') {
      return leaveOnline(client, greeting, force);
    }
    if (greeting.kind === 'refused' && client.isLocal && !force) {
      apply(client, refusedAtOnce(client), true);
      refineWhenClassified(client, classify(client, false));
      return status;
    }
    apply(client, await observe(client, greeting, force), true);
    return status;
  }

  /**
   * The server was online and this probe failed. A refusal by this machine's server shows at
   * once, and `lms` is asked what it means meanwhile; anything else (and a remote server's
   * refusal) shows only once confirmed. Either way the outage is confirmed, for notifications,
   * by a second fresh connection, and not before the grace period after waking ends.
   */
  async function leaveOnline(client: LmStudioClient, first: GreetingResult, force: boolean): Promise<ServerStatus> {
    const showsAtOnce = first.kind === 'refused' && client.isLocal;
    // Shown before `lms` is even spawned (a spawn costs milliseconds of this thread).
    if (showsAtOnce) apply(client, refusedAtOnce(client), false);
    // During the grace period a recent verdict is reused rather than asking every second.
    const verdict = first.kind === 'refused' ? classify(client, !inGrace()) : null;
    if (showsAtOnce && verdict) refineWhenClassified(client, verdict);
    await sleep(confirmDelayMs);
    const second = await client.greet({ timeoutMs: probeTimeoutMs });
    let observation: Observation;
    /** A verdict still to come, registered once the label it refines is shown. */
    let refinement: Promise<Observation> | null = null;
    if (second.kind !== 'refused') observation = await observe(client, second, force);
    else if (client.isLocal && !force) {
      observation = refusedAtOnce(client);
      refinement = verdict ?? classify(client, false);
    } else observation = await (verdict ?? classify(client, force));
    if (observation.state !== 'online' && inGrace()) {
      // Just woken: the network may not be back yet. Not news until the grace period ends.
      logger.debug(`health: ${observation.state} during the resume grace period; not confirmed yet`);
      if (client.isLocal && second.kind === 'refused') apply(client, observation, false);
      deferredFailure = true;
    } else {
      apply(client, observation, true);
    }
    if (refinement) refineWhenClassified(client, refinement);
    return status;
  }

  /** `lms`'s verdict replaces the label shown for a refusal, if the port still refuses: never news by itself. */
  function refineWhenClassified(client: LmStudioClient, verdict: Promise<Observation>): void {
    void verdict.then(
      (observation) => {
        const stillRefused = status.state === 'offline' || status.state === 'server-stopped';
        if (options.client() !== client || status.baseUrl !== client.baseUrl || !stillRefused) return;
        apply(client, observation, confirmed.state !== 'online');
      },
      (error: unknown) => logger.error('health: classifying a refusal failed', error),
    );
  }

  async function observe(client: LmStudioClient, greeting: GreetingResult, force: boolean): Promise<Observation> {
    switch (greeting.kind) {
      case 'lmstudio':
        return checkAuthorisation(client, force);
      case 'unauthorized':
        authorisedClient = null;
        return { state: 'unauthorized', detail: tokenMessage(greeting.tokenSent) };
      case 'foreign': {
        // What answered, in the greeting's words ("It answered HTTP 302 with …"): which program it
        // is may be plain from that, and a bare "another program" would hide it.
        const what = greeting.message ? ` ${greeting.message}` : '';
        return {
          state: 'foreign',
          detail: client.isLocal
            ? `Another program answers on port ${client.port}.${what} Change the LM Studio address in Settings.`
            : `Another program answers at ${client.baseUrl}.${what} Change the LM Studio address in Settings.`,
        };
      }
      case 'timeout':
        return {
          state: 'not-responding',
          detail: `LM Studio accepts connections on port ${client.port} but did not answer within ${seconds(probeTimeoutMs)}. It may be busy or stuck: wait a moment, or restart LM Studio.`,
        };
      case 'error':
        return {
          state: 'not-responding',
          detail: `LM Studio at ${client.baseUrl} could not be reached (${greeting.message}). Check the LM Studio address in Settings.`,
        };
      case 'refused':
        return classify(client, force);
    }
  }

  /**
   * An open greeting needs no token (`lms` sends none), so an authenticated request proves the
   * token is accepted. It runs when the server comes (back) online, while unauthorized (every
   * poll), when the client changed or someone asked (`checkNow`, e.g. after a new token was
   * saved), not on every poll while online: then the app's periodic model refresh is the
   * authenticated check, its answers reaching `authEvidence`.
   */
  async function checkAuthorisation(client: LmStudioClient, force: boolean): Promise<Observation> {
    if (!force && confirmed.state === 'online' && authorisedClient === client) return { state: 'online', detail: '' };
    try {
      ownGeneration = (await client.listModels()).generation;
    } catch (error) {
      if (error instanceof CoreError && (error.code === 'unauthorized' || error.code === 'forbidden')) {
        authorisedClient = null;
        return { state: 'unauthorized', detail: error.message };
      }
      // Anything else is the model service's to report; the server itself answered.
      logger.debug('health: model list failed while checking the token', error);
    }
    authorisedClient = client;
    return { state: 'online', detail: '' };
  }

  /** What a refusal shows before `lms` has answered: its last verdict on this port if recent, else "checking". */
  function refusedAtOnce(client: LmStudioClient): Observation {
    if (!options.lms()) return withoutLms();
    const verdict = refusedVerdict;
    if (verdict && verdict.client.baseUrl === client.baseUrl && clock.now() - verdict.at < VERDICT_FRESH_MS) {
      return verdict.observation;
    }
    return {
      state: 'offline',
      detail: `Nothing answers on port ${client.port}: checking whether LM Studio is still open…`,
    };
  }

  /** Classifies a refusal, one classification at a time per client (a poll joins the one running). */
  function classify(client: LmStudioClient, force: boolean): Promise<Observation> {
    if (classifying && classifying.client === client) return classifying.verdict;
    const verdict = classifyRefused(client, force).finally(() => {
      if (classifying?.verdict === verdict) classifying = null;
    });
    classifying = { client, verdict };
    return verdict;
  }

  /**
   * Nothing listens on the port: is LM Studio closed, or open with its server off? Only the
   * `lms` commands that never wake LM Studio may answer this.
   */
  async function classifyRefused(client: LmStudioClient, force: boolean): Promise<Observation> {
    if (!client.isLocal) {
      return {
        state: 'offline',
        detail: `Nothing answers at ${client.baseUrl}. Start LM Studio’s server on that machine (\`lms server start\`), or check the LM Studio address in Settings.`,
      };
    }
    const lms = options.lms();
    if (!lms) return withoutLms();
    const now = clock.now();
    const cached = refusedVerdict;
    if (!force && cached && cached.client === client && now < cached.nextAt) return cached.observation;

    const observation = await askLms(client, lms);
    // Ask again after one poll interval, then less and less often while the answer stays the same.
    const pollMs = options.pollIntervalMs();
    const backoffMs =
      cached && cached.client === client && sameObservation(cached.observation, observation)
        ? Math.min(cached.backoffMs * 2, Math.max(LMS_RECHECK_MAX_MS, pollMs))
        : pollMs;
    const at = clock.now();
    refusedVerdict = { client, observation, at, nextAt: at + backoffMs, backoffMs };
    return observation;
  }

  function withoutLms(): Observation {
    const searched = options.lmsDiscovery().searched;
    const where = searched.length > 0 ? ` (looked in ${searched.join(', ')})` : '';
    return {
      state: 'offline',
      detail: `LM Studio is not running, and its \`lms\` command was not found${where}. Install LM Studio from ${INSTALL_URL}, or set the path to \`lms\` in Settings.`,
    };
  }

  /**
   * `lms daemon status` decides; `lms server status` only refines the message when LM Studio
   * runs (its server may be on another port). One after the other: after a crash, the one
   * process spawn is all the wait there is.
   */
  async function askLms(client: LmStudioClient, lms: LmsCli): Promise<Observation> {
    let daemon: { running: boolean };
    try {
      daemon = await lms.daemonStatus();
    } catch (error) {
      logger.warn('health: `lms daemon status` failed', error);
      return {
        state: 'offline',
        detail: `LM Studio is not running, or its server is off (\`lms\` could not tell: ${reasonOf(error)}). Open LM Studio, or start the server with \`lms server start\`.`,
      };
    }
    if (!daemon.running) {
      return {
        state: 'offline',
        detail: 'LM Studio is not running. Open LM Studio, or start the server with `lms server start`.',
        lmStudioClosed: true,
      };
    }
    const server = await lms.serverStatus().catch((error: unknown) => {
      logger.debug('health: `lms server status` failed', error);
      return null;
    });
    if (server?.running && server.port && server.port !== client.port) {
      return {
        state: 'server-stopped',
        detail: `LM Studio’s server runs on port ${server.port}, not ${client.port}. Change the LM Studio address in Settings to http://127.0.0.1:${server.port}.`,
      };
    }
    return {
      state: 'server-stopped',
      detail: 'LM Studio is open but its server is off. Start it here or run `lms server start`.',
    };
  }

  /**
   * Shows the observation; `confirm` also makes it the confirmed status (what notifications
   * follow), firing `onTransition` when the confirmed state changes.
   */
  function apply(client: LmStudioClient, observation: Observation, confirm: boolean): void {
    const now = clock.now();
    const previous = status;
    if (confirm) {
      deferredFailure = false;
      const wasOnline = confirmed.state === 'online';
      const isOnline = observation.state === 'online';
      if (confirmed.state !== 'checking' && wasOnline !== isOnline) transitions.push(now);
    }
    transitions = transitions.filter((at) => now - at < FLAP_WINDOW_MS);
    const lmsPath = client.isLocal ? (options.lms()?.path ?? null) : null;
    status = {
      state: observation.state,
      detail: observation.detail,
      baseUrl: client.baseUrl,
      port: client.port,
      remote: !client.isLocal,
      apiGeneration: options.modelsGeneration?.() ?? ownGeneration,
      lmsPath,
      lmsSearched: options.lmsDiscovery().searched,
      since: observation.state === previous.state ? previous.since : now,
      checkedAt: now,
      unstable: transitions.length >= FLAP_TRANSITIONS,
      lmStudioClosed: observation.lmStudioClosed === true,
    };
    if (status.state !== 'online') {
      // A server that stopped listening may wait for its open connections to end: let ours go
      // now. Once it is back, the watch is armed at once: the re-arm limit is for idle closes.
      disarm();
      lastArmAt = Number.NEGATIVE_INFINITY;
    }
    if (!sameMeaning(previous, status)) {
      if (previous.state !== status.state) logger.info(`health: ${previous.state} -> ${status.state}`);
      tell(changeListeners, status, previous);
    }
    if (!confirm) return;
    const before = confirmed;
    confirmed = status;
    if (before.state !== status.state) tell(transitionListeners, status, before);
  }

  function tell(listeners: Set<Listener>, current: ServerStatus, previous: ServerStatus): void {
    for (const listener of [...listeners]) {
      try {
        listener(current, previous);
      } catch (error) {
        logger.error('health: a status listener threw', error);
      }
    }
  }

  /** An API answer about the token, from any route and caller. */
  function authEvidence(client: LmStudioClient, evidence: AuthEvidence): void {
    if (client !== options.client()) return;
    if (evidence.kind === 'accepted') lastAnswer = { client, at: clock.now() };
    if (evidence.kind === 'refused') {
      // Evidence of a running server too: only online (or already asking) turns into asking.
      if (status.state !== 'online' && status.state !== 'unauthorized') return;
      authorisedClient = null;
      apply(client, { state: 'unauthorized', detail: tokenMessage(evidence.tokenSent) }, true);
      updateWatch();
    } else if (status.state === 'unauthorized' && !inFlight) {
      // Accepted again: a full check (greeting and token) brings it back online.
      void runCheck(true);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling: polls, connect checks, the connection watch, coalescing
  // -------------------------------------------------------------------------------------------

  function runCheck(force: boolean): Promise<ServerStatus> {
    if (inFlight && inFlightFor) {
      const sameServer = inFlightFor.client === options.client();
      if (sameServer && (inFlightFor.force || !force)) return inFlight;
      // The address (or token) changed meanwhile, or a forced check was asked: that answer is
      // about the old server, so check again once it is in.
      return inFlight.then(() => runCheck(force));
    }
    inFlightFor = { client: options.client(), force };
    const current = check(force)
      .catch((error: unknown) => {
        logger.error('health: probe failed unexpectedly', error);
        return status;
      })
      .finally(() => {
        inFlight = null;
        inFlightFor = null;
        afterCheck();
      });
    inFlight = current;
    return current;
  }

  function afterCheck(): void {
    if (!active()) return;
    updateWatch();
    scheduleConnectCheck();
    // A failure held back by the grace period is looked at again soon, and once more when it ends.
    const delay = deferredFailure
      ? Math.max(0, Math.min(GRACE_RECHECK_MS, graceUntil - clock.now()))
      : options.pollIntervalMs();
    schedulePoll(delay);
  }

  function schedulePoll(delayMs: number): void {
    if (pollTimer !== null) clock.clearTimeout(pollTimer);
    pollTimer = clock.setTimeout(() => {
      pollTimer = null;
      const wait = answeredFor() - clock.now();
      if (wait > 0) schedulePoll(wait);
      else void runCheck(false);
    }, delayMs);
  }

  /** Until when the last API answer stands in for the poll's greeting (a loopback server online only). */
  function answeredFor(): number {
    const client = options.client();
    if (!lastAnswer || lastAnswer.client !== client || !client.isLocal) return 0;
    if (status.state !== 'online' || deferredFailure) return 0;
    return lastAnswer.at + options.pollIntervalMs();
  }

  /** Connect-only checks: for a loopback server that is online, or refusing. */
  function connectChecksWanted(): boolean {
    if (!active() || !options.client().isLocal) return false;
    return status.state === 'online' || status.state === 'offline' || status.state === 'server-stopped';
  }

  function scheduleConnectCheck(): void {
    if (connectTimer !== null || !connectChecksWanted()) return;
    connectTimer = clock.setTimeout(
      () => {
        connectTimer = null;
        void connectCheck();
      },
      status.state === 'online' ? connectCheckMs : connectCheckDownMs,
    );
  }

  /**
   * Opens and closes a TCP connection, and runs a full check only when it disagrees with the
   * status: refused (or failing) while online, accepted while refused.
   */
  async function connectCheck(): Promise<void> {
    const client = options.client();
    if (connectChecksWanted() && !inFlight) {
      const result = await client.connectCheck();
      if (active() && client === options.client() && !inFlight) {
        const online = status.state === 'online';
        if (online ? result !== 'connected' : result === 'connected') void runCheck(false);
        else if (online) updateWatch();
      }
    }
    scheduleConnectCheck();
  }

  function updateWatch(): void {
    const client = options.client();
    if (status.state !== 'online' || !active()) {
      disarm();
      return;
    }
    if (watch && watch.client === client) return;
    disarm();
    const wait = lastArmAt + MIN_REARM_INTERVAL_MS - clock.now();
    if (wait <= 0) {
      arm(client);
      return;
    }
    rearmTimer = clock.setTimeout(() => {
      rearmTimer = null;
      if (active() && status.state === 'online' && !watch) arm(options.client());
    }, wait);
  }

  function arm(client: LmStudioClient): void {
    lastArmAt = clock.now();
    const current: Watch = { client, stop: null };
    watch = current;
    const stop = client.watchConnection(() => {
      if (watch !== current) return;
      watch = null;
      current.stop?.();
      // The server died, stopped, or closed this idle connection: a fresh check decides at once.
      // On this machine a bare connection tells (and re-arms the watch) without an HTTP request.
      if (client.isLocal) void connectCheck();
      else void runCheck(false);
    });
    if (watch === current) current.stop = stop;
    else stop();
  }

  function disarm(): void {
    if (rearmTimer !== null) {
      clock.clearTimeout(rearmTimer);
      rearmTimer = null;
    }
    const current = watch;
    watch = null;
    current?.stop?.();
  }

  function halt(): void {
    if (pollTimer !== null) clock.clearTimeout(pollTimer);
    if (connectTimer !== null) clock.clearTimeout(connectTimer);
    pollTimer = null;
    connectTimer = null;
    disarm();
  }

  return {
    current: () => status,
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onTransition(listener) {
      transitionListeners.add(listener);
      return () => transitionListeners.delete(listener);
    },
    authEvidence,
    start() {
      if (running) return;
      running = true;
      void runCheck(true);
    },
    stop() {
      running = false;
      halt();
    },
    checkNow: () => runCheck(true),
    suspend() {
      suspended = true;
      halt();
    },
    resume() {
      suspended = false;
      graceUntil = clock.now() + resumeGraceMs;
      if (running) void runCheck(true);
    },
  };
}

function initialStatus(client: LmStudioClient, now: number): ServerStatus {
  return {
    state: 'checking',
    detail: 'Looking for LM Studio…',
    baseUrl: client.baseUrl,
    port: client.port,
    remote: !client.isLocal,
    apiGeneration: null,
    lmsPath: null,
    lmsSearched: [],
    since: now,
    checkedAt: now,
    unstable: false,
    lmStudioClosed: false,
  };
}

/** Equal for listeners: everything but the timestamps. */
function sameMeaning(a: ServerStatus, b: ServerStatus): boolean {
  return (
    a.state === b.state &&
    a.detail === b.detail &&
    a.baseUrl === b.baseUrl &&
    a.port === b.port &&
    a.remote === b.remote &&
    a.apiGeneration === b.apiGeneration &&
    a.lmsPath === b.lmsPath &&
    a.unstable === b.unstable &&
    a.lmStudioClosed === b.lmStudioClosed &&
    a.lmsSearched.join('\n') === b.lmsSearched.join('\n')
  );
}

function sameObservation(a: Observation, b: Observation): boolean {
  return a.state === b.state && a.detail === b.detail;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
}
