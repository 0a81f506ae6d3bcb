/** The soak's notification checker catches what the policy forbids, and accepts what it allows. */
import { describe, expect, it } from 'vitest';
import { checkNotifications, type TimelineEntry } from '../../../bench/lib/soak-notifications';
import type { AppNotification, NotificationKind, ServerState } from '../../../electron/shared/contract';

const W = 10_000;
const none = { completed: [], failed: [], loadsRefused: 0 };
const status = (at: number, state: ServerState): TimelineEntry => ({ at, type: 'status', state });
const notice = (at: number, kind: NotificationKind, title: string = kind, body = ''): TimelineEntry => ({
  at,
  type: 'notification',
  notification: { kind, title, body } as AppNotification,
});
/** Online, then a crash reported "down" at `at` and a recovery reported "back" 2 s later. */
const outage = (at: number): TimelineEntry[] => [
  status(at - 100, 'offline'),
  notice(at, 'serverDown'),
  status(at + 1900, 'online'),
  notice(at + 2000, 'serverUp'),
];

describe('soak notification checker', () => {
  it('accepts outages reported down then back, a flap window apart', () => {
    const timeline = [status(0, 'online'), ...outage(1000), ...outage(1000 + W + 3000)];
    expect(checkNotifications(timeline, none, W)).toEqual([]);
  });

  it('refuses a "down" within the flap window of the last "back": that is flapping', () => {
    const timeline = [status(0, 'online'), ...outage(1000), ...outage(6000)];
    expect(checkNotifications(timeline, none, W)).toEqual([expect.stringContaining('should be "unstable"')]);
  });

  it("lets the user's own stop and start restart the flap window, and refuses notices during it", () => {
    const stop: TimelineEntry[] = [
      { at: 3500, type: 'user-stop' },
      { at: 5000, type: 'user-stop-over' },
    ];
    expect(checkNotifications([status(0, 'online'), ...outage(1000), ...stop, ...outage(6000)], none, W)).toEqual([]);
    const noisy = [status(0, 'online'), { at: 100, type: 'user-stop' } as const, ...outage(1000)];
    expect(checkNotifications(noisy, none, W)).toHaveLength(2);
  });

  it('wants silence for a flap window after "unstable", and a normal report before the next one', () => {
    const tooSoon = [
      status(0, 'offline'),
      notice(10, 'serverUnstable'),
      status(3000, 'online'),
      notice(3010, 'serverUp'),
    ];
    expect(checkNotifications(tooSoon, none, W)).toEqual([expect.stringContaining('3000 ms after "unstable"')]);
    const again = [
      status(0, 'offline'),
      notice(10, 'serverUnstable'),
      status(3000, 'online'),
      status(30_000, 'offline'),
      notice(30_010, 'serverUnstable'),
    ];
    expect(checkNotifications(again, none, W)).toEqual([expect.stringContaining('a second "unstable"')]);
  });

  it('refuses a notice that contradicts the status, a duplicate, and one after shutdown began', () => {
    const timeline: TimelineEntry[] = [
      status(0, 'online'),
      notice(100, 'serverDown'),
      notice(200, 'loadFailed', 'Could not load x', 'why'),
      notice(300, 'loadFailed', 'Could not load x', 'why'),
      { at: 400, type: 'shutdown' },
      notice(500, 'downloadFailed', 'Download of y failed'),
    ];
    const violations = checkNotifications(timeline, { completed: [], failed: ['y'], loadsRefused: 2 }, W);
    expect(violations).toEqual([
      expect.stringContaining('while the status shows online'),
      expect.stringContaining('the same notice 100 ms before'),
      expect.stringContaining('shown after shutdown began'),
    ]);
  });

  it('wants one download notice per completed or failed download, and none for a cancel', () => {
    const timeline = [notice(0, 'downloadFinished', 'Download finished', 'a/b is ready to load.')];
    expect(checkNotifications(timeline, { completed: ['a/b'], failed: [], loadsRefused: 0 }, W)).toEqual([]);
    expect(checkNotifications(timeline, { completed: [], failed: [], loadsRefused: 0 }, W)).toEqual([
      '"download finished" notices for [a/b], expected []',
    ]);
    expect(checkNotifications([], { completed: [], failed: ['c/d'], loadsRefused: 1 }, W)).toEqual([
      '"download failed" notices for [], expected [c/d]',
      '0 "could not load" notices for 1 refused loads',
    ]);
  });
});
