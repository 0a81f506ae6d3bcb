/**
 * The one place that knows where the Bridge comes from: the Electron preload exposes it as
 * `window.lmstudioTray`; in a browser (web mode) the page opens a WebSocket to its own server.
 * Everything else in the page only sees the `Bridge` interface.
 */
import type { Bridge } from '../../../electron/shared/contract';
import { createWebSocketBridge } from './web-socket-bridge';

declare global {
  interface Window {
    /** Set by the Electron preload through `contextBridge`; absent in a browser. */
    lmstudioTray?: Bridge;
  }
}

/** The preload's bridge when there is one, else a WebSocket bridge to the page's own server. */
export function getBridge(): Bridge {
  return window.lmstudioTray ?? createWebSocketBridge();
}
