import { expect, serverStatus, snap, test } from './fixtures';

test.describe('server stopped', () => {
  test.use({ simulatorOptions: { serverRunning: false } });

  test('Start server brings it online', async ({ popup, sim }) => {
    const status = serverStatus(popup);
    await expect(status).toHaveText(/^Server stopped/);
    await snap(popup, 'server-stopped');
    await popup.getByRole('button', { name: 'Start server', exact: true }).click();
    await expect(status).toHaveText(/^Online/);
    await expect(popup.getByRole('button', { name: 'Start server', exact: true })).toHaveCount(0);
    expect(sim.state.lmsInvocations().some((argv) => argv[0] === 'server' && argv[1] === 'start')).toBe(true);
  });
});

test.describe('another program on the port', () => {
  test.use({ simulatorOptions: { foreign: true } });

  test('says so, and how to fix it', async ({ popup }) => {
    const status = serverStatus(popup);
    await expect(status).toHaveText(/^Not LM Studio/);
    await expect(status).toContainText(/port/i);
    await snap(popup, 'foreign-program');
  });
});

test.describe('not responding', () => {
  test('a server that accepts but never answers', async ({ popup, sim }) => {
    const status = serverStatus(popup);
    await expect(status).toHaveText(/^Online/);
    sim.configure({ hang: true });
    await expect(status).toHaveText(/^Not responding/, { timeout: 30_000 });
    await snap(popup, 'not-responding');
  });
});
