import { useCallback } from 'react';
import type { LoadedInstance } from '../../../electron/shared/contract';
import { useActions, useTray } from '../context';
import { formatBytes, formatTokens, formatTtl } from '../format';
import { useLiveText } from '../live-text';
import { pendingKey } from '../store';

const EMPTY: LoadedInstance[] = [];

/** What is in memory now: one row per loaded instance, each with its own Unload. */
export function LoadedModels() {
  const loaded = useTray((s) => s.models?.loaded ?? EMPTY);
  const stale = useTray((s) => s.models?.stale === true);
  const unloadingAll = useTray((s) => s.pending[pendingKey.unloadAll] === true);
  const actions = useActions();

  return (
    <section className="section" aria-labelledby="loaded-heading">
      <div className="section__head">
        <h2 id="loaded-heading">Loaded models</h2>
        {loaded.length > 0 && <span className="count">{loaded.length}</span>}
        {stale && <span className="stale">Last known · offline</span>}
        {loaded.length > 0 && (
          <button
            type="button"
            className="button button--small section__action"
            disabled={unloadingAll || stale}
            onClick={() => void actions.unloadAll()}
          >
            Unload all
          </button>
        )}
      </div>
      {loaded.length === 0 ? (
        <p className="empty">No model in memory. Load one from Downloaded models below.</p>
      ) : (
        <ul className="rows">
          {loaded.map((instance) => (
            <LoadedRow key={instance.identifier} instance={instance} disabled={stale} />
          ))}
        </ul>
      )}
    </section>
  );
}

function LoadedRow({ instance, disabled }: { instance: LoadedInstance; disabled: boolean }) {
  const { unload } = useActions();
  const { ttlMs, lastUsedTime } = instance;
  // Only this row re-renders, and only when the TTL text it shows changes.
  const ttl = useLiveText(useCallback((now) => formatTtl(ttlMs, lastUsedTime, now), [ttlMs, lastUsedTime]));
  const unloading = useTray((s) => s.pending[pendingKey.unload(instance.identifier)] === true);
  const context = formatTokens(instance.contextLength);
  const meta = [
    instance.modelKey !== instance.identifier ? instance.modelKey : null,
    formatBytes(instance.sizeBytes),
    context ? `${context} context` : null,
    ttl,
  ].filter(Boolean);

  return (
    <li className="row">
      <div className="row__main">
        <div className="row__title">
          <span className="row__name mono" title={instance.identifier}>
            {instance.identifier}
          </span>
          {instance.activity && instance.activity !== 'idle' && (
            <span className="badge badge--accent">{instance.activity}</span>
          )}
        </div>
        {meta.length > 0 && (
          <div className="row__meta" title={meta.join(' · ')}>
            {meta.join(' · ')}
          </div>
        )}
      </div>
      <div className="row__actions">
        <button
          type="button"
          className="button button--small"
          aria-label={`Unload ${instance.identifier}`}
          disabled={unloading || disabled}
          onClick={() => void unload(instance.identifier)}
        >
          {unloading ? 'Unloading…' : 'Unload'}
        </button>
      </div>
    </li>
  );
}
