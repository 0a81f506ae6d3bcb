/**
 * Rows 8 and 9: the model list in the page. First paint, navigation start -> the first row of
 * `Downloaded models`, with 3 and with 1,000 models; typing in the filter with 1,000 models,
 * key press -> the list changed. Floor: a static page from a Node HTTP server rendering the same
 * 1,000 rows (and filtering them) with plain DOM, measured by the same in-page observer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright';
import { DEFAULT_MODELS, type SimModel, startSimulator } from '../../e2e/simulator/index';
import { newObservedContext, newObservedPage, pageLog } from '../lib/browser';
import type { BenchContext, BenchGroup } from '../lib/group';
import { none, type Row, samples, verdict } from '../lib/report';
import { pollUntil, sleep } from '../lib/stats';
import { startWebMode } from '../lib/web-mode';

const CAP_MS = 10_000;

export function manyModels(count: number): SimModel[] {
  const template = DEFAULT_MODELS[0]!;
  return Array.from({ length: count }, (_, i) => {
    const publisher = `publisher-${i % 40}`;
    const name = `bench-model-${String(i).padStart(4, '0')}`;
    return {
      ...template,
      key: `${publisher}/${name}`,
      displayName: `Bench Model ${i}`,
      publisher,
      path: `${publisher}/${name}-GGUF/${name}-Q4_K_M.gguf`,
    };
  });
}

/** The floor's page: the same rows, built and filtered with plain DOM. */
function staticListPage(models: readonly SimModel[]): string {
  const rows = models.map((m) => ({ key: m.key, name: m.displayName, size: `${(m.sizeBytes / 1e9).toFixed(2)} GB` }));
  return `<!doctype html><meta charset="utf-8"><title>floor</title>
<section aria-labelledby="h"><h2 id="h">Downloaded models</h2>
<input type="search" aria-label="Filter downloaded models"><ul></ul></section>
<script>
const rows = ${JSON.stringify(rows)};
const list = document.querySelector('ul');
const item = (r) => { const li = document.createElement('li'); li.textContent = r.name + ' · ' + r.key + ' · ' + r.size; return li; };
const show = (q) => list.replaceChildren(...rows.filter((r) => (r.name + ' ' + r.key).toLowerCase().includes(q)).map(item));
document.querySelector('input').addEventListener('input', (e) => show(e.target.value.trim().toLowerCase()));
show('');
</script>`;
}

/** Navigation start -> first row, in one browser context (cookie and HTTP cache warm after the first, uncounted, visit). */
async function firstPaints(browser: Browser, url: string, reps: number): Promise<number[]> {
  const context = await newObservedContext(browser);
  const times: number[] = [];
  try {
    for (let i = 0; i <= reps; i++) {
      const page = await context.newPage();
      await page.goto(url);
      const at = await pollUntil(async () => (await pageLog(page)).firstRowAt ?? undefined, CAP_MS);
      if (i > 0 && at !== undefined) times.push(at);
      await page.close();
    }
  } finally {
    await context.close();
  }
  return times;
}

/** Types a narrowing character, then Backspace, `reps` times: each key press -> the list changed. */
async function filterTimes(page: Page, reps: number): Promise<number[]> {
  await page.getByLabel('Filter downloaded models', { exact: true }).click();
  for (let i = 0; i < reps; i++) {
    for (const key of ['7', 'Backspace']) {
      const before = (await pageLog(page)).filterMs.length;
      await page.keyboard.press(key);
      await pollUntil(async () => ((await pageLog(page)).filterMs.length > before ? true : undefined), CAP_MS);
      await sleep(100);
    }
  }
  return (await pageLog(page)).filterMs;
}

export const listGroup: BenchGroup = {
  name: 'list',
  async run(ctx: BenchContext): Promise<Row[]> {
    const browser = await ctx.browser();
    const reps = ctx.quick ? 1 : ctx.reps;
    const thousand = manyModels(1000);
    const small = await startSimulator({ models: DEFAULT_MODELS.slice(0, 3) });
    const large = await startSimulator({ models: thousand });
    ctx.simulators.push(small, large);
    const html = staticListPage(thousand);
    const floorServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((resolve) => floorServer.listen(0, '127.0.0.1', resolve));
    const floorUrl = `http://127.0.0.1:${(floorServer.address() as AddressInfo).port}/`;
    // One after the other: a first start may build, and two builds at once would race.
    const webSmall = await startWebMode(small);
    const webLarge = await startWebMode(large);
    try {
      ctx.log('list: first paint, 3 models');
      const paint3 = await firstPaints(browser, webSmall.url, reps);
      ctx.log('list: first paint, 1,000 models');
      const paint1000 = await firstPaints(browser, webLarge.url, reps);
      ctx.log('list: first paint, floor');
      const paintFloor = await firstPaints(browser, floorUrl, reps);

      ctx.log('list: filter');
      const page = await newObservedPage(browser);
      await page.goto(webLarge.url);
      await pollUntil(async () => (await pageLog(page)).firstRowAt ?? undefined, CAP_MS);
      const filterOurs = await filterTimes(page, Math.ceil(reps / 2));
      await page.context().close();
      const floorPage = await newObservedPage(browser);
      await floorPage.goto(floorUrl);
      const filterFloor = await filterTimes(floorPage, Math.ceil(reps / 2));
      await floorPage.context().close();

      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
      const group = 'list';
      return [
        {
          group,
          id: 'first-paint-3',
          figure: 'first paint of the model list, navigation start → first row (page), 3 models',
          unit: 'ms',
          stat: 'p50',
          goal: '—',
          ours: samples(paint3, CAP_MS, reps - paint3.length),
          poller: verdict('no list'),
          checkOnce: none,
          floor: none,
        },
        {
          group,
          id: 'first-paint-1000',
          figure: 'first paint of the model list, navigation start → first row (page), 1,000 models',
          unit: 'ms',
          stat: 'p50',
          goal: '≤ 100',
          ours: samples(paint1000, CAP_MS, reps - paint1000.length),
          poller: verdict('no list'),
          checkOnce: none,
          floor: samples(paintFloor, CAP_MS, reps - paintFloor.length),
          note:
            paint3.length > 0 && paint1000.length > 0
              ? `1,000-model paint ÷ 3-model paint, medians: ${(median(paint1000) / median(paint3)).toFixed(2)}× (goal ≤ 1.2×). Floor: a static page from a Node HTTP server building the 1,000 rows with plain DOM.`
              : 'Floor: a static page from a Node HTTP server building the 1,000 rows with plain DOM.',
        },
        {
          group,
          id: 'filter-1000',
          figure: 'filter, 1,000 models: key press → list updated (page)',
          unit: 'ms',
          stat: 'p50',
          goal: 'p50 ≤ 50',
          ours: samples(filterOurs, CAP_MS, Math.ceil(reps / 2) * 2 - filterOurs.length),
          poller: verdict('no list'),
          checkOnce: none,
          floor: samples(filterFloor, CAP_MS, Math.ceil(reps / 2) * 2 - filterFloor.length),
          note: 'a narrowing key ("7") then Backspace, alternately; floor: replaceChildren with the matching rows.',
        },
      ];
    } finally {
      await webSmall.stop();
      await webLarge.stop();
      await new Promise((resolve) => floorServer.close(resolve));
      await small.close();
      await large.close();
    }
  },
};
