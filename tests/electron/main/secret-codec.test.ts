import { beforeEach, describe, expect, it } from 'vitest';
import { createSafeStorageCodec } from '../../../electron/main/secret-codec';
import { resetElectron, safeStorage } from '../../mocks/electron';

beforeEach(() => resetElectron());

describe('createSafeStorageCodec', () => {
  it('round-trips a token through safeStorage as base64', () => {
    const codec = createSafeStorageCodec(safeStorage, 'darwin');
    const stored = codec.encrypt('sk-lm-secret');
    expect(stored).toBe(Buffer.from('enc:sk-lm-secret').toString('base64'));
    expect(codec.decrypt(stored)).toBe('sk-lm-secret');
  });

  it('is available only with real encryption (not Linux basic_text)', () => {
    expect(createSafeStorageCodec(safeStorage, 'linux').available).toBe(true);
    safeStorage.backend = 'basic_text';
    expect(createSafeStorageCodec(safeStorage, 'linux').available).toBe(false);
    expect(createSafeStorageCodec(safeStorage, 'win32').available).toBe(true);
    safeStorage.available = false;
    expect(createSafeStorageCodec(safeStorage, 'win32').available).toBe(false);
  });
});
