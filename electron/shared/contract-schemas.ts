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
  checkDownloadTarget,
  type GpuOffload,
  LOAD_OPTION_RULES,
  type LoadOptions,
  MODEL_KEY_PATTERN,
  QUIT_BEHAVIOURS,
  type Result,
  type ValidCommandRequest,
} from './contract';

// ---------------------------------------------------------------------------------------------
// Identifiers that may reach a command line
// ---------------------------------------------------------------------------------------------

export const ModelKeySchema = v.pipe(
  v.string(),
  v.trim(),
  v.regex(
    MODEL_KEY_PATTERN,
    'A model key is letters, digits and . _ - / : @ + only, such as qwen/qwen3-4b, and does not start with "-".',
  ),
);

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

export const InstanceIdSchema = v.pipe(v.string(), v.regex(MODEL_KEY_PATTERN, 'That is not a valid model identifier.'));

export const DownloadIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));

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
});

/** Field-by-field schema of settings.json (the store validates each field on its own). */
export const SettingsFieldSchemas = {
  /** null: the port LM Studio last used, else http://127.0.0.1:1234. */
  baseUrl: v.nullable(v.pipe(v.string(), v.url('The LM Studio address must be a URL such as http://127.0.0.1:1234.'))),
  /** Stored encrypted on the desktop; never sent to the page. */
  apiToken: v.nullable(v.pipe(v.string(), v.maxLength(512))),
  lmsPath: v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(4096))),
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
  'downloads:start': v.object({ model: DownloadTargetSchema }),
  'downloads:cancel': v.object({ id: DownloadIdSchema }),
  'downloads:retry': v.object({ id: DownloadIdSchema }),
  'downloads:dismiss': v.object({ id: DownloadIdSchema }),
  'settings:get': NoPayload,
  'settings:update': SettingsPatchSchema,
} as const satisfies Record<CommandName, v.GenericSchema>;

/** Validates a command's payload; returns the parsed value or a user-facing error. */
export function parseCommand<C extends CommandName>(name: C, payload: unknown): Result<ValidCommandRequest<C>> {
  const schema = CommandSchemas[name];
  if (!schema) return { ok: false, error: { code: 'invalid-input', message: `Unknown command ${String(name)}.` } };
  const parsed = v.safeParse(schema, payload);
  if (parsed.success) return { ok: true, value: parsed.output as ValidCommandRequest<C> };
  return { ok: false, error: { code: 'invalid-input', message: parsed.issues.map((i) => i.message).join(' ') } };
}
