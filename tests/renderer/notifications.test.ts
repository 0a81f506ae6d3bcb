import { describe, expect, it } from 'vitest';
import { type NotificationHost, startWebNotifications } from '../../renderer/src/notifications';
import { reportPopupVisibility } from '../../renderer/src/visibility';
import { createFakeBridge, ok } from './fake-bridge';
import { makeSnapshot } from './fixtures';

function fakeHost(permission: NotificationPermission, answer: NotificationPermission = 'granted') {
  const shown: Array<{ title: string; body?: string }> = [];
  let requests = 0;
  const target = new EventTarget();
  const FakeNotification = class {
    static permission: NotificationPermission = permission;
    static async requestPermission() {
      requests += 1;
      FakeNotification.permission = answer;
      return answer;
    }
    constructor(title: string, options?: NotificationOptions) {
      shown.push({ title, body: options?.body });
    }
  };
  const host: NotificationHost = { Notification: FakeNotification, target };
  return { host, shown, target, requests: () => requests };
}

const notice = {
  kind: 'serverDown' as const,
  title: 'LM Studio server is down',
  body: 'Start it again from the tray.',
};

describe('web notifications', () => {
  it('asks permission once, on the first gesture, then shows what the core sends', async () => {
    const bridge = createFakeBridge(makeSnapshot(), { showsNotifications: true, transport: 'web' });
    const { host, shown, target, requests } = fakeHost('default');
    startWebNotifications(bridge, host);
    expect(requests()).toBe(0);
    target.dispatchEvent(new Event('pointerdown'));
    target.dispatchEvent(new Event('keydown'));
    expect(requests()).toBe(1);
    await Promise.resolve();
    bridge.emit('notification:show', notice);
    expect(shown).toEqual([{ title: notice.title, body: notice.body }]);
  });

  it('shows first the notifications kept while it was loading, then what the core sends', () => {
    const bridge = createFakeBridge(makeSnapshot(), { showsNotifications: true, transport: 'web' });
    const { host, shown } = fakeHost('granted');
    const back = {
      kind: 'serverUp' as const,
      title: 'LM Studio server is back',
      body: 'Port 1234 is answering again.',
    };
    startWebNotifications(bridge, host, [notice]);
    expect(shown).toEqual([{ title: notice.title, body: notice.body }]);
    bridge.emit('notification:show', back);
    expect(shown).toEqual([
      { title: notice.title, body: notice.body },
      { title: back.title, body: back.body },
    ]);
  });

  it('stays quiet when permission is denied', () => {
    const bridge = createFakeBridge(makeSnapshot(), { showsNotifications: true });
    const { host, shown, target, requests } = fakeHost('denied');
    startWebNotifications(bridge, host);
    target.dispatchEvent(new Event('pointerdown'));
    bridge.emit('notification:show', notice);
    expect(requests()).toBe(0);
    expect(shown).toEqual([]);
  });

  it('does nothing on the desktop, where main shows notifications', () => {
    const bridge = createFakeBridge(makeSnapshot(), { showsNotifications: false });
    const { host, shown } = fakeHost('granted');
    startWebNotifications(bridge, host);
    expect(bridge.listenerCount('notification:show')).toBe(0);
    bridge.emit('notification:show', notice);
    expect(shown).toEqual([]);
  });

  it('stops listening when stopped', () => {
    const bridge = createFakeBridge(makeSnapshot(), { showsNotifications: true });
    const stop = startWebNotifications(bridge, fakeHost('granted').host);
    expect(bridge.listenerCount('notification:show')).toBe(1);
    stop();
    expect(bridge.listenerCount('notification:show')).toBe(0);
  });
});

describe('popup visibility', () => {
  it('tells the core when the page is shown or hidden', () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('app:popup-visibility', () => ok(null));
    let state: DocumentVisibilityState = 'visible';
    const doc = new EventTarget() as Document;
    Object.defineProperty(doc, 'visibilityState', { get: () => state });
    const stop = reportPopupVisibility(bridge, doc);
    state = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    stop();
    state = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(bridge.callsOf('app:popup-visibility')).toEqual([{ visible: true }, { visible: false }]);
  });
});
