import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../../../../electron/core/node-ports';
import type { FileSystem, Logger, SecretCodec } from '../../../../electron/core/ports';
import { createSettingsStore } from '../../../../electron/core/settings/store';
import { DEFAULT_SETTINGS } from '../../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** A reversible stand-in for safeStorage that makes the stored form obviously not the token. */
const codec: SecretCodec = {
  available: true,
  encrypt: (plain) => `enc:${Buffer.from(plain).toString('base64')}`,
  decrypt: (stored) => {
    if (!stored.startsWith('enc:')) throw new Error('not ours');
    return Buffer.from(stored.slice(4), 'base64').toString();
  },
};

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'settings-'));
  file = path.join(dir, 'settings.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const store = (extra: Partial<Parameters<typeof createSettingsStore>[0]> = {}) =>
  createSettingsStore({ fs: nodeFileSystem, configDir: dir, logger: silent, now: () => 1700000000000, ...extra });
const onDisk = async () => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

describe('settings store: loading', () => {
  it('uses the defaults, silently, when there is no file yet', async () => {
    const s = store();
    const view = await s.load();
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(view.messages).toEqual([]);
    expect(view.apiTokenSet).toBe(false);
    expect(view).not.toHaveProperty('apiToken');
  });

  it('falls back per field: a bad field gets its default and a message, the rest is kept', async () => {
    await writeFile(
      file,
      JSON.stringify({
        baseUrl: 'http://127.0.0.1:4321',
        pollIntervalMs: 10,
        quitBehaviour: 'explode',
        launchAtLogin: true,
      }),
    );
    const s = store();
    const view = await s.load();
    expect(s.get()).toMatchObject({
      baseUrl: 'http://127.0.0.1:4321',
      launchAtLogin: true,
      pollIntervalMs: DEFAULT_SETTINGS.pollIntervalMs,
      quitBehaviour: DEFAULT_SETTINGS.quitBehaviour,
    });
    expect(view.messages).toHaveLength(2);
    expect(view.messages[0]).toContain('poll interval');
    expect(view.messages[0]).toContain('Poll at most once a second.');
    expect(view.messages[1]).toContain('quit behaviour');
  });

  it('fills a notification toggle missing from an older file without resetting the others', async () => {
    await writeFile(file, JSON.stringify({ notifications: { serverDown: false } }));
    const s = store();
    const view = await s.load();
    expect(s.get().notifications).toEqual({ ...DEFAULT_SETTINGS.notifications, serverDown: false });
    expect(view.messages).toEqual([]);
  });

  it.each([
    ['not JSON', '{"baseUrl": "http://127.0.0.1:1234",'],
    ['empty', ''],
    ['an array', '[1,2]'],
    ['null', 'null'],
  ])('backs up a corrupt file (%s) and uses the defaults', async (_name, content) => {
    await writeFile(file, content);
    const s = store();
    const view = await s.load();
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(view.messages).toEqual([
      'settings.json was damaged and could not be read. It was kept as settings.json.corrupt-1700000000000, and defaults are in use.',
    ]);
    expect(await readFile(path.join(dir, 'settings.json.corrupt-1700000000000'), 'utf8')).toBe(content);
    expect(await nodeFileSystem.exists(file)).toBe(false);
    // The next save starts a fresh file and clears the message.
    const after = await s.update({ launchAtLogin: true });
    expect(after.messages).toEqual([]);
    expect(await onDisk()).toMatchObject({ launchAtLogin: true });
  });

  it('never sets aside as damaged a good file another process has just saved over the damaged one', async () => {
    await writeFile(file, '{"pollIntervalMs": 30');
    let reads = 0;
    const racing: FileSystem = {
      ...nodeFileSystem,
      async readFile(target) {
        reads++;
        // The other process replaces the damaged file between this one's first read and its lock.
        if (reads === 2) await writeFile(file, JSON.stringify({ pollIntervalMs: 3000 }));
        return nodeFileSystem.readFile(target);
      },
    };
    const s = store({ fs: racing });
    const view = await s.load();
    expect(s.get().pollIntervalMs).toBe(3000);
    expect(view.messages).toEqual([]);
    expect(await readdir(dir)).toEqual(['settings.json']);
  });

  it('keeps answering with the settings in force while it reads the file again (load or update)', async () => {
    await writeFile(file, JSON.stringify({ baseUrl: 'http://127.0.0.1:4321', apiToken: 'secret' }));
    const seenMidRead: Array<string | null> = [];
    let s: ReturnType<typeof store> | null = null;
    const watching: FileSystem = {
      ...nodeFileSystem,
      async readFile(target) {
        if (s) seenMidRead.push(s.get().apiToken, s.get().baseUrl);
        return nodeFileSystem.readFile(target);
      },
    };
    const created = store({ fs: watching });
    await created.load();
    s = created;
    await created.load();
    await created.update({ launchAtLogin: true });
    expect(seenMidRead).toEqual(['secret', 'http://127.0.0.1:4321', 'secret', 'http://127.0.0.1:4321']);
    expect(created.get()).toMatchObject({ apiToken: 'secret', baseUrl: 'http://127.0.0.1:4321', launchAtLogin: true });
  });

  it('keeps a key named __proto__ from a newer version as a key, and writes it back', async () => {
    await writeFile(file, '{"__proto__": {"newerFeature": true}, "pollIntervalMs": 2000}');
    const s = store();
    await s.load();
    await s.update({ launchAtLogin: true });
    const written = await onDisk();
    expect(Object.getOwnPropertyDescriptor(written, '__proto__')?.value).toEqual({ newerFeature: true });
    expect(Object.getPrototypeOf(written)).toBe(Object.prototype);
    expect(written).toMatchObject({ pollIntervalMs: 2000, launchAtLogin: true });
  });

  it('leaves out, with a message, an unknown key nested too deeply to be written back, so saving still works', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    await writeFile(file, `{"future": ${deep}, "other": 1, "pollIntervalMs": 2000}`);
    const s = store();
    const view = await s.load();
    expect(s.get().pollIntervalMs).toBe(2000);
    expect(view.messages).toEqual([
      'settings.json holds "future", nested too deeply to be written back; it will be left out when settings are next saved.',
    ]);
    expect((await s.update({ launchAtLogin: true })).messages).toEqual([]);
    expect(await onDisk()).toMatchObject({ other: 1, pollIntervalMs: 2000, launchAtLogin: true });
    expect(await onDisk()).not.toHaveProperty('future');
  });

  it('reads a file that starts with a byte-order mark (saved by Windows Notepad) instead of setting it aside', async () => {
    await writeFile(file, '\uFEFF{"pollIntervalMs": 2000}');
    const s = store();
    const view = await s.load();
    expect(s.get().pollIntervalMs).toBe(2000);
    expect(view.messages).toEqual([]);
    expect(await readdir(dir)).toEqual(['settings.json']);
  });

  it('is not thrown off by a temporary file left by a crash mid-write', async () => {
    await writeFile(file, JSON.stringify({ pollIntervalMs: 2000 }));
    await writeFile(path.join(dir, '.settings.json.4242.deadbeef.tmp'), '{"pollIntervalMs": 30');
    const s = store();
    const view = await s.load();
    expect(s.get().pollIntervalMs).toBe(2000);
    expect(view.messages).toEqual([]);
  });
});

