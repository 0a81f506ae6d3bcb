/**
 * LM Studio's home folder and the files in it the tray reads (never writes).
 *
 * Mirrors `findLMStudioHome()` from lmstudio-js (lms-common-server), minus its side effect:
 * lms writes `~/.lmstudio-home-pointer` when it settles on `~/.cache/lm-studio`; we only read.
 */
import path from 'node:path';
import * as v from 'valibot';
import type { Environment, FileSystem } from '../ports';

/** `path.win32` or `path.posix`, by the platform the paths are for (not the one tests run on). */
export function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** The two home folders LM Studio has used, newest first. */
export function homeCandidates(environment: Environment): { current: string; legacy: string } {
  const p = pathFor(environment.platform);
  return {
    current: p.join(environment.homedir, '.lmstudio'),
    legacy: p.join(environment.homedir, '.cache', 'lm-studio'),
  };
}

/**
 * The LM Studio home: the trimmed content of `~/.lmstudio-home-pointer` when it exists and is
 * not empty, else `~/.cache/lm-studio` when that folder exists (older installs), else `~/.lmstudio`.
 */
export async function findLmStudioHome(environment: Environment, fs: FileSystem): Promise<string> {
  const p = pathFor(environment.platform);
  const pointer = p.join(environment.homedir, '.lmstudio-home-pointer');
  const pointed = await readTrimmed(fs, pointer);
  if (pointed) return pointed;
  const { current, legacy } = homeCandidates(environment);
  if (await fs.exists(legacy)) return legacy;
  return current;
}

async function readTrimmed(fs: FileSystem, file: string): Promise<string | null> {
  try {
    const content = (await fs.readFile(file)).trim();
    return content.length > 0 ? content : null;
  } catch {
    // Missing or unreadable: lms falls through to the next candidate too.
    return null;
  }
}

const ServerConfigSchema = v.object({
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535)),
  networkInterface: v.optional(v.nullable(v.string()), null),
});

/**
 * The HTTP server settings LM Studio used last (`<home>/.internal/http-server-config.json`,
 * `{port, networkInterface}`), or null when the file is missing or not what we expect.
 */
export async function readLastServerConfig(
  home: string,
  fs: FileSystem,
): Promise<{ port: number; networkInterface: string | null } | null> {
  const file = path.join(home, '.internal', 'http-server-config.json');
  let raw: string;
  try {
    raw = await fs.readFile(file);
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = v.safeParse(ServerConfigSchema, json);
  if (!parsed.success) return null;
  return { port: parsed.output.port, networkInterface: parsed.output.networkInterface ?? null };
}
