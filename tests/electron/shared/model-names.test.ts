import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { DownloadTargetSchema, InstanceIdSchema, ModelKeySchema } from '../../../electron/shared/contract-schemas';
import {
  downloadTargetProblem,
  identifierProblem,
  isDownloadName,
  isHuggingFaceUrl,
  isModelKey,
  modelKeyProblem,
} from '../../../electron/shared/model-names';
import { MODEL_SUGGESTIONS } from '../../../electron/shared/suggestions';

/** Names real users download (the popup's suggestions, catalog keys with variants, Hugging Face URLs). */
const REAL_DOWNLOADS = [
  ...MODEL_SUGGESTIONS.map((s) => s.key),
  'qwen3-4b',
  'qwen/qwen3-4b@q4_k_m',
  'lmstudio-community/Qwen3-4B-GGUF@Q8_0',
  'google/gemma-3n-e4b',
  'https://huggingface.co/Qwen/Qwen3-4B-GGUF',
  'https://huggingface.co/Qwen/Qwen3-4B-GGUF/',
  'https://huggingface.co/lmstudio-community/Qwen3-4B-GGUF/blob/main/Qwen3-4B-Q4_K_M.gguf',
];

/** Each refused, with a word of the reason the message must carry. */
const HOSTILE_DOWNLOADS: Array<[string, RegExp]> = [
  ['../../etc/passwd', /at most one/],
  ['../passwd', /"\." or "\.\."/],
  ['./qwen3', /"\." or "\.\."/],
  ['qwen/..', /"\." or "\.\."/],
  ['qwen/qwen3@..', /"\." or "\.\."/],
  ['qwen%2Fqwen3-4b', /"%", which is not allowed/],
  ['qwen/qw\u0435n3-4b', /U\+0435/], // Cyrillic е
  ['qwen/qwen3\u200b-4b', /U\+200B/], // zero-width space
  ['qwen/\u202eb4-3newq', /U\+202E/], // right-to-left override
  ['ｑwen/qwen3', /U\+FF51/], // fullwidth q
  ['qwen/qwen3-4b@q4@q8', /at most one/],
  ['/etc/passwd', /at most one|empty part/],
  ['qwen/', /empty part/],
  ['qwen@', /empty part/],
  ['-qwen', /must not start with "-"/],
  ['qwen/-rf', /No part of the model to download may start with "-"/],
  ['qwen/qwen3@-x', /No part of the model to download may start with "-"/],
  ['https://huggingface.co/Qwen/-x', /No part of the address may start with "-"/],
  ['qwen/qwen3-4b;reboot', /";", which is not allowed/],
  ['qwen/qwen3-4b\n--yes', /control character/],
  ['qwen qwen3', /spaces/],
  ['file:///etc/passwd', /Only https:\/\/huggingface\.co/],
  ['http://huggingface.co/Qwen/Qwen3-4B-GGUF', /Only https:\/\/huggingface\.co/],
  ['https://huggingface.co.evil.example/Qwen/Qwen3', /Only https:\/\/huggingface\.co/],
  ['https://huggingface.co/Qwen', /owner and the repository/],
  ['https://huggingface.co/-Qwen/x', /must not start with "-"/],
  ['https://huggingface.co/Qwen/Qwen3%2F..%2F..', /"%", which is not allowed/],
  ['https://huggingface.co/Qwen/Qwen3?x=1', /"\?", which is not allowed/],
  ['a'.repeat(10_000), /longer than 200/],
];

describe('the download rule: [owner/]name[@variant] or https://huggingface.co/owner/repo[/…]', () => {
  it.each(REAL_DOWNLOADS)('accepts %s', (name) => {
    expect(downloadTargetProblem(name)).toBeNull();
    expect(v.safeParse(DownloadTargetSchema, name).success).toBe(true);
  });

  it.each(HOSTILE_DOWNLOADS)('refuses %j, saying why and what is accepted', (name, reason) => {
    const message = downloadTargetProblem(name);
    expect(message).toMatch(reason);
    expect(message).toContain('huggingface.co/owner/repo');
    // Never echoes a 10 KB value back.
    expect(message?.length).toBeLessThan(400);
  });

  it('gives the popup the same message as the core', () => {
    for (const [name] of HOSTILE_DOWNLOADS) {
      const parsed = v.safeParse(DownloadTargetSchema, name);
      expect(parsed.success).toBe(false);
      if (!parsed.success) expect(parsed.issues[0].message).toBe(downloadTargetProblem(name.trim()));
    }
  });

  it('accepts only ASCII letters, digits and . _ - in each part, never "." or ".." (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        if (!isDownloadName(text) && !isHuggingFaceUrl(text)) return;
        const body = isHuggingFaceUrl(text) ? text.slice('https://huggingface.co/'.length) : text;
        const parts = body.split(/[/@]/).filter((part, i, all) => !(part === '' && i === all.length - 1));
        for (const part of parts) {
          expect(part).toMatch(/^[A-Za-z0-9._-]+$/);
          expect(part).not.toMatch(/^-|^\.{1,2}$/);
        }
      }),
      { seed: 8, numRuns: 5000 },
    );
  });
});

describe('model keys (load) and identifiers (unload)', () => {
  it('accept what LM Studio lists, instance suffixes included', () => {
    for (const key of ['qwen/qwen3-4b', 'gemma-3-1b-it-qat:2', 'a.b_c+d', 'owner/repo/file-Q4_K_M.gguf', 'k@q4_k_m']) {
      expect(isModelKey(key)).toBe(true);
      expect(v.safeParse(ModelKeySchema, key).success).toBe(true);
      expect(v.safeParse(InstanceIdSchema, key).success).toBe(true);
    }
  });

  it('refuse path segments, URLs and look-alikes, with the same message in the schema', () => {
    for (const key of ['../../etc/passwd', 'qwen/./x', 'qwen//x', 'file:///etc/passwd', 'qw\u0435n', 'x:']) {
      expect(modelKeyProblem(key)).not.toBeNull();
      expect(identifierProblem(key)).toMatch(/model identifier/);
      const parsed = v.safeParse(ModelKeySchema, key);
      expect(parsed.success).toBe(false);
      if (!parsed.success) expect(parsed.issues[0].message).toBe(modelKeyProblem(key));
    }
  });
});
