/**
 * Where the popup goes: next to the tray icon, on the side away from the taskbar, inside the
 * display's work area. Pure, so every edge and every odd case is tested without a screen.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export type Edge = 'top' | 'bottom' | 'left' | 'right';

export interface PopupPlacementInput {
  /** The tray icon's bounds from the click; all zeros where the platform does not say (Linux). */
  trayBounds: Rect | null;
  windowSize: { width: number; height: number };
  /** The display the icon (or, without bounds, the pointer) is on. */
  display: { bounds: Rect; workArea: Rect };
  platform: NodeJS.Platform;
  /** False on Wayland, where the compositor places windows and ignores positions. */
  canPosition: boolean;
}

/** A small gap so the popup does not touch the screen edge or the taskbar. */
export const POPUP_MARGIN = 8;

/** True when the platform gave no usable bounds (Linux AppIndicator reports all zeros). */
export function isUnknownBounds(bounds: Rect | null): boolean {
  return !bounds || (bounds.width <= 0 && bounds.height <= 0);
}

/**
 * The taskbar's edge, from the space the work area leaves out of the display. Without a
 * reserved strip (auto-hidden taskbar, most Linux panels under XWayland) it is the platform's
 * usual place: the top on macOS and Linux, the bottom on Windows.
 */
export function taskbarEdge(display: { bounds: Rect; workArea: Rect }, platform: NodeJS.Platform): Edge {
  const { bounds, workArea } = display;
  const gaps: Array<[Edge, number]> = [
    ['top', workArea.y - bounds.y],
    ['bottom', bounds.y + bounds.height - (workArea.y + workArea.height)],
    ['left', workArea.x - bounds.x],
    ['right', bounds.x + bounds.width - (workArea.x + workArea.width)],
  ];
  const [edge, gap] = gaps.reduce((best, next) => (next[1] > best[1] ? next : best));
  if (gap > 0) return edge;
  return platform === 'win32' ? 'bottom' : 'top';
}

/** The taskbar edge nearest the icon: the tray sits in the taskbar, so that is where it is. */
function edgeNearIcon(icon: Rect, display: { bounds: Rect; workArea: Rect }, platform: NodeJS.Platform): Edge {
  const { workArea } = display;
  const cx = icon.x + icon.width / 2;
  const cy = icon.y + icon.height / 2;
  if (cy < workArea.y) return 'top';
  if (cy > workArea.y + workArea.height) return 'bottom';
  if (cx < workArea.x) return 'left';
  if (cx > workArea.x + workArea.width) return 'right';
  return taskbarEdge(display, platform);
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(value, max));
}

/**
 * The popup's top-left corner. Next to the icon when its bounds are known and windows can be
 * placed; otherwise the work area's corner by the taskbar's end where trays live (right end
 * for a horizontal taskbar, bottom end for a vertical one). Always inside the work area.
 */
export function popupPosition(input: PopupPlacementInput): Point {
  const { windowSize, display, platform } = input;
  const { workArea } = display;
  const minX = workArea.x + POPUP_MARGIN;
  const minY = workArea.y + POPUP_MARGIN;
  const maxX = workArea.x + workArea.width - windowSize.width - POPUP_MARGIN;
  const maxY = workArea.y + workArea.height - windowSize.height - POPUP_MARGIN;
  const clampToWorkArea = (x: number, y: number): Point => ({
    x: Math.round(clamp(x, minX, Math.max(minX, maxX))),
    y: Math.round(clamp(y, minY, Math.max(minY, maxY))),
  });

  const icon = input.trayBounds;
  if (!input.canPosition || !icon || isUnknownBounds(icon)) {
    const edge = taskbarEdge(display, platform);
    if (edge === 'top') return clampToWorkArea(maxX, minY);
    if (edge === 'bottom') return clampToWorkArea(maxX, maxY);
    if (edge === 'left') return clampToWorkArea(minX, maxY);
    return clampToWorkArea(maxX, maxY);
  }

  const cx = icon.x + icon.width / 2;
  const cy = icon.y + icon.height / 2;
  switch (edgeNearIcon(icon, display, platform)) {
    case 'top':
      return clampToWorkArea(cx - windowSize.width / 2, Math.max(minY, icon.y + icon.height + POPUP_MARGIN));
    case 'bottom':
      return clampToWorkArea(cx - windowSize.width / 2, Math.min(maxY, icon.y - windowSize.height - POPUP_MARGIN));
    case 'left':
      return clampToWorkArea(Math.max(minX, icon.x + icon.width + POPUP_MARGIN), cy - windowSize.height / 2);
    case 'right':
      return clampToWorkArea(Math.min(maxX, icon.x - windowSize.width - POPUP_MARGIN), cy - windowSize.height / 2);
  }
}
