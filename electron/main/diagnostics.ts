/**
 * The two diagnostics commands the desktop shell answers itself (ipc.ts), since only main has a
 * save dialog and a file manager: `app:save-diagnostics` (the core's report, through a save
 * dialog, written `0600`) and `app:open-log-folder`. Web mode has neither: there the page
 * downloads the report and shows the log's path.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { TrayCore } from '../core/interfaces';
import type { Result } from '../shared/contract';

/** The subset of Electron's `dialog` used here. */
export interface SaveDialogLike {
  showSaveDialog(options: {
    title?: string;
    defaultPath?: string;
    buttonLabel?: string;
    filters?: Array<{ name: string; extensions: string[] }>;
  }): Promise<{ canceled: boolean; filePath?: string }>;
}

/** The subset of Electron's `shell` used here: `openPath` resolves with an error message, '' on success. */
export interface OpenPathLike {
  openPath(path: string): Promise<string>;
}

export interface DiagnosticsActionsOptions {
  core: Pick<TrayCore, 'invoke'>;
  dialog: SaveDialogLike;
  shell: OpenPathLike;
  /** `app.getPath('downloads')`: where the dialog starts. */
  downloadsDir: () => string;
  /** The log files' folder, or null when this run has no log file. */
  logDir: string | null;
  /** Writes the report; `writePrivateFile` in production. */
  writeFile?: (file: string, text: string) => Promise<void>;
}

export interface DiagnosticsActions {
  save(): Promise<Result<{ path: string | null }>>;
  openLogFolder(): Promise<Result<null>>;
}

export function createDiagnosticsActions(options: DiagnosticsActionsOptions): DiagnosticsActions {
  const writeFile = options.writeFile ?? writePrivateFile;
  return {
    async save() {
      const report = await options.core.invoke('app:diagnostics', undefined);
      if (!report.ok) return report;
      // Not parented to the popup: it hides when it loses focus, and a sheet on a hidden window is lost.
      const chosen = await options.dialog.showSaveDialog({
        title: 'Save diagnostics',
        defaultPath: path.join(options.downloadsDir(), report.value.fileName),
        buttonLabel: 'Save',
        filters: [{ name: 'Text', extensions: ['txt'] }],
      });
      if (chosen.canceled || !chosen.filePath) return { ok: true, value: { path: null } };
      try {
        await writeFile(chosen.filePath, report.value.text);
      } catch (error) {
        const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return {
          ok: false,
          error: {
            code: 'unavailable',
            message: `Could not save the report to ${chosen.filePath} (${why}). Choose another folder, or use Copy diagnostics.`,
          },
        };
      }
      return { ok: true, value: { path: chosen.filePath } };
    },
    async openLogFolder() {
      if (options.logDir === null) {
        return { ok: false, error: { code: 'unavailable', message: 'This run of LM Studio Tray keeps no log file.' } };
      }
      // The folder exists once anything was logged; made here (0700) so the file manager never says it is missing.
      await fsp.mkdir(options.logDir, { recursive: true, mode: 0o700 }).catch(() => {});
      const failure = await options.shell.openPath(options.logDir);
      if (failure) {
        return {
          ok: false,
          error: {
            code: 'unavailable',
            message: `Could not open ${options.logDir}: ${failure}. Open it from your file manager.`,
          },
        };
      }
      return { ok: true, value: null };
    },
  };
}

/** Writes `text` to `file` readable by its owner alone (`0600`), a file it replaces included. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const handle = await fsp.open(file, 'w', 0o600);
  try {
    // An existing file keeps its mode through open: the report holds paths and settings, so narrow it.
    if (process.platform !== 'win32') await handle.chmod(0o600);
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}
