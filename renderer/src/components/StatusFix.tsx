/**
 * What fixes each server state but Online, beside the status line: start the server, install LM
 * Studio, change the address, enter the token. Loaded on demand (StatusPanel's `statusFixes`).
 */
import { type FormEvent, useState } from 'react';
import type { ServerStatus } from '../../../electron/shared/contract';
import { worksThroughLms } from '../availability';
import { useActions, useTray } from '../context';
import { pendingKey } from '../store';

const LMSTUDIO_DOWNLOAD_URL = 'https://lmstudio.ai/download';

export function StatusFix({ status }: { status: ServerStatus }) {
  const actions = useActions();
  const starting = useTray((s) => s.pending[pendingKey.startServer] === true);

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
