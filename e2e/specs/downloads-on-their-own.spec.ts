/**
 * Downloads the app looks after by itself (issue 9): a failed download retried on its own until
 * it completes, `Load when done`, and a download refused before it starts because the disk that
 * holds LM Studio's models folder is too small. Web mode reads free space from the OS (statfs), so
 * the disk journey mounts a real 3 GiB tmpfs on the simulator's models folder; it runs only where
 * a tmpfs can be mounted (root on Linux, as CI runs) and is reported skipped elsewhere.
 */
import { MODEL_SUGGESTIONS } from '../../electron/shared/suggestions';
import { mountTmpfs, tmpfsProbe, unmount } from '../../tests/electron/core/fit/tmpfs';
import { DEFAULT_MODELS } from '../simulator/index';
import { DOWNLOAD_OPTIONS, TYPED_MODEL } from './catalog';
import { expect, snap, test } from './fixtures';

/** Titles of the notifications about downloads (the policy's `Download finished` / `Download of MODEL failed`). */
const aboutDownloads = (shown: Array<{ title: string }>) =>
  shown.map((n) => n.title).filter((title) => title.startsWith('Download'));

test.describe('with a model loaded as on a typical day', () => {
  test.use({ simulatorOptions: DOWNLOAD_OPTIONS });

  test('a download that fails part-way is retried by itself and completes', async ({ popup, sim, notifications }) => {
    // The first retry comes 10 s after the failure (the production schedule; web mode has no knob for it).
    test.setTimeout(120_000);
    // The connection to the repository is lost at 20 %.
    sim.configure({ failNextDownload: TYPED_MODEL });
    await popup.getByRole('textbox', { name: 'Model to download', exact: true }).fill(TYPED_MODEL);
    await popup.getByRole('button', { name: 'Download', exact: true }).click();

    const downloads = popup.getByRole('region', { name: 'Downloads', exact: true });
    const row = downloads.getByRole('listitem');
    await expect(row).toContainText(/Retrying in .+ \(attempt 2\)/, { timeout: 30_000 });
    await expect(row.getByRole('button', { name: `Retry download of ${TYPED_MODEL}`, exact: true })).toBeVisible();
    expect(sim.state.downloads().map((d) => d.status)).toEqual(['failed']);
    await snap(popup, 'download-retrying');

    const downloaded = popup.getByRole('region', { name: 'Downloaded models', exact: true });
    await expect(downloaded.getByRole('button', { name: `Load ${TYPED_MODEL}`, exact: true })).toBeAttached({
      timeout: 60_000,
    });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Completed');
    // LM Studio ran a second job, started by the app alone (no click since the first).
    expect(sim.state.downloads().map((d) => d.status)).toEqual(['failed', 'completed']);
    // Only the final outcome notifies: one `Download finished`, no failure.
    await expect.poll(async () => aboutDownloads(await notifications())).toEqual(['Download finished']);
    expect((await notifications()).find((n) => n.title === 'Download finished')?.body).toBe(
      `${TYPED_MODEL} is ready to load.`,
    );
    await snap(popup, 'download-retried-and-completed');
  });

  test('Load when done: the model is loaded as soon as its download finishes', async ({ popup, sim }) => {
    const loadWhenDone = popup.getByRole('checkbox', { name: 'Load when done', exact: true });
    await loadWhenDone.check();
    await popup.getByRole('textbox', { name: 'Model to download', exact: true }).fill(TYPED_MODEL);
    await popup.getByRole('button', { name: 'Download', exact: true }).click();

    const downloads = popup.getByRole('region', { name: 'Downloads', exact: true });
    await expect(downloads.getByRole('listitem')).toContainText('then loads it');
    await downloads.scrollIntoViewIfNeeded();
    await snap(popup, 'load-when-done-downloading');

    const loaded = popup.getByRole('region', { name: 'Loaded models', exact: true });
    const unload = loaded.getByRole('button', { name: `Unload ${TYPED_MODEL}`, exact: true });
    await expect(unload).toBeVisible({ timeout: 30_000 });
    await expect(downloads.getByRole('listitem')).toContainText('Completed');
    // Loaded once, beside the model that was loaded before.
    expect(sim.state.loaded().map((i) => i.identifier)).toEqual(['qwen/qwen3-4b', TYPED_MODEL]);
    // The popup scrolls inside its window: the screenshot shows the part checked.
    await unload.scrollIntoViewIfNeeded();
    await snap(popup, 'load-when-done-loaded');
  });
});

// ---------------------------------------------------------------------------------------------
// The disk refusal, on a real small filesystem
// ---------------------------------------------------------------------------------------------

/** 3 GiB: 3.2 GB free, as LM Studio counts (1000^3). */
const SMALL_DISK_SIZE = '3g';
const QWEN = MODEL_SUGGESTIONS.find((s) => s.key === 'qwen/qwen3-4b')!;

/**
 * The simulator's models folder (settings.json's `downloadsFolder`) becomes a small tmpfs before
 * web mode starts, and is unmounted after web mode stops, before the simulator removes its home.
 */
const onSmallDisk = test.extend({
  sim: async ({ sim }, use) => {
    const refused = mountTmpfs(sim.modelsDir, SMALL_DISK_SIZE);
    if (refused !== null) throw new Error(`Could not mount the tmpfs on ${sim.modelsDir}: ${refused}`);
    try {
      await use(sim);
    } finally {
      unmount(sim.modelsDir);
    }
  },
});

onSmallDisk.describe('on a 3 GiB disk', () => {
  const probe = tmpfsProbe();
  // Never counted as passed where it cannot run: Playwright reports it skipped, with the reason.
  onSmallDisk.skip(!probe.ok, `not run: ${probe.ok ? '' : probe.reason}`);
  onSmallDisk.use({
    simulatorOptions: {
      ...DOWNLOAD_OPTIONS,
      // Qwen3 4B is not downloaded yet here.
      models: DEFAULT_MODELS.filter((m) => m.key !== QWEN.key),
      loaded: [],
    },
  });

  onSmallDisk('a suggestion that will not fit says so, and its download is refused', async ({ popup, sim }) => {
    const suggestion = popup.getByRole('listitem').filter({
      has: popup.getByRole('button', { name: `Download ${QWEN.key}`, exact: true }),
    });
    // 2.5 GB and the 1 GB margin against the tmpfs's 3.2 GB.
    await expect(suggestion).toContainText('Not enough disk: needs 3.5 GB, 3.2 GB free');
    // The popup scrolls inside its window: the screenshots show the parts checked.
    await suggestion.scrollIntoViewIfNeeded();
    await snap(popup, 'disk-suggestion-does-not-fit');

    await suggestion.getByRole('button', { name: `Download ${QWEN.key}`, exact: true }).click();
    const refusal = popup.getByRole('alert');
    await expect(refusal).toHaveText(`Not enough disk space: it needs 3.5 GB, 3.2 GB is free in ${sim.modelsDir}.`);
    const downloads = popup.getByRole('region', { name: 'Downloads', exact: true });
    await expect(downloads.getByRole('listitem')).toHaveCount(0);
    expect(sim.state.downloads()).toEqual([]);
    expect(sim.state.lmsInvocations().filter((argv) => argv.includes('get'))).toEqual([]);
    await refusal.scrollIntoViewIfNeeded();
    await snap(popup, 'disk-download-refused');
  });
});
