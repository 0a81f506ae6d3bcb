import { expect, snap, test } from './fixtures';

// A slow server makes the load long enough to see its progress bar.
test.use({ simulatorOptions: { latencyMs: 400 } });

test('load a model, then unload it', async ({ popup, sim }) => {
  const key = 'google/gemma-3-12b';
  const downloaded = popup.getByRole('region', { name: 'Downloaded models', exact: true });
  const loaded = popup.getByRole('region', { name: 'Loaded models', exact: true });
  await expect(loaded.getByRole('listitem')).toHaveCount(0);

  await downloaded.getByRole('button', { name: `Load ${key}`, exact: true }).click();
  await expect(popup.getByRole('progressbar', { name: `Loading ${key}`, exact: true })).toBeVisible();
  await expect(loaded.getByRole('listitem')).toHaveCount(1, { timeout: 20_000 });
  await expect(loaded.getByRole('listitem')).toContainText(key);
  // Exactly the clicked model, not a fuzzy neighbour.
  expect(sim.state.loaded().map((i) => i.modelKey)).toEqual([key]);
  await snap(popup, 'model-loaded');

  await loaded.getByRole('button', { name: `Unload ${key}`, exact: true }).click();
  await expect(loaded.getByRole('listitem')).toHaveCount(0);
  expect(sim.state.loaded()).toEqual([]);
});

test.describe('with two models loaded', () => {
  test.use({ simulatorOptions: { loaded: ['qwen/qwen3-4b', 'google/gemma-3-12b'] } });

  test('unload all', async ({ popup, sim }) => {
    const loaded = popup.getByRole('region', { name: 'Loaded models', exact: true });
    await expect(loaded.getByRole('listitem')).toHaveCount(2);
    await popup.getByRole('button', { name: 'Unload all', exact: true }).click();
    await expect(loaded.getByRole('listitem')).toHaveCount(0);
    expect(sim.state.loaded()).toEqual([]);
  });
});

test('loads the exact model even when its key is a prefix of another', async ({ popup, sim }) => {
  const key = 'qwen/qwen3-4b';
  const downloaded = popup.getByRole('region', { name: 'Downloaded models', exact: true });
  await downloaded.getByRole('button', { name: `Load ${key}`, exact: true }).click();
  const loaded = popup.getByRole('region', { name: 'Loaded models', exact: true });
  await expect(loaded.getByRole('listitem')).toHaveCount(1, { timeout: 20_000 });
  expect(sim.state.loaded().map((i) => i.modelKey)).toEqual([key]);
});
