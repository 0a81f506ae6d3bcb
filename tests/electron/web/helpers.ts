/**
 * Real HTTP and WebSocket clients for the web server's tests, with full control over the
 * headers a browser (or an attacker) would send.
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import type { Result } from '../../../electron/shared/contract';

export interface HttpAnswer {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1:port; `path` goes on the wire as is (no normalisation). */
export function httpRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export type SocketAttempt = { ws: WebSocket } | { status: number; body: string };

/** Opens a WebSocket with the given headers; resolves with the socket, or the HTTP refusal. */
export function openSocket(
  url: string,
  options: { origin?: string; headers?: Record<string, string>; autoPong?: boolean } = {},
): Promise<SocketAttempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...(options.origin ? { origin: options.origin } : {}),
      headers: options.headers,
      autoPong: options.autoPong ?? true,
    });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    ws.once('error', reject);
  });
}

/** Collects every parsed message a socket receives. */
export function collectMessages(ws: WebSocket): unknown[] {
  const messages: unknown[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  return messages;
}

/** Resolves with the close code and reason once the socket closes. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve({ code: 1006, reason: '' });
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
}

let nextInvokeId = 1;

/**
 * Sends one command and resolves with its result (events arriving meanwhile are skipped); rejects
 * with the close code and reason if the server closes the socket instead of answering.
 */
export function invokeOver(ws: WebSocket, name: string, payload?: unknown): Promise<Result<unknown>> {
  const id = nextInvokeId++;
  return new Promise((resolve, reject) => {
    const onMessage = (data: unknown) => {
      const message = JSON.parse(String(data)) as { type: string; id?: number; result?: Result<unknown> };
      if (message.type !== 'result' || message.id !== id) return;
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(message.result as Result<unknown>);
    };
    const onClose = (code: number, reason: Buffer) => {
      ws.off('message', onMessage);
      reject(Object.assign(new Error(`closed ${code} ${reason.toString('utf8')}`), { code }));
    };
    ws.on('message', onMessage);
    ws.once('close', onClose);
    ws.send(JSON.stringify({ type: 'invoke', id, name, payload }));
  });
}
