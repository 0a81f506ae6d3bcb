/**
 * Which rows of a long list to render. Rows have one fixed height, except that at most one row
 * may be expanded (its load options open) by a measured extra height.
 */
export interface WindowInput {
  count: number;
  rowHeight: number;
  viewportHeight: number;
  scrollTop: number;
  /** Rows rendered beyond each edge, so fast scrolling and Tab do not meet blank space. */
  overscan: number;
  expanded: { index: number; extraHeight: number } | null;
}

export interface WindowRange {
  /** First rendered row. */
  start: number;
  /** One past the last rendered row. */
  end: number;
  /** Space above the first rendered row and below the last, in pixels. */
  paddingTop: number;
  paddingBottom: number;
  totalHeight: number;
}

/** The rows that intersect the viewport, plus `overscan` on each side. */
export function computeWindow({
  count,
  rowHeight,
  viewportHeight,
  scrollTop,
  overscan,
  expanded,
}: WindowInput): WindowRange {
  const extra = expanded && expanded.index < count ? Math.max(0, expanded.extraHeight) : 0;
  const expandedIndex = extra > 0 && expanded ? expanded.index : -1;
  const offsetOf = (index: number): number =>
    index * rowHeight + (expandedIndex >= 0 && index > expandedIndex ? extra : 0);
  const indexAt = (y: number): number => {
    if (expandedIndex < 0 || y < (expandedIndex + 1) * rowHeight) return Math.floor(y / rowHeight);
    if (y < (expandedIndex + 1) * rowHeight + extra) return expandedIndex;
    return Math.floor((y - extra) / rowHeight);
  };
  const clamp = (index: number): number => Math.min(count, Math.max(0, index));
  const top = Math.max(0, scrollTop);
  const start = clamp(indexAt(top) - overscan);
  const end = clamp(indexAt(top + Math.max(0, viewportHeight)) + 1 + overscan);
  const totalHeight = count * rowHeight + extra;
  return { start, end, paddingTop: offsetOf(start), paddingBottom: totalHeight - offsetOf(end), totalHeight };
}
