/**
 * Finds the `lms` executable the way a user would expect, without relying on PATH alone: apps
 * started from the macOS Finder (or a desktop launcher) get a minimal PATH that lacks
 * `~/.lmstudio/bin`, so the per-user install folders are always checked too.
 */
import type { LmsDiscovery, LmsRefusal } from '../../interfaces';
import type { Environment, FileStatus, FileSystem } from '../../ports';
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
  const refused: LmsRefusal[] = [];
  /** True when `candidate` may be run; a refusal is kept when there is a file or folder to refuse. */
  const usable = async (candidate: string, configured: boolean) => {
    let problem: LmsPathProblem | null;
    try {
      problem = await lmsPathProblem(candidate, fs, environment);
    } catch {
      problem = { reason: 'could not be checked', exists: false };
    }
    if (problem && (configured || problem.exists))
      refused.push({ path: candidate, reason: problem.reason, configured });
    return problem === null;
  };
  const result = (path: string | null): LmsDiscovery =>
    refused.length > 0 ? { path, searched, refused } : { path, searched };

  const configured = configuredPath?.trim();
  if (configured) {
    searched.push(configured);
    if (await usable(configured, true)) return result(configured);
  }

  searched.push(PATH_SEARCH_LABEL);
  try {
    const onPath = await which('lms');
    if (onPath && (await usable(onPath, false))) return result(onPath);
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
    if (await usable(candidate, false)) return result(candidate);
  }
  return result(null);
}

export interface LmsPathProblem {
  /** Completes "<path> ...". */
  reason: string;
  /** False when nothing is there at all. */
  exists: boolean;
}

/**
 * Why the `lms` at `candidate` must not be run, or null when it may. Besides being an
 * executable file, on POSIX it must be safe to run: a program another user can change (it is
 * group- or other-writable, owned by someone other than this user or root, or in a folder
 * anyone can write to without the sticky bit) would run their code as this user.
 */
export async function lmsPathProblem(
  candidate: string,
  fs: FileSystem,
  environment: Environment,
): Promise<LmsPathProblem | null> {
  const p = pathFor(environment.platform);
  if (!(await fs.isExecutable(candidate))) {
    let status: FileStatus;
    try {
      status = await fs.stat(candidate);
    } catch {
      return { reason: 'does not exist', exists: false };
    }
    if (status.kind === 'directory') return { reason: 'is a folder, not the lms program', exists: true };
    if (status.kind !== 'file') return { reason: 'is not a regular file', exists: true };
    return { reason: 'is not executable (chmod +x would make it so)', exists: true };
  }
  // Windows has no such permission bits; its installs are per user.
  if (environment.platform === 'win32') return null;

  const status = await fs.stat(candidate);
  if ((status.mode & 0o022) !== 0) {
    return {
      reason: `can be changed by other users (its mode is ${octal(status.mode)}; chmod go-w would fix that)`,
      exists: true,
    };
  }
  if (environment.uid !== undefined && status.uid !== environment.uid && status.uid !== 0) {
    return { reason: `belongs to another user (uid ${status.uid}); only your own or root's lms is run`, exists: true };
  }
  // The folder it is in, and the real one when it is a symbolic link.
  const folders = new Set([p.dirname(candidate)]);
  try {
    folders.add(p.dirname(await fs.realpath(candidate)));
  } catch {
    // Unresolvable: the folder it was named in is still checked.
  }
  for (const folder of folders) {
    let folderStatus: FileStatus;
    try {
      folderStatus = await fs.stat(folder);
    } catch {
      continue;
    }
    const anyoneCanWrite = (folderStatus.mode & 0o002) !== 0;
    const sticky = (folderStatus.mode & 0o1000) !== 0;
    if (anyoneCanWrite && !sticky) {
      return {
        reason: `is in a folder any user can write to (${folder}), where another user could replace it`,
        exists: true,
      };
    }
  }
  return null;
}

/** What the user is told about each `lms` found but not used. */
export function lmsRefusalMessages(d: LmsDiscovery): string[] {
  return (d.refused ?? []).map((refusal) => {
    const which = refusal.configured ? `The lms path in Settings (${refusal.path})` : refusal.path;
    const instead = d.path ? ` Using ${d.path} instead.` : '';
    return `${which} ${refusal.reason}, so it is not used.${instead}`;
  });
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** At most this many places are named: a status line, not a report. */
const PLACES_NAMED = 3;

/**
 * The user-facing message for a failed discovery: why an `lms` found was not used (the most
 * useful thing to fix, so first), where else we looked, and what to do.
 */
export function lmsNotFoundMessage(d: LmsDiscovery): string {
  const refusedPaths = new Set((d.refused ?? []).map((refusal) => refusal.path));
  const others = d.searched.filter((place) => !refusedPaths.has(place));
  const named = others.slice(0, PLACES_NAMED).join(', ');
  const more = others.length > PLACES_NAMED ? ` and ${others.length - PLACES_NAMED} more` : '';
  const places = others.length > 0 ? `${named}${more}` : PATH_SEARCH_LABEL;
  const refusals = lmsRefusalMessages(d);
  const lead =
    refusals.length > 0
      ? `${refusals.join(' ')} No other \`lms\` was found (looked in: ${places}). `
      : `LM Studio's \`lms\` command was not found (looked in: ${places}). `;
  return `${lead}Install LM Studio from https://lmstudio.ai/download, open it once, or set the path in Settings.`;
}
