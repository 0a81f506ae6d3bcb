/**
 * Web mode ships the page's first snapshot inside index.html (electron/web/first-snapshot.ts), so
 * the popup can render the models before its WebSocket is even open. The desktop app has none.
 */
import type { AppSnapshot } from '../../electron/shared/contract';
import { FIRST_SNAPSHOT_ELEMENT_ID } from '../../electron/shared/web-protocol';

/** The snapshot the page came with, or null (none, or unreadable: the socket brings one anyway). */
export function readFirstSnapshot(doc: Document = document): AppSnapshot | null {
  const element = doc.getElementById(FIRST_SNAPSHOT_ELEMENT_ID);
  if (!element) return null;
  // Read once: the store holds it from here on.
  element.remove();
  try {
    const value: unknown = JSON.parse(element.textContent ?? '');
    return looksLikeSnapshot(value) ? value : null;
  } catch {
    return null;
  }
}

function looksLikeSnapshot(value: unknown): value is AppSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const snapshot = value as Record<string, unknown>;
  const isObject = (field: unknown) => typeof field === 'object' && field !== null;
  return (
    isObject(snapshot.status) &&
    isObject(snapshot.models) &&
    Array.isArray(snapshot.downloads) &&
    Array.isArray(snapshot.loading) &&
    isObject(snapshot.settings) &&
    isObject(snapshot.app)
  );
}

/**
 * The moment web mode's first view shows time-dependent text (a TTL's "unloads in 12 min") as of,
 * on the server (first-view-server.tsx) and in the page's hydrating render alike: the snapshot's
 * own check time, which both have.
 */
export function firstViewTime(snapshot: AppSnapshot): number {
  return snapshot.status.checkedAt;
}
