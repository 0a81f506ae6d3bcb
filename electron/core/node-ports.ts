/**
 * The real implementations of the core's ports (see `ports.ts`), on Node's own APIs.
 *
 * The Electron shell and web mode both call `createNodePorts()` and hand the result to
 * `createTrayCore`; tests pass fakes or parts of this instead.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import which from 'which';
import { createLogFile, type RotatingLogFile } from './persistence/log-file';
import { removeLeftovers, withFileLock, writeFileAtomic } from './persistence/node-files';
import type { Clock, DiskSpacePort, Environment, FileSystem, Logger, SpawnFn, SystemMemoryPort } from './ports';

export { writeFileAtomic } from './persistence/node-files';

export interface NodePorts {
  clock: Clock;
  spawn: SpawnFn;
  fs: FileSystem;
  logger: Logger;
  environment: Environment;
  which: (name: string) => Promise<string | null>;
  diskSpace: DiskSpacePort;
  systemMemory: SystemMemoryPort;
  /** This process's log file, when asked for: the logger writes there too. */
  logFile?: RotatingLogFile;
}

export interface NodePortsOptions {
  logLevel?: LogLevel;
  /**
   * Also log to `<configDir>/logs/<process>.log` (the default config folder when `configDir` is
   * null). `secrets` are never written there (web mode's token).
   */
  logFile?: { configDir: string | null; process: 'desktop' | 'web'; secrets?: readonly string[] };
}

/** Node's timers, the file system, `child_process.spawn` (never a shell) and `which`. */
export function createNodePorts(options: NodePortsOptions = {}): NodePorts {
  const environment: Environment = {
    platform: process.platform,
    homedir: os.homedir(),
    env: process.env,
    uid: process.getuid?.(),
  };
  const level = options.logLevel ?? logLevelFrom(process.env);
  let logger = createConsoleLogger(level);
  let logFile: RotatingLogFile | undefined;
  if (options.logFile) {
    const { configDir, secrets = [] } = options.logFile;
    logFile = createLogFile({
      configDir: configDir ?? defaultConfigDir(environment),
      process: options.logFile.process,
    });
    for (const secret of secrets) logFile.addSecret(secret);
    logger = teeLoggers(
      logger,
      createConsoleLogger(fileLogLevel(level), (line) => logFile?.append(line)),
    );
    // What is still buffered when the process exits (an error just before `process.exit(1)`).
    const pending = logFile;
    process.once('exit', () => pending.flushSync());
  }
  return {
    ...(logFile ? { logFile } : {}),
    clock: systemClock,
    spawn: spawnWithoutShell,
    fs: nodeFileSystem,
    logger,
    environment,
    which: (name) => which(name, { nothrow: true }),
    diskSpace: nodeDiskSpace,
    systemMemory: nodeSystemMemory,
  };
}

/** `statfs` of the folder: the space an unprivileged user may still write (`bavail`), and the total. */
export const nodeDiskSpace: DiskSpacePort = {
  async freeSpace(folder) {
    const stats = await fsp.statfs(folder);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  },
};

export const nodeSystemMemory: SystemMemoryPort = () => ({ totalBytes: os.totalmem(), freeBytes: os.freemem() });

/**
 * Timers looked up on `globalThis` at each call rather than captured at import, so vitest's
 * fake timers (installed after this module loads) still drive code that holds this clock.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (handle) => globalThis.clearInterval(handle as ReturnType<typeof setInterval>),
};

/** `spawn` with an argument array; `shell` is forced off so no argument is ever interpreted. */
export const spawnWithoutShell: SpawnFn = (command, args, options) =>
  nodeSpawn(command, [...args], { ...options, shell: false });

