/**
 * What the tray shows for a snapshot of the core: the icon state, the tooltip and the context
 * menu's items. Pure functions of `AppSnapshot`, so every state is unit-tested without Electron;
 * `tray.ts` turns the result into a real `Tray` and `Menu`.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { availability, hasLocalLms } from '../shared/availability';
import {
  type AppSnapshot,
  type DownloadState,
  FINISHED_DOWNLOAD_STATUSES,
  type ModelActivity,
  SERVER_STATE_LABELS,
  type ServerState,
  type ServerStatus,
} from '../shared/contract';

/** The six looks of the tray icon, one glyph each (see scripts/make-icons.ts). */
export const TRAY_ICON_STATES = ['idle', 'loaded', 'generating', 'downloading', 'offline', 'attention'] as const;
export type TrayIconState = (typeof TRAY_ICON_STATES)[number];

/** States where the user must act before anything works: a token, or another program on the port. */
const ATTENTION_STATES: readonly ServerState[] = ['unauthorized', 'foreign'];

/** Downloads still running (or about to), as opposed to finished ones kept for their outcome. */
export function activeDownloads(snapshot: AppSnapshot): DownloadState[] {
  return snapshot.downloads.filter((download) => !FINISHED_DOWNLOAD_STATUSES.includes(download.status));
}

/** Nothing answers, or `lms` said LM Studio is not running: nothing downloads, answers or stays loaded. */
function lmStudioDown(status: ServerStatus): boolean {
  return status.state === 'offline' || status.lmStudioClosed;
}

/**
 * The models answering a request now, from `lms log stream`. Only while the stream is followed
 * and LM Studio is up: counts kept from an earlier stream say nothing about now.
 */
export function generatingModels(snapshot: AppSnapshot): ModelActivity[] {
  if (snapshot.activity.state !== 'following' || lmStudioDown(snapshot.status)) return [];
  return snapshot.activity.models.filter((model) => model.inProgress > 0);
}

/**
 * The icon for a snapshot: offline > attention > downloading > generating > loaded > idle.
 * LM Studio down wins (a download waiting for it does not run); then a problem the user must
 * fix; then a running download (it may run while the HTTP server is stopped: `lms get` talks to
 * LM Studio directly); then a request being answered (`lms chat` works without the server too);
 * then any other state without the server (stopped, not answering, checking) is offline; then
 * whether a model is loaded.
 */
export function trayIconState(snapshot: AppSnapshot): TrayIconState {
  const { status } = snapshot;
  if (lmStudioDown(status)) return 'offline';
  if (ATTENTION_STATES.includes(status.state)) return 'attention';
  if (activeDownloads(snapshot).length > 0) return 'downloading';
  if (generatingModels(snapshot).length > 0) return 'generating';
  if (status.state !== 'online') return 'offline';
  return loadedNow(snapshot).length > 0 ? 'loaded' : 'idle';
}

/** Tokens per second as the popup shows them: one decimal below 100 (`41.2`, `42.0`), whole above (`131`). */
export function formatTokensPerSecond(tokensPerSecond: number): string {
  const tenths = Math.round(tokensPerSecond * 10) / 10;
  return tenths < 100 ? tenths.toFixed(1) : String(Math.round(tokensPerSecond));
}

/** "qwen3-4b" for "qwen/qwen3-4b": the tray has little room, the popup shows full keys. */
function shortName(identifier: string): string {
  const slash = identifier.lastIndexOf('/');
  return slash >= 0 && slash < identifier.length - 1 ? identifier.slice(slash + 1) : identifier;
}

/** The loaded instances the tray may show: none while LM Studio is closed, whatever list is in hand. */
function loadedNow(snapshot: AppSnapshot): AppSnapshot['models']['loaded'] {
  return availability(snapshot.status).loaded === 'app-closed' ? [] : snapshot.models.loaded;
}

