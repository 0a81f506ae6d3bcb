/**
 * Rows 8 and 9: the model list in the page. First paint, navigation start -> the first row of
 * `Downloaded models`, with 3 and with 1,000 models, both in a new tab and in a tab already open;
 * typing in the filter with 1,000 models, key press -> the list changed. Floor: a static page
 * from a Node HTTP server, with the popup's own security headers, building the same 1,000 rows
 * (and filtering them) with plain DOM, measured by the same in-page observer, in the same way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright';
import { DEFAULT_MODELS, type SimModel, startSimulator } from '../../e2e/simulator/index';
import { SECURITY_HEADERS } from '../../electron/web/server';
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

/**
 * The floor's page: the same rows, built and filtered with plain DOM by a script file (the
 * popup's CSP, which the floor is served with, allows no inline script).
 */
function staticListPage(models: readonly SimModel[]): { html: string; script: string } {
  const rows = models.map((m) => ({ key: m.key, name: m.displayName, size: `${(m.sizeBytes / 1e9).toFixed(2)} GB` }));
  const html = `<!doctype html><meta charset="utf-8"><title>floor</title>
<section aria-labelledby="h"><h2 id="h">Downloaded models</h2>
<input type="search" aria-label="Filter downloaded models"><ul></ul></section>
<script src="/floor.js"></script>`;
  const script = `const rows = ${JSON.stringify(rows)};
const list = document.querySelector('ul');
const item = (r) => { const li = document.createElement('li'); li.textContent = r.name + ' · ' + r.key + ' · ' + r.size; return li; };
const show = (q) => list.replaceChildren(...rows.filter((r) => (r.name + ' ' + r.key).toLowerCase().includes(q)).map(item));
document.querySelector('input').addEventListener('input', (e) => show(e.target.value.trim().toLowerCase()));
show('');`;
  return { html, script };
}

