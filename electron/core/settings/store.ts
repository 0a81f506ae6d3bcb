/**
 * settings.json: one file shared by the desktop app and web mode (design brief §8).
 *
 * - Each field is validated on its own: a bad field falls back to its default with a message,
 *   the rest is kept.
 * - Keys this version does not know (written by a newer one) are kept on every write.
 * - Saves go through a SharedFile (../persistence/shared-file.ts): each re-reads the file and
 *   writes it atomically under a lock shared with the other process, so neither the desktop
 *   app nor web mode undoes what the other saved, and a save killed halfway leaves the old file.
 * - A file that is not JSON is renamed to `settings.json.corrupt-<timestamp>` (kept for the
 *   user) and defaults are used.
 * - The API token is stored as `{"encrypted": "..."}` when a working SecretCodec is given
 *   (Electron's safeStorage), as plain text otherwise (web mode); it never appears in `view()`.
 * - `overrides` (web-mode flags) apply to `get()` for this run and are never written.
 */
import path from 'node:path';
import * as v from 'valibot';
import { DEFAULT_SETTINGS, type Settings, type SettingsPatch, type SettingsView } from '../../shared/contract';
import { describeIssue, SettingsFieldSchemas, SettingsPatchSchema } from '../../shared/contract-schemas';
import { CoreError } from '../errors';
import type { SettingsStore } from '../interfaces';
import { createSharedFile, type LockedFile } from '../persistence/shared-file';
import type { FileSystem, Logger, SecretCodec } from '../ports';

export const SETTINGS_FILE_NAME = 'settings.json';

type FieldName = keyof Settings;
const FIELD_NAMES = Object.keys(SettingsFieldSchemas) as FieldName[];

/** Words for each field in messages ("The poll interval in settings.json ..."). */
const FIELD_LABELS: Record<FieldName, string> = {
  baseUrl: 'LM Studio address',
  apiToken: 'API token',
  lmsPath: 'lms path',
  pollIntervalMs: 'poll interval',
  notifications: 'notification choices',
  launchAtLogin: 'launch at login choice',
  loadDefaults: 'default load options',
  quitBehaviour: 'quit behaviour',
  keepLoaded: 'kept models',
  retryDownloads: 'download retry choice',
  checkDiskSpace: 'disk space check choice',
  estimateMemory: 'memory estimate choice',
};

const EncryptedTokenSchema = v.object({ encrypted: v.string() });

export interface SettingsStoreOptions {
  fs: FileSystem;
  configDir: string;
  overrides?: Partial<Settings>;
  secretCodec?: SecretCodec;
  logger: Logger;
  /** For the corrupt-file backup's name; `Date.now` by default. */
  now?: () => number;
}

