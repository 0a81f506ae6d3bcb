/**
 * A fake `electron` module for the shell's tests (`vi.mock('electron', () => import('../../mocks/electron'))`),
 * in the manner of electron/fiddle's tests/mocks. The real module cannot be imported under plain
 * Node: it tries to download the Electron binary and throws.
 *
 * Each fake records what the code did to it (images, tooltips, menus, positions, sent events,
 * handlers) so tests assert on behaviour rather than on mock call counts. `resetElectron()`
 * gives every test a fresh world.
 */
import { EventEmitter } from 'node:events';
import type { MenuItemConstructorOptions } from 'electron';

export interface FakeRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A fake frame: `url` is what the sender check reads. */
export class FakeWebFrameMain {
  constructor(public url: string) {}
}

/** A fake webContents: records sent events, handlers and script runs; `emit` drives its events. */
export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  readonly executed: string[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  mainFrame: FakeWebFrameMain;
  loadedUrl: string | null = null;
  destroyed = false;

  constructor(url = 'app://popup/index.html') {
    super();
    this.mainFrame = new FakeWebFrameMain(url);
  }
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  executeJavaScript(code: string): Promise<unknown> {
    this.executed.push(code);
    return Promise.resolve(undefined);
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Emits a cancellable event the way Electron does (`event.preventDefault()`), returns whether it was prevented. */
  emitCancellable(name: string, details: Record<string, unknown> = {}): boolean {
    let prevented = false;
    const event = { ...details, preventDefault: () => (prevented = true) };
    this.emit(name, event, details.url);
    return prevented;
  }
}

/** A fake BrowserWindow: visibility, position and the options it was built with. */
export class BrowserWindow extends EventEmitter {
  static readonly instances: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  visible = false;
  focused = false;
  destroyed = false;
  position: [number, number] = [0, 0];
  readonly visibleOnAllWorkspaces: boolean[] = [];

  constructor(public readonly options: Record<string, unknown> = {}) {
    super();
    this.visible = options.show === true;
    BrowserWindow.instances.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.webContents.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  show(): void {
    this.visible = true;
    this.emit('show');
  }
  hide(): void {
    this.visible = false;
    this.emit('hide');
  }
  focus(): void {
    this.focused = true;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setPosition(x: number, y: number): void {
    this.position = [x, y];
  }
  getBounds(): FakeRect {
    const { width = 0, height = 0 } = this.options as { width?: number; height?: number };
    return { x: this.position[0], y: this.position[1], width, height };
  }
  backgroundColor: string | null = null;
  setBackgroundColor(color: string): void {
    this.backgroundColor = color;
  }
  setVisibleOnAllWorkspaces(visible: boolean): void {
    this.visibleOnAllWorkspaces.push(visible);
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** A built menu: keeps its template so tests read labels and click items. */
export class FakeMenu {
  constructor(public readonly items: MenuItemConstructorOptions[]) {}
  /** The item with this id (throws a clear error when absent). */
  item(id: string): MenuItemConstructorOptions {
    const found = this.items.find((item) => item.id === id);
    if (!found) throw new Error(`No menu item "${id}" in ${this.items.map((i) => i.id ?? i.type).join(', ')}`);
    return found;
  }
  labels(): string[] {
    return this.items.filter((item) => item.type !== 'separator').map((item) => item.label ?? '');
  }
  click(id: string): void {
    const click = this.item(id).click as ((...args: unknown[]) => void) | undefined;
    if (!click) throw new Error(`Menu item "${id}" has no click handler`);
    click();
  }
}

export const Menu = {
  built: [] as FakeMenu[],
  buildFromTemplate(template: MenuItemConstructorOptions[]): FakeMenu {
    const menu = new FakeMenu(template);
    Menu.built.push(menu);
    return menu;
  },
};

/** A fake Tray: the image, tooltip and menu last set, and its bounds. */
export class Tray extends EventEmitter {
  static readonly instances: Tray[] = [];
  image: string;
  readonly images: string[] = [];
  toolTip = '';
  contextMenu: FakeMenu | null = null;
  readonly contextMenus: Array<FakeMenu | null> = [];
  readonly poppedUp: FakeMenu[] = [];
  bounds: FakeRect = { x: 0, y: 0, width: 0, height: 0 };
  destroyed = false;

  constructor(image: string) {
    super();
    this.image = image;
    Tray.instances.push(this);
  }
  setImage(image: string): void {
    this.image = image;
    this.images.push(image);
  }
  setToolTip(toolTip: string): void {
    this.toolTip = toolTip;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.contextMenu = menu;
    this.contextMenus.push(menu);
  }
  popUpContextMenu(menu?: FakeMenu): void {
    if (menu) this.poppedUp.push(menu);
  }
  getBounds(): FakeRect {
    return this.bounds;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** A fake Notification: every one constructed is kept; `shown` says whether `show()` ran. */
export class Notification extends EventEmitter {
  static readonly instances: Notification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return Notification.supported;
  }
  shown = false;
  constructor(public readonly options: { title?: string; body?: string; icon?: string }) {
    super();
    Notification.instances.push(this);
  }
  show(): void {
    this.shown = true;
  }
}

type InvokeHandler = (event: unknown, ...args: unknown[]) => unknown;

/** A fake ipcMain: `invoke(channel, event, payload)` runs the registered handler like a renderer call would. */
export const ipcMain = {
  handlers: new Map<string, InvokeHandler>(),
  handle(channel: string, handler: InvokeHandler): void {
    if (ipcMain.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcMain.handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    ipcMain.handlers.delete(channel);
  },
  async invoke(channel: string, event: unknown, payload?: unknown): Promise<unknown> {
    const handler = ipcMain.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, payload);
  },
};

/** A fake `app`: an EventEmitter with the calls the shell makes, recorded. */
class FakeApp extends EventEmitter {
  name = 'Electron';
  readonly paths = new Map<string, string>();
  readyResolvers: Array<() => void> = [];
  ready = false;
  singleInstanceLock = true;
  sandboxEnabled = false;
  quitCalls = 0;
  exitCode: number | null = null;
  appUserModelId: string | null = null;
  isPackaged = false;
  loginItemSettings: Array<Record<string, unknown>> = [];
  dock: { hidden: boolean; hide(): void } | undefined = {
    hidden: false,
    hide() {
      this.hidden = true;
    },
  };

  setName(name: string): void {
    this.name = name;
  }
  getName(): string {
    return this.name;
  }
  getVersion(): string {
    return '0.1.0';
  }
  getAppPath(): string {
    return '/fake/app';
  }
  setPath(name: string, value: string): void {
    this.paths.set(name, value);
  }
  getPath(name: string): string {
    return this.paths.get(name) ?? `/fake/${name}`;
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLock;
  }
  enableSandbox(): void {
    this.sandboxEnabled = true;
  }
  focusCalls: Array<{ steal?: boolean } | undefined> = [];
  focus(options?: { steal?: boolean }): void {
    this.focusCalls.push(options);
  }
  setAppUserModelId(id: string): void {
    this.appUserModelId = id;
  }
  setLoginItemSettings(settings: Record<string, unknown>): void {
    this.loginItemSettings.push(settings);
  }
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyResolvers.push(resolve));
  }
  /** Test helper: fires `ready`. */
  makeReady(): void {
    this.ready = true;
    for (const resolve of this.readyResolvers.splice(0)) resolve();
    this.emit('ready');
  }
  isReady(): boolean {
    return this.ready;
  }
  /** Like Electron: emits a cancellable `before-quit`; quits (emits `will-quit`) unless prevented. */
  quit(): void {
    this.quitCalls++;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.emit('will-quit');
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
}

export const app = new FakeApp();

export const screen = {
  displays: [] as Array<{ id: number; bounds: FakeRect; workArea: FakeRect; scaleFactor: number }>,
  cursor: { x: 0, y: 0 },
  getCursorScreenPoint: () => screen.cursor,
  getPrimaryDisplay: () => screen.displays[0]!,
  getDisplayNearestPoint(point: { x: number; y: number }) {
    return (
      screen.displays.find(
        (d) =>
          point.x >= d.bounds.x &&
          point.x < d.bounds.x + d.bounds.width &&
          point.y >= d.bounds.y &&
          point.y < d.bounds.y + d.bounds.height,
      ) ?? screen.displays[0]!
    );
  },
  getDisplayMatching(rect: FakeRect) {
    return screen.getDisplayNearestPoint({ x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 });
  },
};

export const nativeTheme = Object.assign(new EventEmitter(), { shouldUseDarkColors: false });
export const powerMonitor = new EventEmitter();

export const shell = {
  opened: [] as string[],
  openExternal(url: string): Promise<void> {
    shell.opened.push(url);
    return Promise.resolve();
  },
  /** Folders and files opened with `openPath`; it answers `openPathFailure` ('' is success, as in Electron). */
  openedPaths: [] as string[],
  openPathFailure: '',
  openPath(target: string): Promise<string> {
    shell.openedPaths.push(target);
    return Promise.resolve(shell.openPathFailure);
  },
};

/** A fake `dialog`: records each save dialog's options and answers with `saveAnswer`. */
export const dialog = {
  saveDialogs: [] as Array<Record<string, unknown>>,
  saveAnswer: { canceled: true } as { canceled: boolean; filePath?: string },
  showSaveDialog(options: Record<string, unknown>): Promise<{ canceled: boolean; filePath?: string }> {
    dialog.saveDialogs.push(options);
    return Promise.resolve(dialog.saveAnswer);
  },
};

type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
export const session = {
  defaultSession: {
    permissionRequestHandler: null as PermissionRequestHandler | null,
    permissionCheckHandler: null as ((...args: unknown[]) => boolean) | null,
    devicePermissionHandler: null as ((...args: unknown[]) => boolean) | null,
    setPermissionRequestHandler(handler: PermissionRequestHandler) {
      this.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: (...args: unknown[]) => boolean) {
      this.permissionCheckHandler = handler;
    },
    setDevicePermissionHandler(handler: (...args: unknown[]) => boolean) {
      this.devicePermissionHandler = handler;
    },
  },
};

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    if (app.ready) throw new Error('registerSchemesAsPrivileged must be called before app is ready');
    protocol.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    if (!app.ready) throw new Error('protocol.handle must be called after app is ready');
    protocol.handlers.set(scheme, handler);
  },
};

export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret',
  isEncryptionAvailable: () => safeStorage.available,
  getSelectedStorageBackend: () => safeStorage.backend,
  encryptString: (plain: string) => Buffer.from(`enc:${plain}`, 'utf8'),
  decryptString: (data: Buffer) => data.toString('utf8').replace(/^enc:/, ''),
};

/** The renderer-side fakes the preload uses. */
export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    contextBridge.exposed.set(key, api);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invocations: [] as Array<{ channel: string; payload: unknown }>,
  reply: (async () => ({ ok: true, value: null })) as (channel: string, payload: unknown) => Promise<unknown>,
  invoke(channel: string, payload: unknown): Promise<unknown> {
    ipcRenderer.invocations.push({ channel, payload });
    return ipcRenderer.reply(channel, payload);
  },
});

