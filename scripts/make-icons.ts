/**
 * Draws the tray and app icons as PNGs with nothing but node:zlib: each glyph is a few shapes
 * on a 16-unit grid, rendered with 4x4 supersampling per pixel for anti-aliased edges.
 *
 *   node --import tsx scripts/make-icons.ts        writes electron/main/assets/ and build/icon.png
 *
 * The outputs are committed; tests/scripts/make-icons.test.ts checks they match this script.
 *
 * Glyphs (shape, not only colour, tells the states apart, since macOS template images are
 * monochrome):
 *   idle         ring with a dot: the server is up, nothing loaded
 *   loaded       a solid disc: a model is in memory
 *   generating   the disc with three dots cut out ("…", as a chat shows an answer on its way): a
 *                loaded model is answering (static: no animation, changed at most once a second)
 *   downloading  an arrow into a tray
 *   offline      a ring struck through
 *   attention    a triangle with "!" cut out: a token is needed, or another program has the port
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { TRAY_ICON_STATES, type TrayIconState } from '../electron/main/tray-view';

type Rgb = readonly [number, number, number];
/** True when the point (in 16-unit glyph coordinates) is inside the shape. */
type Shape = (x: number, y: number) => boolean;
interface Layer {
  shape: Shape;
  /** null cuts the shape out of what is below (transparent). */
  color: Rgb | null;
}

// ----- shapes ---------------------------------------------------------------------------------

const disc =
  (cx: number, cy: number, r: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

const ring =
  (cx: number, cy: number, r: number, width: number): Shape =>
  (x, y) =>
    Math.abs(Math.hypot(x - cx, y - cy) - r) <= width / 2;

/** A line with round caps. */
const stroke =
  (ax: number, ay: number, bx: number, by: number, width: number): Shape =>
  (x, y) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(x - (ax + t * dx), y - (ay + t * dy)) <= width / 2;
  };

const polygon =
  (points: ReadonlyArray<readonly [number, number]>): Shape =>
  (x, y) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i]!;
      const [xj, yj] = points[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };

const union =
  (...shapes: Shape[]): Shape =>
  (x, y) =>
    shapes.some((shape) => shape(x, y));

// ----- glyphs ---------------------------------------------------------------------------------

/** The shapes of each state's glyph: `ink` is drawn, `cut` is removed from it. */
export function glyph(state: TrayIconState): { ink: Shape; cut?: Shape } {
  switch (state) {
    case 'idle':
      return { ink: union(ring(8, 8, 5.6, 1.9), disc(8, 8, 1.9)) };
    case 'loaded':
      return { ink: disc(8, 8, 6.6) };
    case 'generating':
      return { ink: disc(8, 8, 6.6), cut: union(disc(4.7, 8, 1.2), disc(8, 8, 1.2), disc(11.3, 8, 1.2)) };
    case 'downloading':
      return {
        ink: union(
          stroke(8, 1.8, 8, 10, 2),
          polygon([
            [3.6, 6.6],
            [12.4, 6.6],
            [8, 11.6],
          ]),
          stroke(2.6, 14, 13.4, 14, 1.8),
        ),
      };
    case 'offline':
      return { ink: union(ring(8, 8, 5.4, 1.6), stroke(3.2, 12.8, 12.8, 3.2, 1.7)) };
    case 'attention':
      return {
        ink: polygon([
          [8, 0.9],
          [15.4, 14.6],
          [0.6, 14.6],
        ]),
        cut: union(stroke(8, 5.4, 8, 9.4, 1.9), disc(8, 12, 1.1)),
      };
  }
}

/** Colours of the Windows/Linux set: `dark` is for a dark taskbar (brighter), `light` for a light one. */
export const STATE_COLORS: Record<TrayIconState, { dark: Rgb; light: Rgb }> = {
  idle: { dark: [61, 220, 132], light: [24, 140, 78] },
  loaded: { dark: [61, 220, 132], light: [24, 140, 78] },
  generating: { dark: [192, 132, 252], light: [126, 34, 206] },
  downloading: { dark: [96, 165, 250], light: [37, 99, 235] },
  offline: { dark: [176, 176, 176], light: [96, 96, 96] },
  attention: { dark: [251, 191, 36], light: [200, 110, 0] },
};