function loadedPhrase(snapshot: AppSnapshot): string | null {
  const loaded = loadedNow(snapshot);
  if (loaded.length === 0) return snapshot.status.state === 'online' ? 'no model loaded' : null;
  if (loaded.length === 1) return `${shortName(loaded[0]!.identifier)} loaded`;
  return `${loaded.length} models loaded`;
}

/** `generating (last 41.2 tok/s)`: the last answer's speed of the model answering now. */
function generatingPhrase(snapshot: AppSnapshot): string | null {
  const busy = generatingModels(snapshot);
  if (busy.length === 0) return null;
  if (busy.length > 1) return `${busy.length} models generating`;
  const last = busy[0]!.last?.tokensPerSecond ?? null;
  return last === null ? 'generating' : `generating (last ${formatTokensPerSecond(last)} tok/s)`;
}

function downloadPhrase(snapshot: AppSnapshot, withPercent: boolean): string | null {
  const active = activeDownloads(snapshot);
  if (active.length === 0) return null;
  if (active.length > 1) return `downloading ${active.length} models`;
  const percent = active[0]!.percent;
  return withPercent && percent !== null ? `downloading ${Math.floor(percent)}%` : 'downloading';
}

/** The state in words, e.g. "LM Studio: online · qwen3-4b loaded · generating (last 41.2 tok/s) · downloading 42%". */
export function trayTooltip(snapshot: AppSnapshot): string {
  const label = SERVER_STATE_LABELS[snapshot.status.state].toLowerCase();
  const parts = [
    `LM Studio: ${label}`,
    loadedPhrase(snapshot),
    generatingPhrase(snapshot),
    downloadPhrase(snapshot, true),
  ];
  if (snapshot.status.unstable) parts.push('connection unstable');
  return parts.filter((part): part is string => part !== null).join(' · ');
}

/** What the menu's items do; `tray.ts` maps them to core commands and the popup. */
export interface TrayMenuActions {
  openPopup(): void;
  openSettings(): void;
  unload(identifier: string): void;
  unloadAll(): void;
  startServer(): void;
  stopServer(): void;
  quit(options: { cancelDownloads: boolean }): void;
}

/**
 * What a loaded model is doing, from the stream: `qwen3-4b · Generating`, `qwen3-4b · idle ·
 * 42.0 tok/s` (its last answer's speed). Null while the stream is not followed: unknown then.
 */
function modelStateLine(snapshot: AppSnapshot, identifier: string): string | null {
  if (snapshot.activity.state !== 'following' || lmStudioDown(snapshot.status)) return null;
  const activity = snapshot.activity.models.find((model) => model.identifier === identifier);
  const parts = [shortName(identifier)];
  if (activity && activity.inProgress > 0) {
    parts.push('Generating');
    if (activity.inProgress > 1) parts.push(`${activity.inProgress} requests`);
    if (activity.possiblyStuckSince !== null) parts.push('possibly stuck');
  } else {
    parts.push('idle');
    const last = activity?.last?.tokensPerSecond ?? null;
    if (last !== null) parts.push(`${formatTokensPerSecond(last)} tok/s`);
  }
  return parts.join(' · ');
}

/** Why Start server or Stop server cannot work, for its sublabel (the status line says the state). */
function serverActionReason(snapshot: AppSnapshot): string | null {
  const { status } = snapshot;
  if (status.remote) return 'LM Studio is on another machine';
  if (status.lmsPath === null) return 'the lms tool was not found';
  if (['online', 'unauthorized', 'offline', 'server-stopped'].includes(status.state)) return null;
  if (status.state === 'checking') return 'still checking';
  if (status.state === 'foreign') return 'another program holds the port';
  return 'LM Studio is not answering';
}

/**
 * The context menu. Linux (AppIndicator) may never deliver clicks on the icon, so "Open" here is
 * the way to the popup there; everything the menu shows comes from the snapshot, and the menu is
 * rebuilt when any of it changes (Linux only shows a menu that is set again).
 */
