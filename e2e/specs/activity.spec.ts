/**
 * Issue 10's journeys: a chat request seen live (`Generating` in its row, then its tokens/s in the
 * row and in `Activity`) with its prompt nowhere the app writes or shows; the `Memory used by
 * models` meter following what is loaded; and the diagnostics report, saved as a download and
 * copied, holding LM Studio's version and no secret. LM Studio is up throughout, so nothing here
 * may wake it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { CANARY_API_TOKEN } from '../../tests/robustness/secrets/canaries';
import type { Simulator } from '../simulator/index';
import { expect, serverStatus, snap, test, type WebMode } from './fixtures';

const MODEL = 'qwen/qwen3-4b';
/** What the simulator answers every prompt with: answer text is as private as the prompt. */
const ANSWER = 'Hello from the LM Studio simulator.';

/** Everything web mode wrote to its log folder (the current file and any rotated one). */
async function logFolderText(web: WebMode): Promise<string> {
  const dir = join(web.configDir, 'logs');
  const names = await readdir(dir);
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
  return texts.join('\n');
}

/**
 * Waits until web mode follows `lms log stream` and the stream is subscribed (its banner read):
 * only then does a request's input event reach it. Web mode runs with debug logging (fixtures.ts).
 */
async function streamFollowed(web: WebMode, popup: Page): Promise<void> {
  await expect.poll(() => web.output()).toContain('lms log stream is streaming');
  const activity = popup.getByRole('region', { name: 'Activity', exact: true });
  await expect(activity.getByText('Nothing generated in the last 10 minutes.', { exact: true })).toBeVisible();
}

