/**
 * The page's first view validates with contract.ts's plain rules (no valibot); the core validates
 * the same commands with contract-schemas.ts. They must agree on every input, message included.
 */
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { LOAD_OPTION_RULES } from '../../../electron/shared/contract';
import { DownloadTargetSchema, LoadOptionsSchema, parseCommand } from '../../../electron/shared/contract-schemas';
import { checkDownloadTarget } from '../../../electron/shared/model-names';

/** Strings near the rules' edges: keys, Hugging Face and other URLs, whitespace, shell syntax. */
const downloadTexts = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    '   ',
    'qwen/qwen3-4b',
    '  qwen/qwen3-4b@q4_k_m ',
    '-rf',
    'a b',
    'https://huggingface.co/owner/repo',
    'https://huggingface.co/owner/repo/blob/main/x.gguf',
    'https://example.com/x',
    'http://huggingface.co/owner/repo',
    'x;rm',
  ),
  fc
    .tuple(
      fc.constantFrom('', ' ', 'https://huggingface.co/', 'owner/'),
      fc.stringMatching(/^[A-Za-z0-9._/:@+ -]{0,12}$/),
    )
    .map(([prefix, rest]) => prefix + rest),
);

describe('the page and the core agree on what may be downloaded', () => {
  it('checkDownloadTarget and DownloadTargetSchema give the same verdict, value and message', () => {
    fc.assert(
      fc.property(downloadTexts, (text) => {
        const page = checkDownloadTarget(text);
        const core = v.safeParse(DownloadTargetSchema, text);
        expect(core.success).toBe(page.ok);
        if (page.ok) expect(core.output).toBe(page.value);
        else expect(core.issues?.map((issue) => issue.message)).toEqual([page.message]);
      }),
    );
  });

  it('explains an empty target and a URL that is not Hugging Face', () => {
    expect(checkDownloadTarget('  ')).toEqual({ ok: false, message: expect.stringContaining('Type a model') });
    expect(checkDownloadTarget('https://example.com/x')).toEqual({
      ok: false,
      message: expect.stringContaining('huggingface.co'),
    });
    expect(parseCommand('downloads:start', { model: ' qwen/qwen3-4b ' })).toEqual({
      ok: true,
      value: { model: 'qwen/qwen3-4b' },
    });
  });
});

describe('the page and the core agree on load options', () => {
  const numbers = fc.oneof(
    fc.integer({ min: -10, max: 40_000_000 }),
    fc.double({ noNaN: false }),
    fc.constantFrom(0, 0.5, 1, 1.5, 255, 256, 16_777_216, 16_777_217, 31_536_000, 31_536_001),
  );
  const gpu = fc.oneof(fc.constantFrom('off', 'max', 'half'), numbers);

  it('a field passes LoadOptionsSchema exactly when its rule says so, with the rule’s message', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(LOAD_OPTION_RULES) as Array<keyof typeof LOAD_OPTION_RULES>)),
        gpu,
        (field, value) => {
          const rule = LOAD_OPTION_RULES[field];
          const isNumber = typeof value === 'number';
          const expected =
            field === 'gpuOffload' ? rule.isValid(value as never) : isNumber && rule.isValid(value as never);
          const core = v.safeParse(LoadOptionsSchema, { [field]: value });
          expect(core.success).toBe(expected);
          if (!core.success && (isNumber || field === 'gpuOffload')) {
            expect(core.issues.map((issue) => issue.message)).toContain(rule.message);
          }
        },
      ),
    );
  });
});
