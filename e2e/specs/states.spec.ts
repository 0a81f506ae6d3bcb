/**
 * Issue 11: walking the simulated LM Studio through its states, every region of the popup says
 * what it can honestly say and offers only the clicks that can work; and while the HTTP API
 * needs a token, a local `lms` keeps the popup working (lists, a download, a load) without
 * waking anything.
 */
import type { Locator, Page } from '@playwright/test';
import { CANARY_API_TOKEN } from '../../tests/robustness/secrets/canaries';
import { CATALOG, DOWNLOAD_OPTIONS, TYPED_MODEL } from './catalog';
import { expect, serverStatus, snap, test } from './fixtures';

// A canary: the secret scan after `npm test` finds any copy of it outside its place.
const TOKEN = CANARY_API_TOKEN;

function regions(popup: Page) {
  return {
    status: serverStatus(popup),
    loaded: popup.getByRole('region', { name: 'Loaded models', exact: true }),
    downloaded: popup.getByRole('region', { name: 'Downloaded models', exact: true }),
    downloads: popup.getByRole('region', { name: 'Downloads', exact: true }),
    getModels: popup.getByRole('region', { name: 'Get models', exact: true }),
  };
}

/** Disabled, with its reason both as a tooltip and as the text it is described by. */
async function expectBlocked(button: Locator, reason: string | RegExp): Promise<void> {
  const pattern = typeof reason === 'string' ? new RegExp(reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : reason;
  await expect(button).toBeDisabled();
  await expect(button).toHaveAttribute('title', pattern);
  await expect(button).toHaveAccessibleDescription(pattern);
}

const button = (scope: Locator, name: string) => scope.getByRole('button', { name, exact: true });

test.describe('walking the states', () => {
  test.use({ simulatorOptions: { loaded: ['qwen/qwen3-4b'], catalog: CATALOG } });

  test('each region says what it can and enables only what can work', async ({ popup, sim }) => {
    // Seven transitions, two of them waiting out a probe timeout.
    test.setTimeout(150_000);
    const r = regions(popup);
    const load = (key: string) => button(r.downloaded, `Load ${key}`);

    // Online: everything works.
    await expect(r.status).toHaveText(/^Online/);
    await expect(r.loaded.getByRole('listitem')).toHaveCount(1);
    await expect(button(r.loaded, 'Unload qwen/qwen3-4b')).toBeEnabled();
    await expect(load('google/gemma-3-12b')).toBeEnabled();
    await expect(button(r.getModels, 'Download')).toBeEnabled();
    // The loaded model's Load adds another instance, and says so.
    await expect(load('qwen/qwen3-4b')).toHaveAccessibleDescription('another instance');
    // Size and context are never cut off at the popup's width.
    await expect(r.downloaded.locator('.row__meta-fit')).toHaveCount(sim.state.models().length);
    for (const fit of await r.downloaded.locator('.row__meta-fit').all()) {
      const clipped = await fit.evaluate((element) => {
        const line = element.parentElement!.getBoundingClientRect();
        return element.getBoundingClientRect().right > line.right + 0.5;
      });
      expect(clipped, (await fit.textContent()) ?? '').toBe(false);
    }

    // Server stopped (LM Studio up): models may still be in memory, and lms can tell.
    await sim.stopServer();
    await expect(r.status).toHaveText(/^Server stopped/);
    await expect(r.loaded.locator('.stale')).toHaveText('Via lms');
    await expect(r.loaded.getByRole('listitem')).toHaveCount(1);
    await expect(button(r.loaded, 'Unload qwen/qwen3-4b')).toBeEnabled();
    await expect(load('google/gemma-3-12b')).toBeEnabled();
    await snap(popup, 'state-server-stopped');

    // Offline (LM Studio quit): nothing is loaded; the downloaded list is the last known.
    await sim.quitApp();
    await expect(r.status).toHaveText(/^Offline/);
    await expect(r.loaded).toContainText('Nothing is loaded while LM Studio is closed');
    await expect(r.loaded.getByRole('button')).toHaveCount(0);
    await expect(r.downloaded.locator('.stale')).toHaveText('Last known');
    await expectBlocked(load('google/gemma-3-12b'), 'LM Studio is not running');
    await expectBlocked(button(r.downloaded, 'Load options for google/gemma-3-12b'), 'LM Studio is not running');
    // A download through lms may start LM Studio: the user's own click, and the popup says so.
    await expect(button(r.getModels, 'Download')).toBeEnabled();
    await expect(r.getModels).toContainText('LM Studio is not running: a download starts it.');
    await snap(popup, 'state-offline');

    // Launched again, with its server still off; then the server started.
    await sim.launchApp();
    await expect(r.status).toHaveText(/^Server stopped/);
    await sim.startServer();
    await expect(r.status).toHaveText(/^Online/);
    await expect(r.downloaded.locator('.stale')).toHaveCount(0);

    // Not responding: the last known lists, and nothing to click that needs an answer.
    sim.configure({ hang: true });
    await expect(r.status).toHaveText(/^Not responding/, { timeout: 30_000 });
    await expect(r.downloaded.locator('.stale')).toHaveText('Last known');
    await expectBlocked(load('google/gemma-3-12b'), 'not answering');
    await expectBlocked(button(r.getModels, 'Download'), 'not answering');
    await snap(popup, 'state-not-responding');
    sim.configure({ hang: false });
    await expect(r.status).toHaveText(/^Online/, { timeout: 30_000 });

    // Another program on the port.
    sim.configure({ foreign: true });
    await expect(r.status).toHaveText(/^Not LM Studio/);
    await expect(r.downloaded.locator('.stale')).toHaveText('Last known');
    await expectBlocked(load('google/gemma-3-12b'), 'Another program answers');
    await expectBlocked(button(r.getModels, 'Download'), 'Another program answers');
    await snap(popup, 'state-foreign');

    expect(sim.state.wakeCount()).toBe(0);
  });
});

test.describe('authentication required, with a local lms', () => {
  test.use({ simulatorOptions: { token: TOKEN, loaded: ['qwen/qwen3-4b'], catalog: CATALOG } });

  test('lists, a download and a load work through lms, waking nothing', async ({ popup, sim }) => {
    const r = regions(popup);
    await expect(r.status).toHaveText(/^Authentication required/);
    await expect(popup.getByRole('textbox', { name: 'API token', exact: true })).toBeVisible();
    await expect(
      popup.getByText("Meanwhile the lists, loads and downloads go through LM Studio's lms tool"),
    ).toBeVisible();
    await expect(popup.getByText('Start LM Studio')).toHaveCount(0);

    // The lists, read with lms.
    await expect(r.downloaded.locator('.stale')).toHaveText('Via lms');
    await expect(r.downloaded.getByRole('listitem')).toHaveCount(sim.state.models().length);
    await expect(r.loaded.getByRole('listitem')).toHaveCount(1);
    // lms load matches loosely: a key that also names another model cannot be loaded exactly.
    await expectBlocked(button(r.downloaded, 'Load qwen/qwen3-4b'), /also matches qwen\/qwen3-4b-2507/);
    await snap(popup, 'state-auth-with-lms');

    // A download through lms.
    await popup.getByRole('textbox', { name: 'Model to download', exact: true }).fill(TYPED_MODEL);
    await button(r.getModels, 'Download').click();
    await expect(r.downloads.getByRole('listitem')).toContainText('Completed', { timeout: 30_000 });
    await expect(button(r.downloaded, `Load ${TYPED_MODEL}`)).toBeVisible();

    // A load through lms: the model just downloaded.
    await button(r.downloaded, `Load ${TYPED_MODEL}`).click();
    await expect(r.loaded.getByRole('listitem')).toHaveCount(2, { timeout: 20_000 });
    await expect(r.loaded).toContainText(TYPED_MODEL);
    expect(sim.state.loaded().map((i) => i.modelKey)).toContain(TYPED_MODEL);

    // An unload through lms.
    await button(r.loaded, 'Unload qwen/qwen3-4b').click();
    await expect(r.loaded.getByRole('listitem')).toHaveCount(1);

    const lmsCommands = sim.state.lmsInvocations().map((argv) => argv[0]);
    expect(lmsCommands).toEqual(expect.arrayContaining(['ls', 'ps', 'get', 'load', 'unload']));
    expect(sim.state.wakeCount()).toBe(0);
  });
});

// README's screenshots: the popup in light and dark (UPDATE_DOCS_SCREENSHOT=1 writes them to docs/).
for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`the popup in ${colorScheme}`, () => {
    // A slower download, so the picture catches it running.
    test.use({ colorScheme, simulatorOptions: { ...DOWNLOAD_OPTIONS, downloadBytesPerSecond: 15_000_000 } });

    test(`${colorScheme}: online, a model loaded, a download running`, async ({ popup }) => {
      const r = regions(popup);
      await expect(r.status).toHaveText(/^Online/);
      await expect(r.loaded.getByRole('listitem')).toHaveCount(1);
      // The page follows the system theme.
      const background = await popup.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe(colorScheme === 'dark' ? 'rgb(19, 21, 25)' : 'rgb(244, 245, 247)');

      await popup.getByRole('textbox', { name: 'Model to download', exact: true }).fill(TYPED_MODEL);
      await button(r.getModels, 'Download').click();
      const bar = r.downloads.getByRole('progressbar', { name: `Downloading ${TYPED_MODEL}`, exact: true });
      await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(20);
      await popup.locator('main').evaluate((main) => main.scrollTo(0, 0));
      if (process.env.UPDATE_DOCS_SCREENSHOT) await popup.screenshot({ path: `docs/popup-${colorScheme}.png` });
      await snap(popup, `popup-${colorScheme}`);
    });
  });
}
