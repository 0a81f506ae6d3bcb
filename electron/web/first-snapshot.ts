/**
 * The popup's page with its first snapshot inside: the same `app:get-snapshot` answer the page
 * would ask for over its WebSocket (and only ever served to the same token holder), so the model
 * list paints on the first render instead of after a socket connect and a round trip. With a
 * renderer, the first view comes already rendered from that snapshot too, and the page hydrates it.
 */
import type { AppSnapshot, Result } from '../shared/contract';
import { FIRST_SNAPSHOT_ELEMENT_ID } from '../shared/web-protocol';

/** The markup of the page's `#root` for a snapshot (renderer/src/first-view-server.tsx). */
export type RenderFirstView = (snapshot: AppSnapshot) => string;

/** Where the page's React root is, empty, in the built index.html. */
const EMPTY_ROOT = '<div id="root"></div>';

/**
 * `html` with the snapshot as a JSON data block at the end of `<body>`, or null when there is
 * nowhere to put it or the snapshot could not be read (the page then asks over its socket, as
 * before). At the end, so the browser parses and paints the rows before 300 KB of JSON (1,000
 * models); the page's module script runs after the whole document anyway.
 * `<` is escaped so no value (a model name, an error text) can end the block.
 * With `renderFirstView`, `#root` holds the first view rendered from that snapshot; if it cannot
 * be rendered (`onRenderError` hears why) the page renders it itself, as without.
 */
export async function pageWithFirstSnapshot(
  html: string,
  readSnapshot: () => Promise<Result<AppSnapshot>>,
  renderFirstView?: () => Promise<RenderFirstView | null>,
  onRenderError?: (error: unknown) => void,
): Promise<string | null> {
  const bodyEnd = html.lastIndexOf('</body>');
  if (bodyEnd === -1) return null;
  const snapshot = await readSnapshot();
  if (!snapshot.ok) return null;
  const json = JSON.stringify(snapshot.value).replace(/</g, '\\u003c');
  const block = `<script type="application/json" id="${FIRST_SNAPSHOT_ELEMENT_ID}">${json}</script>\n`;
  const page = `${html.slice(0, bodyEnd)}${block}${html.slice(bodyEnd)}`;
  const markup = renderFirstView ? await renderedOrNull(snapshot.value, renderFirstView, onRenderError) : null;
  if (markup === null || !page.includes(EMPTY_ROOT)) return page;
  return page.replace(EMPTY_ROOT, () => `<div id="root">${markup}</div>`);
}

async function renderedOrNull(
  snapshot: AppSnapshot,
  renderFirstView: () => Promise<RenderFirstView | null>,
  onRenderError: ((error: unknown) => void) | undefined,
): Promise<string | null> {
  try {
    const render = await renderFirstView();
    return render ? render(snapshot) : null;
  } catch (error) {
    onRenderError?.(error);
    return null;
  }
}
