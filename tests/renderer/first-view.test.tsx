/**
 * Web mode's first view rendered on the server (renderer/src/first-view-server.tsx) and hydrated
 * in the page as main.tsx does: the page adopts the server's markup as it is (no second render,
 * no mismatch), even when its clock is far from the server's.
 */
import { act, StrictMode } from 'react';
import { hydrateRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App, loadFirstViewParts } from '../../renderer/src/App';
import { WINDOW_THRESHOLD } from '../../renderer/src/components/DownloadedModels';
import { firstViewTime } from '../../renderer/src/first-snapshot';
import { renderFirstView } from '../../renderer/src/first-view-server';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge } from './fake-bridge';
import {
  makeDownload,
  makeInstance,
  makeLoading,
  makeManyModels,
  makeModel,
  makeModelActivity,
  makeSnapshot,
  makeStatus,
  NOW,
} from './fixtures';

/** 1,000 models (a windowed list), one of them loaded with a TTL counting down from NOW. */
function bigSnapshot() {
  const models = makeManyModels(1000);
  const loaded = makeInstance({
    identifier: models[0]!.key,
    modelKey: models[0]!.key,
    ttlMs: 30 * 60_000,
    lastUsedTime: NOW,
  });
  models[0] = { ...models[0]!, loadedInstances: [loaded] };
  const snapshot = makeSnapshot({ app: { version: '0.1.0', platform: 'linux', transport: 'web', logFile: null } });
  return { ...snapshot, models: { ...snapshot.models, models, loaded: [loaded] } };
}

// act() flushes the hydration and its effects (testing-library sets this for its own render).
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root | undefined;
beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
});
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  container.remove();
  vi.useRealTimers();
});

describe('the first view rendered on the server', () => {
  it('renders the visible rows only, with no style attribute (the CSP would block it)', () => {
    const html = renderFirstView(bigSnapshot());
    const rows = html.match(/<li class="row row--model/g) ?? [];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(WINDOW_THRESHOLD);
    expect(html).toContain('aria-setsize="1000"');
    expect(html).not.toMatch(/\sstyle=/);
    // The TTL as of the snapshot's own time.
    expect(html).toContain('unloads in 30 min');
  });

  it('is hydrated as it is, then the TTL follows the page clock', async () => {
    const snapshot = bigSnapshot();
    container.innerHTML = renderFirstView(snapshot);
    const firstRow = container.querySelector('li.row--model');
    const recoverable = vi.fn();
    // The page's clock is 12 minutes past the snapshot's: the hydrating render must not use it.
    vi.useFakeTimers({ now: NOW + 12 * 60_000, toFake: ['Date'] });
    const store = createTrayStore(createFakeBridge(snapshot), snapshot);
    await act(async () => {
      root = hydrateRoot(
        container,
        <StrictMode>
          <App store={store} renderedAsOf={firstViewTime(snapshot)} />
        </StrictMode>,
        { onRecoverableError: recoverable },
      );
    });
    expect(recoverable).not.toHaveBeenCalled();
    // The same element: adopted, not rebuilt.
    expect(container.querySelector('li.row--model')).toBe(firstRow);
    expect(container.textContent).toContain('unloads in 18 min');
    expect(container.textContent).not.toContain('unloads in 30 min');
  });

  it('renders the parts that load on demand at once: download rows, the state’s fix, a load in progress', () => {
    const html = renderFirstView(
      makeSnapshot({
        status: makeStatus({ state: 'offline', checkedAt: NOW }),
        models: { models: [makeModel()], loaded: [], stale: true, updatedAt: NOW, source: 'v1' },
        downloads: [makeDownload({ status: 'retrying', attempt: 2, nextRetryAt: NOW + 28_000 })],
        loading: [makeLoading({ modelKey: 'qwen/qwen3-4b', via: 'lms', progress: 0.5 })],
      }),
    );
    expect(html).toContain('Retrying in 28 s (attempt 2)');
    expect(html).toContain('aria-label="Retry download of google/gemma-3-12b"');
    expect(html).toContain('Start server');
    expect(html).toContain('Loading via lms · 50%');
  });

  it('renders the Activity region at once, its chart drawn as of the snapshot’s time, and hydrates it as it is', async () => {
    const snapshot = makeSnapshot({
      app: { version: '0.1.0', platform: 'linux', transport: 'web', logFile: null },
      activity: {
        state: 'following',
        message: null,
        models: [makeModelActivity({ inProgress: 1, possiblyStuckSince: NOW - 14 * 60_000 })],
      },
    });
    snapshot.models.loaded = [makeInstance()];
    snapshot.status.checkedAt = NOW;
    const html = renderFirstView(snapshot);
    expect(html).toContain('aria-labelledby="activity-heading"');
    expect(html).toContain('qwen/qwen3-4b · 3 requests in 5 min · 42.0 tok/s median · TTFT 0.3 s');
    expect(html).toContain('Generating');
    // React separates text parts with empty comments.
    expect(html.replaceAll('<!-- -->', '')).toContain('Possibly stuck: a request has run for 14 min');
    expect(html).not.toMatch(/\sstyle=/);
    container.innerHTML = html;
    const chart = container.querySelector('svg.chart');
    expect(chart).not.toBeNull();
    const recoverable = vi.fn();
    await loadFirstViewParts(snapshot);
    // The page's clock is 5 minutes on: the hydrating render still draws as of the snapshot.
    vi.useFakeTimers({ now: NOW + 5 * 60_000, toFake: ['Date'] });
    const store = createTrayStore(createFakeBridge(snapshot), snapshot);
    await act(async () => {
      root = hydrateRoot(
        container,
        <StrictMode>
          <App store={store} renderedAsOf={firstViewTime(snapshot)} />
        </StrictMode>,
        { onRecoverableError: recoverable },
      );
    });
    expect(recoverable).not.toHaveBeenCalled();
    // Adopted, not rebuilt; then the page's own clock takes over.
    expect(container.querySelector('svg.chart')).toBe(chart);
    expect(container.textContent).toContain('Possibly stuck: a request has run for 19 min');
  });

  it('hydrates download rows as they are, then their countdown follows the page clock', async () => {
    const snapshot = makeSnapshot({
      app: { version: '0.1.0', platform: 'linux', transport: 'web', logFile: null },
      downloads: [
        makeDownload({ status: 'retrying', attempt: 2, nextRetryAt: NOW + 28_000 }),
        makeDownload({ id: 'd2', model: 'x/y', status: 'waiting' }),
      ],
    });
    container.innerHTML = renderFirstView(snapshot);
    const firstRow = container.querySelector('li.row--download');
    expect(firstRow?.textContent).toContain('Retrying in 28 s (attempt 2)');
    const recoverable = vi.fn();
    // As main.tsx does: the parts the snapshot shows are here before hydrating.
    await loadFirstViewParts(snapshot);
    vi.useFakeTimers({ now: NOW + 12_000, toFake: ['Date'] });
    const store = createTrayStore(createFakeBridge(snapshot), snapshot);
    await act(async () => {
      root = hydrateRoot(
        container,
        <StrictMode>
          <App store={store} renderedAsOf={firstViewTime(snapshot)} />
        </StrictMode>,
        { onRecoverableError: recoverable },
      );
    });
    expect(recoverable).not.toHaveBeenCalled();
    expect(container.querySelector('li.row--download')).toBe(firstRow);
    expect(firstRow?.textContent).toContain('Retrying in 16 s (attempt 2)');
  });
});
