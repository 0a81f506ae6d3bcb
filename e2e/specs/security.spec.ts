import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { expect, test } from './fixtures';

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(url: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', () => resolve(0));
  });
}

test('web mode refuses every request without the token', async ({ web }) => {
  const { origin, token } = web;
  expect((await get(`${origin}/`)).status).toBeGreaterThanOrEqual(401);
  expect((await get(`${origin}/`)).status).toBeLessThan(404);
  expect((await get(`${origin}/?token=wrong`)).status).toBeGreaterThanOrEqual(401);

  const first = await get(`${origin}/?token=${token}`);
  expect(first.status).toBeLessThan(400);
  const setCookie = String(first.headers['set-cookie'] ?? '');
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  const cookie = setCookie.split(';')[0]!;
  expect(cookie).toContain(new URL(origin).port);
  expect(first.headers['referrer-policy']).toBe('no-referrer');

  // The cookie alone opens the page; a wrong Host (DNS rebinding) does not.
  expect((await get(`${origin}/`, { cookie })).status).toBe(200);
  expect(
    (await get(`${origin}/`, { cookie, host: `evil.example:${new URL(origin).port}` })).status,
  ).toBeGreaterThanOrEqual(400);

  const ws = `${origin.replace('http', 'ws')}/ws`;
  expect(await upgrade(ws, { origin })).not.toBe('open');
  expect(await upgrade(ws, { cookie, origin: 'http://evil.example' })).not.toBe('open');
  expect(await upgrade(ws, { cookie, origin })).toBe('open');
});
