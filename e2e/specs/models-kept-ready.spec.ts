/**
 * Issue 9's model journeys: `Keep MODELKEY loaded` bringing a model back after LM Studio unloads
 * it on its own, the memory estimate following the load options, and LM Studio's guardrails
 * (the `Load MODELKEY anyway?` question, then its refusal as one clear alert). LM Studio is up
 * throughout, so nothing here may wake it.
 */
import { totalmem } from 'node:os';
import type { Page } from '@playwright/test';
import { DEFAULT_GPU, type Simulator } from '../simulator/index';
import { expect, snap, test } from './fixtures';

const GIB = 1024 ** 3;
/** Memory as the popup writes it (GiB of 1024^3, one decimal), for figures this test knows. */
const gib = (bytes: number) => `${Number((bytes / GIB).toFixed(1))} GiB`;
/** `Needs about 15.2 GiB (GPU 0 GiB) · …`: the total and the GPU share, in GiB. */
const ESTIMATE = /^Needs about (\d+(?:\.\d)?) GiB \(GPU (\d+(?:\.\d)?) GiB\) · (.+)$/;
const ALLOWED = 'LM Studio’s guardrails allow it';
const REFUSED = 'over LM Studio’s guardrails: it would likely be refused';

const regions = (popup: Page) => ({
  loaded: popup.getByRole('region', { name: 'Loaded models', exact: true }),
  downloaded: popup.getByRole('region', { name: 'Downloaded models', exact: true }),
});

/** The estimate line of the open load options, as figures; null while it says something else. */
async function readEstimate(popup: Page) {
  const text = await popup
    .getByText(/^Needs about /)
    .textContent({ timeout: 1_000 })
    .catch(() => null);
  const match = text?.match(ESTIMATE);
  return match ? { total: Number(match[1]), gpu: Number(match[2]), verdict: match[3] } : null;
}

/** How many times the core has read LM Studio's model list so far. */
const listReads = (sim: Simulator) =>
  sim.state.requests().filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/models')).length;

test('Keep MODELKEY loaded brings the model back after LM Studio unloads it, until the user unloads it', async ({
  popup,
  sim,
}) => {
  const key = 'google/gemma-3-12b';
  const { loaded, downloaded } = regions(popup);
  const wakes = sim.state.wakeCount();
  await expect(loaded.getByRole('listitem')).toHaveCount(0);

  await downloaded.getByRole('button', { name: `Load options for ${key}`, exact: true }).click();
  const keep = popup.getByRole('switch', { name: `Keep ${key} loaded`, exact: true });
  await expect(keep).not.toBeChecked();
  await keep.click();
  // Turned on for a model that is not loaded: the keeper loads it.
  const unload = loaded.getByRole('button', { name: `Unload ${key}`, exact: true });
  await expect(unload).toBeVisible({ timeout: 20_000 });
  await expect(keep).toBeChecked();
  await expect(loaded.getByRole('listitem')).toHaveCount(1);
  await expect(loaded.getByRole('listitem').getByText('Kept loaded', { exact: true })).toBeVisible();
  expect(sim.state.loaded().map((i) => i.identifier)).toEqual([key]);

  // LM Studio unloads it on its own (TTL, JIT auto-evict): no request, only the next list shows it.
  expect(sim.evict(key)).toBe(true);
  expect(sim.state.loaded()).toEqual([]);
  // Nobody clicks anything: it is loaded again, once (no `:2` instance).
  await expect.poll(() => sim.state.loaded().map((i) => i.identifier), { timeout: 30_000 }).toEqual([key]);
  await expect(loaded.getByRole('listitem')).toHaveCount(1);
  await expect(unload).toBeVisible();
  await expect(loaded.getByRole('listitem').getByText('Kept loaded', { exact: true })).toBeVisible();
  await expect(keep).toBeChecked();
  await loaded.scrollIntoViewIfNeeded();
  await snap(popup, 'kept-model-back-after-eviction');

  // The user's own unload wins: the switch turns off and the popup says so.
  await unload.click();
  await expect(
    popup.getByRole('status').filter({ hasText: `Keep ${key} loaded is now off: you unloaded it.` }),
  ).toHaveText(`Keep ${key} loaded is now off: you unloaded it.`);
  await expect(keep).not.toBeChecked();
  await expect(loaded.getByRole('listitem')).toHaveCount(0);
  await expect(popup.getByText('Kept loaded', { exact: true })).toHaveCount(0);
  // It stays unloaded: LM Studio's list is read twice more and the keeper loads nothing.
  const readsAfterUnload = listReads(sim);
  await expect.poll(() => listReads(sim), { timeout: 30_000 }).toBeGreaterThanOrEqual(readsAfterUnload + 2);
  expect(sim.state.loaded()).toEqual([]);
  await expect(loaded.getByRole('listitem')).toHaveCount(0);
  await snap(popup, 'kept-model-switched-off-by-unload');
  expect(sim.state.wakeCount()).toBe(wakes);
});

