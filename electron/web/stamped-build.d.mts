/** Types of stamped-build.mjs (plain JavaScript, so web mode's launcher needs no TypeScript loader). */

/** The newest modification time among the inputs (folders too) and how many there are. */
export interface InputsFingerprint {
  newestMtimeMs: number;
  entries: number;
}

export type BuildOutcome = 'up-to-date' | 'built' | 'built-by-another-run';

export interface StampedBuildOptions {
  projectRoot: string;
  /** Files and folders the build depends on, relative to `projectRoot`. */
  inputs: readonly string[];
  outDir: string;
  /** A file every complete build has (relative to `outDir`). */
  requiredFile: string;
  /** Builds into the given (new, temporary) folder. */
  build: (dir: string) => Promise<void>;
  /** Called once a build is found to be needed, before it starts. */
  onBuildStart?: () => void;
  /** The temporary folder this run builds in, so a caller that exits mid-build can remove it. */
  onTemporaryFolder?: (dir: string) => void;
}

export const BUILD_STAMP_FILE: string;
export function ensureStampedBuild(options: StampedBuildOptions): Promise<BuildOutcome>;
export function isBuildCurrent(outDir: string, fingerprint: InputsFingerprint, requiredFile: string): Promise<boolean>;
export function fingerprintInputs(projectRoot: string, inputs: readonly string[]): Promise<InputsFingerprint>;