describe('settings store: saving', () => {
  it('writes atomically, keeps keys from a newer version and reloads what it wrote', async () => {
    await writeFile(file, JSON.stringify({ futureFeature: { on: true }, pollIntervalMs: 3000 }));
    const s = store();
    await s.load();
    await s.update({ baseUrl: 'http://127.0.0.1:5555' });
    const written = await onDisk();
    expect(written.futureFeature).toEqual({ on: true });
    expect(written.pollIntervalMs).toBe(3000);
    expect(written.baseUrl).toBe('http://127.0.0.1:5555');
    expect(await readdir(dir)).toEqual(['settings.json']);

    const again = store();
    await again.load();
    expect(again.get()).toEqual({ ...DEFAULT_SETTINGS, pollIntervalMs: 3000, baseUrl: 'http://127.0.0.1:5555' });
  });

  it('creates the folder when it does not exist', async () => {
    const nested = path.join(dir, 'a', 'b');
    const s = createSettingsStore({ fs: nodeFileSystem, configDir: nested, logger: silent });
    await s.load();
    await s.update({ launchAtLogin: true });
    expect(JSON.parse(await readFile(path.join(nested, 'settings.json'), 'utf8')).launchAtLogin).toBe(true);
  });

  it('refuses an invalid patch with the schema message and writes nothing', async () => {
    const s = store();
    await s.load();
    await expect(s.update({ pollIntervalMs: 5 })).rejects.toThrow('Poll at most once a second.');
    expect(await nodeFileSystem.exists(file)).toBe(false);
  });

  it('keeps the old file and the old values when a write fails (a crash mid-write)', async () => {
    await writeFile(file, JSON.stringify({ pollIntervalMs: 2000 }));
    let failWrites = true;
    const flaky: FileSystem = {
      ...nodeFileSystem,
      async writeFileAtomic(target, data) {
        if (!failWrites) return nodeFileSystem.writeFileAtomic(target, data);
        // What a crash before the rename leaves behind: a partial temp file, the old file untouched.
        await writeFile(path.join(dir, '.settings.json.1.partial.tmp'), data.slice(0, 5));
        throw new Error('disk full');
      },
    };
    const s = store({ fs: flaky });
    await s.load();
    await expect(s.update({ pollIntervalMs: 9000 })).rejects.toThrow(/Could not save settings .*disk full/);
    expect(s.get().pollIntervalMs).toBe(2000);
    expect(await onDisk()).toEqual({ pollIntervalMs: 2000 });

    failWrites = false;
    await s.update({ pollIntervalMs: 9000 });
    const reloaded = store();
    await reloaded.load();
    expect(reloaded.get().pollIntervalMs).toBe(9000);
  });

  it('serialises concurrent updates so none is lost', async () => {
    const s = store();
    await s.load();
    await Promise.all([
      s.update({ pollIntervalMs: 2000 }),
      s.update({ launchAtLogin: true }),
      s.update({ baseUrl: 'http://127.0.0.1:7777' }),
      s.update({ quitBehaviour: 'cancel-downloads' }),
    ]);
    expect(await onDisk()).toMatchObject({
      pollIntervalMs: 2000,
      launchAtLogin: true,
      baseUrl: 'http://127.0.0.1:7777',
      quitBehaviour: 'cancel-downloads',
    });
  });

  it('does not undo what another process (desktop app or web mode) saved since it loaded', async () => {
    const desktop = store();
    const web = store();
    await desktop.load();
    await web.load();
    await desktop.update({ launchAtLogin: true });
    await web.update({ pollIntervalMs: 9000 });
    expect(await onDisk()).toMatchObject({ launchAtLogin: true, pollIntervalMs: 9000 });
    expect(web.get().launchAtLogin).toBe(true);
  });

  it('never overwrites a settings.json it could not read', async () => {
    await writeFile(file, `${JSON.stringify({ pollIntervalMs: 4000, futureKey: 1 })}\n`);
    const unreadable: FileSystem = {
      ...nodeFileSystem,
      readFile: async () => {
        throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
      },
    };
    const s = store({ fs: unreadable });
    await s.load();
    await expect(s.update({ launchAtLogin: true })).rejects.toThrow(
      'settings.json could not be read (permission denied), so it was not overwritten.',
    );
    expect(await onDisk()).toEqual({ pollIntervalMs: 4000, futureKey: 1 });
  });

  it('tells listeners the settings in force after each update', async () => {
    const s = store();
    await s.load();
    const seen: number[] = [];
    const off = s.onChange((settings) => seen.push(settings.pollIntervalMs));
    await s.update({ pollIntervalMs: 2000 });
    off();
    await s.update({ pollIntervalMs: 3000 });
    expect(seen).toEqual([2000]);
  });
});