export const nodeFileSystem: FileSystem = {
  readFile: (file) => fsp.readFile(file, 'utf8'),
  writeFileAtomic,
  rename: (from, to) => fsp.rename(from, to),
  async exists(file) {
    try {
      await fsp.access(file);
      return true;
    } catch {
      return false;
    }
  },
  async isExecutable(file) {
    try {
      const stat = await fsp.stat(file);
      if (!stat.isFile()) return false;
      // Windows has no execute bit: a file that exists is as executable as the OS will say.
      if (process.platform === 'win32') return true;
      await fsp.access(file, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  async mkdir(dir) {
    // The mode applies only to the folders created here: a folder the user chose keeps its own.
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  },
  async stat(file) {
    const status = await fsp.stat(file);
    const kind = status.isFile() ? 'file' : status.isDirectory() ? 'directory' : 'other';
    // Windows has no permission bits for other users: report the owner's alone there.
    const mode = process.platform === 'win32' ? status.mode & 0o700 : status.mode & 0o7777;
    return { kind, mode, uid: status.uid };
  },
  realpath: (file) => fsp.realpath(file),
  withLock: withFileLock,
  removeLeftovers,
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** `LMSTUDIO_TRAY_LOG=debug|info|warn|error|silent`; `info` by default. */
export function logLevelFrom(env: Readonly<Record<string, string | undefined>>): LogLevel {
  const wanted = env.LMSTUDIO_TRAY_LOG?.toLowerCase();
  return LEVELS.find((level) => level === wanted) ?? 'info';
}

/** Logs to stderr (stdout is kept for the web mode's `Open http://...` line). */
export function createConsoleLogger(level: LogLevel, write: (line: string) => void = writeStderr): Logger {
  const threshold = LEVELS.indexOf(level);
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (message: string, ...details: unknown[]) => {
      if (LEVELS.indexOf(name) < threshold) return;
      const extra = details.map(formatDetail).join(' ');
      write(`${new Date().toISOString()} ${name.toUpperCase()} ${message}${extra ? ` ${extra}` : ''}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The file keeps info and above whatever the console shows (`LMSTUDIO_TRAY_LOG=silent` quiets the
 * terminal, not the diagnostics), and debug lines when they were asked for.
 */
export function fileLogLevel(consoleLevel: LogLevel): LogLevel {
  return consoleLevel === 'debug' ? 'debug' : 'info';
}

/** One logger that writes to each of `loggers`. */
export function teeLoggers(...loggers: Logger[]): Logger {
  const at =
    (name: keyof Logger) =>
    (message: string, ...details: unknown[]) => {
      for (const logger of loggers) logger[name](message, ...details);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}

function formatDetail(detail: unknown): string {
  if (detail instanceof Error) return detail.stack ?? detail.message;
  if (typeof detail === 'string') return detail;
  try {
    return JSON.stringify(detail);
  } catch {
    return String(detail);
  }
}

/**
 * The folder of settings.json, the same one the desktop app and web mode share:
 *
 * - Linux: `$XDG_CONFIG_HOME/lmstudio-tray` (default `~/.config/lmstudio-tray`)
 * - macOS: `~/Library/Application Support/LM Studio Tray`
 * - Windows: `%APPDATA%\LM Studio Tray` (default `~\AppData\Roaming\LM Studio Tray`)
 *
 * Electron's `app.getPath('userData')` is `<appData>/<app name>`, and one app name cannot give
 * both spellings above, so the Electron shell must not rely on its default: it calls
 * `app.setPath('userData', defaultConfigDir(environment))` before `ready` and passes the same
 * folder as `configDir`.
 */
export function defaultConfigDir(environment: Environment): string {
  const { platform, homedir, env } = environment;
  if (platform === 'win32') {
    return path.win32.join(env.APPDATA || path.win32.join(homedir, 'AppData', 'Roaming'), 'LM Studio Tray');
  }
  if (platform === 'darwin') return path.posix.join(homedir, 'Library', 'Application Support', 'LM Studio Tray');
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(homedir, '.config');
  return path.posix.join(base, 'lmstudio-tray');
}