export function trayMenuTemplate(snapshot: AppSnapshot, actions: TrayMenuActions): MenuItemConstructorOptions[] {
  const { status } = snapshot;
  const loaded = loadedNow(snapshot);
  const allowed = availability(status);
  const statusLine = [SERVER_STATE_LABELS[status.state], loadedPhrase(snapshot), downloadPhrase(snapshot, false)]
    .filter((part): part is string => part !== null)
    .join(' · ');

  const items: MenuItemConstructorOptions[] = [
    { id: 'open', label: 'Open LM Studio Tray', click: () => actions.openPopup() },
    { type: 'separator' },
    { id: 'status', label: statusLine, enabled: false },
  ];

  if (loaded.length > 0) {
    // The same rules as the popup's: an unload that cannot work now is disabled, with its reason.
    const unloadable = allowed.unload === null;
    const header = snapshot.models.stale ? 'Loaded models · last known' : 'Loaded models';
    // Kept models say so on every platform (a sublabel shows on macOS only): unloading one here
    // also turns its Keep loaded switch off.
    const kept = new Set(snapshot.kept.map((entry) => entry.modelKey));
    items.push({ type: 'separator' }, { id: 'loaded-header', label: header, enabled: false });
    // What each model is doing, as lines to read (disabled), above the actions.
    for (const instance of loaded) {
      const line = modelStateLine(snapshot, instance.identifier);
      if (line !== null) items.push({ id: `state:${instance.identifier}`, label: line, enabled: false });
    }
    for (const instance of loaded) {
      items.push({
        id: `unload:${instance.identifier}`,
        label: `Unload ${instance.identifier}${kept.has(instance.modelKey) ? ' · Kept loaded' : ''}`,
        enabled: unloadable,
        click: () => actions.unload(instance.identifier),
      });
    }
    items.push({ id: 'unload-all', label: 'Unload all', enabled: unloadable, click: () => actions.unloadAll() });
    if (allowed.unload !== null) items.push({ id: 'unload-reason', label: allowed.unload, enabled: false });
  }

  items.push({ type: 'separator' });
  const serverReason = serverActionReason(snapshot);
  // The reason as a sublabel (shown on macOS), and the status line above says the state everywhere.
  const because = serverReason === null ? {} : { sublabel: `Unavailable: ${serverReason}` };
  // A server that asks for a token is running: stopping it is what can be done.
  if (status.state === 'online' || status.state === 'unauthorized') {
    items.push({
      id: 'stop-server',
      label: 'Stop server',
      enabled: serverReason === null && hasLocalLms(status),
      ...because,
      click: () => actions.stopServer(),
    });
  } else {
    items.push({
      id: 'start-server',
      label: 'Start server',
      enabled: serverReason === null,
      ...because,
      click: () => actions.startServer(),
    });
  }

  items.push(
    { type: 'separator' },
    { id: 'settings', label: 'Settings…', click: () => actions.openSettings() },
    { type: 'separator' },
  );
  const downloading = activeDownloads(snapshot).length > 0;
  if (downloading && snapshot.settings.quitBehaviour === 'leave-downloads-running') {
    items.push(
      {
        id: 'quit',
        label: 'Quit (downloads continue in LM Studio)',
        click: () => actions.quit({ cancelDownloads: false }),
      },
      { id: 'quit-cancel', label: 'Quit and cancel downloads', click: () => actions.quit({ cancelDownloads: true }) },
    );
  } else {
    items.push({ id: 'quit', label: 'Quit', click: () => actions.quit({ cancelDownloads: false }) });
  }
  return items;
}

/**
 * A key for everything the menu shows (labels and enabled flags), so the tray rebuilds the menu
 * only when it would look different: download progress arrives ~10 times a second and a menu
 * replaced while open closes under the user's pointer on some desktops.
 */
export function menuKey(template: MenuItemConstructorOptions[]): string {
  return JSON.stringify(
    template.map((item) => [
      item.type ?? 'normal',
      item.id ?? '',
      item.label ?? '',
      item.sublabel ?? '',
      item.enabled ?? true,
    ]),
  );
}
