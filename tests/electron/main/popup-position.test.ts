import { describe, expect, it } from 'vitest';
import { POPUP_MARGIN, popupPosition, type Rect, taskbarEdge } from '../../../electron/main/popup-position';

const size = { width: 380, height: 560 };
const screenBounds: Rect = { x: 0, y: 0, width: 1920, height: 1080 };
const withTaskbar = {
  bottom: { bounds: screenBounds, workArea: { x: 0, y: 0, width: 1920, height: 1040 } },
  top: { bounds: screenBounds, workArea: { x: 0, y: 25, width: 1920, height: 1055 } },
  left: { bounds: screenBounds, workArea: { x: 60, y: 0, width: 1860, height: 1080 } },
  right: { bounds: screenBounds, workArea: { x: 0, y: 0, width: 1860, height: 1080 } },
  none: { bounds: screenBounds, workArea: screenBounds },
};

function inside(point: { x: number; y: number }, workArea: Rect): boolean {
  return (
    point.x >= workArea.x &&
    point.y >= workArea.y &&
    point.x + size.width <= workArea.x + workArea.width &&
    point.y + size.height <= workArea.y + workArea.height
  );
}

describe('popupPosition next to the icon', () => {
  it('Windows, taskbar at the bottom: above the icon, centred on it', () => {
    const icon = { x: 1700, y: 1045, width: 24, height: 32 };
    const p = popupPosition({
      trayBounds: icon,
      windowSize: size,
      display: withTaskbar.bottom,
      platform: 'win32',
      canPosition: true,
    });
    expect(p).toEqual({ x: 1700 + 12 - 190, y: 1040 - 560 - POPUP_MARGIN });
  });

  it('macOS menu bar at the top: below the icon', () => {
    const icon = { x: 1500, y: 0, width: 22, height: 24 };
    const p = popupPosition({
      trayBounds: icon,
      windowSize: size,
      display: withTaskbar.top,
      platform: 'darwin',
      canPosition: true,
    });
    // The menu bar (25 px) is taller than the icon: the popup starts below the bar.
    expect(p).toEqual({ x: 1511 - 190, y: 25 + POPUP_MARGIN });
  });

  it('taskbar on the left: to the right of the icon', () => {
    const icon = { x: 10, y: 900, width: 40, height: 40 };
    const p = popupPosition({
      trayBounds: icon,
      windowSize: size,
      display: withTaskbar.left,
      platform: 'win32',
      canPosition: true,
    });
    expect(p).toEqual({ x: 60 + POPUP_MARGIN, y: 1080 - 560 - POPUP_MARGIN });
  });

  it('taskbar on the right: to the left of the icon', () => {
    const icon = { x: 1870, y: 300, width: 40, height: 40 };
    const p = popupPosition({
      trayBounds: icon,
      windowSize: size,
      display: withTaskbar.right,
      platform: 'win32',
      canPosition: true,
    });
    expect(p).toEqual({ x: 1860 - 380 - POPUP_MARGIN, y: 320 - 280 });
  });

  it('an icon at the far corner is clamped into the work area', () => {
    const icon = { x: 1900, y: 1050, width: 20, height: 30 };
    const p = popupPosition({
      trayBounds: icon,
      windowSize: size,
      display: withTaskbar.bottom,
      platform: 'win32',
      canPosition: true,
    });
    expect(p.x).toBe(1920 - 380 - POPUP_MARGIN);
    expect(inside(p, withTaskbar.bottom.workArea)).toBe(true);
  });

  it('off-screen bounds (a stale icon on a detached monitor) still land inside the work area', () => {
    for (const icon of [
      { x: -5000, y: -5000, width: 24, height: 24 },
      { x: 9000, y: 9000, width: 24, height: 24 },
      { x: 900, y: -300, width: 24, height: 24 },
    ]) {
      const p = popupPosition({
        trayBounds: icon,
        windowSize: size,
        display: withTaskbar.bottom,
        platform: 'win32',
        canPosition: true,
      });
      expect(inside(p, withTaskbar.bottom.workArea)).toBe(true);
    }
  });

  it('an auto-hidden taskbar (icon inside the work area): above the icon on Windows, below it on Linux', () => {
    const icon = { x: 1700, y: 1050, width: 24, height: 24 };
    const p = popupPosition({
      trayBounds: icon,
      windowSize: size,
      display: withTaskbar.none,
      platform: 'win32',
      canPosition: true,
    });
    expect(p.y).toBe(1050 - 560 - POPUP_MARGIN);
    const top = { x: 1700, y: 2, width: 24, height: 24 };
    const q = popupPosition({
      trayBounds: top,
      windowSize: size,
      display: withTaskbar.none,
      platform: 'linux',
      canPosition: true,
    });
    expect(q.y).toBe(26 + POPUP_MARGIN);
  });

  it('a display with an offset (second monitor to the left)', () => {
    const display = {
      bounds: { x: -1280, y: 0, width: 1280, height: 1024 },
      workArea: { x: -1280, y: 0, width: 1280, height: 984 },
    };
    const icon = { x: -100, y: 990, width: 24, height: 30 };
    const p = popupPosition({ trayBounds: icon, windowSize: size, display, platform: 'win32', canPosition: true });
    expect(inside(p, display.workArea)).toBe(true);
    expect(p.x).toBe(-1280 + 1280 - 380 - POPUP_MARGIN);
  });
});

