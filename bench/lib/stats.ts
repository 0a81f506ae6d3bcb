/** Small numeric helpers shared by the bench groups. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The nearest-rank percentile of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** A uniformly random integer in [0, max). */
export function randomBelow(max: number): number {
  return Math.floor(Math.random() * max);
}

/** Resolves with the first value `probe` returns that is not undefined, or undefined after `capMs`. */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, capMs: number, everyMs = 25) {
  const deadline = Date.now() + capMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(everyMs);
  }
}