/** Gives the next test a fresh fake world. */
export function resetElectron(): void {
  app.removeAllListeners();
  Object.assign(app, new FakeApp());
  BrowserWindow.instances.length = 0;
  Tray.instances.length = 0;
  Notification.instances.length = 0;
  Notification.supported = true;
  Menu.built.length = 0;
  ipcMain.handlers.clear();
  screen.displays = [
    {
      id: 1,
      bounds: { x: 0, y: 0, width: 1920, height: 1080 },
      workArea: { x: 0, y: 0, width: 1920, height: 1040 },
      scaleFactor: 1,
    },
  ];
  screen.cursor = { x: 1800, y: 1060 };
  nativeTheme.removeAllListeners();
  nativeTheme.shouldUseDarkColors = false;
  powerMonitor.removeAllListeners();
  shell.opened.length = 0;
  shell.openedPaths.length = 0;
  shell.openPathFailure = '';
  dialog.saveDialogs.length = 0;
  dialog.saveAnswer = { canceled: true };
  const s = session.defaultSession;
  s.permissionRequestHandler = null;
  s.permissionCheckHandler = null;
  s.devicePermissionHandler = null;
  protocol.privileged.length = 0;
  protocol.handlers.clear();
  safeStorage.available = true;
  safeStorage.backend = 'gnome_libsecret';
  contextBridge.exposed.clear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invocations.length = 0;
  ipcRenderer.reply = async () => ({ ok: true, value: null });
}
resetElectron();
