/**
 * What the app can honestly show and do in each server state, in one place, so the popup and
 * the tray menu agree: which actions can work now, and why not, in words the user can act on.
 *
 * The facts it rests on (design brief §5, issue 11):
 * - `Offline` means nothing answers; once `lms daemon status` says LM Studio is not running
 *   (`lmStudioClosed`), nothing is in memory. Nothing but HTTP and the non-waking `lms` commands
 *   may run. Loads need it running; a download through `lms` is a
 *   click the user made, so it may wake LM Studio (the download row says so).
 * - `Server stopped` and `Authentication required` mean LM Studio runs but its HTTP API will not
 *   serve us. A local `lms` talks to LM Studio directly, with its own key, so lists, loads,
 *   unloads and downloads keep working through it. `lms load` matches names loosely, so a key
 *   that also matches another downloaded model cannot be loaded exactly that way.
 * - `Not responding` and `Not LM Studio`: nothing we send would be answered by LM Studio.
 *
 * Shared by the renderer and the Electron shell: no Node APIs, no dependencies.
 */
import type { ModelEntry, ServerState, ServerStatus } from './contract';

/** Why an action cannot work now, in words; null when it can. */
export type Blocker = string | null;

export interface Availability {
  /** What the loaded list can truthfully be: live, empty because LM Studio is closed, or the last known. */
  loaded: 'live' | 'app-closed' | 'last-known';
  load: Blocker;
  unload: Blocker;
  download: Blocker;
  /** Loads go through the local `lms` only (the HTTP API will not serve us): exact only for unambiguous keys. */
  loadsThroughLmsOnly: boolean;
}

/** States in which LM Studio runs but its HTTP API will not serve us, so a local `lms` is the way in. */
export const LMS_ONLY_STATES: readonly ServerState[] = ['server-stopped', 'unauthorized'];

/**
 * Whether LM Studio itself runs, as far as the status can tell: true while its server answers or
 * refuses us, false when it is not running, null when the status cannot say (checking, not
 * responding, another program on the port). What automatic `lms` work asks before it runs.
 */
export function lmStudioRuns(status: ServerStatus): boolean | null {
  if (status.state === 'offline' || status.lmStudioClosed) return false;
  return LMS_ONLY_STATES.includes(status.state) || status.state === 'online' ? true : null;
}

/** True when this tray may drive LM Studio with the local `lms` (never for a remote server). */
export function hasLocalLms(status: ServerStatus): boolean {
  return status.lmsPath !== null && !status.remote;
}

/** True when the lists and actions go through the local `lms` because the HTTP API will not serve us. */
export function worksThroughLms(status: ServerStatus | null): boolean {
  return status !== null && LMS_ONLY_STATES.includes(status.state) && hasLocalLms(status);
}

const CHECKING = 'Wait a moment: LM Studio Tray is still finding out whether LM Studio runs.';

/** The actions the current state allows, each with the reason when it does not. */
export function availability(status: ServerStatus | null): Availability {
  const all = (reason: Blocker, loaded: Availability['loaded'] = 'last-known'): Availability => ({
    loaded,
    load: reason,
    unload: reason,
    download: reason,
    loadsThroughLmsOnly: false,
  });
  if (status === null || status.state === 'checking') return all(CHECKING);
  const lms = hasLocalLms(status);
  const where = status.remote ? `LM Studio at ${new URL(status.baseUrl).host}` : 'LM Studio';
  switch (status.state) {
    case 'online':
      return all(null, 'live');
    case 'offline':
      return {
        // Only `lms` can say LM Studio is closed; until it has (or where it cannot), the loaded
        // list is the last known one: a server that merely stopped may still hold models.
        loaded: status.lmStudioClosed ? 'app-closed' : 'last-known',
        load: status.remote
          ? `${where} does not answer. Start it (or its server) on that machine first.`
          : lms
            ? `${status.lmStudioClosed ? 'LM Studio is not running' : 'Nothing answers'}. Start the server first (Start server above).`
            : 'LM Studio is not running. Start LM Studio first.',
        unload: status.lmStudioClosed
          ? 'Nothing is loaded while LM Studio is closed.'
          : `${where} does not answer, so nothing can be unloaded now.`,
        // `lms get` wakes LM Studio: a download is the user's own click, so that is allowed.
        download: lms
          ? null
          : status.remote
            ? `${where} does not answer, so it cannot download. Start it on that machine first.`
            : 'Downloads need LM Studio running (or its lms tool, which was not found). Start LM Studio first.',
        loadsThroughLmsOnly: false,
      };
    case 'server-stopped':
      if (lms) return { ...all(null, 'live'), loadsThroughLmsOnly: true };
      return all(
        status.remote
          ? `The server of ${where} is stopped. Start it in LM Studio's Developer tab on that machine.`
          : "LM Studio's server is stopped and the lms tool was not found. Turn the server on in LM Studio's Developer tab.",
      );
    case 'unauthorized':
      if (lms) return { ...all(null, 'live'), loadsThroughLmsOnly: true };
      return all(
        status.remote
          ? `${where} needs its API token for this. Enter it above.`
          : 'LM Studio needs its API token for this (and the lms tool, which works without it, was not found). Enter the token above.',
      );
    case 'not-responding':
      return all(`${where} is not answering. Wait for it, or restart it.`);
    case 'foreign':
      return all(
        `Another program answers at ${status.baseUrl}, not LM Studio. Change the LM Studio address in Settings.`,
      );
  }
}

/**
 * Whether `pattern` matches `text` the way lms's fuzzy filter does: every character of the
 * pattern appears in the text in order (case-insensitive). `qwen/qwen3-4b` matches
 * `qwen/qwen3-4b-2507`, so lms could load either.
 */
export function fuzzyMatches(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let at = 0;
  for (const char of t) {
    if (char === p[at]) at += 1;
    if (at === p.length) return true;
  }
  return p.length === 0;
}

/** Another downloaded key `lms load KEY` could pick instead of `modelKey`, or null when the key is unambiguous. */
export function lmsLoadRival(modelKey: string, models: readonly ModelEntry[]): string | null {
  return models.find((model) => model.key !== modelKey && fuzzyMatches(modelKey, model.key))?.key ?? null;
}

/** Why `modelKey` cannot be loaded through `lms` alone: it also names `rival` there. */
export function ambiguousLoadReason(modelKey: string, rival: string, state: ServerState): string {
  const fix =
    state === 'unauthorized'
      ? 'Enter the API token to load it exactly over the HTTP API'
      : 'Start the server to load it exactly over the HTTP API';
  return `lms load matches names loosely: ${modelKey} also matches ${rival}, so it could load the wrong model. ${fix}, or load it in LM Studio.`;
}

/** Why loading `modelKey` cannot work now, or null when it can (the state's reason, then lms's ambiguity). */
export function loadBlocker(status: ServerStatus | null, modelKey: string, models: readonly ModelEntry[]): Blocker {
  const allowed = availability(status);
  if (allowed.load !== null || !allowed.loadsThroughLmsOnly || status === null) return allowed.load;
  const rival = lmsLoadRival(modelKey, models);
  return rival === null ? null : ambiguousLoadReason(modelKey, rival, status.state);
}
