/**
 * The popup's page with its first snapshot inside: the same `app:get-snapshot` answer the page
 * would ask for over its WebSocket (and only ever served to the same token holder), so the model
 * list paints on the first render instead of after a socket connect and a round trip.
 */
import type { AppSnapshot, Result } from '../shared/contract';
import { FIRST_SNAPSHOT_ELEMENT_ID } from '../shared/web-protocol';

/**
 * `html` with the snapshot as a JSON data block before `</head>`, or null when there is nowhere
 * to put it or the snapshot could not be read (the page then asks over its socket, as before).
 * `<` is escaped so no value (a model name, an error text) can end the block.
 */
export async function pageWithFirstSnapshot(
  html: string,
  readSnapshot: () => Promise<Result<AppSnapshot>>,
): Promise<string | null> {
  const headEnd = html.indexOf('</head>');
  if (headEnd === -1) return null;
  const snapshot = await readSnapshot();
  if (!snapshot.ok) return null;
  const json = JSON.stringify(snapshot.value).replace(/</g, '\\u003c');
  const block = `<script type="application/json" id="${FIRST_SNAPSHOT_ELEMENT_ID}">${json}</script>\n`;
  return `${html.slice(0, headEnd)}${block}${html.slice(headEnd)}`;
}