/** Serves the floor's page, with the popup's security headers or (`plain`) none. */
async function startFloorServer(page: { html: string; script: string }, plain = false) {
  const headers = plain ? {} : SECURITY_HEADERS;
  const server = http.createServer((req, res) => {
    if (req.url === '/floor.js') res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(page.script);
    else res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(page.html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * How a first paint is opened:
 * - `new tab`: each repetition opens a tab and navigates it. The popup's Cross-Origin-Opener-Policy
 *   (and the floor's, served with the same headers) gives the page a renderer process of its own,
 *   started for it, whose V8 has compiled nothing yet.
 * - `open tab`: one tab navigates to the page again and again, as a popup the user reopens: its
 *   renderer, and the code V8 compiled there, are warm.
 */
export type Opening = 'new tab' | 'open tab';

/**
 * Navigation start -> first row, `reps` times for each of `urls`, the pages taking turns so that a
 * busy machine weighs on all of them alike. Each page has a browser context of its own; its first,
 * uncounted, visit signs in (the printed `?token=` address) and warms the HTTP cache, and the
 * counted ones use the address without the token, as a reopened tab or a bookmark does.
 */
async function firstPaints<const Urls extends readonly string[]>(
  browser: Browser,
  urls: Urls,
  opening: Opening,
  reps: number,
): Promise<{ [K in keyof Urls]: number[] }> {
  const times = urls.map((): number[] => []);
  const contexts = await Promise.all(urls.map(() => newObservedContext(browser)));
  const openTabs = new Map<number, Page>();
  try {
    for (let i = 0; i <= reps; i++) {
      for (const [index, url] of urls.entries()) {
        const context = contexts[index]!;
        const reuse = opening === 'open tab' ? openTabs.get(index) : undefined;
        const page = reuse ?? (await context.newPage());
        if (opening === 'open tab') openTabs.set(index, page);
        await page.goto(i === 0 ? url : withoutQuery(url));
        const at = await pollUntil(async () => (await pageLog(page)).firstRowAt ?? undefined, CAP_MS);
        if (i > 0 && at !== undefined) times[index]!.push(at);
        if (opening === 'new tab') await page.close();
      }
    }
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
  }
  return times as { [K in keyof Urls]: number[] };
}

function withoutQuery(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  return parsed.href;
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
    const floorPage = staticListPage(thousand);
    const floor = await startFloorServer(floorPage);
    const floor3 = await startFloorServer(staticListPage(DEFAULT_MODELS.slice(0, 3)));
    const plainFloor = await startFloorServer(floorPage, true);
    // One after the other: a first start may build, and two builds at once would race.
    const webSmall = await startWebMode(small);
    const webLarge = await startWebMode(large);
    try {
      ctx.log('list: first paint in a new tab (3 and 1,000 models: ours, the floor; the floor without headers)');
      const [newTab3, newTab1000, newTabFloor3, newTabFloor, newTabPlainFloor] = await firstPaints(
        browser,
        [webSmall.url, webLarge.url, floor3.url, floor.url, plainFloor.url],
        'new tab',
        reps,
      );
      ctx.log('list: first paint in an open tab (3 and 1,000 models: ours, the floor)');
      const [openTab3, openTab1000, openTabFloor3, openTabFloor] = await firstPaints(
        browser,
        [webSmall.url, webLarge.url, floor3.url, floor.url],
        'open tab',
        reps,
      );

      ctx.log('list: filter');
      const page = await newObservedPage(browser);
      await page.goto(webLarge.url);
      await pollUntil(async () => (await pageLog(page)).firstRowAt ?? undefined, CAP_MS);
      const filterOurs = await filterTimes(page, Math.ceil(reps / 2));
      await page.context().close();
      const floorTab = await newObservedPage(browser);
      await floorTab.goto(floor.url);
      const filterFloor = await filterTimes(floorTab, Math.ceil(reps / 2));
      await floorTab.context().close();

      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
      const ratio = (a: number[], b: number[]) => {
        const [top, bottom] = [median(a), median(b)];
        return top === undefined || bottom === undefined ? 'n/a' : `${(top / bottom).toFixed(2)}×`;
      };
      const group = 'list';
      const paint = (
        id: string,
        opening: Opening,
        models: string,
        ours: number[],
        floorTimes: number[] | null,
        goal: string,
        note: string,
      ): Row => ({
        group,
        id,
        figure: `first paint of the model list, navigation start → first row (page), ${opening}, ${models}`,
        unit: 'ms',
        stat: 'p50',
        goal,
        ours: samples(ours, CAP_MS, reps - ours.length),
        poller: verdict('no list'),
        checkOnce: none,
        floor: floorTimes ? samples(floorTimes, CAP_MS, reps - floorTimes.length) : none,
        note,
      });
      const plainFloorP50 = median(newTabPlainFloor);
      return [
        paint(
          'first-paint-3',
          'new tab',
          '3 models',
          newTab3,
          newTabFloor3,
          '—',
          'Each repetition opens a tab (see the 1,000-model row); floor: the static page with 3 rows.',
        ),
        paint(
          'first-paint-1000',
          'new tab',
          '1,000 models',
          newTab1000,
          newTabFloor,
          '≤ 100',
          `1,000-model paint ÷ 3-model paint, medians: ${ratio(newTab1000, newTab3)} (goal ≤ 1.2×). Each repetition opens a tab: the popup's Cross-Origin-Opener-Policy starts a renderer process for it, whose V8 compiles the popup's JavaScript from scratch; web mode sends the first view already rendered as HTML (the page hydrates it), so the first row does not wait for that. Floor: a static page building the 1,000 rows with plain DOM, served with the popup's security headers, opened the same way; without those headers Playwright's blank tab keeps its process and the floor paints in ${plainFloorP50 === undefined ? 'n/a' : Math.round(plainFloorP50)} ms p50.`,
        ),
        paint(
          'first-paint-3-open-tab',
          'open tab',
          '3 models',
          openTab3,
          openTabFloor3,
          '—',
          'One tab navigates again and again (see the 1,000-model row); floor: the static page with 3 rows.',
        ),
        paint(
          'first-paint-1000-open-tab',
          'open tab',
          '1,000 models',
          openTab1000,
          openTabFloor,
          '≤ 100',
          `1,000-model paint ÷ 3-model paint, medians: ${ratio(openTab1000, openTab3)} (goal ≤ 1.2×). One tab navigates to the popup again and again, as when the user goes back to a tab already open: its renderer process, and the code V8 compiled there, are warm. (The desktop app does not even navigate: it keeps its popup window and shows it again.) Floor: the same static page, navigated the same way.`,
        ),
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
      await floor.close();
      await floor3.close();
      await plainFloor.close();
      await small.close();
      await large.close();
    }
  },
};
