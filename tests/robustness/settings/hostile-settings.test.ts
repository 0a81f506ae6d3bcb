/**
 * Hostile settings (issue 8, item 4): settings.json, the settings view and web mode's command
 * line given values meant to do harm or simply wrong. Each is refused with its reason; the
 * refused field falls back to its default and the rest of the file is kept, untouched.
 *
 * A new setting joins by adding lines to HOSTILE_VALUES; a new way to pick a program joins
 * HOSTILE_LMS_FILES.
 */
import { chmod, chown, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverLms, lmsPathProblem, lmsRefusalMessages } from '../../../electron/core/lmstudio/lms/discover';
import { nodeFileSystem } from '../../../electron/core/node-ports';
import type { Environment, FileStatus, FileSystem, Logger } from '../../../electron/core/ports';
import { createSettingsStore } from '../../../electron/core/settings/store';
import { DEFAULT_SETTINGS, type Settings } from '../../../electron/shared/contract';
import { parseCommand } from '../../../electron/shared/contract-schemas';
import { parseWebCliArgs } from '../../../electron/web/cli-args';
import { recordTally } from '../tally';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const POSIX = process.platform !== 'win32';
const ROOT = process.getuid?.() === 0;

interface HostileValue {
  field: keyof Settings;
  name: string;
  /** The value as it appears in settings.json (raw JSON, so `1e309` and `__proto__` stay themselves). */
  json: string;
  /** What the refusal says. */
  reason: RegExp;
  /** The web-mode flag that sets the same field, when there is one that takes this value. */
  flag?: '--base-url';
}

const TEN_KB = 'x'.repeat(10_240);

