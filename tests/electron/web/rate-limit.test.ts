import { describe, expect, it } from 'vitest';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../../electron/shared/web-protocol';
import { createRateLimiter, PAGE_RATE_LIMITS, type RateLimits } from '../../../electron/web/rate-limit';

const LIMITS: RateLimits = { messagesPerSecond: 10, messageBurst: 20, bytesPerSecond: 1000, byteBurst: 2000 };

/** A limiter on a clock the test moves by hand. */
function limiterAt(limits: RateLimits = LIMITS) {
  const clock = { now: 0 };
  const limiter = createRateLimiter(limits, () => clock.now);
  return { limiter, clock };
}

function takeMany(limiter: ReturnType<typeof limiterAt>['limiter'], count: number, bytes = 1): number {
  let allowed = 0;
  for (let i = 0; i < count; i += 1) if (limiter.take(bytes).allowed) allowed += 1;
  return allowed;
}

describe('the per-page rate limiter', () => {
  it('allows a burst of messages, then refuses the next one with the limit in the reason', () => {
    const { limiter } = limiterAt();
    expect(takeMany(limiter, 20)).toBe(20);
    expect(limiter.take(1)).toEqual({ allowed: false, reason: 'More than 10 messages a second.' });
  });

  it('refills at the sustained rate, never above the burst', () => {
    const { limiter, clock } = limiterAt();
    takeMany(limiter, 20);
    clock.now += 500;
    expect(takeMany(limiter, 10)).toBe(5);
    clock.now += 3_600_000;
    expect(takeMany(limiter, 100)).toBe(20);
  });

  it('lets a steady sender at the sustained rate through for as long as it keeps to it', () => {
    const { limiter, clock } = limiterAt();
    let refused = 0;
    for (let second = 0; second < 60; second += 1) {
      for (let i = 0; i < 10; i += 1) {
        clock.now += 100;
        if (!limiter.take(50).allowed) refused += 1;
      }
    }
    expect(refused).toBe(0);
  });

  it('counts bytes separately: a few large messages trip the byte limit before the message limit', () => {
    const { limiter, clock } = limiterAt();
    expect(limiter.take(1500).allowed).toBe(true);
    expect(limiter.take(600)).toEqual({ allowed: false, reason: 'More than 1 KB a second.' });
    // A refused message takes nothing: what is left still serves a smaller one.
    expect(limiter.take(500).allowed).toBe(true);
    clock.now += 1000;
    expect(limiter.take(1000).allowed).toBe(true);
  });

  it('ignores a clock that steps back instead of crediting or debiting', () => {
    const { limiter, clock } = limiterAt();
    takeMany(limiter, 20);
    clock.now -= 10_000;
    expect(limiter.take(1).allowed).toBe(false);
    clock.now += 100;
    expect(limiter.take(1).allowed).toBe(true);
  });

  it('leaves the real popup far inside the limits: key auto-repeat on Refresh (2 commands) for a minute', () => {
    const { limiter, clock } = limiterAt(PAGE_RATE_LIMITS);
    let refused = 0;
    // 30 key repeats a second, each a server:refresh and a models:refresh of ~60 bytes.
    for (let i = 0; i < 30 * 60; i += 1) {
      clock.now += 1000 / 30;
      for (const name of ['server:refresh', 'models:refresh']) {
        const text = JSON.stringify({ type: 'invoke', id: i, name });
        if (!limiter.take(text.length).allowed) refused += 1;
      }
    }
    expect(refused).toBe(0);
  });

  it('takes at least 64 messages of the largest accepted size at once', () => {
    const { limiter } = limiterAt(PAGE_RATE_LIMITS);
    expect(takeMany(limiter, 64, MAX_CLIENT_MESSAGE_BYTES)).toBe(64);
    expect(limiter.take(MAX_CLIENT_MESSAGE_BYTES).allowed).toBe(false);
  });
});
