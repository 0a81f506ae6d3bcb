/**
 * The popup's reading of `electron/shared/availability.ts`: what each region may honestly say in
 * the current server state, and the props that disable a button with its reason.
 */
import { availability, type Blocker, worksThroughLms } from '../../electron/shared/availability';
import type { ModelsSnapshot, ServerState, ServerStatus } from '../../electron/shared/contract';

export { availability, worksThroughLms };

/** LM Studio is up but its answer to the list was unreadable (the core tries again while online). */
const LIST_UNREADABLE = 'LM Studio Tray could not read the model list just now; it tries again shortly.';

/** Why the lists are the last known ones: the tooltip of their short "Last known" tag. */
const LAST_KNOWN_WHY: Partial<Record<ServerState, string>> = {
  offline: 'The list from when LM Studio last ran: it is closed now.',
  'server-stopped': "The list from before LM Studio's server stopped.",
  'not-responding': 'The list from before LM Studio stopped answering.',
  unauthorized: "The list from before LM Studio's HTTP API asked for a token.",
  foreign: "The list from before another program took LM Studio's address.",
};

/** The tag a list region shows beside its heading (and its tooltip), or null when the list is current. */
export function listTag(
  status: ServerStatus | null,
  models: ModelsSnapshot | null,
): { text: string; title: string; warn: boolean } | null {
  if (!status || !models) return null;
  if (models.stale) {
    return {
      text: 'Last known',
      title: LAST_KNOWN_WHY[status.state] ?? 'LM Studio Tray cannot read this list now; it is the last it could.',
      warn: true,
    };
  }
  if (worksThroughLms(status) && models.source === 'lms') {
    return {
      text: 'Via lms',
      warn: false,
      title:
        status.state === 'unauthorized'
          ? "LM Studio's HTTP API needs a token; this list comes from LM Studio's lms tool, which has its own key."
          : "LM Studio's server is stopped; this list comes from LM Studio's lms tool, which talks to LM Studio directly.",
    };
  }
  return null;
}

/**
 * Why no model list is known yet in this state: what cannot be shown, and what would show it.
 * `stale`: the last read failed (a bad answer while the server is up), so none is under way.
 */
export function whyNoListYet(status: ServerStatus | null, stale = false): string {
  switch (status?.state) {
    case undefined:
    case 'checking':
    case 'online':
      return stale ? LIST_UNREADABLE : 'Reading the model list…';
    case 'offline':
      return 'No models known yet: LM Studio Tray reads the list while LM Studio runs. Start it to see what is downloaded.';
    case 'server-stopped':
      return worksThroughLms(status)
        ? 'Reading the model list with lms…'
        : "No models known yet: LM Studio's server is stopped. Turn it on in LM Studio's Developer tab to see what is downloaded.";
    case 'unauthorized':
      return worksThroughLms(status)
        ? 'Reading the model list with lms…'
        : "No models known yet: LM Studio's HTTP API needs its token (above) to list them.";
    case 'not-responding':
      return 'No models known yet: LM Studio is not answering.';
    case 'foreign':
      return `No models known yet: another program answers at ${status.baseUrl}.`;
  }
}

/** A button that cannot work now: disabled, its reason as a tooltip, and described by the visible reason. */
export function blockedProps(
  reason: Blocker,
  reasonId: string,
): { disabled: boolean; title?: string; 'aria-describedby'?: string } {
  if (reason === null) return { disabled: false };
  return { disabled: true, title: reason, 'aria-describedby': reasonId };
}
