/**
 * The IPC manager: one `ipcMain.handle` channel per command in the contract, each guarded by
 * the sender check, then handed to the core (which validates the payload with `parseCommand`).
 * Errors come back as `Result` values; nothing throws across the bridge.
 */
import type { IpcMainInvokeEvent } from 'electron';
import type { TrayCore } from '../core/interfaces';
import { COMMAND_NAMES, type CommandName, type Result } from '../shared/contract';
import { parseCommand } from '../shared/contract-schemas';

/** The subset of `ipcMain` used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcOptions {
  ipcMain: IpcMainLike;
  core: Pick<TrayCore, 'invoke'>;
  /** The sender check (security.ts `isTrustedSender` bound to the popup). */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  /** Called when the page first asks for its snapshot: it has subscribed and is ready for events. */
  onPageReady(): void;
  /** `popup:dismiss`: Escape reached the page unhandled, so the popup closes (main's job, not the core's). */
  onDismiss(): void;
  /** `app:save-diagnostics`: the report through a save dialog (diagnostics.ts; web mode has no dialog). */
  saveDiagnostics(): Promise<Result<{ path: string | null }>>;
  /** `app:open-log-folder`: the file manager on the log folder (diagnostics.ts). */
  openLogFolder(): Promise<Result<null>>;
  onRefused?(name: CommandName, event: IpcMainInvokeEvent): void;
}

/** Commands main answers itself: they need the window or the desktop, which the core has not. */
const ANSWERED_BY_MAIN: Partial<Record<CommandName, (options: IpcOptions) => Promise<Result<unknown>>>> = {
  'popup:dismiss': async (options) => {
    options.onDismiss();
    return { ok: true, value: null };
  },
  'app:save-diagnostics': (options) => options.saveDiagnostics(),
  'app:open-log-folder': (options) => options.openLogFolder(),
};

export const FOREIGN_SENDER_MESSAGE = 'This request did not come from the LM Studio Tray popup and was refused.';

/** Registers a handler for every command; returns a function that removes them all. */
export function setupIpc(options: IpcOptions): () => void {
  for (const name of COMMAND_NAMES) {
    options.ipcMain.handle(name, async (event, payload): Promise<Result<unknown>> => {
      if (!options.isTrustedSender(event)) {
        options.onRefused?.(name, event);
        return { ok: false, error: { code: 'forbidden', message: FOREIGN_SENDER_MESSAGE } };
      }
      if (name === 'app:get-snapshot') options.onPageReady();
      const answeredHere = ANSWERED_BY_MAIN[name];
      try {
        if (answeredHere) {
          // Answered here, not by the core, so checked against the contract here too.
          const parsed = parseCommand(name, payload);
          if (!parsed.ok) return parsed;
          return await answeredHere(options);
        }
        return await options.core.invoke(name, payload);
      } catch (error) {
        // core.invoke returns errors as values; this only catches a bug, still as a value.
        const detail = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          error: { code: 'internal', message: `Something went wrong inside LM Studio Tray: ${detail}` },
        };
      }
    });
  }
  return () => {
    for (const name of COMMAND_NAMES) options.ipcMain.removeHandler(name);
  };
}
