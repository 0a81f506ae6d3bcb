/**
 * The contract's valibot schemas: what the core validates every command's payload and every
 * settings field with, and what the settings view checks its fields against. Built from the
 * rules in contract.ts, so the page's first view (which imports contract.ts only) and the core
 * agree without the first view loading valibot. The types these schemas infer are exported from
 * contract.ts.
 */
import * as v from 'valibot';
import {
  type CommandName,
  type GpuOffload,
  LOAD_OPTION_RULES,
  type LoadOptions,
  QUIT_BEHAVIOURS,
  type Result,
  type ValidCommandRequest,
} from './contract';
import { parseBaseUrl } from './lmstudio-address';
import { checkDownloadTarget, identifierProblem, modelKeyProblem } from './model-names';

// ---------------------------------------------------------------------------------------------
// Identifiers that may reach a command line
// ---------------------------------------------------------------------------------------------

/** A valibot check that fails with the rule's own message (the same words the core uses). */
function nameRule(problem: (value: string) => string | null) {
  return v.check<string, (issue: v.CheckIssue<string>) => string>(
    (value) => problem(value) === null,
    (issue) => problem(issue.input) ?? '',
  );
}

/** A model key for `models:load`, such as `qwen/qwen3-4b` (see model-names.ts). */
export const ModelKeySchema = v.pipe(v.string(), v.trim(), nameRule(modelKeyProblem));

/** See `checkDownloadTarget`: a catalog key or a Hugging Face https URL, trimmed. */
export const DownloadTargetSchema = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const checked = checkDownloadTarget(dataset.value);
    if (checked.ok) return checked.value;
    addIssue({ message: checked.message });
    return NEVER;
  }),
);

/** A loaded instance's identifier for `models:unload`; may carry `:N` (`gemma-3-1b-it-qat:2`). */
export const InstanceIdSchema = v.pipe(v.string(), nameRule(identifierProblem));

/** The message names no value: a 10 KB id is not echoed back. */
export const DownloadIdSchema = v.pipe(
  v.string('A download id must be text.'),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'That is not the id of a download in the list.'),
);

// ---------------------------------------------------------------------------------------------
// Load options and settings
// ---------------------------------------------------------------------------------------------

const { contextLength, gpuOffload, ttlSeconds } = LOAD_OPTION_RULES;

export const LoadOptionsSchema = v.object({
  contextLength: v.optional(v.pipe(v.number(), v.check(contextLength.isValid, contextLength.message))),
  gpuOffload: v.optional(v.custom<GpuOffload>(gpuOffload.isValid, gpuOffload.message)),
  ttlSeconds: v.optional(v.pipe(v.number(), v.check(ttlSeconds.isValid, ttlSeconds.message))),
}) satisfies v.GenericSchema<unknown, LoadOptions>;

export const NotificationTogglesSchema = v.object({
  serverDown: v.boolean(),
  serverUp: v.boolean(),
  downloadFinished: v.boolean(),
  downloadFailed: v.boolean(),
  loadFailed: v.boolean(),
  keptModel: v.boolean(),
  requestStuck: v.boolean(),
});

/** At most this many kept models: each is a load the keeper may make. */
export const MAX_KEPT_MODELS = 32;

export const KeptModelSchema = v.object({ modelKey: ModelKeySchema, options: LoadOptionsSchema });

/** Field-by-field schema of settings.json (the store validates each field on its own). */
export const SettingsFieldSchemas = {
  /** null: the port LM Studio last used, else http://127.0.0.1:1234. */
  baseUrl: v.nullable(
    v.pipe(
      v.string(),
      v.check(
        (raw) => parseBaseUrl(raw).ok,
        (issue) => {
          const parsed = parseBaseUrl(String(issue.input));
          return parsed.ok ? 'That is not a valid LM Studio address.' : parsed.message;
        },
      ),
    ),
  ),
  /** Stored encrypted on the desktop; never sent to the page. */
  apiToken: v.nullable(v.pipe(v.string(), v.maxLength(512))),
  lmsPath: v.nullable(
    v.pipe(
      v.string(),
      v.minLength(1, 'The lms path is empty.'),
      v.maxLength(4096, 'The lms path is too long.'),
      v.regex(/^[^\x00-\x1f\x7f]*$/, 'The lms path must not contain control characters.'),
      // Relative to what? The folder the app was started from is anyone's guess, and `~` is
      // not expanded: only a full path names one program.
      v.regex(
        /^(\/|[A-Za-z]:[\\/]|\\\\)/,
        'The lms path must be a full path, such as /Users/you/.lmstudio/bin/lms (~ is not expanded).',
      ),
    ),
  ),
  pollIntervalMs: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(1000, 'Poll at most once a second.'),
    v.maxValue(600_000, 'Poll at least every 10 minutes.'),
  ),
  notifications: NotificationTogglesSchema,
  launchAtLogin: v.boolean(),
  loadDefaults: LoadOptionsSchema,
  quitBehaviour: v.picklist(QUIT_BEHAVIOURS),
  /** `Keep MODELKEY loaded`, one entry per model (set through `models:keep`). */
  keepLoaded: v.pipe(
    v.array(KeptModelSchema),
    v.maxLength(MAX_KEPT_MODELS, `Keep at most ${MAX_KEPT_MODELS} models loaded.`),
    v.check(
      (list) => new Set(list.map((kept) => kept.modelKey)).size === list.length,
      'Each kept model is listed once.',
    ),
  ),
  /** Retry a failed download on its own, and pick unfinished ones up again at start. */
  retryDownloads: v.boolean(),
  /** Check the models folder's free space before and during downloads. */
  checkDiskSpace: v.boolean(),
  /** Estimate a model's memory in its load options, and ask before a load that may not fit. */
  estimateMemory: v.boolean(),
} as const;

