import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, request, simulator, tryConnect } from './helpers';

cleanUpAfterEach();

describe('simulator connection count', () => {
  it('counts a connect-only check as a connection without a request, and each request as one', async () => {
    const sim = await simulator();
    expect(sim.state.connections()).toBe(0);
    expect(await tryConnect(sim.port)).toBe('connected');
    await expect.poll(() => sim.state.connections()).toBe(1);
    expect(sim.state.requests()).toEqual([]);
    await request(sim, 'GET', '/lmstudio-greeting');
    expect(sim.state.connections()).toBe(2);
    expect(sim.state.requests().map((r) => r.path)).toEqual(['/lmstudio-greeting']);
  });
});
