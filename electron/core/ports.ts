/**
 * The side effects the core needs, as small interfaces injected at construction.
 *
 * Production wires Node's real implementations (see `node-ports.ts`); tests pass fakes or
 * real loopback servers and real child processes. Nothing below electron/core imports
 * `electron`: the desktop shell and web mode both adapt these ports.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { AppNotification } from '../shared/contract';

/** Time, injectable so tests drive timers deterministically (vitest fake timers work with the real one). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** `child_process.spawn` with argument arrays only (never a shell). */
export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** The file-system calls the core makes (settings, discovery, LM Studio's home files). */
export interface FileSystem {
  readFile(path: string): Promise<string>;
  /** Writes atomically: a temporary file beside it, fsync, then rename. A new file is `0600`. */
  writeFileAtomic(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** True when the path is a file the current user can execute. */
  isExecutable(path: string): Promise<boolean>;
  /** Creates the folder and its parents; the ones it creates are `0700`, existing ones are left as they are. */
  mkdir(path: string): Promise<void>;
  /** What the path is (symbolic links followed); rejects with `ENOENT` when it does not exist. */
  stat(path: string): Promise<FileStatus>;
  /** The path with every symbolic link resolved. */
  realpath(path: string): Promise<string>;
  /**
   * Runs `work` holding an exclusive lock on `path` that other processes honour too (a
   * `<path>.lock` file beside it). A lock left by a process that died is broken.
   */
  withLock<T>(path: string, work: () => Promise<T>): Promise<T>;
  /** Removes what a process that died while writing `path` left beside it (temporary files, its lock); returns their names. */
  removeLeftovers(path: string): Promise<string[]>;
}

export interface FileStatus {
  kind: 'file' | 'directory' | 'other';
  /** The permission bits, e.g. `0o755` (on Windows the owner's alone: it has no bits for others). */
  mode: number;
  /** The owner's user id (0 on Windows). */
  uid: number;
}

/** Free space of the filesystem that holds a folder (`fs.statfs` in production). */
export interface DiskSpacePort {
  /** Rejects with the OS error (`ENOENT` for a missing folder). */
  freeSpace(folder: string): Promise<{ freeBytes: number; totalBytes: number }>;
}

/** The machine's RAM as the OS counts it. */
export type SystemMemoryPort = () => { totalBytes: number; freeBytes: number };

/**
 * This process's log file: size-capped and rotated (a few files), one per process (the desktop
 * app and web mode each write their own). What the Logger writes goes there too, secrets and
 * prompt text never.
 */
export interface LogFile {
  readonly path: string;
  /** The last `count` lines, oldest first (across the rotated files). */
  lastLines(count: number): Promise<string[]>;
}

/** Shows a desktop notification: Electron's Notification in main, a WebSocket event in web mode. */
export interface Notifier {
  show(notification: AppNotification): void;
}

/** Where messages for the developer go (never the user's only channel for an error). */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** Encrypts the API token at rest (Electron's safeStorage on the desktop; absent in web mode). */
export interface SecretCodec {
  /** Whether encryption is really available (safeStorage may fall back to plain text on Linux). */
  readonly available: boolean;
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

/** The environment the core reads, passed in rather than read from `process` directly. */
export interface Environment {
  platform: NodeJS.Platform;
  homedir: string;
  /** The current user's id on POSIX (`process.getuid()`); absent on Windows. */
  uid?: number;
  env: Readonly<Record<string, string | undefined>>;
}
