/**
 * Row 11: web mode started exactly as `npm run web` starts it (package.json's script, read at run
 * time) with a current build, timed from spawn to its `Open` line; the floor is a bare `node -e`
 * HTTP server printing a line once it listens. One unmeasured start first brings builds up to date.
 */
import { startSimulator } from '../../e2e/simulator/index';
import type { BenchContext, BenchGroup } from '../lib/group';
import { startFloorServer } from '../lib/processes';
import { none, type Row, samples } from '../lib/report';
import { startWebMode, webScript } from '../lib/web-mode';

export const startupGroup: BenchGroup = {
  name: 'startup',
  async run(ctx: BenchContext): Promise<Row[]> {
    const sim = await startSimulator();
    ctx.simulators.push(sim);
    try {
      await (await startWebMode(sim)).stop();
      const ours: number[] = [];
      const floor: number[] = [];
      const reps = ctx.quick ? 1 : ctx.reps;
      for (let i = 0; i < reps; i++) {
        ctx.log(`startup: ${i + 1}/${reps}`);
        const web = await startWebMode(sim);
        ours.push(web.startMs);
        await web.stop();
        const bare = await startFloorServer();
        floor.push(bare.startMs);
        await bare.stop();
      }
      return [
        {
          group: 'startup',
          id: 'web-start',
          figure: 'web mode: start → Open line, current build',
          unit: 'ms',
          stat: 'p50',
          goal: '≤ 500',
          ours: samples(ours, 120_000),
          poller: none,
          checkOnce: none,
          floor: samples(floor, 30_000),
          note: `spawns \`${webScript()}\` through sh, as npm does; floor: \`node -e\` with an HTTP server that prints a line once listening.`,
        },
      ];
    } finally {
      await sim.close();
    }
  },
};
