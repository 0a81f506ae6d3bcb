import { expect, serverStatus, snap, test } from './fixtures';

test.use({ simulatorOptions: { loaded: ['qwen/qwen3-4b'] } });

test('the glance: server online, what is loaded, what is downloaded', async ({ popup, sim }) => {
  const status = serverStatus(popup);
  await expect(status).toHaveText(/^Online/);

  const loaded = popup.getByRole('region', { name: 'Loaded models', exact: true });
  await expect(loaded.getByRole('listitem')).toHaveCount(1);
  await expect(loaded.getByRole('listitem')).toContainText('qwen/qwen3-4b');
  await expect(loaded.getByRole('button', { name: 'Unload qwen/qwen3-4b', exact: true })).toBeVisible();

  const downloaded = popup.getByRole('region', { name: 'Downloaded models', exact: true });
  const models = sim.state.models();
  await expect(downloaded.getByRole('listitem')).toHaveCount(models.length);
  for (const model of models) {
    await expect(downloaded.getByRole('button', { name: `Load ${model.key}`, exact: true })).toBeAttached();
  }
  await snap(popup, 'glance');
});