export function createSettingsStore(options: SettingsStoreOptions): SettingsStore {
  const { fs, configDir, secretCodec, logger } = options;
  const now = options.now ?? Date.now;
  const file = path.join(configDir, SETTINGS_FILE_NAME);
  const shared = createSharedFile({ fs, file, logger });
  const overrides = pickKnown(options.overrides ?? {});

  let saved: Settings = structuredClone(DEFAULT_SETTINGS);
  /** Keys from a newer version, written back untouched. */
  let unknownKeys: Record<string, unknown> = keyBag();
  /**
   * An encrypted token this process cannot decrypt (web mode reading the desktop app's file):
   * written back as it was until the user sets a new token, so the desktop app keeps it.
   */
  let keptEncryptedToken: unknown;
  /** Why settings.json exists but could not be read; such a file is never overwritten. */
  let unreadable: string | null = null;
  /** Problems found on load, by field (or `file`), cleared when the user sets that field. */
  const problems = new Map<string, string>();
  const listeners = new Set<(settings: Settings) => void>();
  /** Serialises updates: each waits for the previous write to finish. */
  let queue: Promise<unknown> = Promise.resolve();

  const get = (): Settings => ({ ...saved, ...overrides });

  const view = (): SettingsView => {
    const { apiToken, ...rest } = get();
    const overrideMessages = (Object.keys(overrides) as FieldName[]).map(
      (field) => `The ${FIELD_LABELS[field]} is set for this run only (by a command-line flag) and is not saved.`,
    );
    return {
      ...structuredClone(rest),
      apiTokenSet: apiToken !== null,
      messages: [...problems.values(), ...overrideMessages],
    };
  };

  function reset(): void {
    unreadable = null;
    problems.clear();
    unknownKeys = keyBag();
    keptEncryptedToken = undefined;
    saved = structuredClone(DEFAULT_SETTINGS);
  }

  function markUnreadable(error: unknown): void {
    unreadable = errorText(error);
    logger.warn(`Could not read ${file}`, error);
    problems.set('file', `settings.json could not be read (${errorText(error)}). Defaults are in use.`);
  }

  async function load(): Promise<SettingsView> {
    let text: string | null;
    try {
      text = await shared.read();
    } catch (error) {
      reset();
      markUnreadable(error);
      return view();
    }
    // Only once the file is read: load() runs again while the app runs (the keeper re-reads the
    // kept models), and until then get() must keep answering with the settings in force (the
    // token, the address), not the defaults.
    reset();
    if (text !== null && parseDocument(text) === undefined) {
      try {
        // Look again under the lock before moving it aside: the other process may have just
        // replaced it, and a good file must never be set aside as damaged.
        text = await shared.locked((locked) => setAsideIfDamaged(locked));
      } catch (error) {
        logger.warn(`Could not back up the damaged ${file}`, error);
        problems.set('file', 'settings.json was damaged and could not be read. Defaults are in use.');
        text = null;
      }
    }
    apply(text);
    return view();
  }

  /** The file's text under the lock, or null after a damaged file was renamed out of the way. */
  async function setAsideIfDamaged(locked: LockedFile): Promise<string | null> {
    const text = await locked.read();
    if (text === null || parseDocument(text) !== undefined) return text;
    await backUpCorruptFile();
    return null;
  }

  /** Takes the settings from the file's text (null: no file), field by field. */
  function apply(text: string | null): void {
    const raw = text === null ? undefined : parseDocument(text);
    if (raw === undefined) return;
    const next = structuredClone(DEFAULT_SETTINGS) as Record<FieldName, unknown>;
    for (const [key, value] of Object.entries(raw)) {
      if ((FIELD_NAMES as string[]).includes(key)) continue;
      if (canWriteBack(value)) {
        unknownKeys[key] = value;
      } else {
        // Kept, it would make every later save fail: left out, and the user is told.
        problems.set(
          `key:${key}`,
          `settings.json holds ${JSON.stringify(key.slice(0, 40))}, nested too deeply to be written back; it will be left out when settings are next saved.`,
        );
      }
    }
    for (const field of FIELD_NAMES) {
      if (!Object.hasOwn(raw, field)) continue;
      const value = field === 'apiToken' ? decodeToken(raw[field]) : readField(field, raw[field]);
      if (value !== undefined) next[field] = value;
    }
    saved = next as Settings;
  }

  /** The field's value, or undefined (default kept) with a message when it is invalid. */
  function readField(field: FieldName, value: unknown): unknown {
    // A file from an older version may lack a newer toggle: fill it rather than reset them all.
    const candidate =
      field === 'notifications' && isPlainObject(value) ? { ...DEFAULT_SETTINGS.notifications, ...value } : value;
    const parsed = v.safeParse(SettingsFieldSchemas[field], candidate);
    if (parsed.success) return parsed.output;
    // Worded like a command's refusal: the field and the kinds, never the value (it may be 10 KB).
    const why = parsed.issues.map((issue) => describeIssue('settings.json', issue, [field])).join(' ');
    problems.set(
      field,
      `The ${FIELD_LABELS[field]} in settings.json was not valid (${why}) and has been reset to its default.`,
    );
    return undefined;
  }

  function decodeToken(value: unknown): string | null | undefined {
    if (value === null || typeof value === 'string') return readField('apiToken', value) as string | null | undefined;
    const encrypted = v.safeParse(EncryptedTokenSchema, value);
    if (!encrypted.success) return readField('apiToken', value) as undefined;
    if (!secretCodec?.available) {
      keptEncryptedToken = value;
      problems.set(
        'apiToken',
        'The saved API token is encrypted by the desktop app and cannot be read here. Pass it with --token or LM_API_TOKEN, or enter it again in settings.',
      );
      return undefined;
    }
    try {
      return secretCodec.decrypt(encrypted.output.encrypted);
    } catch (error) {
      logger.warn('Could not decrypt the saved API token', error);
      keptEncryptedToken = value;
      problems.set('apiToken', 'The saved API token could not be decrypted. Enter it again in settings.');
      return undefined;
    }
  }

  async function backUpCorruptFile(): Promise<void> {
    const backup = `${file}.corrupt-${now()}`;
    try {
      await fs.rename(file, backup);
      problems.set(
        'file',
        `settings.json was damaged and could not be read. It was kept as ${path.basename(backup)}, and defaults are in use.`,
      );
    } catch (error) {
      logger.warn(`Could not back up the damaged ${file}`, error);
      problems.set('file', 'settings.json was damaged and could not be read. Defaults are in use.');
    }
  }

  function encodeToken(token: string | null): unknown {
    if (token === null) return null;
    if (secretCodec?.available) return { encrypted: secretCodec.encrypt(token) };
    return token;
  }

  async function update(patch: SettingsPatch): Promise<SettingsView> {
    const parsed = v.safeParse(SettingsPatchSchema, patch);
    if (!parsed.success) {
      throw new CoreError('invalid-input', parsed.issues.map((issue) => issue.message).join(' '));
    }
    // `{apiToken: undefined}` means "not given", like an absent key (`null` clears the token).
    const given = Object.fromEntries(
      Object.entries(parsed.output).filter(([, value]) => value !== undefined),
    ) as SettingsPatch;
    const run = queue.then(async () => {
      let next: Settings = saved;
      let keepToken = false;
      try {
        // Read the file again under the lock: the desktop app and web mode share it, and a save
        // must not undo what the other saved since this one loaded it, nor race its save.
        await shared.locked(async (locked) => {
          let text: string | null;
          try {
            text = await setAsideIfDamaged(locked);
          } catch (error) {
            reset();
            markUnreadable(error);
            throw new CoreError(
              'internal',
              `settings.json could not be read (${unreadable}), so it was not overwritten. Check its permissions, then save again.`,
            );
          }
          // As in load(): the settings in force stay readable while the file is read.
          reset();
          apply(text);
          next = { ...saved, ...given };
          const document: Record<string, unknown> = keyBag();
          Object.assign(document, unknownKeys);
          for (const field of FIELD_NAMES)
            document[field] = field === 'apiToken' ? encodeToken(next.apiToken) : next[field];
          keepToken = keptEncryptedToken !== undefined && !('apiToken' in given);
          if (keepToken) document.apiToken = keptEncryptedToken;
          await locked.write(`${JSON.stringify(document, null, 2)}\n`);
        });
      } catch (error) {
        if (error instanceof CoreError) throw error;
        logger.error(`Could not save ${file}`, error);
        throw new CoreError(
          'internal',
          `Could not save settings to ${file} (${errorText(error)}). Check that the folder is writable.`,
          { cause: error },
        );
      }
      saved = next;
      if (!keepToken) keptEncryptedToken = undefined;
      for (const field of Object.keys(given)) problems.delete(field);
      problems.delete('file');
      // Keys left out of the file are gone now: nothing left to warn about.
      for (const key of [...problems.keys()]) if (key.startsWith('key:')) problems.delete(key);
      const settings = get();
      for (const listener of listeners) listener(settings);
      return view();
    });
    queue = run.catch(() => {});
    return run;
  }

  return {
    load,
    get,
    view,
    update,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Only the fields this version knows, so a stray override cannot leak into `get()`. */
function pickKnown(partial: Partial<Settings>): Partial<Settings> {
  const known: Record<string, unknown> = {};
  for (const field of FIELD_NAMES) if (partial[field] !== undefined) known[field] = partial[field];
  return known as Partial<Settings>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** False for JSON that JSON.parse accepts but JSON.stringify cannot write (nested thousands deep). */
function canWriteBack(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * An object without a prototype, so a key named `__proto__` in settings.json is a key like any
 * other: kept and written back, never turned into the object's prototype.
 */
function keyBag(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** The file's JSON object, or undefined when it is not JSON or not an object (a damaged file). */
function parseDocument(text: string): Record<string, unknown> | undefined {
  try {
    // Windows editors (Notepad) may start the file with a byte-order mark, which JSON.parse refuses.
    const raw: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return isPlainObject(raw) ? raw : undefined;
  } catch {
    return undefined;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
