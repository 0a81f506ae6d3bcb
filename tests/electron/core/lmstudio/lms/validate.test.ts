import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../../../electron/core/errors';
import {
  assertSafeDownloadTarget,
  assertSafeIdentifier,
  assertSafeModelKey,
} from '../../../../../electron/core/lmstudio/lms/validate';

function refusal(guard: (value: unknown) => void, value: unknown): CoreError {
  try {
    guard(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('invalid-input');
    return error as CoreError;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

const guards = [
  ['assertSafeModelKey', assertSafeModelKey],
  ['assertSafeIdentifier', assertSafeIdentifier],
  ['assertSafeDownloadTarget', assertSafeDownloadTarget],
] as const;

describe.each(guards)('%s', (_, guard) => {
  it('accepts real keys', () => {
    for (const key of ['qwen/qwen3-4b', 'openai/gpt-oss-20b', 'text-embedding-nomic-embed-text-v1.5', 'a.b_c-d']) {
      expect(() => guard(key)).not.toThrow();
    }
  });

  it('stops option injection (`--help`, `-rf`): lms would read a leading "-" as an option', () => {
    expect(refusal(guard, '--help').message).toMatch(/must not start with "-"/);
    expect(refusal(guard, '-rf').message).toMatch(/must not start with "-"/);
  });

  it('stops command chaining (`; rm -rf ~`, `&& reboot`, `| sh`)', () => {
    expect(refusal(guard, 'qwen;rm').message).toMatch(/not allowed/);
    expect(refusal(guard, 'qwen&&reboot').message).toMatch(/not allowed/);
    expect(refusal(guard, 'qwen|sh').message).toMatch(/not allowed/);
    expect(refusal(guard, 'qwen; rm -rf ~').message).toMatch(/spaces|not allowed/);
  });

  it('stops command substitution and expansion ($(...), backticks, $IFS)', () => {
    expect(refusal(guard, '$(reboot)').message).toMatch(/not allowed/);
    expect(refusal(guard, '`reboot`').message).toMatch(/not allowed/);
    const expansion = ['a', '$', '{IFS}b'].join('');
    expect(refusal(guard, expansion).message).toMatch(/not allowed/);
  });

  it('stops a smuggled second line (newline, carriage return)', () => {
    expect(refusal(guard, 'qwen/qwen3-4b\n--yes').message).toMatch(/control character/);
    expect(refusal(guard, 'qwen/qwen3-4b\r').message).toMatch(/control character/);
  });

  it('stops a NUL byte (truncates argv in C)', () => {
    expect(refusal(guard, 'qwen\0--help').message).toMatch(/NUL/);
  });

  it('stops whitespace, which would split the value in a log or a copy-pasted command', () => {
    expect(refusal(guard, 'qwen qwen3').message).toMatch(/spaces/);
    expect(refusal(guard, '\tqwen').message).toMatch(/control character/);
  });

  it('stops empty, overlong and non-text values', () => {
    expect(refusal(guard, '').message).toMatch(/empty/);
    refusal(guard, 'a'.repeat(201));
    refusal(guard, 42);
    refusal(guard, null);
  });

  it('stops file:// URLs (which fit the key alphabet) and other schemes', () => {
    refusal(guard, 'file:///etc/passwd');
    refusal(guard, 'file:/etc/passwd');
  });
});

describe('assertSafeModelKey / assertSafeIdentifier', () => {
  it('accept an instance suffix and a quantization', () => {
    expect(() => assertSafeIdentifier('gemma-3-1b-it-qat:2')).not.toThrow();
    expect(() => assertSafeModelKey('qwen/qwen3-4b@q4_k_m')).not.toThrow();
  });

  it('accept the keys LM Studio itself lists: 0.3 file paths and a "+"', () => {
    const path03 = 'lmstudio-community/Meta-Llama-3-8B-Instruct-GGUF/Meta-Llama-3-8B-Instruct-Q4_K_M.gguf';
    expect(() => assertSafeModelKey(path03)).not.toThrow();
    expect(() => assertSafeModelKey('a.b_c+d')).not.toThrow();
  });

  it('refuse path segments', () => {
    expect(refusal(assertSafeModelKey, '../../etc/passwd').message).toMatch(/"\." or "\.\."/);
    expect(refusal(assertSafeIdentifier, 'qwen/./x:2').message).toMatch(/"\." or "\.\."/);
  });

  it('refuse any URL, even Hugging Face (lms load takes keys only)', () => {
    refusal(assertSafeModelKey, 'https://huggingface.co/Qwen/Qwen3-4B-GGUF');
    refusal(assertSafeIdentifier, 'https://huggingface.co/Qwen/Qwen3-4B-GGUF');
  });
});

describe('assertSafeDownloadTarget', () => {
  it('accepts catalog keys with a quantization and Hugging Face https URLs', () => {
    for (const target of [
      'qwen/qwen3-4b@q4_k_m',
      'https://huggingface.co/Qwen/Qwen3-4B-GGUF',
      'https://huggingface.co/lmstudio-community/Qwen3-4B-GGUF/blob/main/Qwen3-4B-Q4_K_M.gguf',
    ]) {
      expect(() => assertSafeDownloadTarget(target)).not.toThrow();
    }
  });

  it('stops plain http:// URLs (downgrade to an unauthenticated download)', () => {
    expect(refusal(assertSafeDownloadTarget, 'http://huggingface.co/Qwen/Qwen3-4B-GGUF').message).toMatch(
      /Only https:\/\/huggingface\.co/,
    );
  });

  it('stops other hosts, including look-alikes and userinfo tricks', () => {
    refusal(assertSafeDownloadTarget, 'https://evil.example/Qwen/Qwen3-4B-GGUF');
    refusal(assertSafeDownloadTarget, 'https://huggingface.co.evil.example/Qwen/Qwen3');
    refusal(assertSafeDownloadTarget, 'https://huggingface.co@evil.example/Qwen/Qwen3');
    refusal(assertSafeDownloadTarget, 'https://huggingface.co:8443/Qwen/Qwen3');
  });

  it('stops URLs carrying queries or shell syntax', () => {
    refusal(assertSafeDownloadTarget, 'https://huggingface.co/Qwen/Qwen3?x=$(reboot)');
    expect(refusal(assertSafeDownloadTarget, 'https://huggingface.co/Qwen/Qwen3 --help').message).toMatch(/spaces/);
  });

  it('stops path segments, look-alike letters, bidi controls, %2F and a "+" (issue 8)', () => {
    expect(refusal(assertSafeDownloadTarget, '../../etc/passwd').message).toMatch(/at most one/);
    expect(refusal(assertSafeDownloadTarget, '../passwd').message).toMatch(/"\." or "\.\."/);
    expect(refusal(assertSafeDownloadTarget, 'qwen/..').message).toMatch(/"\." or "\.\."/);
    expect(refusal(assertSafeDownloadTarget, 'https://huggingface.co/Qwen/../x').message).toMatch(/"\." or "\.\."/);
    expect(refusal(assertSafeDownloadTarget, 'qwen/qw\u0435n3-4b').message).toMatch(/U\+0435.*look-alike/);
    expect(refusal(assertSafeDownloadTarget, 'qwen/\u202eb4-3newq').message).toMatch(/U\+202E/);
    expect(refusal(assertSafeDownloadTarget, 'qwen%2Fqwen3-4b').message).toMatch(/"%", which is not allowed/);
    expect(refusal(assertSafeDownloadTarget, 'a.b_c+d').message).toMatch(/"\+", which is not allowed/);
  });

  it('stops overlong URLs', () => {
    refusal(assertSafeDownloadTarget, `https://huggingface.co/Qwen/Qwen3/${'a'.repeat(2100)}`);
  });
});