test('the memory estimate grows with the context length, beside the machine’s memory', async ({ popup, sim }) => {
  const key = 'google/gemma-3-12b';
  const model = sim.state.models().find((m) => m.key === key)!;
  const { downloaded } = regions(popup);
  const wakes = sim.state.wakeCount();

  await downloaded.getByRole('button', { name: `Load options for ${key}`, exact: true }).click();
  const context = popup.getByRole('spinbutton', { name: 'Context length', exact: true });
  const gpu = popup.getByRole('combobox', { name: 'GPU offload', exact: true });
  await context.fill('8192');
  await gpu.selectOption({ label: 'Off (CPU only)' });
  // CPU only: nothing on the GPU, which tells this answer from the one for the defaults.
  await expect.poll(() => readEstimate(popup)).toMatchObject({ gpu: 0, verdict: ALLOWED });
  const small = (await readEstimate(popup))!;
  // The model's weights at least, plus its context.
  expect(small.total).toBeGreaterThanOrEqual(Number((model.sizeBytes / GIB).toFixed(1)));
  // The machine beside it: the OS's RAM, and the VRAM `lms runtime survey` reports.
  const ram = gib(totalmem()).replace('.', '\\.');
  const vram = gib(DEFAULT_GPU.vramBytes).replace('.', '\\.');
  await expect(popup.getByText(/^This machine: /)).toHaveText(
    new RegExp(`^This machine: RAM ${ram}, \\d+(\\.\\d)? GiB free · VRAM ${vram}$`),
  );
  await popup.getByText(/^This machine: /).scrollIntoViewIfNeeded();
  await snap(popup, 'estimate-short-context');

  // The longest context it takes: many times the KV cache, a much larger figure.
  await context.fill(String(model.maxContextLength));
  await expect.poll(async () => (await readEstimate(popup))?.total ?? 0).toBeGreaterThan(small.total + 1);
  const large = (await readEstimate(popup))!;
  expect(large).toMatchObject({ gpu: 0, verdict: ALLOWED });

  // All of it on the GPU: the same total, now the GPU's share too.
  await gpu.selectOption({ label: 'Max' });
  await expect.poll(() => readEstimate(popup)).toEqual({ total: large.total, gpu: large.total, verdict: ALLOWED });
  await popup.getByText(/^This machine: /).scrollIntoViewIfNeeded();
  await snap(popup, 'estimate-long-context');
  expect(sim.state.loaded()).toEqual([]);
  expect(sim.state.wakeCount()).toBe(wakes);
});

test('a load over the guardrails asks first, and LM Studio’s refusal is one clear alert', async ({ popup, sim }) => {
  const key = 'google/gemma-3-12b';
  const { loaded, downloaded } = regions(popup);
  const wakes = sim.state.wakeCount();
  // Guardrails at 4 GiB: this 8 GB model fails them at any context length.
  sim.configure({ guardrailThresholdBytes: 4 * GIB });
  const loadRequests = () =>
    sim.state.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/models/load')).length +
    sim.state.lmsInvocations().filter((argv) => argv[0] === 'load' && !argv.includes('--estimate-only')).length;

  // The options' estimate (LM Studio's defaults, as `Load MODELKEY` uses) says it will be refused.
  await downloaded.getByRole('button', { name: `Load options for ${key}`, exact: true }).click();
  await expect.poll(async () => (await readEstimate(popup))?.verdict).toBe(REFUSED);

  const load = downloaded.getByRole('button', { name: `Load ${key}`, exact: true });
  const dialog = popup.getByRole('alertdialog', { name: `Load ${key} anyway?`, exact: true });
  await load.click();
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('“Model loading guardrails”');
  await snap(popup, 'load-anyway-question');
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  expect(loadRequests()).toBe(0);
  expect(sim.state.loaded()).toEqual([]);

  await load.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Try anyway', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  // LM Studio was asked, and refused: one alert, in words, naming the setting, no stack trace.
  const alert = popup.getByRole('alert');
  await expect(alert).toHaveCount(1);
  await expect(alert).toContainText(`LM Studio refused to load ${key}`);
  await expect(alert).toContainText('"Model loading guardrails"');
  expect(await alert.textContent()).not.toMatch(/(^|\n)\s*at /);
  expect(loadRequests()).toBe(1);
  expect(sim.state.loaded()).toEqual([]);
  await expect(loaded.getByRole('listitem')).toHaveCount(0);
  await snap(popup, 'guardrail-refusal');
  expect(sim.state.wakeCount()).toBe(wakes);
});
