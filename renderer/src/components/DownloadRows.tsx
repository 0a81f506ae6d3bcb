/**
 * The rows of the Downloads region. Loaded on demand (see `loadDownloadRows` in Downloads.tsx):
 * the first view needs them only once a download exists, and web mode's server renders them from
 * this module directly when its first snapshot carries some.
 */
import { useCallback } from 'react';
import {
  type DownloadFailureKind,
  type DownloadState,
  type DownloadStatus,
  FINISHED_DOWNLOAD_STATUSES,
} from '../../../electron/shared/contract';
import { availability, blockedProps } from '../availability';
import { useActions, useTray } from '../context';
import { formatBytes, formatDuration, formatEta, formatSpeed } from '../format';
import { useLiveText } from '../live-text';
import { pendingKey } from '../store';
import { DOWNLOAD_REASON_ID } from './GetModels';
import { ProgressBar } from './ProgressBar';

const STATUS_LABELS: Record<DownloadStatus, string> = {
  queued: 'Queued',
  waiting: 'Waiting for LM Studio',
  waking: 'Waking LM Studio…',
  resolving: 'Finding the files…',
  downloading: 'Downloading',
  finalizing: 'Finalizing…',
  stalled: 'Stalled',
  retrying: 'Retrying',
  completed: 'Completed',
  'already-downloaded': 'Already downloaded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  continuing: 'Continues in LM Studio',
};

/** Why a state needs no action, or what the user can do, when the core gave no message. */
const STATUS_EXPLANATIONS: Partial<Record<DownloadStatus, string>> = {
  waking: 'LM Studio is starting up to run the download; this can take a little while.',
  finalizing: 'LM Studio is checking and unpacking the files; this can be silent for a while.',
  stalled:
    'No new bytes for a while. It is still followed and goes on by itself when LM Studio gets bytes again; Retry now starts it again.',
  continuing: 'No longer followed here; the download goes on inside LM Studio and its model will show up when done.',
  completed: 'Ready to load from Downloaded models.',
  cancelled: 'Nothing more is downloaded. Retry to start again.',
};

/** What a waiting download waits for: LM Studio itself (`lms`), or its server (REST). Nothing here starts either. */
const WAITING_EXPLANATIONS: Record<DownloadState['via'], string> = {
  lms: 'It goes on when LM Studio is open, without starting it. Retry now starts LM Studio.',
  rest: 'It goes on when LM Studio’s server is back, without starting it. Retry now tries at once.',
};

/** Why an attempt failed, in the row's words (the core's message says the details). */
export const FAILURE_WORDS: Record<DownloadFailureKind, string> = {
  'not-found': 'No such model',
  'no-variant': 'No such variant',
  'not-enough-disk': 'Not enough disk space',
  interrupted: 'Interrupted',
  network: 'Network error',
  'lm-studio': 'LM Studio reported a failure',
  unknown: 'Unrecognised error',
};

/** Ended without an outcome the user can act on by retrying (stalled, retrying and waiting rows are still followed). */
const isFinished = (status: DownloadStatus): boolean => FINISHED_DOWNLOAD_STATUSES.includes(status);

/**
 * A retrying row's countdown: `Retrying in 28 s (attempt 2)`. While a row is retrying, `attempt`
 * is already the number of the attempt it counts down to (the supervisor counts it when it
 * schedules the retry).
 */
export function retryText(download: Pick<DownloadState, 'attempt' | 'nextRetryAt'>, nowMs: number): string {
  const next = `(attempt ${download.attempt})`;
  if (download.nextRetryAt === null) return `Retrying ${next}`;
  const seconds = Math.ceil((download.nextRetryAt - nowMs) / 1000);
  return seconds > 0 ? `Retrying in ${formatDuration(seconds)} ${next}` : `Retrying now ${next}`;
}

export function DownloadRows({ downloads }: { downloads: readonly DownloadState[] }) {
  return (
    <ul className="rows">
      {downloads.map((download) => (
        <DownloadRow key={download.id} download={download} />
      ))}
    </ul>
  );
}

