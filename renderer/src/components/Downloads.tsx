import { Suspense } from 'react';
import { type DownloadState, FINISHED_DOWNLOAD_STATUSES } from '../../../electron/shared/contract';
import { availability } from '../availability';
import { useTray } from '../context';
import { onDemand } from '../on-demand';

/** The rows load on demand: the first view needs them only once a download exists. */
export const downloadRows = onDemand(() => import('./DownloadRows'));

/**
 * Downloads in progress and finished ones, each kept with its outcome until dismissed. The region
 * is always there (empty, it says so), so assistive technology finds it in the same place.
 */
export function Downloads() {
  const downloads = useTray((s) => s.downloads);
  const blocked = useTray((s) => availability(s.status).download !== null);
  const active = downloads.filter((d) => !FINISHED_DOWNLOAD_STATUSES.includes(d.status)).length;
  return (
    <section className="section" aria-labelledby="downloads-heading">
      <div className="section__head">
        <h2 id="downloads-heading">Downloads</h2>
        {active > 0 && <span className="count">{active}</span>}
      </div>
      {downloads.length === 0 ? (
        <p className="empty">{blocked ? 'No downloads.' : 'No downloads. Type a model below, or pick a suggestion.'}</p>
      ) : (
        <Suspense fallback={null}>
          <Rows downloads={downloads} />
        </Suspense>
      )}
    </section>
  );
}

function Rows({ downloads }: { downloads: readonly DownloadState[] }) {
  const { DownloadRows } = downloadRows.read();
  return <DownloadRows downloads={downloads} />;
}
