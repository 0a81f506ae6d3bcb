import { expect, snap, test } from './fixtures';

test('settings round trip: saved, validated, and still there after a reload', async ({ popup }) => {
  await popup.getByRole('button', { name: 'Settings', exact: true }).click();
  const interval = popup.getByRole('spinbutton', { name: /poll/i });
  await interval.fill('7');
  const downloadFinished = popup.getByRole('checkbox', { name: /download finished/i });
  await downloadFinished.uncheck();
  await popup.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(popup.getByRole('status').filter({ hasText: /saved/i })).toBeVisible();

  await popup.reload();
  await popup.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(popup.getByRole('spinbutton', { name: /poll/i })).toHaveValue('7');
  await expect(popup.getByRole('checkbox', { name: /download finished/i })).not.toBeChecked();
  await snap(popup, 'settings');

  // A bad address is refused with a message, and nothing is lost.
  const address = popup.getByRole('textbox', { name: /address/i });
  await address.fill('not a url');
  await popup.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(popup.getByRole('alert')).toContainText('The LM Studio address must not contain spaces');
  await expect(address).toHaveValue('not a url');
});
