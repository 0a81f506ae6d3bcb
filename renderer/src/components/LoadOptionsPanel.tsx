/**
 * A model row's load options: the fields, the memory estimate for them, `Keep MODELKEY loaded`,
 * Escape to close them, and Load with these options. Loaded on demand by DownloadedModels, so the
 * first view does not carry the form.
 */
import { type FormEvent, type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { KeptModelState, LoadOptions, ModelEntry } from '../../../electron/shared/contract';
import { blockedProps } from '../availability';
import { useActions, useTray } from '../context';
import { formatRelativeTime, formatTokens } from '../format';
import {
  draftFromOptions,
  estimatedOptions,
  LMS_ONLY_OPTIONS,
  type LoadOptionField,
  type LoadOptionsDraft,
  LoadOptionsFields,
  parseLoadOptions,
} from '../load-options';
import { estimateText, memoryText } from '../memory-text';
import { type EstimateView, estimateKey, pendingKey } from '../store';

const NO_DEFAULTS: LoadOptions = {};
/** How long the fields must rest before an estimate is asked for: typing 8192 asks once, not four times. */
export const ESTIMATE_DEBOUNCE_MS = 300;

export function LoadOptionsPanel({
  id,
  model,
  reason,
  reasonId,
  onDone,
  onResize,
}: {
  id: string;
  model: ModelEntry;
  reason: string | null;
  reasonId: string;
  onDone: () => void;
  /** Called when this panel appears or its messages change, i.e. when the row's height may have. */
  onResize: () => void;
}) {
  const { load } = useActions();
  const defaults = useTray((s) => s.settings?.loadDefaults ?? NO_DEFAULTS);
  const lmsUsable = useTray((s) => s.status !== null && !s.status.remote && s.status.lmsPath !== null);
  const [draft, setDraft] = useState(() => draftFromOptions(defaults));
  const [errors, setErrors] = useState<Partial<Record<LoadOptionField, string>>>({});
  const answer = useEstimate(model.key, draft);
  const kept = useTray((s) => s.kept.find((k) => k.modelKey === model.key));
  // biome-ignore lint/correctness/useExhaustiveDependencies: the height changes with the messages
  useLayoutEffect(onResize, [errors, answer, kept]);

  const closeOnEscape = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    // Escape closes these options (not the popup); focus goes back to the button that opened them.
    event.preventDefault();
    const disclosure = document.querySelector<HTMLElement>(`[aria-controls="${id}"]`);
    onDone();
    disclosure?.focus();
  };

  /** The options as chosen, or null after showing what is wrong with them. */
  const chosen = (): LoadOptions | null => {
    const parsed = parseLoadOptions(draft);
    setErrors(parsed.ok ? {} : parsed.errors);
    return parsed.ok ? parsed.value : null;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reason) return;
    const options = chosen();
    if (!options) return;
    onDone();
    // Sent as chosen even where unavailable: the core reports what it could not apply. A load the
    // last estimate says will be refused asks first (`Load MODELKEY anyway?`).
    void load(model.key, options);
  };

  return (
    <form id={id} className="load-options" onSubmit={submit} onKeyDown={closeOnEscape} noValidate>
      <LoadOptionsFields
        idPrefix={id}
        draft={draft}
        onChange={setDraft}
        errors={errors}
        unavailable={lmsUsable ? [] : LMS_ONLY_OPTIONS}
        unavailableReason="GPU offload and TTL need the lms command-line tool on this computer; LM Studio's REST API takes only the context length."
        contextPlaceholder={model.maxContextLength ? `Up to ${formatTokens(model.maxContextLength)}` : 'Default'}
      />
      <EstimateLine answer={answer} />
      <KeepSwitch modelKey={model.key} kept={kept} chosen={chosen} />
      <div className="load-options__actions">
        <button type="submit" className="button button--small button--primary" {...blockedProps(reason, reasonId)}>
          {model.loadedInstances.length > 0 ? 'Load another instance' : 'Load with these options'}
        </button>
      </div>
    </form>
  );
}

/**
 * The estimate for the options in the fields, asked once they rest for ESTIMATE_DEBOUNCE_MS, and
 * again when what is loaded changes (that changes the guardrails' verdict). Null before the first
 * answer, or when estimates are turned off in the settings; an older answer stays until a newer one.
 */
