/** What every bench group gets and returns. */
import type { Browser } from 'playwright';
import type { Simulator } from '../../e2e/simulator/index';
import type { Row } from './report';

export interface BenchContext {
  /** Tiny counts and short windows: proves the bench runs, measures nothing worth quoting. */
  quick: boolean;
  /** Repetitions for latency figures. */
  reps: number;
  browser: () => Promise<Browser>;
  /** Every simulator a group starts is registered here, for the wake-ups row. */
  simulators: Simulator[];
  log: (message: string) => void;
}

export interface BenchGroup {
  name: string;
  run: (ctx: BenchContext) => Promise<Row[]>;
}
