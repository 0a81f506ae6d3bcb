/**
 * Checks a soak's notifications against the policy (electron/core/notifications/policy.ts), from
 * the outside: what the user would have seen, set against what the soak did and what the popup
 * showed. Pure, so the rules are tested with hand-made timelines (tests/robustness/soak).
 *
 * Server notices (with every toggle on, as in the soak):
 * - a "down" or "unstable" notice only while the status shows a problem, a "back" only while online;
 * - no "down" within the flap window of the last "back" (that outage is flapping: "unstable");
 * - nothing about the server within the flap window after an "unstable" notice;
 * - two "unstable" notices have a normal report between them; two "back" notices have an outage
 *   report ("down" or "unstable") or a settings change between them (a changed address or token
 *   is checked afresh, silently);
 * - nothing while the user's own stop-and-start is under way;
 * - no notice twice within a second, nothing once shutdown has begun.
 * Downloads and loads: one "finished" notice per completed download, one "failed" per failed one
 * (none for a cancel), one "could not load" per refused load command.
 */
import type { AppNotification, ServerState } from '../../electron/shared/contract';

export type TimelineEntry =
  | { at: number; type: 'status'; state: ServerState }
  | { at: number; type: 'notification'; notification: AppNotification }
  | { at: number; type: 'settings-changed' }
  | { at: number; type: 'user-stop' }
  | { at: number; type: 'user-stop-over' }
  | { at: number; type: 'shutdown' };

export interface ExpectedNotices {
  /** Model of each download that completed (before shutdown). */
  completed: string[];
  /** Model of each download that failed (before shutdown). */
  failed: string[];
  /** Load commands that were refused. */
  loadsRefused: number;
}

/** The soak stamps a notice a moment after the policy's clock read: window edges get this much slack. */
const CLOCK_SLACK_MS = 5;
/** Notices closer than this with the same text count as duplicates. */
const DUPLICATE_MS = 1000;
const SERVER_KINDS = new Set(['serverDown', 'serverUp', 'serverUnstable']);

/** Every way the notifications broke the policy, in words; empty when they followed it. */
export function checkNotifications(
  timeline: readonly TimelineEntry[],
  expected: ExpectedNotices,
  flapWindowMs: number,
): string[] {
  const violations: string[] = [];
  let shown: ServerState = 'checking';
  let lastUpAt: number | null = null;
  let lastUnstableAt: number | null = null;
  /** The last server notice since the last settings change. */
  let lastServerKind: string | null = null;
  let userStop = false;
  let shuttingDown = false;
  const lastSeen = new Map<string, number>();
  const finished: string[] = [];
  const failed: string[] = [];
  let loadFailed = 0;

  for (const entry of timeline) {
    if (entry.type === 'status') shown = entry.state;
    else if (entry.type === 'settings-changed') lastServerKind = null;
    else if (entry.type === 'user-stop') userStop = true;
    else if (entry.type === 'user-stop-over') {
      // The user's own stop-and-start does not count as a recovery: the flap window starts afresh.
      userStop = false;
      lastUpAt = null;
    } else if (entry.type === 'shutdown') shuttingDown = true;
    if (entry.type !== 'notification') continue;

    const { at, notification: n } = entry;
    const say = (what: string) => violations.push(`${new Date(at).toISOString()} ${n.kind} "${n.title}": ${what}`);
    if (shuttingDown) say('shown after shutdown began');
    const text = `${n.kind}\n${n.title}\n${n.body}`;
    const previous = lastSeen.get(text);
    if (previous !== undefined && at - previous < DUPLICATE_MS) say(`the same notice ${at - previous} ms before`);
    lastSeen.set(text, at);

    if (n.kind === 'downloadFinished') finished.push(n.body.replace(/ is ready to load\.$/, ''));
    if (n.kind === 'downloadFailed') failed.push(n.title.replace(/^Download of /, '').replace(/ failed$/, ''));
    if (n.kind === 'loadFailed') loadFailed++;
    if (!SERVER_KINDS.has(n.kind)) continue;

    if (userStop) say("during the user's own stop and start");
    if (lastUnstableAt !== null && at - lastUnstableAt < flapWindowMs - CLOCK_SLACK_MS) {
      say(`${at - lastUnstableAt} ms after "unstable" (silence for ${flapWindowMs} ms)`);
    }
    if (n.kind === 'serverUp') {
      if (shown !== 'online') say(`while the status shows ${shown}`);
      if (lastServerKind === 'serverUp') say('a second "back" with no outage reported between');
      lastUpAt = at;
    } else {
      if (shown === 'online' || shown === 'checking') say(`while the status shows ${shown}`);
      if (n.kind === 'serverDown' && lastUpAt !== null && at - lastUpAt < flapWindowMs - CLOCK_SLACK_MS) {
        say(`${at - lastUpAt} ms after "back": flapping, should be "unstable"`);
      }
      if (n.kind === 'serverUnstable') {
        if (lastServerKind === 'serverUnstable') say('a second "unstable" with no normal report between');
        lastUnstableAt = at;
      }
    }
    lastServerKind = n.kind;
  }

  compareCounts('"download finished"', finished, expected.completed, violations);
  compareCounts('"download failed"', failed, expected.failed, violations);
  if (loadFailed !== expected.loadsRefused) {
    violations.push(`${loadFailed} "could not load" notices for ${expected.loadsRefused} refused loads`);
  }
  return violations;
}

function compareCounts(what: string, seen: string[], expected: string[], violations: string[]): void {
  const key = (list: string[]) => [...list].sort().join('\n');
  if (key(seen) !== key(expected)) {
    violations.push(
      `${what} notices for [${[...seen].sort().join(', ')}], expected [${[...expected].sort().join(', ')}]`,
    );
  }
}

/** Notices by kind, for the report. */
export function countByKind(timeline: readonly TimelineEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of timeline) {
    if (entry.type === 'notification') counts[entry.notification.kind] = (counts[entry.notification.kind] ?? 0) + 1;
  }
  return counts;
}