/** One chat completion, sent as a client of LM Studio would (not through the app). */
async function chat(sim: Simulator, prompt: string, token?: string): Promise<Response> {
  return fetch(`${sim.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: prompt }] }),
  });
}

test.describe('with a model loaded', () => {
  test.use({ simulatorOptions: { loaded: [MODEL] } });

  test('a chat request shows Generating in its row, then its tokens/s there and in Activity; its text is nowhere', async ({
    popup,
    sim,
    web,
  }) => {
    // Distinctive, so that any copy of it is found.
    const prompt = 'journey-prompt-4c1e: name three colours of a kingfisher';
    const wakes = sim.state.wakeCount();
    // Every frame the page receives from web mode, from a fresh load on.
    const frames: string[] = [];
    popup.on('websocket', (socket) => socket.on('framereceived', (frame) => frames.push(String(frame.payload))));
    await popup.reload();
    await expect(serverStatus(popup)).toHaveText(/^Online/);
    await streamFollowed(web, popup);

    const loaded = popup.getByRole('region', { name: 'Loaded models', exact: true });
    const activity = popup.getByRole('region', { name: 'Activity', exact: true });
    const row = loaded.getByRole('listitem').filter({ hasText: MODEL });
    await expect(row).toHaveCount(1);
    const generating = row.getByText('Generating', { exact: true });
    await expect(generating).toHaveCount(0);

    // 6 tokens in 5 s after 0.3 s of prompt processing: 1.2 tok/s, TTFT 0.3 s.
    sim.configure({ generationMs: 5_000, timeToFirstTokenMs: 300 });
    const answered = chat(sim, prompt);
    await expect(generating).toBeVisible();
    await snap(popup, 'generating');

    const response = await answered;
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain(ANSWER);
    await expect(generating).toHaveCount(0);
    await expect(row).toContainText('last 1.2 tok/s');
    const line = `${MODEL} · 1 request in 5 min · 1.2 tok/s median · TTFT 0.3 s`;
    await expect(activity.getByText(line, { exact: true })).toBeVisible();
    // The chart's figures, in words beside it.
    await expect(activity.getByText('1 answer in 10 min · 1.2 tok/s', { exact: true })).toBeVisible();
    await activity.scrollIntoViewIfNeeded();
    await snap(popup, 'tokens-per-second');

    // Neither the prompt nor the answer reached the page, web mode's output or its log file.
    const logs = await logFolderText(web);
    expect(logs).toContain('lms log stream is streaming');
    for (const text of [prompt, ANSWER]) {
      expect(await popup.content()).not.toContain(text);
      expect(frames.length).toBeGreaterThan(0);
      expect(frames.filter((frame) => frame.includes(text))).toEqual([]);
      expect(web.output()).not.toContain(text);
      expect(logs).not.toContain(text);
    }
    expect(sim.state.wakeCount()).toBe(wakes);
  });

  test('Memory used by models: about the loaded models’ size, and less once one is unloaded', async ({
    popup,
    sim,
  }) => {
    const wakes = sim.state.wakeCount();
    const meter = popup.getByRole('meter', { name: 'Memory used by models', exact: true });
    await expect(meter).toBeVisible();
    await expect.poll(async () => Number(await meter.getAttribute('aria-valuenow'))).toBeGreaterThan(0);
    const before = await meter.getAttribute('aria-valuetext');
    expect(before).toMatch(/^About \S+ \S+ of .+ used by models · .+ free$/);
    // The value in text too, not only for assistive technology.
    await expect(popup.getByText(before!, { exact: true })).toBeVisible();
    await meter.scrollIntoViewIfNeeded();
    await snap(popup, 'memory-with-a-model');

    const loaded = popup.getByRole('region', { name: 'Loaded models', exact: true });
    await loaded.getByRole('button', { name: `Unload ${MODEL}`, exact: true }).click();
    await expect(loaded.getByRole('listitem')).toHaveCount(0);
    expect(sim.state.loaded()).toEqual([]);
    await expect(meter).toHaveAttribute('aria-valuenow', '0');
    const after = await meter.getAttribute('aria-valuetext');
    expect(after).toMatch(/^About /);
    expect(after).not.toBe(before);
    await expect(popup.getByText(after!, { exact: true })).toBeVisible();
    await meter.scrollIntoViewIfNeeded();
    await snap(popup, 'memory-after-unload');
    expect(sim.state.wakeCount()).toBe(wakes);
  });
});

test.describe('with an API token', () => {
  // A canary: the secret scan after `npm test` finds any copy of it outside its place.
  test.use({ simulatorOptions: { token: CANARY_API_TOKEN, loaded: [MODEL] } });

  test('Save diagnostics downloads the report with LM Studio’s version and no secret; Copy diagnostics copies it', async ({
    popup,
    sim,
    web,
  }) => {
    const wakes = sim.state.wakeCount();
    // An LM Studio version only the simulator knows: the report must have asked it.
    sim.configure({ lmStudioVersion: '0.4.7' });
    await popup.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.origin });
    await expect(serverStatus(popup)).toHaveText(/^Authentication required/);
    await popup.getByRole('textbox', { name: 'API token', exact: true }).fill(CANARY_API_TOKEN);
    await popup.getByRole('button', { name: 'Save token', exact: true }).click();
    await expect(serverStatus(popup)).toHaveText(/^Online/);
    // A request through the token, so the logs have seen it used.
    const answered = await chat(sim, 'journey-prompt-9b2d: one word for blue', CANARY_API_TOKEN);
    expect(answered.status).toBe(200);

    await popup.getByRole('button', { name: 'Settings', exact: true }).click();
    const diagnostics = popup.getByRole('region', { name: 'Diagnostics', exact: true });
    const save = diagnostics.getByRole('button', { name: 'Save diagnostics', exact: true });
    const [download] = await Promise.all([popup.waitForEvent('download'), save.click()]);
    const fileName = download.suggestedFilename();
    expect(fileName).toMatch(/^lmstudio-tray-diagnostics-\d{8}-\d{4}\.txt$/);
    await expect(diagnostics.getByRole('status')).toHaveText(`Downloaded ${fileName}`);
    const report = await readFile((await download.path())!, 'utf8');
    expect(report).toContain('LM Studio version: 0.4.7');
    expect(report).toMatch(/^LM Studio Tray: \S+ \(web mode\)$/m);
    // The page's browser, by name and version (headless Chromium says HeadlessChrome in its user agent).
    expect(report).toMatch(/^Browser: (Headless )?Chrom(e|ium) [\d.]+$/m);
    // The token is said to be there, never shown.
    expect(report).toMatch(/^apiToken: \(set\)$/m);
    expect(report).not.toContain(CANARY_API_TOKEN);
    expect(report).not.toContain(web.token);
    expect(report).not.toContain('journey-prompt-9b2d');
    expect(report).not.toContain(ANSWER);
    await snap(popup, 'diagnostics-saved');

    await diagnostics.getByRole('button', { name: 'Copy diagnostics', exact: true }).click();
    await expect(diagnostics.getByRole('status')).toHaveText('Copied');
    // The button keeps its name.
    await expect(diagnostics.getByRole('button', { name: 'Copy diagnostics', exact: true })).toBeVisible();
    const copied = await popup.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain('LM Studio version: 0.4.7');
    expect(copied).not.toContain(CANARY_API_TOKEN);
    expect(copied).not.toContain(web.token);
    await snap(popup, 'diagnostics-copied');
    // Nor did the log file the report quotes hold them.
    const logs = await logFolderText(web);
    expect(logs).not.toContain(CANARY_API_TOKEN);
    expect(logs).not.toContain(web.token);
    expect(sim.state.wakeCount()).toBe(wakes);
  });
});
