import { describe, expect, it } from 'vitest';
import { bodyWithoutToken, TOKEN_PLACEHOLDER, withoutToken } from '../../../../electron/core/lmstudio/without-token';

const TOKEN = 'sk-lm-abcdefgh:abcdefghijklmnopqrst';

describe('answers without the API token', () => {
  it('replaces the token in every string value of a parsed answer, and keeps its keys and shape', () => {
    const answer = { error: { message: `key ${TOKEN} revoked`, code: 'bad' }, list: [TOKEN, 3, null], ok: true };
    expect(withoutToken(answer, TOKEN)).toEqual({
      error: { message: `key ${TOKEN_PLACEHOLDER} revoked`, code: 'bad' },
      list: [TOKEN_PLACEHOLDER, 3, null],
      ok: true,
    });
  });

  it('leaves answers alone when no token is set, or one so short that replacing it would garble names', () => {
    const answer = { error: 'x' };
    expect(withoutToken(answer, undefined)).toBe(answer);
    expect(bodyWithoutToken('{"a":1}', '')).toBe('{"a":1}');
    expect(withoutToken({ key: 'qwen/qwen3-4b' }, 'qwen')).toEqual({ key: 'qwen/qwen3-4b' });
  });

  it('cleans a raw body, JSON or not, without breaking JSON that happens to hold the token', () => {
    expect(JSON.parse(bodyWithoutToken(JSON.stringify({ error: `no ${TOKEN}` }), TOKEN))).toEqual({
      error: `no ${TOKEN_PLACEHOLDER}`,
    });
    expect(bodyWithoutToken(`<p>${TOKEN}</p>`, TOKEN)).toBe(`<p>${TOKEN_PLACEHOLDER}</p>`);
    // A token that is also a key name: only the values change, never the syntax or the keys.
    expect(JSON.parse(bodyWithoutToken('{"errorcode":"errorcode"}', 'errorcode'))).toEqual({
      errorcode: TOKEN_PLACEHOLDER,
    });
  });
});
