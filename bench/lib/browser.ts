/**
 * Chromium (as e2e/find-chromium.ts finds it) through Playwright, and an observer installed in
 * every page before its own scripts run, so times are taken in the page: the `Server status`
 * text and every progress bar's `aria-valuenow` (Date.now(), to compare with the bench's
 * Date.now() at the event), the text of the `Activity` region (Date.now()), the first row of
 * `Downloaded models` (performance.now(), i.e. since navigation start), and how long the list
 * takes to change after a key is pressed.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright';
import { chromiumOrExit, machineLookup } from '../../e2e/find-chromium';

export async function launchChromium(): Promise<Browser> {
  const args = [
    '--headless=new',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  const executablePath = chromiumOrExit(machineLookup(() => chromium.executablePath()));
  return chromium.launch({ executablePath, args });
}

export interface PageLog {
  status: Array<{ text: string; at: number }>;
  progress: Array<{ value: string | null; at: number }>;
  activity: Array<{ text: string; at: number }>;
  firstRowAt: number | null;
  /** Key press -> first change of the list, ms (performance.now()). */
  filterMs: number[];
}

/**
 * The observer, as plain JavaScript source: a TypeScript function would be serialised after
 * tsx's transform, which adds helpers (`__name`) the page does not have.
 */
const OBSERVER_SOURCE = `(() => {
  const log = { status: [], progress: [], activity: [], firstRowAt: null, filterMs: [] };
  window.__bench = log;
  let lastStatus = null;
  let lastActivity = null;
  const lastProgress = new Map();
  let keyAt = null;

  function namedRegion(name) {
    for (const el of document.querySelectorAll('[aria-label], [aria-labelledby]')) {
      const labelledBy = el.getAttribute('aria-labelledby');
      const label = el.getAttribute('aria-label') ?? (labelledBy ? document.getElementById(labelledBy)?.textContent : null);
      if (label?.trim() === name) return el;
    }
    return null;
  }

  document.addEventListener('keydown', () => { keyAt = performance.now(); }, true);

  new MutationObserver((records) => {
    const at = Date.now();
    const now = performance.now();
    const status = document.querySelector('[role="status"][aria-label="Server status"]');
    const text = status ? status.textContent : null;
    if (text !== null && text !== lastStatus) {
      lastStatus = text;
      log.status.push({ text, at });
    }
    for (const bar of document.querySelectorAll('[role="progressbar"]')) {
      const value = bar.getAttribute('aria-valuenow');
      if (lastProgress.get(bar) !== value) {
        lastProgress.set(bar, value);
        log.progress.push({ value, at });
      }
    }
    const activity = namedRegion('Activity');
    const activityText = activity ? activity.textContent : null;
    if (activityText !== null && activityText !== lastActivity) {
      lastActivity = activityText;
      log.activity.push({ text: activityText, at });
    }
    const downloaded = namedRegion('Downloaded models');
    if (log.firstRowAt === null && downloaded?.querySelector('li, [role="listitem"]')) log.firstRowAt = now;
    if (keyAt !== null && downloaded) {
      const listChanged = records.some(
        (r) => r.type !== 'attributes' && downloaded.contains(r.target) && !(r.target instanceof HTMLInputElement),
      );
      if (listChanged) {
        log.filterMs.push(now - keyAt);
        keyAt = null;
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-valuenow'] });
})();`;

/** A browser context (the popup's viewport) whose every page runs the observer. */
export async function newObservedContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 380, height: 560 } });
  await context.addInitScript({ content: OBSERVER_SOURCE });
  return context;
}

/** A page in a context of its own, observed. */
export async function newObservedPage(browser: Browser): Promise<Page> {
  return (await newObservedContext(browser)).newPage();
}

/** Waits until React has adopted the page (main.tsx marks <html data-live>): a click before it is held. */
export async function waitUntilLive(page: Page): Promise<void> {
  await page.locator('html[data-live]').waitFor({ state: 'attached', timeout: 30_000 });
}

export function pageLog(page: Page): Promise<PageLog> {
  return page.evaluate(() => (globalThis as unknown as { __bench: PageLog }).__bench);
}

/** The page's Date.now() of the first status text since `since` that `matches`, or undefined after `capMs`. */
export async function statusChangeAt(page: Page, since: number, matches: (text: string) => boolean, capMs: number) {
  const deadline = Date.now() + capMs;
  for (;;) {
    const { status } = await pageLog(page);
    const hit = status.find((entry) => entry.at >= since && matches(entry.text));
    if (hit) return hit.at;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function currentStatus(page: Page): Promise<string> {
  return (await pageLog(page)).status.at(-1)?.text ?? '';
}

export const isOnline = (text: string) => text.startsWith('Online');
