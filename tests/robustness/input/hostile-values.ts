/**
 * Hostile input, generated: names a user (or a page that is not ours) could send, and payloads
 * of the wrong shape for every command in the contract's registry. Commands are read from
 * `CommandSchemas`, so a command added to the contract is fuzzed without touching this file.
 */
import fc from 'fast-check';
import type * as v from 'valibot';
import { COMMAND_NAMES, type CommandName } from '../../../electron/shared/contract';
import { CommandSchemas, parseCommand } from '../../../electron/shared/contract-schemas';
import { MODEL_SUGGESTIONS } from '../../../electron/shared/suggestions';

const TEN_KB = 10 * 1024;

/** Each one names a way in; every one is refused by name, as a download, a load or an unload. */
export const HOSTILE_NAMES: readonly string[] = [
  // Paths and encodings of paths
  '../../etc/passwd',
  '../passwd',
  'qwen/../../x',
  './qwen3',
  'qwen/.',
  'qwen%2F..%2F..%2Fetc',
  '/etc/passwd',
  'C:\\Windows\\system32',
  '~/.ssh/id_rsa',
  // Look-alikes and invisible marks
  'qwen/qw\u0435n3-4b', // Cyrillic е
  'qwen/qwen3\u200b-4b', // zero-width space
  'qwen/\u202eb4-3newq', // right-to-left override
  '\uff51wen/qwen3-4b', // fullwidth q
  'qwen/qwen3\ufeff-4b', // byte-order mark (at either end it is trimmed, like a space)
  // Options, shell syntax and quotes
  '--help',
  '-rf',
  'qwen/qwen3-4b --yes',
  'qwen; rm -rf ~',
  'qwen && reboot',
  'qwen | sh',
  '$(reboot)',
  '`reboot`',
  ['$', '{IFS}reboot'].join(''),
  "qwen'; reboot; '",
  'qwen"; reboot; "',
  'qwen > /tmp/owned',
  'qwen\\',
  // Whitespace, NUL and control characters
  '',
  ' ',
  '\t',
  'qwen/qwen3-4b\n--yes',
  'qwen/qwen3-4b\r--yes',
  'qwen\0--help',
  '\u001b[31mred',
  'qwen\u007f',
  // Other hosts and schemes
  'file:///etc/passwd',
  'http://huggingface.co/Qwen/Qwen3-4B-GGUF',
  'https://evil.example/Qwen/Qwen3',
  'https://huggingface.co.evil.example/Qwen/Qwen3',
  'https://huggingface.co@evil.example/Qwen/Qwen3',
  'javascript:alert(1)',
  // Sizes
  'a'.repeat(TEN_KB),
  `qwen/${'b'.repeat(TEN_KB)}`,
  `https://huggingface.co/Qwen/${'c'.repeat(TEN_KB)}`,
];

/** Characters no name may carry: inserted into a real name, they make it hostile whatever else it holds. */
const FORBIDDEN_CHARACTERS = [
  ' ',
  '\t',
  '\n',
  '\0',
  '\u0007',
  ';',
  '&',
  '|',
  '`',
  '$',
  '<',
  '>',
  '(',
  ')',
  "'",
  '"',
  '\\',
  '*',
  '?',
  '!',
  '#',
  '%',
  '=',
  ',',
  '\u0435',
  '\u200b',
  '\u202e',
  '\uff0f',
  '\u2044',
];

const REAL_NAMES = [...MODEL_SUGGESTIONS.map((s) => s.key), 'qwen/qwen3-4b@q4_k_m', 'gemma-3-1b-it-qat:2'];

/** A real name with a forbidden character (or a path segment) worked into it: near misses. */
export const mutatedName: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...REAL_NAMES), fc.nat(), fc.constantFrom(...FORBIDDEN_CHARACTERS))
    .map(([name, at, character]) => {
      // Strictly inside: a space at either end is trimmed away, as a pasted name should be.
      const position = 1 + (at % (name.length - 1));
      return name.slice(0, position) + character + name.slice(position);
    }),
  fc.tuple(fc.constantFrom(...REAL_NAMES), fc.constantFrom('../', './', '/..', '/.')).map(([name, path]) => {
    return path.startsWith('/') ? name + path : path + name;
  }),
  fc.constantFrom(...REAL_NAMES).map((name) => `-${name}`),
);

