import { beforeEach, describe, expect, it } from 'vitest';
import { createElectronNotifier, type NotifierOptions } from '../../../electron/main/notifications';
import { Notification, resetElectron } from '../../mocks/electron';

beforeEach(() => resetElectron());

function notifier(onClick: () => void = () => {}) {
  return createElectronNotifier({
    Notification: Notification as unknown as NotifierOptions['Notification'],
    onClick,
    icon: '/assets/app-icon.png',
  });
}

describe('createElectronNotifier', () => {
  it('shows an Electron notification for each core notification', () => {
    const n = notifier();
    n.show({ kind: 'serverDown', title: 'LM Studio is offline', body: 'Start it, or run `lms server start`.' });
    expect(Notification.instances).toHaveLength(1);
    expect(Notification.instances[0]!.options).toMatchObject({
      title: 'LM Studio is offline',
      body: 'Start it, or run `lms server start`.',
      icon: '/assets/app-icon.png',
    });
    expect(Notification.instances[0]!.shown).toBe(true);
  });

  it('a click opens the popup; notifications stay referenced until they close', () => {
    let opened = 0;
    const n = notifier(() => opened++);
    n.show({ kind: 'serverUp', title: 'up', body: '' });
    n.show({ kind: 'downloadFinished', title: 'done', body: '' });
    expect(n.live).toBe(2);
    Notification.instances[0]!.emit('click');
    expect(opened).toBe(1);
    Notification.instances[1]!.emit('close');
    expect(n.live).toBe(0);
  });

  it('shows nothing where notifications are unsupported', () => {
    Notification.supported = false;
    notifier().show({ kind: 'serverUp', title: 'up', body: '' });
    expect(Notification.instances).toHaveLength(0);
  });
});
