import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiagnosticsActions, writePrivateFile } from '../../../electron/main/diagnostics';
import { dialog, resetElectron, shell } from '../../mocks/electron';
import { createFakeCore, snapshot } from './fake-core';

const POSIX = process.platform !== 'win32';
const REPORT = {
  text: 'LM Studio Tray diagnostics\nLM Studio version: 0.4.2\n',
  fileName: 'lmstudio-tray-diagnostics-20261202-0905.txt',
};

let dir: string;
beforeEach(async () => {
  resetElectron();
  dir = await mkdtemp(path.join(os.tmpdir(), 'main-diagnostics-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function actions(logDir: string | null = path.join(dir, 'logs')) {
  const core = createFakeCore(snapshot());
  core.reply = async (name) => (name === 'app:diagnostics' ? { ok: true, value: REPORT } : { ok: true, value: null });
  const made = createDiagnosticsActions({
    core,
    dialog,
    shell,
    downloadsDir: () => path.join(dir, 'Downloads'),
    logDir,
  });
  return { core, ...made };
}

describe('app:save-diagnostics on the desktop', () => {
  it('asks the core for the report, offers its name in Downloads and writes it 0600 where the user chose', async () => {
    const target = path.join(dir, 'report.txt');
    dialog.saveAnswer = { canceled: false, filePath: target };
    const { core, save } = actions();
    expect(await save()).toEqual({ ok: true, value: { path: target } });
    expect(core.invocations.map((call) => call.name)).toEqual(['app:diagnostics']);
    expect(dialog.saveDialogs).toEqual([
      expect.objectContaining({ defaultPath: path.join(dir, 'Downloads', REPORT.fileName), title: 'Save diagnostics' }),
    ]);
    expect(await readFile(target, 'utf8')).toBe(REPORT.text);
    if (POSIX) expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('replaces a file the user chose to overwrite, narrowing it to 0600', async () => {
    const target = path.join(dir, 'old.txt');
    await writeFile(target, 'an older and longer report that must not show through', { mode: 0o644 });
    dialog.saveAnswer = { canceled: false, filePath: target };
    expect(await actions().save()).toEqual({ ok: true, value: { path: target } });
    expect(await readFile(target, 'utf8')).toBe(REPORT.text);
    if (POSIX) expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('writes nothing when the dialog is cancelled', async () => {
    dialog.saveAnswer = { canceled: true };
    expect(await actions().save()).toEqual({ ok: true, value: { path: null } });
  });

  it('passes on the core refusing, and says what to do when the file cannot be written', async () => {
    const { core, save } = actions();
    core.reply = async () => ({ ok: false, error: { code: 'internal', message: 'boom' } });
    expect(await save()).toEqual({ ok: false, error: { code: 'internal', message: 'boom' } });
    expect(dialog.saveDialogs).toEqual([]);

    dialog.saveAnswer = { canceled: false, filePath: path.join(dir, 'no-such-folder', 'r.txt') };
    const result = await actions().save();
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    if (!result.ok) expect(result.error.message).toMatch(/Could not save the report to .*ENOENT.*Copy diagnostics/);
  });
});

describe('app:open-log-folder on the desktop', () => {
  it('opens the log folder in the file manager, made 0700 when it is not there yet', async () => {
    expect(await actions().openLogFolder()).toEqual({ ok: true, value: null });
    expect(shell.openedPaths).toEqual([path.join(dir, 'logs')]);
    if (POSIX) expect((await stat(path.join(dir, 'logs'))).mode & 0o777).toBe(0o700);
  });

  it('says so when the file manager refuses, or when this run keeps no log', async () => {
    shell.openPathFailure = 'No application is registered for folders';
    expect(await actions().openLogFolder()).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: expect.stringContaining('No application is registered for folders') },
    });
    expect(await actions(null).openLogFolder()).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});

describe('writePrivateFile', () => {
  it('creates a new file 0600', async () => {
    const file = path.join(dir, 'new.txt');
    await writePrivateFile(file, 'x');
    expect(await readFile(file, 'utf8')).toBe('x');
    if (POSIX) expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
