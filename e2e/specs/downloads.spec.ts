import { DOWNLOAD_OPTIONS, TYPED_MODEL } from './catalog';
import { expect, snap, test } from './fixtures';

test.use({ simulatorOptions: DOWNLOAD_OPTIONS });

test('a download typed in the box: the bar rises, then the model is listed', async ({ popup }) => {
  await popup.getByRole('textbox', { name: 'Model to download', exact: true }).fill(`  ${TYPED_MODEL}  `);
  await popup.getByRole('button', { name: 'Download', exact: true }).click();

  const downloads = popup.getByRole('region', { name: 'Downloads', exact: true });
  const bar = downloads.getByRole('progressbar', { name: `Downloading ${TYPED_MODEL}`, exact: true });
  await expect(bar).toBeVisible();
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(5);
  const early = Number(await bar.getAttribute('aria-valuenow'));
  await snap(popup, 'download-in-progress');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(early);

  const downloaded = popup.getByRole('region', { name: 'Downloaded models', exact: true });
  await expect(downloaded.getByRole('button', { name: `Load ${TYPED_MODEL}`, exact: true })).toBeAttached({
    timeout: 30_000,
  });
  // The finished download stays listed, with its outcome, until dismissed.
  await expect(downloads.getByRole('listitem')).toHaveCount(1);
  await expect(downloads.getByRole('listitem')).toContainText(TYPED_MODEL);
  await snap(popup, 'download-completed');
});

test('a download from a suggestion', async ({ popup }) => {
  const key = 'mistralai/devstral-small-2507';
  await popup.getByRole('button', { name: `Download ${key}`, exact: true }).click();
  const downloads = popup.getByRole('region', { name: 'Downloads', exact: true });
  await expect(downloads.getByRole('progressbar', { name: `Downloading ${key}`, exact: true })).toBeVisible();
  const downloaded = popup.getByRole('region', { name: 'Downloaded models', exact: true });
  await expect(downloaded.getByRole('button', { name: `Load ${key}`, exact: true })).toBeAttached({ timeout: 30_000 });
  await snap(popup, 'download-from-suggestion');
});

test('cancelling a download really stops it in LM Studio', async ({ popup, sim }) => {
  await popup.getByRole('textbox', { name: 'Model to download', exact: true }).fill(TYPED_MODEL);
  await popup.getByRole('button', { name: 'Download', exact: true }).click();
  const downloads = popup.getByRole('region', { name: 'Downloads', exact: true });
  const bar = downloads.getByRole('progressbar', { name: `Downloading ${TYPED_MODEL}`, exact: true });
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(0);

  await downloads.getByRole('button', { name: `Cancel download of ${TYPED_MODEL}`, exact: true }).click();
  await expect
    .poll(() => sim.state.downloads().find((d) => d.model === TYPED_MODEL)?.status, { timeout: 20_000 })
    .toBe('cancelled');
  await expect(bar).toHaveCount(0);
  await expect(downloads.getByRole('listitem')).toContainText(/cancel/i);
  const downloaded = popup.getByRole('region', { name: 'Downloaded models', exact: true });
  await expect(downloaded.getByRole('button', { name: `Load ${TYPED_MODEL}`, exact: true })).toHaveCount(0);
  await snap(popup, 'download-cancelled');
});
