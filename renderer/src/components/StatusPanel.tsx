import { type FormEvent, useState } from 'react';
import { type ApiGeneration, SERVER_STATE_LABELS, type ServerStatus } from '../../../electron/shared/contract';
import { worksThroughLms } from '../availability';
import { useActions, useTray } from '../context';
import { pendingKey } from '../store';

const LMSTUDIO_DOWNLOAD_URL = 'https://lmstudio.ai/download';

const GENERATION_LABELS: Record<ApiGeneration, string> = {
  v1: 'REST API v1 (LM Studio 0.4+)',
  v0: 'REST API v0 (LM Studio 0.3)',
  openai: 'OpenAI-compatible API only',
};

/** What the status line says after its label: the core's words, or ours when it gave none. */
function statusDetail(status: ServerStatus | null, snapshotError: string | null): string {
  if (!status) {
    return snapshotError ? `Could not reach the tray app: ${snapshotError}` : 'Looking for LM Studio…';
  }
  if (status.state === 'online') {
    const where = status.remote ? new URL(status.baseUrl).host : `Port ${status.port}`;
    const parts = [where, status.apiGeneration ? GENERATION_LABELS[status.apiGeneration] : null];
    if (status.unstable) parts.push('Unstable lately: it went down and came back several times');
    return parts.filter(Boolean).join(' · ');
  }
  if (status.detail) return status.detail;
  switch (status.state) {
    case 'checking':
      return 'Looking for LM Studio…';
    case 'offline':
      return 'LM Studio is not running.';
    case 'server-stopped':
      return "LM Studio is running, but its server is off. Start it to use LM Studio's API.";
    case 'not-responding':
      return 'LM Studio accepts connections but does not answer. It may be busy loading a model; wait, or restart it.';
    case 'unauthorized':
      return "LM Studio's server asks for an API token. Enter the token from LM Studio's Developer settings.";
    case 'foreign':
      return `Another program answers at ${status.baseUrl}. Change the LM Studio address, or free the port.`;
  }
}

/**
 * The server's state in words (`role="status"`, named "Server status", text starting with the
 * state's label) and, beside it, the one action that fixes it.
 */
export function StatusPanel() {
  const status = useTray((s) => s.status);
  const snapshotError = useTray((s) => s.snapshotError);
  const state = status?.state ?? 'checking';
  const label = SERVER_STATE_LABELS[state];

  return (
    <div className={`status-panel status-panel--${state}`}>
      <p role="status" aria-label="Server status" className="status-panel__line">
        <span className="status-panel__dot" aria-hidden="true" />
        <span className="status-panel__label">{label}</span>
        <span className="visually-hidden">. </span>
        <span className="status-panel__detail">{statusDetail(status, snapshotError)}</span>
      </p>
      <StatusFix status={status} snapshotError={snapshotError} />
    </div>
  );
}

function StatusFix({ status, snapshotError }: { status: ServerStatus | null; snapshotError: string | null }) {
  const actions = useActions();
  const starting = useTray((s) => s.pending[pendingKey.startServer] === true);

  if (!status) {
    return snapshotError ? (
      <div className="status-panel__actions">
        <button type="button" className="button" onClick={() => void actions.reload()}>
          Try again
        </button>
      </div>
    ) : null;
  }

  const startButton = (
    <button
      type="button"
      className="button button--primary"
      disabled={starting}
      aria-busy={starting || undefined}
      onClick={() => void actions.startServer()}
    >
      {starting ? 'Starting…' : 'Start server'}
    </button>
  );
  const changeAddress = (
    <button type="button" className="button" onClick={() => actions.showView('settings')}>
      Change address
    </button>
  );

  switch (status.state) {
    case 'offline':
      if (status.lmsPath) return <div className="status-panel__actions">{startButton}</div>;
      if (status.remote) return <div className="status-panel__actions">{changeAddress}</div>;
      return (
        <div className="status-panel__actions">
          <a className="button button--primary" href={LMSTUDIO_DOWNLOAD_URL} target="_blank" rel="noreferrer">
            Install LM Studio
          </a>
          <LmsNotFound searched={status.lmsSearched} />
        </div>
      );
    case 'server-stopped':
      return (
        <div className="status-panel__actions">
          {status.lmsPath ? (
            startButton
          ) : (
            <p className="hint">Turn the server on in LM Studio's Developer tab (the lms command was not found).</p>
          )}
        </div>
      );
    case 'not-responding':
      return (
        <div className="status-panel__actions">
          <button type="button" className="button" onClick={() => void actions.refresh()}>
            Check again
          </button>
        </div>
      );
    case 'unauthorized':
      return (
        <>
          <TokenForm />
          <p className="hint status-panel__note">
            {worksThroughLms(status)
              ? "Meanwhile the lists, loads and downloads go through LM Studio's lms tool, which has its own key."
              : 'Until then LM Studio Tray cannot list, load or download models here.'}
          </p>
        </>
      );
    case 'foreign':
      return <div className="status-panel__actions">{changeAddress}</div>;
    default:
      return null;
  }
}

function LmsNotFound({ searched }: { searched: string[] }) {
  if (searched.length === 0) return null;
  return (
    <details className="status-panel__searched">
      <summary>Where we looked for lms</summary>
      <ul>
        {searched.map((path) => (
          <li key={path} className="mono">
            {path}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Authentication required: the token is saved through settings and never shown again. */
function TokenForm() {
  const actions = useActions();
  const saving = useTray((s) => s.pending[pendingKey.settings] === true);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste the API token from LM Studio's Developer settings.");
      return;
    }
    const result = await actions.updateSettings({ apiToken: value });
    if (result.ok) {
      setToken('');
      setError(null);
      void actions.refresh();
    } else setError(result.error.message);
  };

  return (
    <form className="status-panel__token" onSubmit={submit} noValidate>
      <label htmlFor="status-token" className="visually-hidden">
        API token
      </label>
      <input
        id="status-token"
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder="API token"
        value={token}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'status-token-error' : undefined}
        onChange={(e) => setToken(e.target.value)}
      />
      <button type="submit" className="button button--primary" disabled={saving}>
        Save token
      </button>
      {error && (
        <p role="alert" id="status-token-error" className="field__error">
          {error}
        </p>
      )}
    </form>
  );
}
