/** The fake `lms`'s line to the simulator (control-protocol.ts), over one kept-alive connection. */
import http from 'node:http';
import { CONTROL_ENV, type RpcMethods, type RpcName } from '../control-protocol';

/** The simulator went away mid-command (closed, or its process died). */
export class ControlLostError extends Error {}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function controlUrl(): URL {
  const url = process.env[CONTROL_ENV.url];
  if (!url) throw new Error(`${CONTROL_ENV.url} is not set: run the fake lms through its bin/lms wrapper.`);
  return new URL('/rpc', url);
}

export function rpc<K extends RpcName>(method: K, params: RpcMethods[K]['params']): Promise<RpcMethods[K]['result']> {
  const body = JSON.stringify({ method, params });
  return new Promise((resolve, reject) => {
    const req = http.request(
      controlUrl(),
      {
        method: 'POST',
        agent,
        headers: {
          Authorization: `Bearer ${process.env[CONTROL_ENV.secret] ?? ''}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', () => reject(new ControlLostError()));
        res.on('end', () => {
          try {
            const reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as
              | { ok: true; result: RpcMethods[K]['result'] }
              | { ok: false; error: string };
            if (reply.ok) resolve(reply.result);
            else reject(new Error(reply.error));
          } catch {
            reject(new ControlLostError());
          }
        });
      },
    );
    req.on('error', () => reject(new ControlLostError()));
    req.end(body);
  });
}
