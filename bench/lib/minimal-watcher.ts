/**
 * The floor of the idle CPU rows: the least work a Node watcher must do to meet issue 7's other
 * goals, and nothing else (no state, no events, no page). Against a loopback server it runs
 *   - a connect-only check every 450 ms on one reused socket (stops listening → seen in ≤ 500 ms),
 *   - a greeting GET every 5 s with a 5 s timeout (a hung server is seen),
 *   - an authenticated model list GET every 8 s, its JSON parsed (an auth switch is seen in ≤ 10 s).
 * Bundled by `bench/lib/processes.ts` and run as a process of its own, as anchor (a) is.
 */
import http from 'node:http';
import { Socket } from 'node:net';

export const MINIMAL_CHECK_MS = 450;
export const MINIMAL_GREETING_MS = 5000;
export const MINIMAL_MODELS_MS = 8000;
const REQUEST_TIMEOUT_MS = 5000;

/** Runs until its process ends (the bench stops the process group). */
export function startMinimalWatcher(baseUrl: string, token: string): void {
  const { hostname: host, port: portText } = new URL(baseUrl);
  const port = Number(portText);

  // One socket object for every check: connect, drop at once, connect again next time.
  const socket = new Socket();
  let checkDone: (() => void) | null = null;
  socket.on('connect', () => socket.destroy());
  socket.on('error', () => {});
  socket.on('close', () => {
    const done = checkDone;
    checkDone = null;
    done?.();
  });
  const connectCheck = () =>
    new Promise<void>((resolve) => {
      checkDone = resolve;
      socket.connect({ host, port });
    });

  const get = (path: string, headers: http.OutgoingHttpHeaders = {}) =>
    new Promise<void>((resolve) => {
      const request = http.get({ host, port, path, headers, agent: false, timeout: REQUEST_TIMEOUT_MS }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => {
          try {
            JSON.parse(body);
          } catch {
            // A watcher would report a bad answer; the floor only pays for reading it.
          }
          resolve();
        });
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve());
    });

  // Each job re-arms after it ends, so a slow answer never stacks a second one.
  const every = (ms: number, job: () => Promise<void>) => {
    const tick = async () => {
      await job();
      setTimeout(tick, ms);
    };
    setTimeout(tick, ms);
  };
  every(MINIMAL_CHECK_MS, connectCheck);
  every(MINIMAL_GREETING_MS, () => get('/lmstudio-greeting'));
  every(MINIMAL_MODELS_MS, () => get('/api/v1/models', { authorization: `Bearer ${token}` }));
}
