/**
 * The API token at rest: Electron's `safeStorage` (Keychain, DPAPI, or the Secret Service /
 * KWallet on Linux), base64-encoded for settings.json.
 */
import type { SecretCodec } from '../core/ports';

/** The subset of `safeStorage` used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

/**
 * `available` is read when asked (safeStorage answers only after `ready`). On Linux without a
 * keyring, safeStorage "encrypts" with a hard-coded key (`basic_text`): that is plain text with
 * extra steps, so it counts as unavailable and the core tells the user the token is not protected.
 */
export function createSafeStorageCodec(safeStorage: SafeStorageLike, platform: NodeJS.Platform): SecretCodec {
  return {
    get available() {
      if (!safeStorage.isEncryptionAvailable()) return false;
      if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') return false;
      return true;
    },
    encrypt: (plain) => safeStorage.encryptString(plain).toString('base64'),
    decrypt: (stored) => safeStorage.decryptString(Buffer.from(stored, 'base64')),
  };
}
