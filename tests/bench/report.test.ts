import { describe, expect, it } from 'vitest';
import { markdownTable, none, type Row, samples, value, verdict } from '../../bench/lib/report';
import { parseBenchArgs } from '../../bench/run';

function row(patch: Partial<Row>): Row {
  return {
    id: 'x',
    group: 'g',
    figure: 'a figure',
    unit: 'ms',
    stat: 'p95',
    goal: '≤ 1',
    ours: samples([10, 20], 1000),
    poller: none,
    checkOnce: none,
    floor: none,
    ...patch,
  };
}

const cells = (table: string) =>
  table
    .split('\n')[2]!
    .split(' | ')
    .map((cell) => cell.replace(/^\| |\s\|$/g, ''));

describe('bench table', () => {
  it('shows p50 / p95 with the ratios of the headline statistic', () => {
    const [, , ours, poller, , floor, oursOverFloor, pollerOverOurs] = cells(
      markdownTable([
        row({ ours: samples([10, 20], 1000), poller: samples([100, 200], 1000), floor: samples([1, 2], 1000) }),
      ]),
    );
    expect([ours, poller, floor]).toEqual(['10 / 20', '100 / 200', '1.0 / 2.0']);
    expect([oursOverFloor, pollerOverOurs]).toEqual(['10.0×', '10.0×']);
  });

  it('says when repetitions saw nothing within the cap, and bounds the ratio instead of inventing one', () => {
    const table = markdownTable([row({ poller: samples([3000], 15_000, 1), ours: samples([], 10_000, 2) })]);
    const [, , ours, poller, , , , pollerOverOurs] = cells(table);
    expect(ours).toBe('not within 10 s (0 of 2)');
    expect(poller).toBe('3000 / > 15 s (1 of 2 not within 15 s)');
    expect(pollerOverOurs).toBe('—');
    const [, , , , , , , bounded] = cells(markdownTable([row({ poller: samples([], 15_000, 1), ours: value(100) })]));
    expect(bounded).toBe('> 150×');
  });

  it('treats "never" as infinitely slower and numbers its notes', () => {
    const table = markdownTable([row({ ours: value(50), stat: 'value', poller: verdict('never'), note: 'why' })]);
    expect(cells(table)[7]).toBe('∞');
    expect(cells(table)[0]).toBe('a figure [1]');
    expect(table).toContain('[1] why');
  });
});

describe('bench arguments', () => {
  it('accepts --quick, --only and --out, and refuses an unknown group or flag', () => {
    expect(parseBenchArgs(['--quick', '--only', 'status,idle', '--out', '/tmp/x'])).toEqual({
      quick: true,
      only: ['status', 'idle'],
      outDir: '/tmp/x',
    });
    expect(() => parseBenchArgs(['--only', 'nope'])).toThrow(/Unknown group nope; groups: status, idle/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/Unknown argument --fast/);
  });
});