const HOSTILE_VALUES: HostileValue[] = [
  // LM Studio's address
  ...(
    [
      ['a user name and password', 'http://ada:hunter2@127.0.0.1:1234', /must not contain a user name or password/],
      ['a user name', 'http://ada@127.0.0.1:1234', /must not contain a user name or password/],
      ['file:', 'file:///etc/passwd', /must start with http:\/\/ or https:\/\/ \(not file:\)/],
      ['javascript:', 'javascript:alert(document.cookie)', /not javascript:/],
      ['data:', 'data:text/html,<script>alert(1)</script>', /not data:/],
      ['ftp:', 'ftp://127.0.0.1:1234', /not ftp:/],
      ['port 0', 'http://127.0.0.1:0', /port 0; a port is a number from 1 to 65535/],
      ['port 70000', 'http://127.0.0.1:70000', /port 70000; a port is a number from 1 to 65535/],
      ['a proxy path', 'http://127.0.0.1:1234/../../admin', /without a path/],
      ['a query', 'http://127.0.0.1:1234/?redirect=http://evil', /without a path/],
      ['a line break inside', 'http://127.0.0.1:1234/\nv1', /spaces or control characters/],
      ['a NUL inside', 'http://127.0.0.1\u0000.evil:1234', /spaces or control characters/],
      ['shell syntax', 'http://127.0.0.1:1234;$(rm -rf ~)', /spaces or control characters|not a valid/],
      ['only spaces', '   ', /empty/],
      ['10 KB', `http://${TEN_KB}.example:1234`, /too long/],
    ] as const
  ).map(
    ([name, value, reason]): HostileValue => ({
      field: 'baseUrl',
      name,
      json: JSON.stringify(value),
      reason,
      flag: '--base-url',
    }),
  ),
  { field: 'baseUrl', name: 'a number', json: '1234', reason: /must be/ },
  { field: 'baseUrl', name: 'an object', json: '{"href":"http://127.0.0.1:1234"}', reason: /must be/ },
  // The poll interval
  { field: 'pollIntervalMs', name: '0', json: '0', reason: /Poll at most once a second/ },
  { field: 'pollIntervalMs', name: '10^12', json: '1000000000000', reason: /Poll at least every 10 minutes/ },
  { field: 'pollIntervalMs', name: 'negative', json: '-5000', reason: /Poll at most once a second/ },
  { field: 'pollIntervalMs', name: 'a fraction', json: '1500.5', reason: /integer/i },
  { field: 'pollIntervalMs', name: 'infinity (1e309)', json: '1e309', reason: /integer|10 minutes/i },
  { field: 'pollIntervalMs', name: 'a numeric string', json: '"5000"', reason: /must be/ },
  { field: 'pollIntervalMs', name: 'null', json: 'null', reason: /must be/ },
  // The lms path (what the path names on disk is checked by discovery: HOSTILE_LMS_FILES)
  { field: 'lmsPath', name: 'empty', json: '""', reason: /The lms path is empty/ },
  { field: 'lmsPath', name: 'relative', json: '"lms"', reason: /must be a full path/ },
  { field: 'lmsPath', name: 'with ~', json: '"~/.lmstudio/bin/lms"', reason: /~ is not expanded/ },
  { field: 'lmsPath', name: 'a NUL inside', json: '"/usr/bin/lms\\u0000 --evil"', reason: /control characters/ },
  { field: 'lmsPath', name: 'a line break inside', json: '"/usr/bin/lms\\nrm -rf ~"', reason: /control characters/ },
  { field: 'lmsPath', name: '10 KB', json: JSON.stringify(`/${TEN_KB}`), reason: /too long/ },
  { field: 'lmsPath', name: 'an array', json: '["/bin/sh","-c","id"]', reason: /must be/ },
  // The rest
  { field: 'quitBehaviour', name: 'shell syntax', json: '"cancel-downloads; rm -rf ~"', reason: /must be/ },
  { field: 'launchAtLogin', name: 'a string', json: '"true"', reason: /must be/ },
  { field: 'notifications', name: 'a string', json: '"all"', reason: /must be/ },
  { field: 'notifications', name: 'a wrong toggle', json: '{"serverDown":"no"}', reason: /must be/ },
  {
    field: 'loadDefaults',
    name: 'a negative context',
    json: '{"contextLength":-1}',
    reason: /Context length is a whole number/,
  },
  // Kept models (issue 9): each key reaches `lms load` or LM Studio's load API whenever the server is online.
  ...(
    [
      ['a path as a key', '[{"modelKey":"../../etc/passwd","options":{}}]', /must not contain "\." or "\.\."/],
      ['shell syntax in a key', '[{"modelKey":"qwen/qwen3-4b; rm -rf ~","options":{}}]', /must not contain spaces/],
      ['a bidi control in a key', JSON.stringify([{ modelKey: 'qwen/\u202eqwen3-4b', options: {} }]), /U\+202E/],
      ['a 10 KB key', JSON.stringify([{ modelKey: `qwen/${TEN_KB}`, options: {} }]), /longer than 200 characters/],
      [
        '10,000 entries',
        JSON.stringify(Array.from({ length: 10_000 }, (_, i) => ({ modelKey: `owner/model-${i}`, options: {} }))),
        /Keep at most 32 models loaded/,
      ],
      [
        'the same model twice',
        '[{"modelKey":"qwen/qwen3-4b","options":{}},{"modelKey":"qwen/qwen3-4b","options":{"contextLength":8192}}]',
        /Each kept model is listed once/,
      ],
      // Read with JSON.parse it is an own key, never the prototype: the entry has no model key of its own.
      [
        'an entry whose key hides in __proto__',
        '[{"__proto__":{"modelKey":"qwen/qwen3-4b"},"options":{}}]',
        /must be|modelKey/,
      ],
      ['__proto__ instead of a list', '{"__proto__":[{"modelKey":"qwen/qwen3-4b","options":{}}]}', /must be/],
      ['a string', '"qwen/qwen3-4b"', /must be/],
      ['null inside', '[null]', /must be/],
      ['an entry without options', '[{"modelKey":"qwen/qwen3-4b"}]', /must be|options/],
      [
        'a negative context',
        '[{"modelKey":"qwen/qwen3-4b","options":{"contextLength":-1}}]',
        /Context length is a whole number/,
      ],
    ] as const
  ).map(([name, json, reason]): HostileValue => ({ field: 'keepLoaded', name, json, reason })),
  // The switches of issue 9: only true or false
  ...(['retryDownloads', 'checkDiskSpace', 'estimateMemory'] as const).flatMap((field): HostileValue[] => [
    { field, name: 'a string', json: '"false"', reason: /must be/ },
    { field, name: 'a number', json: '0', reason: /must be/ },
    { field, name: 'null', json: 'null', reason: /must be/ },
  ]),
  { field: 'apiToken', name: '10 KB', json: JSON.stringify(TEN_KB), reason: /Invalid length/ },
  { field: 'apiToken', name: 'a number', json: '42', reason: /must be/ },
];

