import { Suspense, useCallback } from 'react';
import type { LoadedInstance } from '../../../electron/shared/contract';
import { availability, blockedProps, listTag } from '../availability';
import { useActions, useTray } from '../context';
import { formatBytes, formatRate, formatTokens, formatTtl } from '../format';
import { useLiveText } from '../live-text';
import { pendingKey } from '../store';
import { activityParts } from './Activity';

const EMPTY: LoadedInstance[] = [];
const REASON_ID = 'loaded-reason';

/**
 * What is in memory now: one row per loaded instance, each with its own Unload. It says only
 * what the state allows it to know: nothing is loaded while LM Studio is closed, and elsewhere
 * an unreadable list is the last known one, with Unload disabled when it cannot work.
 */
export function LoadedModels() {
  const status = useTray((s) => s.status);
  const models = useTray((s) => s.models);
  const loaded = models?.loaded ?? EMPTY;
  const unloadingAll = useTray((s) => s.pending[pendingKey.unloadAll] === true);
  const actions = useActions();
  const allowed = availability(status);
  const appClosed = status !== null && allowed.loaded === 'app-closed';
  const tag = appClosed ? null : listTag(status, models);
  const shown = appClosed ? EMPTY : loaded;
  const blocked = blockedProps(allowed.unload, REASON_ID);

  return (
    <section className="section" aria-labelledby="loaded-heading">
      <div className="section__head">
        <h2 id="loaded-heading">Loaded models</h2>
        {shown.length > 0 && <span className="count">{shown.length}</span>}
        {tag && (
          <span className={tag.warn ? 'stale' : 'stale stale--source'} title={tag.title}>
            {tag.text}
          </span>
        )}
        {shown.length > 0 && (
          <button
            type="button"
            className="button button--small section__action"
            {...blocked}
            disabled={unloadingAll || blocked.disabled}
            onClick={() => void actions.unloadAll()}
          >
            Unload all
          </button>
        )}
      </div>
      {shown.length > 0 && allowed.unload && (
        <p id={REASON_ID} className="hint section__reason">
          {allowed.unload}
        </p>
      )}
      {shown.length === 0 ? (
        <p className="empty">
          {emptyText(appClosed, models?.updatedAt ?? null, allowed.loaded === 'last-known', models?.stale === true)}
        </p>
      ) : (
        <ul className="rows">
          {shown.map((instance) => (
            <LoadedRow key={instance.identifier} instance={instance} reason={allowed.unload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function emptyText(appClosed: boolean, readAt: number | null, notLive: boolean, stale: boolean): string {
  if (appClosed) return 'Nothing is loaded while LM Studio is closed.';
  if (readAt === null)
    return notLive ? 'Not known yet.' : stale ? 'Not known: the list could not be read.' : 'Reading what is loaded…';
  if (stale) return 'No model was loaded when LM Studio Tray last could tell.';
  // Checking, or a state whose loads cannot work: no invitation to load.
  if (notLive) return 'No model in memory.';
  return 'No model in memory. Load one from Downloaded models below.';
}

function LoadedRow({ instance, reason }: { instance: LoadedInstance; reason: string | null }) {
  const { unload } = useActions();
  const { ttlMs, lastUsedTime } = instance;
  // Only this row re-renders, and only when the TTL text it shows changes.
  const ttl = useLiveText(useCallback((now) => formatTtl(ttlMs, lastUsedTime, now), [ttlMs, lastUsedTime]));
  const unloading = useTray((s) => s.pending[pendingKey.unload(instance.identifier)] === true);
  const kept = useTray((s) => s.kept.some((k) => k.modelKey === instance.modelKey));
  const id = instance.identifier;
  // What the stream says about this instance: a new object only when an activity event changed something.
  const following = useTray((s) => s.activity?.state === 'following');
  const mine = useTray((s) => s.activity?.models.find((m) => m.identifier === id));
  const generating = (mine?.inProgress ?? 0) > 0;
  const rate = mine?.last?.tokensPerSecond ?? null;
  const stuckSince = mine?.possiblyStuckSince ?? null;
  // While the stream is followed it says what is busy, live; else `lms ps` does, as last read.
  const state = following ? null : instance.activity;
  const badge = generating || state === 'generating' ? 'Generating' : state !== 'idle' && state;
  const blocked = blockedProps(reason, REASON_ID);
  const context = formatTokens(instance.contextLength);
  const meta = [
    instance.modelKey !== id ? instance.modelKey : null,
    formatBytes(instance.sizeBytes),
    context ? `${context} context` : null,
    rate === null ? null : `last ${formatRate(rate)} tok/s`,
    ttl,
  ].filter(Boolean);

  return (
    <li className="row">
      <div className="row__main">
        <div className="row__title">
          <span className="row__name mono" title={instance.identifier}>
            {instance.identifier}
          </span>
          {badge && <span className="badge badge--accent">{badge}</span>}
          {kept && <span className="badge badge--accent">Kept loaded</span>}
        </div>
        {meta.length > 0 && (
          <div className="row__meta" title={meta.join(' · ')}>
            {meta.join(' · ')}
          </div>
        )}
        {stuckSince !== null && (
          <Suspense fallback={null}>
            <Stuck since={stuckSince} />
          </Suspense>
        )}
      </div>
      <div className="row__actions">
        <button
          type="button"
          className="button button--small"
          aria-label={`Unload ${instance.identifier}`}
          {...blocked}
          disabled={unloading || blocked.disabled}
          onClick={() => void unload(instance.identifier)}
        >
          {unloading ? 'Unloading…' : 'Unload'}
        </button>
      </div>
    </li>
  );
}

/** Rare, so its words load with the activity's (on demand). */
function Stuck({ since }: { since: number }) {
  const { StuckLine } = activityParts.read();
  return <StuckLine since={since} />;
}