/** A small button on a download row; its accessible name says which download it acts on. */
function RowAction({
  label,
  disabled,
  reason = null,
  quiet = false,
  onClick,
  children,
}: {
  label: string;
  disabled: boolean;
  /** Why it cannot work in this state (shown under Get models). */
  reason?: string | null;
  quiet?: boolean;
  onClick: () => void;
  children: string;
}) {
  return (
    <button
      type="button"
      className={quiet ? 'button button--small button--quiet' : 'button button--small'}
      aria-label={label}
      {...blockedProps(reason, DOWNLOAD_REASON_ID)}
      disabled={disabled || reason !== null}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

function progressText(download: DownloadState): string {
  const { downloadedBytes, totalBytes } = download;
  const amount =
    downloadedBytes != null && totalBytes != null
      ? `${formatBytes(downloadedBytes)} of ${formatBytes(totalBytes)}`
      : formatBytes(downloadedBytes ?? totalBytes);
  if (download.status !== 'downloading') return amount;
  return [amount, formatSpeed(download.bytesPerSecond), formatEta(download.etaSeconds)].filter(Boolean).join(' · ');
}

/** The badge's words; a retrying row counts down to its next attempt (re-rendered only when the text changes). */
function StatusBadge({ download }: { download: DownloadState }) {
  const { status, attempt, nextRetryAt } = download;
  const live = useLiveText(
    useCallback(
      (now: number) => (status === 'retrying' ? retryText({ attempt, nextRetryAt }, now) : null),
      [status, attempt, nextRetryAt],
    ),
  );
  return <span className={`badge badge--status badge--${status}`}>{live ?? STATUS_LABELS[status]}</span>;
}

function DownloadRow({ download }: { download: DownloadState }) {
  const actions = useActions();
  const busy = useTray((s) => s.pending[pendingKey.downloadRow(download.id)] === true);
  // A retry starts a new download, so it needs what a download needs; cancel and dismiss always work.
  const retryReason = useTray((s) => availability(s.status).download);
  const { status } = download;
  const finished = isFinished(status);
  const succeeded = status === 'completed' || status === 'already-downloaded';
  // Still followed, but the user may want it again now: a stall, a retry's wait, a wait for LM Studio
  // (the user's click may start LM Studio; nothing automatic does).
  const retryNow = status === 'stalled' || status === 'retrying' || status === 'waiting';
  const failed = status === 'failed' || status === 'cancelled';
  const fallback =
    status === 'waiting'
      ? WAITING_EXPLANATIONS[download.via]
      : succeeded && download.loadWhenDone
        ? 'Load when done: LM Studio Tray loads it now.'
        : STATUS_EXPLANATIONS[status];
  const explanation = download.message ?? fallback ?? null;
  // Why the last attempt failed, while that matters: on a failed row and before the next attempt.
  const kind =
    download.failureKind && (status === 'failed' || status === 'retrying') ? FAILURE_WORDS[download.failureKind] : null;
  const progress = progressText(download);
  const meta = [
    finished ? null : progress,
    !finished && download.attempt > 1 && status !== 'retrying' ? `attempt ${download.attempt}` : null,
    download.loadWhenDone && !finished ? 'then loads it' : null,
  ].filter(Boolean);

  return (
    <li className={`row row--download row--${status}`}>
      <div className="download__head">
        <span className="row__name mono" title={download.model}>
          {download.model}
        </span>
        <div className="row__actions">
          {!finished && (
            <RowAction
              label={`Cancel download of ${download.model}`}
              disabled={busy}
              onClick={() => void actions.cancelDownload(download.id)}
            >
              Cancel
            </RowAction>
          )}
          {(failed || retryNow) && (
            <RowAction
              label={`Retry download of ${download.model}`}
              disabled={busy}
              reason={retryReason}
              onClick={() => void actions.retryDownload(download.id)}
            >
              {retryNow ? 'Retry now' : 'Retry'}
            </RowAction>
          )}
          {finished && (
            <RowAction
              label={`Dismiss download of ${download.model}`}
              disabled={busy}
              quiet
              onClick={() => void actions.dismissDownload(download.id)}
            >
              Dismiss
            </RowAction>
          )}
        </div>
      </div>
      {(!finished || succeeded) && (
        <ProgressBar
          label={`Downloading ${download.model}`}
          value={succeeded ? 100 : download.percent}
          tone={succeeded ? 'done' : status === 'downloading' || status === 'finalizing' ? undefined : 'warn'}
        />
      )}
      <div className="download__status">
        <StatusBadge download={download} /> {kind && <span className="row__kind">{kind}.</span>}{' '}
        {finished
          ? explanation && (
              <span className={`row__note${status === 'failed' ? ' row__note--error' : ''}`}>{explanation}</span>
            )
          : meta.length > 0 && <span className="row__meta">{meta.join(' · ')}</span>}
      </div>
      {download.warning && (
        <p role="alert" className="row__note row__note--error">
          {download.warning}
        </p>
      )}
      {download.attached && !finished && (
        <div className="row__note">Already in progress in LM Studio: following it here.</div>
      )}
      {!finished && explanation && <div className="row__note">{explanation}</div>}
    </li>
  );
}
