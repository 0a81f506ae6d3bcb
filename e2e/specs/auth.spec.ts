import { CANARY_API_TOKEN } from '../../tests/robustness/secrets/canaries';
import { expect, serverStatus, snap, test } from './fixtures';

// A canary: the secret scan after `npm test` finds any copy of it outside its place.
const TOKEN = CANARY_API_TOKEN;

test.describe('a server that requires an API token', () => {
  test.use({ simulatorOptions: { token: TOKEN } });

  test('asks for the token, and is online once it is given', async ({ popup }) => {
    const status = serverStatus(popup);
    await expect(status).toHaveText(/^Authentication required/);
    await snap(popup, 'auth-required');

    await popup.getByRole('textbox', { name: 'API token', exact: true }).fill(TOKEN);
    await popup.getByRole('button', { name: 'Save token', exact: true }).click();
    await expect(status).toHaveText(/^Online/);
    // The page never gets the token back.
    expect(await popup.content()).not.toContain(TOKEN);
  });
});

for (const greetingNeedsToken of [false, true]) {
  const greeting = greetingNeedsToken ? 'a closed greeting' : 'an open greeting';
  test(`"Require Authentication" switched on while online, then off (${greeting})`, async ({
    popup,
    sim,
    notifications,
  }) => {
    const status = serverStatus(popup);
    await expect(status).toHaveText(/^Online/);
    expect(await notifications()).toEqual([]);

    // No traffic from the page: the periodic model refresh (or the poll's greeting) tells.
    sim.configure({ token: TOKEN, greetingNeedsToken });
    await expect(status).toHaveText(/^Authentication required/);
    await expect(status).toContainText('LM Studio now requires an API token');
    await expect.poll(async () => (await notifications()).length).toBe(1);
    expect((await notifications())[0]?.title).toMatch(/API token/);
    await snap(popup, `auth-switched-on-${greetingNeedsToken ? 'closed' : 'open'}-greeting`);

    sim.configure({ token: null });
    await expect(status).toHaveText(/^Online/);
    await expect.poll(async () => (await notifications()).length).toBe(2);
    expect((await notifications())[1]?.title).toMatch(/back/i);
  });
}
