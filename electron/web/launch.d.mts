/** Types of launch.mjs (plain JavaScript, so `npm run web` needs no TypeScript loader). */
import type { BuildOutcome } from './stamped-build.mjs';

export const WEB_MODE_INPUTS: readonly string[];
export function webModeBundlePath(projectRoot: string): string;
export function firstViewBundlePath(projectRoot: string): string;
export function ensureWebModeBuilt(options: { projectRoot: string; onBuildStart?: () => void }): Promise<BuildOutcome>;
