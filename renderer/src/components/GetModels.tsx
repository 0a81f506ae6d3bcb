import { type FormEvent, lazy, Suspense, useEffect, useState } from 'react';
import { FINISHED_DOWNLOAD_STATUSES, type ServerStatus } from '../../../electron/shared/contract';
import { MODEL_SUGGESTIONS } from '../../../electron/shared/suggestions';
import { availability, blockedProps } from '../availability';
import { useActions, useTray } from '../context';
import { formatBytes } from '../format';

/** The "Model to download" field's id, so the empty model list can point at it. */
export const DOWNLOAD_INPUT_ID = 'download-target';
/** The visible reason why downloads cannot start now; every Download button points to it. */
export const DOWNLOAD_REASON_ID = 'download-reason';

/** What a download does in this state that the user would not guess, or null. */
function downloadNote(status: ServerStatus | null, blocked: boolean): string | null {
  if (blocked || status?.state !== 'offline') return null;
  return status.lmStudioClosed
    ? 'LM Studio is not running: a download starts it.'
    : 'If LM Studio is not running, a download starts it.';
}

/**
 * What the downloads are doing, as one string: it changes when one starts, ends or changes state,
 * not with every byte (the free space is asked again then, not on a timer).
 */
const downloadSteps = (downloads: ReadonlyArray<{ id: string; status: string }>) =>
  downloads.map((d) => `${d.id}:${d.status}`).join(',');

/**
 * Download by catalog key or Hugging Face URL, or one click on a suggestion. Input the core
 * would refuse is refused here first, with an alert saying what is accepted.
 */
/**
 * The name rules load on demand (App's `preloadOnDemand` fetches them in idle time): their
 * messages are the core's own words, and too heavy for the first view's budget.
 */
export const loadNameRules = () => import('../name-rules');
const DiskLine = lazy(() => import('./DiskLine').then((module) => ({ default: module.DiskLine })));

export function GetModels() {
  const { download, readDiskSpace } = useActions();
  const status = useTray((s) => s.status);
  const reason = availability(status).download;
  const blocked = blockedProps(reason, DOWNLOAD_REASON_ID);
  const note = downloadNote(status, reason !== null);
  const [target, setTarget] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [loadWhenDone, setLoadWhenDone] = useState(false);
  const steps = useTray((s) => downloadSteps(s.downloads));

  // biome-ignore lint/correctness/useExhaustiveDependencies: asked again when the downloads change
  useEffect(() => void readDiskSpace(), [readDiskSpace, steps]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (reason) return;
    const { checkDownloadTarget } = await loadNameRules();
    const checked = checkDownloadTarget(target);
    if (!checked.ok) {
      setError(checked.message);
      return;
    }
    setError(null);
    setSubmitting(true);
    const started = await download(checked.value, { loadWhenDone });
    setSubmitting(false);
    if (started) setTarget('');
  };

  return (
    <section className="section" aria-labelledby="get-heading">
      <div className="section__head">
        <h2 id="get-heading">Get models</h2>
      </div>
      <form className="get-form" onSubmit={submit} noValidate>
        <input
          id={DOWNLOAD_INPUT_ID}
          type="text"
          aria-label="Model to download"
          placeholder="qwen/qwen3-4b or a Hugging Face URL"
          autoComplete="off"
          spellCheck={false}
          value={target}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'download-error' : undefined}
          onChange={(e) => {
            setTarget(e.target.value);
            if (error) setError(null);
          }}
        />
        <button type="submit" className="button button--primary" {...blocked} disabled={submitting || blocked.disabled}>
          Download
        </button>
      </form>
      {/* Taken by each download when it starts: the typed one and a suggestion's. */}
      <label className="check get-then">
        <input type="checkbox" checked={loadWhenDone} onChange={(e) => setLoadWhenDone(e.target.checked)} />
        Load when done
      </label>
      {reason && (
        <p id={DOWNLOAD_REASON_ID} className="hint section__reason">
          {reason}
        </p>
      )}
      {note && <p className="hint section__reason">{note}</p>}
      {error && (
        <p role="alert" id="download-error" className="field__error">
          {error}
        </p>
      )}
      <h3 className="subhead" id="suggestions-heading">
        Suggested
      </h3>
      <ul className="suggestions" aria-labelledby="suggestions-heading">
        {MODEL_SUGGESTIONS.map((suggestion) => (
          <Suggestion key={suggestion.key} suggestion={suggestion} reason={reason} loadWhenDone={loadWhenDone} />
        ))}
      </ul>
    </section>
  );
}

function Suggestion({
  suggestion,
  reason,
  loadWhenDone,
}: {
  suggestion: (typeof MODEL_SUGGESTIONS)[number];
  reason: string | null;
  loadWhenDone: boolean;
}) {
  const { download } = useActions();
  const space = useTray((s) => (s.disk?.known ? s.disk.space : null));
  const downloaded = useTray((s) => s.models?.models.some((m) => m.key === suggestion.key) === true);
  const downloading = useTray((s) =>
    s.downloads.some((d) => d.model === suggestion.key && !FINISHED_DOWNLOAD_STATUSES.includes(d.status)),
  );
  return (
    <li className="suggestion">
      <div className="suggestion__main">
        <div className="row__title">
          <span className="suggestion__name">{suggestion.name}</span>
          <span className="suggestion__size">{formatBytes(suggestion.sizeBytes)}</span>
          {downloaded && <span className="badge badge--ok">Downloaded</span>}
        </div>
        <div className="row__meta">{suggestion.goodFor}</div>
        {space && (
          <Suspense fallback={null}>
            <DiskLine sizeBytes={suggestion.sizeBytes} space={space} />
          </Suspense>
        )}
      </div>
      <button
        type="button"
        className="button button--small"
        aria-label={`Download ${suggestion.key}`}
        {...blockedProps(reason, DOWNLOAD_REASON_ID)}
        title={reason ?? suggestion.key}
        disabled={downloading || reason !== null}
        onClick={() => void download(suggestion.key, { loadWhenDone })}
      >
        {downloading ? 'Downloading…' : 'Download'}
      </button>
    </li>
  );
}
