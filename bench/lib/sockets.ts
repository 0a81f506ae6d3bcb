/** The physical floors: what a bare socket can know about a loopback server, and when. */
import { connect, type Socket } from 'node:net';

/** A plain socket connected to the port; `closedAt` resolves with Date.now() of its close event. */
export async function openWatchSocket(port: number): Promise<{ socket: Socket; closedAt: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closedAt };
}

/** One connect attempt: 'accepted' or the error code, and Date.now() when it was known. */
export function connectOnce(port: number): Promise<{ result: string; at: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve({ result: 'accepted', at: Date.now() });
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ result: error.code ?? error.message, at: Date.now() }),
    );
  });
}

/** Connects again and again (back to back) until one attempt ends in `wanted`; Date.now() then. */
export async function connectUntil(port: number, wanted: string, capMs: number): Promise<number | undefined> {
  const deadline = Date.now() + capMs;
  for (;;) {
    const { result, at } = await connectOnce(port);
    if (result === wanted) return at;
    if (at >= deadline) return undefined;
  }
}
