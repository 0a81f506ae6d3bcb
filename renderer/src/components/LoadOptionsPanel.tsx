/**
 * A model row's load options: the fields, Escape to close them, and Load with these options.
 * Loaded on demand by DownloadedModels, so the first view does not carry the form.
 */
import { type FormEvent, type KeyboardEvent, useLayoutEffect, useState } from 'react';
import type { LoadOptions, ModelEntry } from '../../../electron/shared/contract';
import { blockedProps } from '../availability';
import { useActions, useTray } from '../context';
import { formatTokens } from '../format';
import {
  draftFromOptions,
  LMS_ONLY_OPTIONS,
  type LoadOptionField,
  LoadOptionsFields,
  parseLoadOptions,
} from '../load-options';

const NO_DEFAULTS: LoadOptions = {};

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
  // biome-ignore lint/correctness/useExhaustiveDependencies: the height changes with the messages
  useLayoutEffect(onResize, [errors]);

  const closeOnEscape = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    // Escape closes these options (not the popup); focus goes back to the button that opened them.
    event.preventDefault();
    const disclosure = document.querySelector<HTMLElement>(`[aria-controls="${id}"]`);
    onDone();
    disclosure?.focus();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reason) return;
    const parsed = parseLoadOptions(draft);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    onDone();
    // Sent as chosen even where unavailable: the core reports what it could not apply.
    void load(model.key, parsed.value);
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
      <div className="load-options__actions">
        <button type="submit" className="button button--small button--primary" {...blockedProps(reason, reasonId)}>
          {model.loadedInstances.length > 0 ? 'Load another instance' : 'Load with these options'}
        </button>
      </div>
    </form>
  );
}