describe('popupPosition without usable bounds', () => {
  it('zero bounds (Linux AppIndicator): the corner where the panel is', () => {
    const zero = { x: 0, y: 0, width: 0, height: 0 };
    expect(
      popupPosition({
        trayBounds: zero,
        windowSize: size,
        display: withTaskbar.top,
        platform: 'linux',
        canPosition: true,
      }),
    ).toEqual({
      x: 1920 - 380 - POPUP_MARGIN,
      y: 25 + POPUP_MARGIN,
    });
    expect(
      popupPosition({
        trayBounds: zero,
        windowSize: size,
        display: withTaskbar.bottom,
        platform: 'linux',
        canPosition: true,
      }),
    ).toEqual({
      x: 1920 - 380 - POPUP_MARGIN,
      y: 1040 - 560 - POPUP_MARGIN,
    });
    expect(
      popupPosition({
        trayBounds: zero,
        windowSize: size,
        display: withTaskbar.left,
        platform: 'linux',
        canPosition: true,
      }),
    ).toEqual({
      x: 60 + POPUP_MARGIN,
      y: 1080 - 560 - POPUP_MARGIN,
    });
    expect(
      popupPosition({
        trayBounds: null,
        windowSize: size,
        display: withTaskbar.right,
        platform: 'linux',
        canPosition: true,
      }),
    ).toEqual({
      x: 1860 - 380 - POPUP_MARGIN,
      y: 1080 - 560 - POPUP_MARGIN,
    });
  });

  it('no reserved panel: top-right on Linux and macOS, bottom-right on Windows', () => {
    const zero = { x: 0, y: 0, width: 0, height: 0 };
    expect(
      popupPosition({
        trayBounds: zero,
        windowSize: size,
        display: withTaskbar.none,
        platform: 'linux',
        canPosition: true,
      }).y,
    ).toBe(POPUP_MARGIN);
    expect(
      popupPosition({
        trayBounds: zero,
        windowSize: size,
        display: withTaskbar.none,
        platform: 'win32',
        canPosition: true,
      }).y,
    ).toBe(1080 - 560 - POPUP_MARGIN);
  });

  it('Wayland (cannot position): the corner even when bounds are known', () => {
    const icon = { x: 900, y: 0, width: 24, height: 24 };
    expect(
      popupPosition({
        trayBounds: icon,
        windowSize: size,
        display: withTaskbar.top,
        platform: 'linux',
        canPosition: false,
      }),
    ).toEqual({
      x: 1920 - 380 - POPUP_MARGIN,
      y: 25 + POPUP_MARGIN,
    });
  });

  it('a work area smaller than the popup pins it to the top-left of the work area', () => {
    const tiny = { bounds: { x: 0, y: 0, width: 300, height: 400 }, workArea: { x: 0, y: 0, width: 300, height: 400 } };
    expect(
      popupPosition({ trayBounds: null, windowSize: size, display: tiny, platform: 'linux', canPosition: true }),
    ).toEqual({
      x: POPUP_MARGIN,
      y: POPUP_MARGIN,
    });
  });
});

describe('taskbarEdge', () => {
  it('reads the reserved strip', () => {
    expect(taskbarEdge(withTaskbar.bottom, 'linux')).toBe('bottom');
    expect(taskbarEdge(withTaskbar.top, 'win32')).toBe('top');
    expect(taskbarEdge(withTaskbar.left, 'darwin')).toBe('left');
    expect(taskbarEdge(withTaskbar.right, 'linux')).toBe('right');
  });
});
