/**
 * Finds the `lms` executable the way a user would expect, without relying on PATH alone: apps
 * started from the macOS Finder (or a desktop launcher) get a minimal PATH that lacks
 * `~/.lmstudio/bin`, so the per-user install folders are always checked too.
 */
import type { LmsDiscovery } from '../../interfaces';
import type { Environment, FileSystem } from '../../ports';
import { findLmStudioHome, homeCandidates, pathFor } from '../home';

/** How `searched` names the PATH lookup. */
export const PATH_SEARCH_LABEL = 'PATH';

export interface DiscoverLmsInput {
  /** The path from Settings, or null. It wins when it is executable. */
  configuredPath: string | null;
  environment: Environment;
  fs: FileSystem;
  /** Finds an executable on PATH (the `which` package in production); null when absent. */
  which: (name: string) => Promise<string | null>;
}

/**
 * Looks for `lms` in order: the configured path, PATH, `<LM Studio home>/bin`, then the other
 * known install folders (`~/.lmstudio/bin`, `~/.cache/lm-studio/bin`). Never throws: when nothing
 * is found, `path` is null and `searched` lists every place looked.
 */
export async function discoverLms(input: DiscoverLmsInput): Promise<LmsDiscovery> {
  const { configuredPath, environment, fs, which } = input;
  const searched: string[] = [];
  const isExecutable = async (candidate: string) => {
    try {
      return await fs.isExecutable(candidate);
    } catch {
      return false;
    }
  };

  const configured = configuredPath?.trim();
  if (configured) {
    searched.push(configured);
    if (await isExecutable(configured)) return { path: configured, searched };
  }

  searched.push(PATH_SEARCH_LABEL);
  try {
    const onPath = await which('lms');
    if (onPath) return { path: onPath, searched };
  } catch {
    // `which` failing is the same as not finding it: fall through to the install folders.
  }

  const p = pathFor(environment.platform);
  const binary = environment.platform === 'win32' ? 'lms.exe' : 'lms';
  const { current, legacy } = homeCandidates(environment);
  const home = await findLmStudioHome(environment, fs);
  for (const folder of [home, current, legacy]) {
    const candidate = p.join(folder, 'bin', binary);
    if (searched.includes(candidate)) continue;
    searched.push(candidate);
    if (await isExecutable(candidate)) return { path: candidate, searched };
  }
  return { path: null, searched };
}

/** The user-facing message for a failed discovery: where we looked and what to do. */
export function lmsNotFoundMessage(d: LmsDiscovery): string {
  const places = d.searched.length > 0 ? d.searched.join(', ') : PATH_SEARCH_LABEL;
  return (
    `LM Studio's \`lms\` command was not found (looked in: ${places}). ` +
    'Install LM Studio from https://lmstudio.ai/download, open it once, or set the path in Settings.'
  );
}
