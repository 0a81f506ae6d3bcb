import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../../e2e/simulator/index';
import { cleanUpAfterEach, request, runLms, simulator, tryConnect } from './helpers';

cleanUpAfterEach();

/** A raw keep-alive connection that has had one answer and now sits idle, as a pooled client socket would. */
async function idleKeepAliveSocket(sim: Simulator): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(sim.port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const answered = new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(chunk.toString('utf8'))));
  socket.write('GET /lmstudio-greeting HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  expect(await answered).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\{"lmstudio":true\}$/);
  return { socket, closed };
}

/** Sends one more greeting on an open keep-alive socket and resolves with the raw answer. */
function askAgain(socket: Socket): Promise<string> {
  const answered = new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(chunk.toString('utf8'))));
  socket.write('GET /lmstudio-greeting HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  return answered;
}

async function daemonRunning(sim: Simulator): Promise<boolean> {
  const { stdout } = await runLms(sim, ['daemon', 'status', '--json']);
  return (JSON.parse(stdout) as { status: string }).status === 'running';
}

describe('simulator lifecycle', () => {
  it('writes the server config and installs an executable lms in a temporary home, removed on close', async () => {
    const sim = await simulator();
    const config = JSON.parse(readFileSync(join(sim.homeDir, '.lmstudio/.internal/http-server-config.json'), 'utf8'));
    expect(config).toEqual({ port: sim.port, networkInterface: '127.0.0.1' });
    expect(sim.lmsPath).toBe(join(sim.homeDir, '.lmstudio/bin/lms'));
    expect(sim.baseUrl).toBe(`http://127.0.0.1:${sim.port}`);
    await sim.close();
    expect(existsSync(sim.homeDir)).toBe(false);
  });

  it('stopServer refuses new connections and closes idle keep-alive sockets; the app stays up', async () => {
    const sim = await simulator();
    const { closed } = await idleKeepAliveSocket(sim);
    await sim.stopServer();
    await closed;
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
    expect(await daemonRunning(sim)).toBe(true);
    await sim.startServer();
    expect((await request(sim, 'GET', '/lmstudio-greeting')).json).toEqual({ lmstudio: true });
  });

  it('stopListening refuses new connections while open ones stay and keep being answered; the app stays up', async () => {
    const sim = await simulator();
    const kept = await idleKeepAliveSocket(sim);
    let closedEarly = false;
    void kept.closed.then(() => {
      closedEarly = true;
    });
    await sim.stopListening();
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
    expect(await daemonRunning(sim)).toBe(true);
    const { stdout } = await runLms(sim, ['server', 'status', '--json']);
    expect(JSON.parse(stdout)).toEqual({ running: false, port: sim.port });
    expect(closedEarly).toBe(false);
    expect(await askAgain(kept.socket)).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: keep-alive[\s\S]*\{"lmstudio":true\}$/,
    );

    await sim.startServer();
    expect((await request(sim, 'GET', '/lmstudio-greeting')).json).toEqual({ lmstudio: true });
    expect(closedEarly).toBe(false);
    await sim.crash();
    await kept.closed;
  });

  it('stopServer after stopListening closes the kept idle connections too', async () => {
    const sim = await simulator();
    const { closed } = await idleKeepAliveSocket(sim);
    await sim.stopListening();
    await sim.stopServer();
    await closed;
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
  });

  it('crash destroys every socket at once, including a request that is being held', async () => {
    const sim = await simulator({ loaded: ['qwen/qwen3-4b'] });
    const { closed } = await idleKeepAliveSocket(sim);
    sim.configure({ hang: true });
    const held = fetch(`${sim.baseUrl}/api/v1/models`).then(
      () => 'answered',
      () => 'failed',
    );
    await expect.poll(() => sim.state.requests().length).toBe(2);
    await sim.crash();
    await closed;
    expect(await held).toBe('failed');
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
    expect(await daemonRunning(sim)).toBe(false);
    expect(sim.state.loaded()).toEqual([]);
  });

  it('quitApp refuses HTTP; launchApp restores the server only if it was on', async () => {
    const sim = await simulator();
    await sim.quitApp();
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
    await sim.launchApp();
    expect(await tryConnect(sim.port)).toBe('connected');

    await sim.stopServer();
    await sim.quitApp();
    await sim.launchApp();
    expect(await tryConnect(sim.port)).toBe('ECONNREFUSED');
    expect(await daemonRunning(sim)).toBe(true);
  });

  it('can start with the app down or the server off, on a port that is still reserved', async () => {
    const down = await simulator({ appRunning: false });
    expect(await tryConnect(down.port)).toBe('ECONNREFUSED');
    expect(await daemonRunning(down)).toBe(false);
    const off = await simulator({ serverRunning: false });
    expect(await tryConnect(off.port)).toBe('ECONNREFUSED');
    await off.startServer();
    expect((await request(off, 'GET', '/lmstudio-greeting')).status).toBe(200);
  });

  it('lets another program hold the port (HTML 404), and hands it back', async () => {
    const sim = await simulator({ foreign: true });
    const greeting = await request(sim, 'GET', '/lmstudio-greeting');
    expect(greeting.status).toBe(404);
    expect(greeting.headers.get('content-type')).toBe('text/html');
    expect(greeting.text).toContain('404 Not Found');
    sim.configure({ foreign: false });
    await expect.poll(async () => (await request(sim, 'GET', '/lmstudio-greeting')).status).toBe(200);

    await sim.quitApp();
    sim.configure({ foreign: true });
    await expect.poll(() => tryConnect(sim.port)).toBe('connected');
  });

  it('hangs without answering, and answers again once told to', async () => {
    const sim = await simulator();
    sim.configure({ hang: true });
    const timedOut = await fetch(`${sim.baseUrl}/lmstudio-greeting`, { signal: AbortSignal.timeout(300) }).then(
      () => false,
      () => true,
    );
    expect(timedOut).toBe(true);
    sim.configure({ hang: false, latencyMs: 50 });
    expect((await request(sim, 'GET', '/lmstudio-greeting')).json).toEqual({ lmstudio: true });
  });
});
