import { expect, serverStatus, snap, test } from './fixtures';

test('an outage: the status follows the server and notifies down, then back up', async ({
  popup,
  sim,
  notifications,
}) => {
  const status = serverStatus(popup);
  await expect(status).toHaveText(/^Online/);
  expect(await notifications()).toEqual([]);

  await sim.crash();
  await expect(status).toHaveText(/^Offline/);
  await expect.poll(async () => (await notifications()).length).toBe(1);
  await snap(popup, 'outage-offline');

  await sim.launchApp();
  await expect(status).toHaveText(/^Online/);
  await expect.poll(async () => (await notifications()).length).toBe(2);
  const [down, up] = await notifications();
  expect(`${down?.title} ${down?.body}`).toMatch(/down|stopped|not running/i);
  expect(`${up?.title} ${up?.body}`).toMatch(/back|online|up/i);
  await snap(popup, 'outage-back-online');
});

test('a server that stops listening but keeps its connections: seen by a new connection, notified down and back', async ({
  popup,
  sim,
  notifications,
}) => {
  const status = serverStatus(popup);
  await expect(status).toHaveText(/^Online/);

  // LM Studio stays open; the port refuses new connections while the open ones stay.
  await sim.stopListening();
  // LM Studio is still open: "Server stopped" (after "Offline, checking…" at most).
  await expect(status).toHaveText(/^Server stopped/);
  await expect.poll(async () => (await notifications()).length).toBe(1);
  await snap(popup, 'outage-stopped-listening');

  await sim.startServer();
  await expect(status).toHaveText(/^Online/);
  await expect.poll(async () => (await notifications()).length).toBe(2);
  const [down, up] = await notifications();
  expect(`${down?.title} ${down?.body}`).toMatch(/down|stopped/i);
  expect(`${up?.title} ${up?.body}`).toMatch(/back/i);
  expect(sim.state.wakeCount()).toBe(0);
});

test.describe('LM Studio not running', () => {
  test.use({ simulatorOptions: { appRunning: false } });

  test('opening and reloading the popup never wakes it', async ({ popup, sim }) => {
    const status = serverStatus(popup);
    await expect(status).toHaveText(/^Offline/);
    // Reopening the popup asks for fresh details; with LM Studio down nothing may wake it.
    await popup.reload();
    await expect(status).toHaveText(/^Offline/);
    await popup.getByRole('button', { name: 'Refresh', exact: true }).click();
    await expect(status).toHaveText(/^Offline/);
    // Let any command the refresh started finish before taking stock.
    await popup.waitForTimeout(2_000);
    expect(sim.state.wakeCount()).toBe(0);
    const waking = sim.state
      .lmsInvocations()
      .filter((argv) => !['daemon status', 'server status', 'version'].includes(argv.slice(0, 2).join(' ')));
    expect(waking).toEqual([]);
    await snap(popup, 'offline-not-woken');
  });
});
