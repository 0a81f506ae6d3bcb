import type { Session, WebContents } from 'electron';
import { beforeEach, describe, expect, it } from 'vitest';
import { denyAllPermissions, hardenWebContents, openExternalIfAllowed } from '../../../electron/main/security';
import { FakeWebContents, resetElectron, session, shell } from '../../mocks/electron';

beforeEach(() => resetElectron());

function hardened(): FakeWebContents {
  const contents = new FakeWebContents();
  hardenWebContents(contents as unknown as WebContents, shell);
  return contents;
}

describe('navigation and new windows', () => {
  it('denies every navigation; an allowlisted link opens in the browser instead', () => {
    const contents = hardened();
    expect(contents.emitCancellable('will-navigate', { url: 'https://evil.example/' })).toBe(true);
    expect(contents.emitCancellable('will-navigate', { url: 'app://popup/other.html' })).toBe(true);
    expect(contents.emitCancellable('will-navigate', { url: 'https://lmstudio.ai/docs' })).toBe(true);
    expect(shell.opened).toEqual(['https://lmstudio.ai/docs']);
  });

  it('denies redirects and <webview>', () => {
    const contents = hardened();
    expect(contents.emitCancellable('will-redirect', { url: 'https://evil.example/' })).toBe(true);
    expect(contents.emitCancellable('will-attach-webview', {})).toBe(true);
  });

  it('denies every new window; allowlisted https links go to shell.openExternal', () => {
    const contents = hardened();
    const open = contents.windowOpenHandler!;
    for (const url of [
      'https://huggingface.co/qwen/Qwen3-4B-GGUF',
      'https://lmstudio.ai/models',
      'https://docs.lmstudio.ai/cli',
      'http://lmstudio.ai/',
      'https://lmstudio.ai.evil.example/',
      'https://user@lmstudio.ai/',
      'https://lmstudio.ai:8443/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'app://popup/index.html',
    ]) {
      expect(open({ url })).toEqual({ action: 'deny' });
    }
    expect(shell.opened).toEqual([
      'https://huggingface.co/qwen/Qwen3-4B-GGUF',
      'https://lmstudio.ai/models',
      'https://docs.lmstudio.ai/cli',
    ]);
  });

  it('reports a failing openExternal instead of throwing', async () => {
    const errors: unknown[] = [];
    const failing = { openExternal: () => Promise.reject(new Error('no browser')) };
    expect(openExternalIfAllowed(failing, 'https://lmstudio.ai/', (e) => errors.push(e))).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    expect(openExternalIfAllowed(failing, 'https://example.com/')).toBe(false);
  });
});

describe('permissions', () => {
  it('refuses every request and every check', () => {
    denyAllPermissions(session.defaultSession as unknown as Session);
    const answers: boolean[] = [];
    for (const permission of [
      'media',
      'notifications',
      'geolocation',
      'clipboard-read',
      'openExternal',
      'fullscreen',
    ]) {
      session.defaultSession.permissionRequestHandler!(null, permission, (granted) => answers.push(granted));
      answers.push(session.defaultSession.permissionCheckHandler!(null, permission, 'app://popup'));
    }
    answers.push(session.defaultSession.devicePermissionHandler!({ deviceType: 'usb' }));
    expect(answers).toHaveLength(13);
    expect(answers.every((granted) => granted === false)).toBe(true);
  });
});
