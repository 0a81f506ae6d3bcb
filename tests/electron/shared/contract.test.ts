import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../electron/shared/contract-schemas';

const TEN_KB = 'x'.repeat(10 * 1024);

function message(name: Parameters<typeof parseCommand>[0], payload: unknown): string {
  const parsed = parseCommand(name, payload);
  if (parsed.ok) throw new Error(`${name} accepted ${JSON.stringify(payload).slice(0, 80)}`);
  expect(parsed.error.code).toBe('invalid-input');
  return parsed.error.message;
}

describe('parseCommand messages', () => {
  it('name the field and the kinds, in words', () => {
    expect(message('downloads:start', 42)).toBe('The downloads:start payload must be an object, not a number.');
    expect(message('downloads:start', { model: null })).toBe('"model" must be text, not null.');
    expect(message('app:popup-visibility', {})).toBe('app:popup-visibility needs "visible".');
    expect(message('server:start', 'now')).toBe(
      'The server:start payload must be left out (this command takes nothing), not text.',
    );
    expect(message('settings:update', { pollIntervalMs: 'fast' })).toBe('"pollIntervalMs" must be a number, not text.');
    expect(message('settings:update', { colour: 'red' })).toBe('settings:update has no field "colour".');
  });

  it('never echo 10 KB of input back', () => {
    for (const [name, payload] of [
      ['server:start', TEN_KB],
      ['settings:update', { [TEN_KB]: 1 }],
      ['settings:update', { loadDefaults: { gpuOffload: TEN_KB } }],
      ['downloads:cancel', { id: TEN_KB }],
      ['downloads:start', { model: TEN_KB }],
    ] as const) {
      expect(message(name, payload).length).toBeLessThan(400);
    }
  });
});
