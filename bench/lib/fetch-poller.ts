/**
 * Anchor (a), written as the popular Ollama / LM Studio tray apps do it: every 5 s a GET of the
 * server's cheapest route through Node's global `fetch` (its keep-alive pool) with a 5 s
 * timeout; the first failure flips the state to down, the first success back to up.
 * Runs inside the bench (observing the same events as the web mode) and, bundled by
 * `bench/lib/processes.ts`, as a process of its own for the idle CPU figure.
 */
export interface FetchPoller {
  /** The state of its last check (null before the first). */
  isUp(): boolean | null;
  /** Date.now() of the first transition to `up` at or after `since`, or undefined after `capMs`. */
  transitionAt(up: boolean, since: number, capMs: number): Promise<number | undefined>;
  stop(): void;
}

export const POLL_INTERVAL_MS = 5000;
export const POLL_TIMEOUT_MS = 5000;

export function startFetchPoller(baseUrl: string, phaseMs: number): FetchPoller {
  const transitions: Array<{ up: boolean; at: number }> = [];
  let up: boolean | null = null;
  let interval: ReturnType<typeof setInterval> | undefined;
  const check = async () => {
    let ok: boolean;
    try {
      const response = await fetch(`${baseUrl}/lmstudio-greeting`, { signal: AbortSignal.timeout(POLL_TIMEOUT_MS) });
      await response.arrayBuffer();
      ok = response.ok;
    } catch {
      ok = false;
    }
    if (ok !== up) {
      up = ok;
      transitions.push({ up: ok, at: Date.now() });
    }
  };
  const first = setTimeout(() => {
    void check();
    interval = setInterval(() => void check(), POLL_INTERVAL_MS);
  }, phaseMs);

  return {
    isUp: () => up,
    async transitionAt(wanted, since, capMs) {
      const deadline = Date.now() + capMs;
      for (;;) {
        const hit = transitions.find((t) => t.up === wanted && t.at >= since);
        if (hit) return hit.at;
        if (Date.now() >= deadline) return undefined;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop() {
      clearTimeout(first);
      clearInterval(interval);
    },
  };
}
