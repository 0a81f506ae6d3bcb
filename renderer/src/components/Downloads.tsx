import { type DownloadState, type DownloadStatus, FINISHED_DOWNLOAD_STATUSES } from '../../../electron/shared/contract';
import { availability, blockedProps } from '../availability';
import { useActions, useTray } from '../context';
import { formatBytes, formatEta, formatSpeed } from '../format';
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
  stalled: 'No new bytes for a while. It resumes by itself when the connection comes back; or cancel and retry.',
  continuing: 'No longer followed here; the download goes on inside LM Studio and its model will show up when done.',
  completed: 'Ready to load from Downloaded models.',
  cancelled: 'Nothing more is downloaded. Retry to start again.',
};

const isFinished = (status: DownloadStatus): boolean => FINISHED_DOWNLOAD_STATUSES.includes(status);

/**
 * Downloads in progress and finished ones, each kept with its outcome until dismissed. The region
 * is always there (empty, it says so), so assistive technology finds it in the same place.
 */
export function Downloads() {
  const downloads = useTray((s) => s.downloads);
  const blocked = useTray((s) => availability(s.status).download !== null);
  const active = downloads.filter((d) => !isFinished(d.status)).length;
  return (
    <section className="section" aria-labelledby="downloads-heading">
      <div className="section__head">
        <h2 id="downloads-heading">Downloads</h2>
        {active > 0 && <span className="count">{active}</span>}
      </div>
      {downloads.length === 0 ? (
        <p className="empty">{blocked ? 'No downloads.' : 'No downloads. Type a model below, or pick a suggestion.'}</p>
      ) : (
        <ul className="rows">
          {downloads.map((download) => (
            <DownloadRow key={download.id} download={download} />
          ))}
        </ul>
      )}
    </section>
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

function DownloadRow({ download }: { download: DownloadState }) {
  const actions = useActions();
  const busy = useTray((s) => s.pending[pendingKey.downloadRow(download.id)] === true);
  // A retry starts a new download, so it needs what a download needs; cancel and dismiss always work.
  const retryReason = useTray((s) => availability(s.status).download);
  const finished = isFinished(download.status);
  const succeeded = download.status === 'completed' || download.status === 'already-downloaded';
  const failed = download.status === 'failed' || download.status === 'cancelled';
  const explanation = download.message ?? STATUS_EXPLANATIONS[download.status] ?? null;
  const progress = progressText(download);

  return (
    <li className={`row row--download row--${download.status}`}>
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
          {failed && (
            <RowAction
              label={`Retry download of ${download.model}`}
              disabled={busy}
              reason={retryReason}
              onClick={() => void actions.retryDownload(download.id)}
            >
              Retry
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
          tone={succeeded ? 'done' : download.status === 'stalled' ? 'warn' : undefined}
        />
      )}
      <div className="download__status">
        <span className={`badge badge--status badge--${download.status}`}>{STATUS_LABELS[download.status]}</span>{' '}
        {finished
          ? explanation && (
              <span className={`row__note${download.status === 'failed' ? ' row__note--error' : ''}`}>
                {explanation}
              </span>
            )
          : progress && <span className="row__meta">{progress}</span>}
      </div>
      {download.attached && !finished && (
        <div className="row__note">Already in progress in LM Studio: following it here.</div>
      )}
      {!finished && explanation && <div className="row__note">{explanation}</div>}
    </li>
  );
}
