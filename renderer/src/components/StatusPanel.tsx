import { Suspense } from 'react';
import { type ApiGeneration, SERVER_STATE_LABELS, type ServerStatus } from '../../../electron/shared/contract';
import { useActions, useTray } from '../context';
import { onDemand } from '../on-demand';

/** The fix for each state but Online loads on demand: the popup is mostly opened with the server up. */
export const statusFixes = onDemand(() => import('./StatusFix'));

/** Whether `status` shows a fix (StatusFix.tsx), i.e. needs that module. */
export const needsStatusFix = (status: ServerStatus | null): status is ServerStatus =>
  status !== null && status.state !== 'online' && status.state !== 'checking';

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
      {needsStatusFix(status) ? (
        <Suspense fallback={null}>
          <Fix status={status} />
        </Suspense>
      ) : (
        !status && snapshotError && <TryAgain />
      )}
    </div>
  );
}

function Fix({ status }: { status: ServerStatus }) {
  const { StatusFix } = statusFixes.read();
  return <StatusFix status={status} />;
}

/** No snapshot could be read: the one thing to do is to ask again. */
function TryAgain() {
  const { reload } = useActions();
  return (
    <div className="status-panel__actions">
      <button type="button" className="button" onClick={() => void reload()}>
        Try again
      </button>
    </div>
  );
}
