import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TRAY_ICON_STATES } from '../../electron/main/tray-view';
import { iconFiles } from '../../scripts/make-icons';

const root = path.resolve(import.meta.dirname, '..', '..');
const files = iconFiles();

/** Decodes the PNGs make-icons writes (RGBA, filter 0) back to pixels. */
function decode(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  const idatLength = png.readUInt32BE(33);
  expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
  const raw = inflateSync(png.subarray(41, 41 + idatLength));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, rgba };
}

describe('make-icons', () => {
  it('the committed icons are exactly what the script draws', () => {
    for (const [relative, bytes] of files) {
      expect(
        readFileSync(path.join(root, relative)).equals(bytes),
        `${relative} is stale: run node --import tsx scripts/make-icons.ts`,
      ).toBe(true);
    }
  });

  it('draws 1x and 2x images of the sizes a tray expects', () => {
    expect(decode(files.get('electron/main/assets/tray/idle-dark.png')!)).toMatchObject({ width: 16, height: 16 });
    expect(decode(files.get('electron/main/assets/tray/idle-dark@2x.png')!)).toMatchObject({ width: 32, height: 32 });
    expect(decode(files.get('build/icon.png')!)).toMatchObject({ width: 512, height: 512 });
  });

  it('template images are black with alpha, anti-aliased, and each state has its own shape', () => {
    const alphas = new Set<string>();
    for (const state of TRAY_ICON_STATES) {
      const { rgba } = decode(files.get(`electron/main/assets/tray/${state}Template@2x.png`)!);
      const alpha: number[] = [];
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i + 3]! > 0) expect([rgba[i], rgba[i + 1], rgba[i + 2]]).toEqual([0, 0, 0]);
        alpha.push(rgba[i + 3]!);
      }
      // Partly covered edge pixels: anti-aliasing, not a hard-edged stencil.
      expect(alpha.some((a) => a > 0 && a < 255)).toBe(true);
      alphas.add(alpha.join(','));
    }
    expect(alphas.size).toBe(TRAY_ICON_STATES.length);
  });

  it('writes every state in the macOS template and both themes, at 1x and 2x', () => {
    const tray = [...files.keys()].filter((file) => file.startsWith('electron/main/assets/tray/'));
    expect(tray).toHaveLength(TRAY_ICON_STATES.length * 6);
    for (const name of ['generatingTemplate', 'generating-dark', 'generating-light']) {
      expect(decode(files.get(`electron/main/assets/tray/${name}.png`)!)).toMatchObject({ width: 16, height: 16 });
      expect(decode(files.get(`electron/main/assets/tray/${name}@2x.png`)!)).toMatchObject({ width: 32, height: 32 });
    }
  });

  it("generating is the loaded disc with a chat's three dots cut out: the same outline, holes inside", () => {
    const alpha = (state: string) => {
      const { rgba } = decode(files.get(`electron/main/assets/tray/${state}Template@2x.png`)!);
      return (x: number, y: number) => rgba[(y * 32 + x) * 4 + 3]!;
    };
    const loaded = alpha('loaded');
    const generating = alpha('generating');
    // Row 16 crosses the three dots (at x = 4.7, 8, 11.3 units, 2 px a unit); the edge is the disc's.
    for (const x of [9, 16, 23]) {
      expect(loaded(x, 16)).toBe(255);
      expect(generating(x, 16)).toBe(0);
    }
    for (const [x, y] of [
      [16, 4],
      [16, 28],
      [4, 10],
    ] as const) {
      expect(generating(x, y)).toBe(loaded(x, y));
    }
  });
});
