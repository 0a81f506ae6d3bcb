import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ROW_HEIGHT, WINDOW_THRESHOLD } from '../../renderer/src/components/DownloadedModels';
import { computeWindow } from '../../renderer/src/windowing';
import { makeManyModels, makeSnapshot } from './fixtures';
import { renderPopup } from './render';

afterEach(cleanup);

describe('computeWindow', () => {
  const base = { count: 1000, rowHeight: 64, viewportHeight: 320, overscan: 2, expanded: null };

  it('renders the rows in view plus the overscan, with the rest as padding', () => {
    expect(computeWindow({ ...base, scrollTop: 0 })).toEqual({
      start: 0,
      end: 8,
      paddingTop: 0,
      paddingBottom: (1000 - 8) * 64,
      totalHeight: 64_000,
    });
    const middle = computeWindow({ ...base, scrollTop: 640 });
    expect(middle.start).toBe(8);
    expect(middle.end).toBe(18);
    expect(middle.paddingTop).toBe(8 * 64);
  });

  it('stops at the ends of the list', () => {
    const end = computeWindow({ ...base, scrollTop: 64_000 });
    expect(end.end).toBe(1000);
    expect(end.paddingBottom).toBe(0);
    expect(computeWindow({ ...base, count: 0, scrollTop: 0 })).toMatchObject({ start: 0, end: 0, totalHeight: 0 });
  });

  it('accounts for one expanded row taller than the rest', () => {
    const expanded = { index: 5, extraHeight: 100 };
    const below = computeWindow({ ...base, overscan: 0, scrollTop: 10 * 64 + 100, expanded });
    expect(below.start).toBe(10);
    expect(below.paddingTop).toBe(10 * 64 + 100);
    expect(below.totalHeight).toBe(64_000 + 100);
    // Scrolled into the expanded row's extra space: that row is still the first one shown.
    expect(computeWindow({ ...base, overscan: 0, scrollTop: 6 * 64 + 50, expanded }).start).toBe(5);
  });
});

describe('1,000 downloaded models', () => {
  const models = makeManyModels(1000);
  const snapshot = makeSnapshot({ models: { models, loaded: [], stale: false, updatedAt: 1, source: 'v1' } });

  it('renders only a window of rows, each saying its place in the whole list', async () => {
    expect(models.length).toBeGreaterThan(WINDOW_THRESHOLD);
    await renderPopup(snapshot);
    const region = screen.getByRole('region', { name: 'Downloaded models' });
    const items = within(region).getAllByRole('listitem');
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThan(40);
    expect(items.map((item) => item.getAttribute('aria-setsize'))).toEqual(items.map(() => '1000'));
    expect(items.map((item) => item.getAttribute('aria-posinset'))).toEqual(items.map((_, i) => String(i + 1)));
    expect(items[0]!.textContent).toContain('publisher-0/model-0000');
  });

  it('renders later rows when the list scrolls', async () => {
    await renderPopup(snapshot);
    const region = screen.getByRole('region', { name: 'Downloaded models' });
    const scroller = region.querySelector('.model-scroll') as HTMLElement;
    await act(async () => {
      scroller.scrollTop = 500 * ROW_HEIGHT;
      fireEvent.scroll(scroller);
    });
    const items = within(region).getAllByRole('listitem');
    const positions = items.map((item) => Number(item.getAttribute('aria-posinset')));
    expect(positions).toContain(501);
    expect(positions).not.toContain(1);
    expect(within(region).getByRole('button', { name: 'Load publisher-3/model-0500' })).toBeTruthy();
  });

  it('filters the whole list, not only the rendered rows', async () => {
    await renderPopup(snapshot);
    const region = screen.getByRole('region', { name: 'Downloaded models' });
    expect(within(region).queryByText('publisher-5/model-0999')).toBeNull();
    fireEvent.change(within(region).getByRole('searchbox', { name: 'Filter downloaded models' }), {
      target: { value: 'model-0999' },
    });
    await waitFor(() => expect(within(region).getAllByRole('listitem')).toHaveLength(1));
    const item = within(region).getByRole('listitem');
    expect(item.textContent).toContain('publisher-5/model-0999');
    expect(item.getAttribute('aria-setsize')).toBe('1');

    fireEvent.change(within(region).getByRole('searchbox', { name: 'Filter downloaded models' }), {
      target: { value: 'publisher-4 0998' },
    });
    await waitFor(() => expect(within(region).getByRole('listitem').textContent).toContain('model-0998'));

    fireEvent.change(within(region).getByRole('searchbox', { name: 'Filter downloaded models' }), {
      target: { value: 'no such model' },
    });
    await waitFor(() => expect(within(region).queryAllByRole('listitem')).toHaveLength(0));
    expect(region.textContent).toContain('No downloaded model matches “no such model”.');
  });

  it('does not window a short list', async () => {
    await renderPopup(
      makeSnapshot({ models: { models: models.slice(0, 50), loaded: [], stale: false, updatedAt: 1, source: 'v1' } }),
    );
    const region = screen.getByRole('region', { name: 'Downloaded models' });
    expect(within(region).getAllByRole('listitem')).toHaveLength(50);
    expect(region.querySelector('.model-scroll')).toBeNull();
  });
});
