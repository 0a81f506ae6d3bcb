/**
 * The shape the app's own list files share (downloads.json, outages.json): one JSON object whose
 * `key` holds an array. Reading one is the same for each: a size cap, a byte-order mark tolerated,
 * anything else "not this file" (undefined), for the caller to set aside.
 */

/** The `key` array of the file's JSON, or undefined when the text is not such a file (or past `maxChars`). */
export function readListDocument(text: string, key: string, maxChars: number): unknown[] | undefined {
  if (text.length > maxChars) return undefined;
  try {
    // Windows editors (Notepad) may start the file with a byte-order mark, which JSON.parse refuses.
    const raw: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
    const list = (raw as Record<string, unknown>)[key];
    return Array.isArray(list) ? list : undefined;
  } catch {
    return undefined;
  }
}