/** Any hostile name: the list above, near misses, or arbitrary text including lone surrogates and 10 KB strings. */
export const hostileName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_NAMES),
  mutatedName,
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', minLength: TEN_KB, maxLength: TEN_KB + 16 }),
);

/** Values of every JSON (and non-JSON) type, nested a little. */
export const wrongTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 64, '', [], {}),
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
  hostileName,
);

/** The field names of a command's payload schema (through pipes, optional and partial wrappers). */
export function payloadFields(name: CommandName): string[] {
  let schema = CommandSchemas[name] as unknown as Record<string, unknown>;
  for (;;) {
    if (Array.isArray(schema.pipe)) schema = schema.pipe[0] as Record<string, unknown>;
    else if (schema.type === 'optional' && schema.wrapped) schema = schema.wrapped as Record<string, unknown>;
    else break;
  }
  const entries = schema.entries as Record<string, v.GenericSchema> | undefined;
  return entries ? Object.keys(entries) : [];
}

/** Payloads the contract refuses for `name`: wrong types, hostile field values, unknown fields. */
export function refusedPayload(name: CommandName): fc.Arbitrary<unknown> {
  const fields = payloadFields(name);
  const value = fc.oneof(hostileName, wrongTyped);
  const shapes: Array<fc.Arbitrary<unknown>> = [wrongTyped];
  if (fields.length > 0) {
    shapes.push(
      fc.record(Object.fromEntries(fields.map((field) => [field, value])), { requiredKeys: [] }),
      fc
        .tuple(
          fc.record(Object.fromEntries(fields.map((field) => [field, value])), { requiredKeys: [] }),
          fc.dictionary(fc.oneof(hostileName, fc.constantFrom('__proto__', 'constructor')), wrongTyped, {
            minKeys: 1,
            maxKeys: 3,
          }),
        )
        .map(([known, extra]) => ({ ...extra, ...known })),
    );
  }
  // Refused as sent and as the WebSocket delivers it (JSON turns NaN into null, drops undefined).
  return fc
    .oneof(...shapes)
    .filter((payload) => !parseCommand(name, payload).ok && !parseCommand(name, throughJson(payload)).ok);
}

/** What a payload becomes on the way through a WebSocket's JSON. */
export function throughJson(payload: unknown): unknown {
  const text = JSON.stringify({ payload });
  return (JSON.parse(text) as { payload?: unknown }).payload;
}

/** One refused command: every command of the registry, each with its own refused payloads. */
export const refusedCommand: fc.Arbitrary<{ name: CommandName; payload: unknown }> = fc.oneof(
  ...COMMAND_NAMES.map((name) => refusedPayload(name).map((payload) => ({ name, payload }))),
);

/** The commands that carry a model name to `lms` or LM Studio, and how each wraps it. */
export const NAME_COMMANDS: ReadonlyArray<{ name: CommandName; payload: (value: string) => unknown }> = [
  { name: 'downloads:start', payload: (model) => ({ model }) },
  // Load when done: the name would reach `lms load` (or LM Studio's load API) after the download.
  { name: 'downloads:start', payload: (model) => ({ model, loadWhenDone: true }) },
  { name: 'models:load', payload: (modelKey) => ({ modelKey }) },
  { name: 'models:unload', payload: (identifier) => ({ identifier }) },
  // Saved in settings.json's keepLoaded, then loaded by the keeper whenever the server is online.
  { name: 'models:keep', payload: (modelKey) => ({ modelKey, keep: true, options: { contextLength: 4096 } }) },
  // `lms load --estimate-only ... KEY`.
  { name: 'models:estimate', payload: (modelKey) => ({ modelKey, options: { contextLength: 4096 } }) },
];