describe('settings store: the API token', () => {
  it('is stored encrypted when a codec is available and read back', async () => {
    const s = store({ secretCodec: codec });
    await s.load();
    const view = await s.update({ apiToken: 'sk-lm-abcdefgh:abcdefghijklmnopqrst' });
    expect(view.apiTokenSet).toBe(true);
    expect(JSON.stringify(view)).not.toContain('sk-lm');
    const raw = await readFile(file, 'utf8');
    expect(raw).not.toContain('sk-lm');
    expect(JSON.parse(raw).apiToken).toEqual({ encrypted: codec.encrypt('sk-lm-abcdefgh:abcdefghijklmnopqrst') });

    const again = store({ secretCodec: codec });
    await again.load();
    expect(again.get().apiToken).toBe('sk-lm-abcdefgh:abcdefghijklmnopqrst');
  });

  it('keeps the token when a patch leaves it undefined, and clears it with null', async () => {
    const s = store({ secretCodec: codec });
    await s.load();
    await s.update({ apiToken: 'keep-me' });
    await s.update({ apiToken: undefined, launchAtLogin: true });
    expect(s.get()).toMatchObject({ apiToken: 'keep-me', launchAtLogin: true });
    expect((await s.update({ apiToken: null })).apiTokenSet).toBe(false);
    expect((await onDisk()).apiToken).toBeNull();
  });

  it('is stored as plain text without a working codec (web mode)', async () => {
    const s = store({ secretCodec: { ...codec, available: false } });
    await s.load();
    await s.update({ apiToken: 'plain-token' });
    expect((await onDisk()).apiToken).toBe('plain-token');
  });

  it('keeps a token web mode cannot decrypt, until a new one is set', async () => {
    await writeFile(file, JSON.stringify({ apiToken: { encrypted: 'enc:c2VjcmV0' } }));
    const web = store();
    const view = await web.load();
    expect(web.get().apiToken).toBeNull();
    expect(view.messages[0]).toContain('encrypted by the desktop app');
    await web.update({ launchAtLogin: true });
    expect((await onDisk()).apiToken).toEqual({ encrypted: 'enc:c2VjcmV0' });

    const desktop = store({ secretCodec: codec });
    await desktop.load();
    expect(desktop.get().apiToken).toBe('secret');

    await web.update({ apiToken: null });
    expect((await onDisk()).apiToken).toBeNull();
  });

  it('reports a token that cannot be decrypted', async () => {
    await writeFile(file, JSON.stringify({ apiToken: { encrypted: 'garbage' }, launchAtLogin: true }));
    const s = store({ secretCodec: codec });
    const view = await s.load();
    expect(s.get()).toMatchObject({ apiToken: null, launchAtLogin: true });
    expect(view.messages).toEqual(['The saved API token could not be decrypted. Enter it again in settings.']);
  });
});

describe('settings store: overrides', () => {
  it('apply to get() for this run, are named in the view, and are never saved', async () => {
    await writeFile(file, JSON.stringify({ baseUrl: 'http://127.0.0.1:1111' }));
    const s = store({ overrides: { baseUrl: 'http://127.0.0.1:2222', apiToken: 'from-flag' } });
    const view = await s.load();
    expect(s.get()).toMatchObject({ baseUrl: 'http://127.0.0.1:2222', apiToken: 'from-flag' });
    expect(view.baseUrl).toBe('http://127.0.0.1:2222');
    expect(view.messages).toHaveLength(2);
    expect(view.messages[0]).toContain('LM Studio address is set for this run only');
    await s.update({ launchAtLogin: true });
    expect(await onDisk()).toMatchObject({ baseUrl: 'http://127.0.0.1:1111', apiToken: null, launchAtLogin: true });
  });
});
