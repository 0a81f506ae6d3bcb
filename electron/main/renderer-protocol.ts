/**
 * The popup's page is served from a custom privileged scheme, `app://popup/`, not file://.
 *
 * Why: a file:// page has an opaque origin and (unless a fuse removes it) reads any file on the
 * disk, and every file:// URL would share that origin. `app://popup` is a real, standard,
 * secure origin of our own: the IPC sender check compares it exactly, the CSP's `'self'` means
 * "our renderer folder" and nothing else, and this handler refuses everything outside it.
 */
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'popup';
export const POPUP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * The response header twin of the renderer's meta CSP. Electron needs no network access from
 * the page (all traffic goes through IPC), so `connect-src` is just our own scheme.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * What `protocol.registerSchemesAsPrivileged` needs, before `ready`: a standard scheme (real
 * origin, relative URLs), secure (a secure context), fetchable, and CORS-enabled because vite
 * emits `<script type="module" crossorigin>`, which is fetched in CORS mode. Responses carry no
 * `Access-Control-Allow-Origin`, so no other origin can read them.
 */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
} as const;

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** True when the page URL belongs to our popup (exact scheme and host). */
export function isPopupUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    // Node's URL gives a custom scheme the origin "null", so compare its parts instead.
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && !url.username && !url.password;
  } catch {
    return false;
  }
}

/**
 * The file a request maps to, or null when it must be refused: another host, a path that
 * leaves the renderer folder (`..`, encoded or not, backslashes, NUL bytes), a malformed escape.
 */
export function resolveRendererFile(rendererDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, relative);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  return file;
}

/**
 * The `protocol.handle('app', ...)` handler: serves only files under `rendererDir`, with the CSP
 * as a header. `readFile` is injected (Electron's fs reads inside app.asar).
 */
export function createRendererHandler(
  rendererDir: string,
  readFile: (file: string) => Promise<Uint8Array>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
    const file = resolveRendererFile(rendererDir, request.url);
    if (!file) return textResponse(403, 'Forbidden');
    let body: Uint8Array;
    try {
      body = await readFile(file);
    } catch {
      return textResponse(404, 'Not found');
    }
    const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: {
        'Content-Type': type,
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      },
    });
  };
}

function textResponse(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY },
  });
}
