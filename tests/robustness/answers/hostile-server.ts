/**
 * A loopback HTTP server that plays a badly behaved "LM Studio": every request is answered by a
 * `Behaviour` chosen per request (so a test can answer one route badly and the others well, or
 * switch everything back to good answers to see the core recover).
 *
 * The behaviours are the ways an answer can go wrong on the wire: any status and body, silence,
 * a trickle of bytes, a reset, a flood far past any honest size, a redirect. Every socket and
 * timer is ended by `close()`, so no case outlives its test.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export type Behaviour =
  /** An answer with this status and body (Content-Length set unless `chunked`). */
  | { kind: 'answer'; status: number; body: string | Buffer; headers?: Record<string, string>; chunked?: boolean }
  /** Accepts the request and never answers (`afterHeaders`: sends the headers, then nothing). */
  | { kind: 'hang'; afterHeaders?: boolean }
  /** Sends the headers, then the body one byte every `everyMs`. */
  | { kind: 'trickle'; body: string; everyMs: number }
  /** Resets the connection: before any answer, or after half of `body`. */
  | { kind: 'reset'; body?: string }
  /** `bytes` of a JSON-looking body, streamed as fast as the reader takes them; `declared` sends Content-Length. */
  | { kind: 'flood'; bytes: number; declared: boolean }
  /** `bytes` of whitespace inside a JSON array, gzipped to a few kilobytes (a decompression bomb). */
  | { kind: 'gzip-bomb'; bytes: number }
  /** A redirect to `location`, with a JSON body that would be a good answer. */
  | { kind: 'redirect'; status: number; location: string; body: string };

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export interface HostileServer {
  baseUrl: string;
  port: number;
  /** Every request, in order. */
  seen: SeenRequest[];
  /** Bytes of flood bodies written before the reader gave up (one entry per flood). */
  floodBytesWritten: number[];
  close(): Promise<void>;
}

const FLOOD_CHUNK = Buffer.alloc(64 * 1024, '[1,2,3,4,5,6,7]'.repeat(4));

/**
 * `[`, `bytes` spaces, `]`, gzipped. Built from one compressed megabyte repeated as gzip members
 * (a reader inflates them one after the other): compressing 50 MB at once would hold this thread
 * for most of a second, and the other cases' timers with it.
 */
const MEGABYTE_OF_SPACES = gzipSync(Buffer.alloc(1024 * 1024, ' '));
function gzipBomb(bytes: number): Buffer {
  const members = Array.from({ length: Math.ceil(bytes / (1024 * 1024)) }, () => MEGABYTE_OF_SPACES);
  return Buffer.concat([gzipSync('['), ...members, gzipSync(']')]);
}

export async function startHostileServer(answer: (request: SeenRequest) => Behaviour): Promise<HostileServer> {
  const seen: SeenRequest[] = [];
  const floodBytesWritten: number[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  function perform(behaviour: Behaviour, res: http.ServerResponse): void {
    const socket = res.socket;
    switch (behaviour.kind) {
      case 'answer': {
        const body = typeof behaviour.body === 'string' ? Buffer.from(behaviour.body) : behaviour.body;
        const headers: Record<string, string | number> = { 'content-type': 'application/json', ...behaviour.headers };
        if (!behaviour.chunked) headers['content-length'] = body.length;
        res.writeHead(behaviour.status, headers);
        res.end(body);
        return;
      }
      case 'hang':
        if (behaviour.afterHeaders) res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
        return;
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(behaviour.body) });
        let at = 0;
        const next = () => {
          if (res.destroyed || at >= behaviour.body.length) return void res.end();
          res.write(behaviour.body[at++]);
          later(behaviour.everyMs, next);
        };
        next();
        return;
      }
      case 'reset': {
        if (behaviour.body === undefined) {
          socket?.resetAndDestroy();
          return;
        }
        const body = Buffer.from(behaviour.body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => socket?.resetAndDestroy());
        return;
      }
      case 'flood': {
        const headers: Record<string, string | number> = { 'content-type': 'application/json' };
        if (behaviour.declared) headers['content-length'] = behaviour.bytes;
        res.writeHead(200, headers);
        let written = 0;
        const record = () => floodBytesWritten.push(written);
        res.once('close', record);
        const pump = () => {
          while (!res.destroyed && written < behaviour.bytes) {
            const chunk = FLOOD_CHUNK.subarray(0, Math.min(FLOOD_CHUNK.length, behaviour.bytes - written));
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      case 'gzip-bomb': {
        const body = gzipBomb(behaviour.bytes);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': body.length,
        });
        res.end(body);
        return;
      }
      case 'redirect':
        res.writeHead(behaviour.status, { location: behaviour.location, 'content-type': 'application/json' });
        res.end(behaviour.body);
        return;
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: SeenRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      perform(answer(request), res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    seen,
    floodBytesWritten,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
