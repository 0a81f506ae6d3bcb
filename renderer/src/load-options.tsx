/**
 * The load options (context length, GPU offload, TTL) as a small set of fields, used by a model
 * row's disclosure and by the settings' load defaults. Text fields keep what the user typed;
 * `parseLoadOptions` turns it into the contract's `LoadOptions`, with messages per field.
 */
import type { ReactNode } from 'react';
import { type GpuOffload, LOAD_OPTION_RULES, type LoadOptions } from '../../electron/shared/contract';

export interface LoadOptionsDraft {
  contextLength: string;
  /** '' (LM Studio decides), 'off', 'max' or a fraction such as '0.5'. */
  gpuOffload: string;
  ttlMinutes: string;
}

export type LoadOptionField = keyof LoadOptions;

const GPU_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: '', label: 'Auto' },
  { value: 'off', label: 'Off (CPU only)' },
  { value: '0.25', label: '25%' },
  { value: '0.5', label: '50%' },
  { value: '0.75', label: '75%' },
  { value: 'max', label: 'Max' },
];

/** The options a memory estimate depends on, and a kept model is loaded with: a TTL changes nothing in memory, and a keeper never sets one. */
export function estimatedOptions({ contextLength, gpuOffload }: LoadOptions): LoadOptions {
  return {
    ...(contextLength === undefined ? {} : { contextLength }),
    ...(gpuOffload === undefined ? {} : { gpuOffload }),
  };
}

export function draftFromOptions(options: LoadOptions): LoadOptionsDraft {
  return {
    contextLength: options.contextLength == null ? '' : String(options.contextLength),
    gpuOffload: options.gpuOffload == null ? '' : String(options.gpuOffload),
    ttlMinutes: options.ttlSeconds == null ? '' : String(Number((options.ttlSeconds / 60).toFixed(2))),
  };
}

function gpuFromDraft(text: string): GpuOffload | undefined | number {
  if (text === '') return undefined;
  if (text === 'off' || text === 'max') return text;
  return Number(text);
}

/** Empty fields are left out (LM Studio's own defaults apply); invalid ones get a message each. */
export function parseLoadOptions(
  draft: LoadOptionsDraft,
): { ok: true; value: LoadOptions } | { ok: false; errors: Partial<Record<LoadOptionField, string>> } {
  const value: LoadOptions = {};
  const errors: Partial<Record<LoadOptionField, string>> = {};
  const { contextLength, gpuOffload, ttlSeconds } = LOAD_OPTION_RULES;
  if (draft.contextLength.trim() !== '') {
    value.contextLength = Number(draft.contextLength);
    if (!contextLength.isValid(value.contextLength)) errors.contextLength = contextLength.message;
  }
  const gpu = gpuFromDraft(draft.gpuOffload);
  if (gpu !== undefined) {
    value.gpuOffload = gpu;
    if (!gpuOffload.isValid(gpu)) errors.gpuOffload = gpuOffload.message;
  }
  if (draft.ttlMinutes.trim() !== '') {
    const minutes = Number(draft.ttlMinutes);
    value.ttlSeconds = Math.round(minutes * 60);
    if (!Number.isFinite(minutes)) errors.ttlSeconds = 'The idle time is a number of minutes.';
    else if (!ttlSeconds.isValid(value.ttlSeconds)) errors.ttlSeconds = ttlSeconds.message;
  }
  return Object.keys(errors).length === 0 ? { ok: true, value } : { ok: false, errors };
}

const FIELD_LABELS: Record<LoadOptionField, string> = {
  contextLength: 'Context length',
  gpuOffload: 'GPU offload',
  ttlSeconds: 'TTL (minutes)',
};

/**
 * The three fields. Options in `unavailable` are disabled with the reason, never silently
 * ignored (the REST load path takes only the context length).
 */
export function LoadOptionsFields({
  idPrefix,
  draft,
  onChange,
  errors,
  unavailable = [],
  unavailableReason,
  contextPlaceholder,
}: {
  idPrefix: string;
  draft: LoadOptionsDraft;
  onChange: (draft: LoadOptionsDraft) => void;
  errors: Partial<Record<LoadOptionField, string>>;
  unavailable?: readonly LoadOptionField[];
  unavailableReason?: string;
  contextPlaceholder?: string;
}) {
  const gpuChoices = GPU_CHOICES.some((c) => c.value === draft.gpuOffload)
    ? GPU_CHOICES
    : [...GPU_CHOICES, { value: draft.gpuOffload, label: `${Math.round(Number(draft.gpuOffload) * 100)}%` }];
  const field = (name: LoadOptionField, control: (props: FieldProps) => ReactNode) => {
    const id = `${idPrefix}-${name}`;
    const error = errors[name];
    const off = unavailable.includes(name);
    return (
      <div className="field field--compact">
        <label htmlFor={id}>
          {FIELD_LABELS[name]}
          {off && <span className="field__off"> · unavailable</span>}
        </label>
        {control({
          id,
          disabled: off,
          'aria-invalid': error ? true : undefined,
          'aria-describedby': error ? `${id}-error` : undefined,
        })}
        {error && (
          <p role="alert" className="field__error" id={`${id}-error`}>
            {error}
          </p>
        )}
      </div>
    );
  };
  return (
    <>
      <div className="load-options__grid">
        {field('contextLength', (props) => (
          <input
            {...props}
            type="number"
            inputMode="numeric"
            min={256}
            step={256}
            placeholder={contextPlaceholder ?? 'Default'}
            value={draft.contextLength}
            onChange={(e) => onChange({ ...draft, contextLength: e.target.value })}
          />
        ))}
        {field('gpuOffload', (props) => (
          <select
            {...props}
            value={draft.gpuOffload}
            onChange={(e) => onChange({ ...draft, gpuOffload: e.target.value })}
          >
            {gpuChoices.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        ))}
        {field('ttlSeconds', (props) => (
          <input
            {...props}
            type="number"
            inputMode="decimal"
            min={1}
            placeholder="Never"
            value={draft.ttlMinutes}
            onChange={(e) => onChange({ ...draft, ttlMinutes: e.target.value })}
          />
        ))}
      </div>
      {unavailable.length > 0 && unavailableReason && <p className="hint">{unavailableReason}</p>}
    </>
  );
}

interface FieldProps {
  id: string;
  disabled: boolean;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** Options that only `lms load` can apply; the REST API takes the context length alone. */
export const LMS_ONLY_OPTIONS: readonly LoadOptionField[] = ['gpuOffload', 'ttlSeconds'];