function useEstimate(modelKey: string, draft: LoadOptionsDraft): EstimateView | null {
  const { estimate } = useActions();
  const enabled = useTray((s) => s.settings?.estimateMemory !== false);
  const loadedSet = useTray((s) => s.models?.loaded.map((l) => l.identifier).join('\n') ?? '');
  const [answer, setAnswer] = useState<EstimateView | null>(null);
  const parsed = parseLoadOptions(draft);
  // Invalid fields ask nothing: their messages show on Load.
  const key = parsed.ok ? estimateKey(modelKey, parsed.value) : null;
  const options = useRef<LoadOptions>({});
  if (parsed.ok) options.current = estimatedOptions(parsed.value);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the options; the loaded set for the verdict
  useEffect(() => {
    if (!enabled || key === null) return;
    let current = true;
    const timer = setTimeout(() => {
      void estimate(modelKey, options.current).then((next) => {
        if (current) setAnswer(next);
      });
    }, ESTIMATE_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [enabled, key, loadedSet, modelKey, estimate]);

  return enabled ? answer : null;
}

function EstimateLine({ answer }: { answer: EstimateView | null }) {
  const enabled = useTray((s) => s.settings?.estimateMemory !== false);
  if (!enabled) return null;
  let text = 'Estimating the memory it needs…';
  if (answer?.estimate) {
    const verdict = answer.estimate.passesGuardrails
      ? 'LM Studio’s guardrails allow it'
      : 'over LM Studio’s guardrails: it would likely be refused';
    text = `${estimateText(answer.estimate)} · ${verdict}`;
  } else if (answer) text = answer.unavailableReason ?? 'No estimate for these options.';
  return (
    // Polite: it follows the fields as they change, without taking over.
    <div className="estimate" aria-live="polite">
      <p
        className={
          answer?.estimate?.passesGuardrails === false ? 'estimate__line estimate__line--over' : 'estimate__line'
        }
      >
        {text}
      </p>
      {answer?.memory && <p className="estimate__machine">{`This machine: ${memoryText(answer.memory)}`}</p>}
    </div>
  );
}

/** What a kept model's keeper is doing, when it is not simply loaded and the core said nothing. */
const KEPT_STATE_WORDS: Record<Exclude<KeptModelState['state'], 'ready'>, string> = {
  loading: 'Loading it now.',
  waiting: 'Waiting for LM Studio and its server: it is loaded once they are up (neither is started for this).',
  'backing-off': 'The last load failed; it tries again later.',
  unavailable: 'This server cannot say what is loaded, so the model cannot be kept loaded here.',
};

function keptMessage(kept: KeptModelState, now: number): string | null {
  if (kept.state === 'ready') return null;
  if (kept.message) return kept.message;
  if (kept.state === 'backing-off' && kept.nextAttemptAt !== null) {
    return `The last load failed; it tries again ${formatRelativeTime(kept.nextAttemptAt, now)}.`;
  }
  return KEPT_STATE_WORDS[kept.state];
}

/**
 * `Keep MODELKEY loaded`: on, the core loads the model whenever the server is up and it is not,
 * with the options in the fields at the moment it was turned on.
 */
function KeepSwitch({
  modelKey,
  kept,
  chosen,
}: {
  modelKey: string;
  kept: KeptModelState | undefined;
  chosen: () => LoadOptions | null;
}) {
  const { keep } = useActions();
  const switching = useTray((s) => s.pending[pendingKey.keep(modelKey)] === true);
  const on = kept !== undefined;
  const messageId = `keep-message-${modelKey}`;
  const message = kept ? keptMessage(kept, Date.now()) : null;

  const toggle = () => {
    if (on) {
      void keep(modelKey, false);
      return;
    }
    const options = chosen();
    // A keeper never sets a TTL: it would unload what it keeps.
    if (options) void keep(modelKey, true, estimatedOptions(options));
  };

  return (
    <div className="keep">
      <button
        type="button"
        role="switch"
        aria-checked={on}
        className="switch"
        disabled={switching}
        aria-describedby={message ? messageId : undefined}
        onClick={toggle}
      >
        <span className="switch__track" aria-hidden="true" />
        <span className="switch__label">
          Keep <span className="mono">{modelKey}</span> loaded
        </span>
      </button>
      {message && (
        <p id={messageId} className="hint keep__message">
          {message}
        </p>
      )}
    </div>
  );
}