/** Two fields the file also holds, to show the rest is kept; never the field under test. */
function companions(field: keyof Settings): Record<string, unknown> {
  return field === 'launchAtLogin'
    ? { quitBehaviour: 'cancel-downloads', pollIntervalMs: 7000 }
    : field === 'pollIntervalMs'
      ? { launchAtLogin: true, quitBehaviour: 'cancel-downloads' }
      : { launchAtLogin: true, pollIntervalMs: 7000 };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lmstudio-tray-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let checks = 0;

describe('hostile settings: values in settings.json, the settings view and the command line', () => {
  it.each(HOSTILE_VALUES.map((hostile) => [`${hostile.field}: ${hostile.name}`, hostile] as const))(
    '%s is refused with its reason, and the rest is kept',
    async (_name, hostile) => {
      const configDir = await mkdtemp(path.join(dir, 'case-'));
      const file = path.join(configDir, 'settings.json');
      const kept = companions(hostile.field);
      const keptJson = Object.entries(kept).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
      const text = `{${[...keptJson, '"__proto__": {"fromANewerVersion": true}', `"${hostile.field}": ${hostile.json}`].join(', ')}}\n`;
      await writeFile(file, text);

      // settings.json: the field falls back to its default, with a message naming it and why.
      const store = createSettingsStore({ fs: nodeFileSystem, configDir, logger: silent });
      const view = await store.load();
      expect(store.get()[hostile.field]).toEqual(DEFAULT_SETTINGS[hostile.field]);
      expect(store.get()).toMatchObject(kept);
      expect(view.messages).toHaveLength(1);
      expect(view.messages[0]).toMatch(hostile.reason);
      expect(view.messages[0]).toMatch(/in settings\.json was not valid .* and has been reset to its default\./s);
      expect(view.messages[0]).not.toContain('hunter2');
      expect(await readFile(file, 'utf8')).toBe(text);
      checks++;

      // A later save keeps every other key, even one named __proto__.
      await store.update({ quitBehaviour: 'leave-downloads-running' });
      const saved = JSON.parse(await readFile(file, 'utf8'));
      expect(Object.getOwnPropertyDescriptor(saved, '__proto__')?.value).toEqual({ fromANewerVersion: true });
      checks++;

      // The settings view sends the same value through the settings:update command.
      const value = JSON.parse(hostile.json);
      const command = parseCommand('settings:update', { [hostile.field]: value });
      expect(command.ok).toBe(false);
      if (!command.ok) {
        expect(command.error.code).toBe('invalid-input');
        expect(command.error.message).toMatch(hostile.reason);
        expect(command.error.message).not.toContain('hunter2');
      }
      checks++;

      // Web mode's flag for the same field.
      if (hostile.flag) {
        const cli = parseWebCliArgs([hostile.flag, value], {}, dir);
        expect(cli.kind).toBe('error');
        if (cli.kind === 'error') {
          expect(cli.message).toMatch(new RegExp(`${hostile.reason.source}|must be an http\\(s\\) URL`));
          expect(cli.message).not.toContain('hunter2');
        }
        checks++;
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// The file as a whole
// ---------------------------------------------------------------------------------------------

interface HostileFile {
  name: string;
  text: string;
  /** What the settings are after loading it. */
  settings: Partial<Settings>;
  /** The messages shown (each matched). */
  messages: RegExp[];
  /** True when the file is set aside as `settings.json.corrupt-*` (kept for the user). */
  setAside?: boolean;
}

const HOSTILE_FILES: HostileFile[] = [
  {
    name: 'a byte-order mark first (Windows Notepad)',
    text: '\uFEFF{"pollIntervalMs": 2000, "launchAtLogin": true}',
    settings: { pollIntervalMs: 2000, launchAtLogin: true },
    messages: [],
  },
  {
    name: 'an unknown key nested 200,000 deep',
    text: `{"future": ${'['.repeat(200_000)}${']'.repeat(200_000)}, "pollIntervalMs": 2000}`,
    settings: { pollIntervalMs: 2000 },
    messages: [/nested too deeply to be written back/],
  },
  {
    name: 'cut off mid-way',
    text: '{"pollIntervalMs": 2000, "launchAt',
    settings: DEFAULT_SETTINGS,
    messages: [/damaged .* kept as settings\.json\.corrupt-/],
    setAside: true,
  },
  {
    name: 'an array',
    text: '[{"pollIntervalMs": 2000}]',
    settings: DEFAULT_SETTINGS,
    messages: [/damaged/],
    setAside: true,
  },
  {
    name: 'NUL bytes',
    text: '\u0000\u0000\u0000',
    settings: DEFAULT_SETTINGS,
    messages: [/damaged/],
    setAside: true,
  },
  {
    name: 'duplicate keys (the last wins, as in JSON.parse)',
    text: '{"pollIntervalMs": 0, "pollIntervalMs": 3000}',
    settings: { pollIntervalMs: 3000 },
    messages: [],
  },
];

describe('hostile settings: the file as a whole', () => {
  it.each(HOSTILE_FILES.map((hostile) => [hostile.name, hostile] as const))(
    '%s: read as far as it can be, and a save still works',
    async (_name, hostile) => {
      const configDir = await mkdtemp(path.join(dir, 'file-'));
      const file = path.join(configDir, 'settings.json');
      await writeFile(file, hostile.text);
      const store = createSettingsStore({ fs: nodeFileSystem, configDir, logger: silent, now: () => 1 });
      const view = await store.load();
      expect(store.get()).toMatchObject(hostile.settings);
      expect(view.messages).toEqual(hostile.messages.map((message) => expect.stringMatching(message)));
      if (hostile.setAside)
        expect(await readFile(path.join(configDir, 'settings.json.corrupt-1'), 'utf8')).toBe(hostile.text);

      await store.update({ quitBehaviour: 'cancel-downloads' });
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
        ...hostile.settings,
        quitBehaviour: 'cancel-downloads',
      });
      checks++;
    },
  );
});

// ---------------------------------------------------------------------------------------------
// The lms path: what it names on disk
// ---------------------------------------------------------------------------------------------

interface HostileLmsFile {
  name: string;
  /** Makes the hostile `lms` under `root` and returns its path. */
  make(root: string): Promise<string>;
  reason: RegExp;
  /** chown needs root. */
  needsRoot?: boolean;
}

async function lmsAt(file: string, mode = 0o755): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  await writeFile(file, '#!/bin/sh\necho "not LM Studio"\n');
  await chmod(file, mode);
  return file;
}

const HOSTILE_LMS_FILES: HostileLmsFile[] = [
  {
    name: 'a directory',
    make: async (root) => {
      await mkdir(path.join(root, 'lms'), { mode: 0o755 });
      return path.join(root, 'lms');
    },
    reason: /is a folder, not the lms program/,
  },
  { name: 'missing', make: async (root) => path.join(root, 'nothing-here', 'lms'), reason: /does not exist/ },
  { name: 'not executable', make: (root) => lmsAt(path.join(root, 'bin', 'lms'), 0o644), reason: /not executable/ },
  {
    name: 'group-writable',
    make: (root) => lmsAt(path.join(root, 'bin', 'lms'), 0o775),
    reason: /can be changed by other users \(its mode is 0775/,
  },
  {
    name: 'other-writable',
    make: (root) => lmsAt(path.join(root, 'bin', 'lms'), 0o757),
    reason: /can be changed by other users \(its mode is 0757/,
  },
  {
    name: 'in a folder anyone can write to, without the sticky bit',
    make: async (root) => {
      const file = await lmsAt(path.join(root, 'shared', 'lms'));
      await chmod(path.dirname(file), 0o777);
      return file;
    },
    reason: /is in a folder any user can write to/,
  },
  {
    name: 'a link from a safe folder to a file in a folder anyone can write to',
    make: async (root) => {
      const target = await lmsAt(path.join(root, 'shared', 'lms'));
      await chmod(path.dirname(target), 0o777);
      await mkdir(path.join(root, 'safe'), { mode: 0o755 });
      await symlink(target, path.join(root, 'safe', 'lms'));
      return path.join(root, 'safe', 'lms');
    },
    reason: /is in a folder any user can write to \(.*shared\)/,
  },
  {
    name: 'owned by another user (not root, not this user)',
    make: async (root) => {
      const file = await lmsAt(path.join(root, 'bin', 'lms'));
      await chown(file, 4321, 4321);
      return file;
    },
    reason: /belongs to another user \(uid 4321\)/,
    needsRoot: true,
  },
];

/** A good lms on PATH, to show a refused path falls back to discovery as if none was set. */
async function goodLmsOnPath(root: string): Promise<string> {
  return lmsAt(path.join(root, 'good', 'bin', 'lms'));
}

// POSIX only: modes, owners and the sticky bit do not exist on Windows (the fake-disk cases above cover the rule).
describe.runIf(POSIX)('hostile settings: an lms path that must not be run (real files)', () => {
  // chown needs root: without it, the owner rule is checked on the fake file system below.
  const cases = HOSTILE_LMS_FILES.filter((hostile) => ROOT || !hostile.needsRoot);
  it.each(cases.map((hostile) => [hostile.name, hostile] as const))(
    '%s: refused with the reason, and lms is looked for elsewhere',
    async (_name, hostile) => {
      const root = await mkdtemp(path.join(dir, 'lms-'));
      await chmod(root, 0o755);
      const hostilePath = await hostile.make(root);
      const configDir = path.join(root, 'config');
      await mkdir(configDir);
      await writeFile(
        path.join(configDir, 'settings.json'),
        JSON.stringify({ lmsPath: hostilePath, launchAtLogin: true }),
      );
      const store = createSettingsStore({ fs: nodeFileSystem, configDir, logger: silent });
      await store.load();
      expect(store.get()).toMatchObject({ lmsPath: hostilePath, launchAtLogin: true });

      const good = await goodLmsOnPath(root);
      const environment: Environment = { platform: process.platform, homedir: root, env: {}, uid: process.getuid?.() };
      const found = await discoverLms({
        configuredPath: store.get().lmsPath,
        environment,
        fs: nodeFileSystem,
        which: async () => good,
      });
      expect(found.path).toBe(good);
      expect(found.refused).toEqual([
        { path: hostilePath, reason: expect.stringMatching(hostile.reason), configured: true },
      ]);
      expect(lmsRefusalMessages(found)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^The lms path in Settings \\(.*\\) .*${hostile.reason.source}.*so it is not used\\. Using .* instead\\.$`,
          ),
        ),
      ]);
      checks++;
    },
  );

  it('runs an lms that is safe: your own, 0755, in a folder with the sticky bit (like /tmp)', async () => {
    const root = await mkdtemp(path.join(dir, 'lms-'));
    const file = await lmsAt(path.join(root, 'sticky', 'lms'));
    await chmod(path.dirname(file), 0o1777);
    const environment: Environment = { platform: process.platform, homedir: root, env: {}, uid: process.getuid?.() };
    expect(await lmsPathProblem(file, nodeFileSystem, environment)).toBeNull();
    checks++;
  });
});

describe('hostile settings: an lms path that must not be run (a fake file system, any machine)', () => {
  const me = 1000;
  /** A fake disk: the lms and its folder with the given mode and owner. */
  function fakeDisk(lms: Partial<FileStatus>, folder: Partial<FileStatus> = {}): FileSystem {
    const statuses: Record<string, FileStatus> = {
      '/opt/lm/bin/lms': { kind: 'file', mode: 0o755, uid: me, ...lms },
      '/opt/lm/bin': { kind: 'directory', mode: 0o755, uid: me, ...folder },
    };
    return {
      ...nodeFileSystem,
      isExecutable: async (file) => statuses[file]?.kind === 'file' && ((statuses[file]?.mode ?? 0) & 0o111) !== 0,
      stat: async (file) => {
        const status = statuses[file];
        if (!status) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
        return status;
      },
      realpath: async (file) => file,
    };
  }
  const environment: Environment = { platform: 'linux', homedir: '/home/me', env: {}, uid: me };

  it.each([
    ['a directory', { kind: 'directory' as const }, {}, /is a folder/],
    ['group-writable', { mode: 0o775 }, {}, /can be changed by other users/],
    ['other-writable', { mode: 0o757 }, {}, /can be changed by other users/],
    ['owned by another user', { uid: 4321 }, {}, /belongs to another user \(uid 4321\)/],
    ['in a folder anyone can write to', {}, { mode: 0o777 }, /in a folder any user can write to \(\/opt\/lm\/bin\)/],
  ])('%s is refused', async (_name, lms, folder, reason) => {
    const problem = await lmsPathProblem('/opt/lm/bin/lms', fakeDisk(lms, folder), environment);
    expect(problem?.reason).toMatch(reason);
    checks++;
  });

  it.each([
    ['your own, 0755', {}, {}],
    ["root's", { uid: 0 }, {}],
    ['in a folder with the sticky bit', {}, { mode: 0o1777 }],
  ])('%s is run', async (_name, lms, folder) => {
    expect(await lmsPathProblem('/opt/lm/bin/lms', fakeDisk(lms, folder), environment)).toBeNull();
    checks++;
  });

  it('checks no permission bits on Windows, which has none', async () => {
    const windows: Environment = { platform: 'win32', homedir: 'C:\\Users\\ada', env: {} };
    expect(await lmsPathProblem('/opt/lm/bin/lms', fakeDisk({ mode: 0o777 }), windows)).toBeNull();
    checks++;
  });
});

afterAll(() => {
  // Every case above asserted its refusal; none crashed or hung (a crash fails the test).
  recordTally({ family: 'hostile settings', cases: checks, crashes: 0, hangs: 0 });
});
