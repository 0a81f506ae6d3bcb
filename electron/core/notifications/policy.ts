/**
 * Which events become desktop notifications (design brief §8). Pure: no timers, no I/O; time
 * arrives as `now`, so the flapping rules are tested with plain numbers.
 *
 * Server rules. The policy is fed the health monitor's confirmed transitions (`onTransition`),
 * never the status as shown: a refusal shows at once, but a blip that the confirming probe
 * clears, or an outage over before the grace period after waking ends, never reaches it.
 * - The state found at start-up is not news: the first transition out of `checking` only sets
 *   the baseline (the same after a base-URL change, when the monitor checks afresh).
 * - Going from online to any problem state notifies "down"; from a problem state to online,
 *   "back". Moving between two problem states (offline -> server stopped) says nothing.
 * - A stop the user asked for (`userInitiated`) is silent, and so is the recovery that ends it:
 *   the user knows, they clicked it.
 * - Flapping: a "down" less than `flapWindowMs` after the last recovery means the server is
 *   unstable. One `serverUnstable` notice replaces the down/up pairs, then silence until the
 *   server has kept one state for a whole window; the first change after that is reported
 *   normally again.
 * - Toggles only filter what is shown; the state above is tracked either way, so turning a
 *   toggle on mid-outage does not produce a stale "back up".
 */
import type { AppNotification, DownloadState, ServerStatus, Settings } from '../../shared/contract';
import type { NotificationPolicy, PolicyInput } from '../interfaces';

/** One minute: an outage and recovery inside it again is flapping, not news. */
export const DEFAULT_FLAP_WINDOW_MS = 60_000;

export function createNotificationPolicy(options: { flapWindowMs?: number } = {}): NotificationPolicy {
  const flapWindowMs = options.flapWindowMs ?? DEFAULT_FLAP_WINDOW_MS;
  /** When the server last came back online (the start of the current up-time). */
  let lastRecoveryAt: number | null = null;
  /** When the server last changed between online and not online. */
  let lastFlipAt: number | null = null;
  let unstable = false;
  /** The current outage was the user's own stop: its recovery is not news either. */
  let outageIsUsers = false;

  function decideServer(
    input: Extract<PolicyInput, { type: 'server' }>,
    toggles: Settings['notifications'],
    now: number,
  ): AppNotification[] {
    const { status, previous } = input;
    if (previous.state === 'checking' || status.state === 'checking') return [];
    const wasOnline = previous.state === 'online';
    const isOnline = status.state === 'online';
    if (wasOnline === isOnline) return [];

    if (unstable && lastFlipAt !== null && now - lastFlipAt >= flapWindowMs) unstable = false;
    lastFlipAt = now;

    if (!isOnline) {
      const flapping = lastRecoveryAt !== null && now - lastRecoveryAt < flapWindowMs;
      outageIsUsers = input.userInitiated;
      if (input.userInitiated) return [];
      if (unstable) return [];
      if (flapping) {
        unstable = true;
        return toggles.serverDown || toggles.serverUp ? [unstableNotice(status)] : [];
      }
      return toggles.serverDown ? [downNotice(status)] : [];
    }

    const usersOwn = outageIsUsers;
    outageIsUsers = false;
    // The user's own stop-and-start is not an unreliable server: it does not start a flap window.
    lastRecoveryAt = usersOwn ? null : now;
    if (usersOwn || unstable) return [];
    return toggles.serverUp ? [upNotice(status)] : [];
  }

  return {
    decide(input, toggles, now) {
      switch (input.type) {
        case 'server':
          return decideServer(input, toggles, now);
        case 'download-finished':
          return toggles.downloadFinished && input.download.status === 'completed'
            ? [downloadFinishedNotice(input.download)]
            : [];
        case 'download-failed':
          return toggles.downloadFailed ? [downloadFailedNotice(input.download)] : [];
        case 'load-failed':
          return toggles.loadFailed
            ? [{ kind: 'loadFailed', title: `Could not load ${input.modelKey}`, body: input.message }]
            : [];
        case 'kept-model':
          return toggles.keptModel ? [{ kind: 'keptModel', title: input.title, body: input.message }] : [];
        case 'request-stuck':
          return toggles.requestStuck ? [requestStuckNotice(input.modelIdentifier, input.runningForMs)] : [];
      }
    },
  };
}

/** "port 1234" for this machine, the full address for a remote server. */
function where(status: ServerStatus): string {
  return status.remote ? status.baseUrl : `port ${status.port}`;
}

/** `where()` at the start of a sentence: "Port 1234", or the address as is. */
function whereAtStart(status: ServerStatus): string {
  return status.remote ? status.baseUrl : `Port ${status.port}`;
}

function downNotice(status: ServerStatus): AppNotification {
  const at = whereAtStart(status);
  switch (status.state) {
    case 'not-responding':
      return {
        kind: 'serverDown',
        title: 'LM Studio server is not responding',
        body: `${at} accepts connections but stopped answering. LM Studio may be busy or stuck: restart it if this lasts.`,
      };
    case 'unauthorized':
      return {
        kind: 'serverDown',
        title: 'LM Studio now needs an API token',
        body: `${at} refuses requests without a valid API token. Add the token in LM Studio Tray's settings.`,
      };
    case 'foreign':
      return {
        kind: 'serverDown',
        title: 'LM Studio server is down',
        body: `Another program now answers on ${where(status)}. Close it, or set LM Studio's address in settings.`,
      };
    default:
      return {
        kind: 'serverDown',
        title: 'LM Studio server is down',
        body: status.remote
          ? `${at} stopped answering. Check that LM Studio and its server are running on that machine.`
          : `${at} stopped answering. Open LM Studio or run \`lms server start\`.`,
      };
  }
}

function upNotice(status: ServerStatus): AppNotification {
  return {
    kind: 'serverUp',
    title: 'LM Studio server is back',
    body: `${whereAtStart(status)} is answering again.`,
  };
}

function unstableNotice(status: ServerStatus): AppNotification {
  return {
    kind: 'serverUnstable',
    title: 'LM Studio server is unstable',
    body: `${whereAtStart(status)} keeps going down and coming back. No more alerts until it settles.`,
  };
}

function downloadFinishedNotice(download: DownloadState): AppNotification {
  return { kind: 'downloadFinished', title: 'Download finished', body: `${download.model} is ready to load.` };
}

function downloadFailedNotice(download: DownloadState): AppNotification {
  return {
    kind: 'downloadFailed',
    title: `Download of ${download.model} failed`,
    body: download.message ?? 'LM Studio did not say why. Try again from the Downloads list.',
  };
}

function requestStuckNotice(modelIdentifier: string, runningForMs: number): AppNotification {
  const minutes = Math.round(runningForMs / 60_000);
  return {
    kind: 'requestStuck',
    title: `${modelIdentifier} may be stuck`,
    body: `A request has been running for ${minutes} minutes, far longer than this model usually takes. LM Studio may be stuck: check it, or unload the model.`,
  };
}
