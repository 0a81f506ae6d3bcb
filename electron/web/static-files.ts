/**
 * Maps a request path to a file of the built renderer, and only ever to one inside it.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Content types of what vite emits (and a few more a build may copy from `public/`). */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * vite names bundled assets by content hash under `assets/`, so they never change and may be
 * cached for good. Everything else (index.html above all) is revalidated so a rebuild shows at
 * once. `private`: these responses need the session cookie, no shared cache may keep them.
 */
export function cacheControlFor(relativePath: string): string {
  if (/^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(relativePath)) return 'private, max-age=31536000, immutable';
  return 'no-cache, private';
}

export interface StaticFile {
  absolutePath: string;
  contentType: string;
  cacheControl: string;
}

/**
 * The file a URL path names under `staticDir` (`/` is `index.html`), or null when there is none
 * or the path tries to leave the folder (`..`, encoded slashes, NUL bytes, a symlink out).
 */
export async function resolveStaticFile(staticDir: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  if (relative.split('/').some((segment) => segment === '..')) return null;

  const root = path.resolve(staticDir);
  const candidate = path.resolve(root, relative);
  if (!isInside(root, candidate)) return null;
  try {
    // The real path too: a symlink inside the folder must not lead outside it.
    const [realRoot, realFile] = await Promise.all([fsp.realpath(root), fsp.realpath(candidate)]);
    if (!isInside(realRoot, realFile)) return null;
    const stat = await fsp.stat(realFile);
    if (!stat.isFile()) return null;
    return {
      absolutePath: realFile,
      contentType: contentTypeFor(realFile),
      cacheControl: cacheControlFor(path.relative(realRoot, realFile).split(path.sep).join('/')),
    };
  } catch {
    return null;
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
