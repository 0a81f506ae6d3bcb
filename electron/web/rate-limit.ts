/**
 * How much one page may send over its WebSocket: two token buckets, one counting messages and one
 * counting bytes. A bucket holds up to `burst` and refills at `perSecond`; a message that finds
 * either bucket short is over the limit, and the server closes that socket (1008).
 *
 * The real popup sends a command per click (two for Refresh), plus two when it reconnects: a
 * user hammering a key with auto-repeat makes about 60 messages a second of a few hundred bytes.
 * The limits sit well above that, so only a script, a bug in a loop or a hostile page meets them.
 */

export interface RateLimits {
  messagesPerSecond: number;
  messageBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
}

export const PAGE_RATE_LIMITS: RateLimits = {
  messagesPerSecond: 100,
  messageBurst: 200,
  bytesPerSecond: 1024 * 1024,
  // 64 messages of the largest size accepted (MAX_CLIENT_MESSAGE_BYTES): room for any real burst.
  byteBurst: 4 * 1024 * 1024,
};

/** Why a message was refused, as the page reads it in the close reason (at most 123 bytes). */
export type RateVerdict = { allowed: true } | { allowed: false; reason: string };

export interface RateLimiter {
  /** Takes one message of `bytes` from the buckets, or says which limit it exceeds (and takes nothing). */
  take(bytes: number): RateVerdict;
}

/** `now` is in milliseconds and must not go backwards (the server passes `performance.now`). */
export function createRateLimiter(limits: RateLimits, now: () => number): RateLimiter {
  let messages = limits.messageBurst;
  let bytes = limits.byteBurst;
  let last = now();

  function refill(): void {
    const at = now();
    const seconds = Math.max(0, at - last) / 1000;
    last = at;
    messages = Math.min(limits.messageBurst, messages + seconds * limits.messagesPerSecond);
    bytes = Math.min(limits.byteBurst, bytes + seconds * limits.bytesPerSecond);
  }

  return {
    take(size) {
      refill();
      if (messages < 1) {
        return { allowed: false, reason: `More than ${limits.messagesPerSecond} messages a second.` };
      }
      if (bytes < size) {
        return { allowed: false, reason: `More than ${formatBytes(limits.bytesPerSecond)} a second.` };
      }
      messages -= 1;
      bytes -= size;
      return { allowed: true };
    },
  };
}

function formatBytes(count: number): string {
  return count >= 1024 * 1024 ? `${count / (1024 * 1024)} MB` : `${Math.round(count / 1024)} KB`;
}