export const SettingsSchema = v.object(SettingsFieldSchemas);

/** A partial update. `apiToken: null` clears the token; omitting it keeps it. */
export const SettingsPatchSchema = v.partial(v.strictObject(SettingsFieldSchemas));

// ---------------------------------------------------------------------------------------------
// Commands: each one's payload, keyed by channel (contract.ts lists the channels)
// ---------------------------------------------------------------------------------------------

const NoPayload = v.optional(v.undefined());

export const CommandSchemas = {
  'app:get-snapshot': NoPayload,
  'app:popup-visibility': v.object({ visible: v.boolean() }),
  'popup:dismiss': NoPayload,
  'server:refresh': NoPayload,
  'server:start': NoPayload,
  'server:stop': NoPayload,
  'models:refresh': NoPayload,
  'models:load': v.object({ modelKey: ModelKeySchema, options: v.optional(LoadOptionsSchema) }),
  'models:unload': v.object({ identifier: InstanceIdSchema }),
  'models:unload-all': NoPayload,
  'downloads:start': v.object({ model: DownloadTargetSchema, loadWhenDone: v.optional(v.boolean()) }),
  'downloads:cancel': v.object({ id: DownloadIdSchema }),
  'downloads:retry': v.object({ id: DownloadIdSchema }),
  'downloads:dismiss': v.object({ id: DownloadIdSchema }),
  'downloads:disk-space': NoPayload,
  'models:keep': v.object({ modelKey: ModelKeySchema, keep: v.boolean(), options: v.optional(LoadOptionsSchema) }),
  'models:estimate': v.object({ modelKey: ModelKeySchema, options: v.optional(LoadOptionsSchema) }),
  'models:memory': NoPayload,
  'app:diagnostics': v.optional(
    v.object({ browser: v.optional(v.pipe(v.string(), v.maxLength(200, 'The browser name is too long.'))) }),
  ),
  'app:save-diagnostics': NoPayload,
  'app:open-log-folder': NoPayload,
  'app:log': v.object({
    level: v.picklist(['warn', 'error']),
    message: v.pipe(v.string(), v.maxLength(2000, 'A log message is at most 2,000 characters.')),
  }),
  'settings:get': NoPayload,
  'settings:update': SettingsPatchSchema,
} as const satisfies Record<CommandName, v.GenericSchema>;

/** Validates a command's payload; returns the parsed value or a user-facing error. */
export function parseCommand<C extends CommandName>(name: C, payload: unknown): Result<ValidCommandRequest<C>> {
  const schema = CommandSchemas[name];
  if (!schema) return { ok: false, error: { code: 'invalid-input', message: `Unknown command ${String(name)}.` } };
  const parsed = v.safeParse(schema, payload);
  if (parsed.success) return { ok: true, value: parsed.output as ValidCommandRequest<C> };
  const message = parsed.issues.map((issue) => describeIssue(name, issue)).join(' ');
  return { ok: false, error: { code: 'invalid-input', message } };
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const EXPECTED_IN_WORDS: Record<string, string> = {
  Object: 'an object',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  undefined: 'left out (this command takes nothing)',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return (
    { string: 'text', number: 'a number', boolean: 'true or false', undefined: 'nothing' }[typeof value as string] ??
    typeof value
  );
}

/**
 * One payload problem in words (commands, and each field the settings store reads). Our own checks already speak to people; valibot's type errors
 * quote the value received, which may be 10 KB of hostile text, so they are rewritten to name
 * the field and the kinds only.
 */
export function describeIssue(name: string, issue: v.BaseIssue<unknown>, outerKeys: string[] = []): string {
  if (issue.kind !== 'schema') return shorten(issue.message, 300);
  const keys = [...outerKeys, ...(issue.path?.map((item) => String(item.key)) ?? [])];
  const field = `"${shorten(keys.join('.'), 40)}"`;
  if (issue.expected === 'never') return `${name} has no field ${field}.`;
  if (keys.length === 0)
    return `The ${name} payload must be ${EXPECTED_IN_WORDS[issue.expected ?? ''] ?? 'something else'}, not ${kindOf(issue.input)}.`;
  if (issue.input === undefined) return `${name} needs ${field}.`;
  const expected = EXPECTED_IN_WORDS[issue.expected ?? ''] ?? shorten(issue.expected ?? 'something else', 60);
  return `${field} must be ${expected}, not ${kindOf(issue.input)}.`;
}
