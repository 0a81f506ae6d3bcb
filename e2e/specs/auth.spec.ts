import { expect, snap, test } from './fixtures';

const TOKEN = 'sk-lm-Ab12Cd34:Ef56Gh78Ij90Kl12Mn34';

test.describe('a server that requires an API token', () => {
  test.use({ simulatorOptions: { token: TOKEN } });

  test('asks for the token, and is online once it is given', async ({ popup }) => {
    const status = popup.getByRole('status', { name: 'Server status', exact: true });
    await expect(status).toHaveText(/^Authentication required/);
    await snap(popup, 'auth-required');

    await popup.getByRole('textbox', { name: 'API token', exact: true }).fill(TOKEN);
    await popup.getByRole('button', { name: 'Save token', exact: true }).click();
    await expect(status).toHaveText(/^Online/);
    // The page never gets the token back.
    expect(await popup.content()).not.toContain(TOKEN);
  });
});