// ----- rendering ------------------------------------------------------------------------------

const SUBSAMPLES = 4;

/**
 * Renders layers into RGBA pixels. `unit` maps the 16-unit grid onto the image with `offset`
 * pixels of padding; each pixel averages SUBSAMPLES^2 samples, composited layer over layer.
 */
export function render(
  size: number,
  layers: Layer[],
  options: { background?: (x: number, y: number) => [number, number, number, number] } = {},
): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  const unit = size / 16;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SUBSAMPLES; sy++) {
        for (let sx = 0; sx < SUBSAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SUBSAMPLES) / unit;
          const y = (py + (sy + 0.5) / SUBSAMPLES) / unit;
          let [cr, cg, cb, ca] = options.background?.(x, y) ?? [0, 0, 0, 0];
          for (const layer of layers) {
            if (!layer.shape(x, y)) continue;
            if (layer.color === null) {
              ca = 0;
            } else {
              [cr, cg, cb, ca] = [...layer.color, 1];
            }
          }
          // Premultiplied accumulation, so transparent samples do not darken the edge.
          r += cr * ca;
          g += cg * ca;
          b += cb * ca;
          a += ca;
        }
      }
      const i = (py * size + px) * 4;
      if (a > 0) {
        pixels[i] = Math.round(r / a);
        pixels[i + 1] = Math.round(g / a);
        pixels[i + 2] = Math.round(b / a);
      }
      pixels[i + 3] = Math.round((a / (SUBSAMPLES * SUBSAMPLES)) * 255);
    }
  }
  return pixels;
}

function glyphLayers(state: TrayIconState, color: Rgb): Layer[] {
  const { ink, cut } = glyph(state);
  return cut
    ? [
        { shape: ink, color },
        { shape: cut, color: null },
      ]
    : [{ shape: ink, color }];
}

// ----- PNG ------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes 8-bit RGBA pixels as a PNG (no filtering; zlib does the work). */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

// ----- the icon set ---------------------------------------------------------------------------

/** The app icon: the "loaded" idea on a rounded indigo square, readable from 16 px to 512 px. */
function appIcon(size: number): Buffer {
  const inSquare = (x: number, y: number) => {
    const r = 3.2;
    const dx = Math.max(0.6 + r - x, 0, x - (15.4 - r));
    const dy = Math.max(0.6 + r - y, 0, y - (15.4 - r));
    return dx * dx + dy * dy <= r * r;
  };
  const background = (x: number, y: number): [number, number, number, number] => {
    if (!inSquare(x, y)) return [0, 0, 0, 0];
    const t = (x + y) / 32;
    return [Math.round(67 + t * 50), Math.round(56 + t * 20), Math.round(202 + t * 30), 1];
  };
  const white: Rgb = [255, 255, 255];
  const green: Rgb = [74, 222, 128];
  return encodePng(
    size,
    size,
    render(
      size,
      [
        { shape: ring(8, 8, 4.6, 1.3), color: white },
        { shape: disc(8, 8, 2.3), color: green },
      ],
      { background },
    ),
  );
}

/** Every file the script writes, relative to the repository root, with its bytes. */
export function iconFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const tray = 'electron/main/assets/tray';
  for (const state of TRAY_ICON_STATES) {
    for (const [scale, size] of [
      ['', 16],
      ['@2x', 32],
    ] as const) {
      files.set(
        `${tray}/${state}Template${scale}.png`,
        encodePng(size, size, render(size, glyphLayers(state, [0, 0, 0]))),
      );
      for (const theme of ['dark', 'light'] as const) {
        const layers = glyphLayers(state, STATE_COLORS[state][theme]);
        files.set(`${tray}/${state}-${theme}${scale}.png`, encodePng(size, size, render(size, layers)));
      }
    }
  }
  files.set('electron/main/assets/app-icon.png', appIcon(256));
  files.set('build/icon.png', appIcon(512));
  return files;
}

function main(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const files = iconFiles();
  for (const [relative, bytes] of files) {
    const file = path.join(root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  process.stdout.write(`Wrote ${files.size} icons.\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
