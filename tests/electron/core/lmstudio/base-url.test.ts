import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../../electron/core/errors';
import { defaultBaseUrl, isLoopbackHost, normaliseBaseUrl } from '../../../../electron/core/lmstudio/base-url';

describe('normaliseBaseUrl', () => {
  it.each([
    ['http://127.0.0.1:1234', 'http://127.0.0.1:1234', 1234, true],
    ['http://127.0.0.1:1234/', 'http://127.0.0.1:1234', 1234, true],
    ['http://localhost:1234/v1', 'http://localhost:1234', 1234, true],
    ['http://localhost:1234/v1///', 'http://localhost:1234', 1234, true],
    ['  http://localhost:5678/api/v0  ', 'http://localhost:5678', 5678, true],
    ['http://[::1]:1234/v1/', 'http://[::1]:1234', 1234, true],
    ['http://localhost', 'http://localhost:1234', 1234, true],
    ['localhost:4321', 'http://localhost:4321', 4321, true],
    ['127.0.0.1', 'http://127.0.0.1:1234', 1234, true],
    ['http://192.168.1.20:1234/v1', 'http://192.168.1.20:1234', 1234, false],
    ['https://gpu-box.example.com/v1', 'https://gpu-box.example.com', 443, false],
    ['https://gpu-box.example.com:8443', 'https://gpu-box.example.com:8443', 8443, false],
    ['http://gpu-box:80', 'http://gpu-box', 80, false],
    ['HTTP://LOCALHOST:1234', 'http://localhost:1234', 1234, true],
  ])('%s -> %s', (raw, origin, port, isLocal) => {
    expect(normaliseBaseUrl(raw)).toEqual({ origin, port, isLocal });
  });

  it.each([
    ['', /empty/],
    ['ftp://127.0.0.1:1234', /http:\/\/ or https:\/\//],
    ['file:///etc/passwd', /http:\/\/ or https:\/\//],
    ['http://user:secret@127.0.0.1:1234', /user name or password/],
    ['http://user@127.0.0.1:1234', /user name or password/],
    ['http://127.0.0.1:99999', /port 99999; a port is a number from 1 to 65535/],
    ['http://127.0.0.1:0', /port 0; a port is a number from 1 to 65535/],
    ['http://127.0.0.1:70000/v1', /port 70000/],
    ['javascript:alert(1)', /http:\/\/ or https:\/\/ \(not javascript:\)/],
    ['data:text/html,hi', /not data:/],
    ['http://user:secret@127.0.0.1:70000', /port 70000/],
    ['http://exa mple.com', /spaces or control characters/],
    // URL would drop the line break and read /v1: an address never holds one.
    ['http://127.0.0.1:1234/\nv1', /spaces or control characters/],
    ['http://127.0.0.1:1234/\tv1', /spaces or control characters/],
    ['http://127.0.0.1:1234/some/proxy', /without a path/],
    ['http://127.0.0.1:1234/?x=1', /without a path/],
  ])('rejects %j with a clear message', (raw, message) => {
    let thrown: unknown;
    try {
      normaliseBaseUrl(raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CoreError);
    expect((thrown as CoreError).code).toBe('invalid-input');
    expect((thrown as CoreError).message).toMatch(message);
  });
});

describe('defaultBaseUrl', () => {
  it('uses the port LM Studio last served on', () => {
    expect(defaultBaseUrl({ port: 5555 })).toBe('http://127.0.0.1:5555');
  });

  it('falls back to 1234 without a config or with a nonsense port', () => {
    expect(defaultBaseUrl(null)).toBe('http://127.0.0.1:1234');
    expect(defaultBaseUrl({ port: 0 })).toBe('http://127.0.0.1:1234');
    expect(defaultBaseUrl({ port: 70_000 })).toBe('http://127.0.0.1:1234');
    expect(defaultBaseUrl({ port: 12.5 })).toBe('http://127.0.0.1:1234');
  });
});

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '0.0.0.0'])(
    '%s is this machine',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );

  it.each(['192.168.0.2', 'example.com', '128.0.0.1', 'localhost.example.com', '[fe80::1]'])(
    '%s is another machine',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});
