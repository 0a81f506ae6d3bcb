/**
 * The page's warnings and errors reach the log file through `app:log`: uncaught errors, unhandled
 * rejections and the alerts the user saw, rate-limited, and kept for later while there is no contact.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_LOG_PER_MINUTE, startPageLog } from '../../renderer/src/page-log';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge, fail, ok } from './fake-bridge';
import { makeSnapshot, makeStatus, NOW } from './fixtures';

function setUp() {
  const snapshot = makeSnapshot();
  const bridge = createFakeBridge(snapshot);
  bridge.handle('app:log', () => ok(null));
  const store = createTrayStore(bridge, snapshot);
  const target = new EventTarget();
  let now = NOW;
  const stop = startPageLog(bridge, store, { target, now: () => now });
  return {
    bridge,
    store,
    target,
    stop,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function errorEvent(message: string, error?: Error): Event {
  return Object.assign(new Event('error'), { message, filename: 'index.js', lineno: 12, error });
}

describe('the page log', () => {
  it('sends uncaught errors and unhandled rejections', () => {
    const { bridge, target } = setUp();
    target.dispatchEvent(errorEvent('Script error.'));
    target.dispatchEvent(Object.assign(new Event('unhandledrejection'), { reason: 'no answer' }));
    expect(bridge.callsOf('app:log')).toEqual([
      { level: 'error', message: 'Script error. (index.js:12)' },
      { level: 'error', message: 'Unhandled rejection: no answer' },
    ]);
  });

  it('sends the alerts the user saw, once each, as warnings, cut to the contract’s size', async () => {
    const { bridge, store } = setUp();
    bridge.handle('models:unload', () => fail('unavailable', 'x'.repeat(3000)));
    await store.getState().unload('qwen/qwen3-4b');
    await store.getState().unload('qwen/qwen3-4b');
    const sent = bridge.callsOf('app:log') as Array<{ level: string; message: string }>;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.level).toBe('warn');
    expect(sent[0]!.message).toHaveLength(2000);
  });

  it('sends at most its rate a minute, then says how many it left out', () => {
    const { bridge, target, advance } = setUp();
    for (let i = 0; i < PAGE_LOG_PER_MINUTE + 5; i++) target.dispatchEvent(errorEvent(`boom ${i}`));
    expect(bridge.callsOf('app:log')).toHaveLength(PAGE_LOG_PER_MINUTE);
    advance(60_000);
    target.dispatchEvent(errorEvent('later'));
    expect(bridge.callsOf('app:log').slice(PAGE_LOG_PER_MINUTE)).toEqual([
      { level: 'warn', message: 'The page left out 5 more warnings in the last minute.' },
      { level: 'error', message: 'later (index.js:12)' },
    ]);
  });

  it('keeps what it could not send while there was no contact, and sends it when the core is back', async () => {
    const { bridge, store, target } = setUp();
    bridge.handle('app:log', () => fail('unavailable', 'Lost contact with LM Studio Tray.'));
    target.dispatchEvent(errorEvent('while away'));
    await settle();
    bridge.handle('app:log', () => ok(null));
    store.setState({ status: makeStatus({ checkedAt: NOW + 1 }) });
    await settle();
    expect(bridge.callsOf('app:log')).toEqual([
      { level: 'error', message: 'while away (index.js:12)' },
      { level: 'error', message: 'while away (index.js:12)' },
    ]);
  });

  it('stops listening when stopped', () => {
    const { bridge, target, stop } = setUp();
    stop();
    target.dispatchEvent(errorEvent('after'));
    expect(bridge.callsOf('app:log')).toEqual([]);
  });
});
