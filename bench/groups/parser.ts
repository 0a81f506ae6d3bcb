/** Throughput of the `lms get` output parser (bench/lms-parsers.bench.ts), in the same table. */
import type { BenchContext, BenchGroup } from '../lib/group';
import { none, type Row, value, verdict } from '../lib/report';
import { runLmsParserBench } from '../lms-parsers.bench';

export const parserGroup: BenchGroup = {
  name: 'parser',
  async run(_ctx: BenchContext): Promise<Row[]> {
    const result = runLmsParserBench();
    return [
      {
        group: 'parser',
        id: 'parser-throughput',
        figure: '`lms get` output parsed (10 MB of redraws in 64 KiB reads)',
        unit: 'MB/s',
        stat: 'value',
        goal: '—',
        ours: value(result.megabytesPerSecond),
        poller: verdict('no downloads'),
        checkOnce: none,
        floor: none,
        note: `${Math.round(result.framesPerSecond).toLocaleString('en-US')} progress frames/s.`,
      },
    ];
  },
};
