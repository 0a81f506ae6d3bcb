import {
  lazy,
  Suspense,
  useDeferredValue,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from 'react';
import { loadBlocker } from '../../../electron/shared/availability';
import type { LoadingState, LoadOptions, ModelEntry } from '../../../electron/shared/contract';
import { availability, blockedProps, listTag, whyNoListYet } from '../availability';
import { useActions, useCssVariables, useTray } from '../context';
import { formatBytes, formatTokens } from '../format';
import { onDemand } from '../on-demand';
import { pendingKey } from '../store';
import { computeWindow } from '../windowing';
import { DOWNLOAD_INPUT_ID } from './GetModels';
import { ChevronIcon } from './icons';

/** Above this many rows only the visible ones are rendered. */
export const WINDOW_THRESHOLD = 200;
/** A model row's fixed height in a windowed list, in CSS pixels (the stylesheet reads --row-h). */
export const ROW_HEIGHT = 64;
/** Used until the list's box has been measured (and under test DOMs that do no layout). */
const FALLBACK_VIEWPORT = 320;
const OVERSCAN = 6;

const EMPTY_MODELS: ModelEntry[] = [];
const NO_DEFAULTS: LoadOptions = {};
/**
 * A row's load options load on demand (the first view shows none): fetched when the page is idle
 * (see App's `preloadOnDemand`), so a disclosure opens them without a visible wait.
 */
export const loadOptionsPanel = () => import('./LoadOptionsPanel');
const LoadOptionsPanel = lazy(() => loadOptionsPanel().then((module) => ({ default: module.LoadOptionsPanel })));
/** A row's load in progress (its words and bar) loads on demand: the first view mostly shows none. */
export const loadingParts = onDemand(() => import('./LoadingParts'));
/** The visible reason, under the heading, why no model can be loaded in this state. */
const REASON_ID = 'downloaded-reason';

const searchIndex = new WeakMap<ModelEntry, string>();
function haystack(model: ModelEntry): string {
  let text = searchIndex.get(model);
  if (text === undefined) {
    text = [model.key, model.displayName, model.publisher, model.paramsString, model.quantization, model.format]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    searchIndex.set(model, text);
  }
  return text;
}

/** Models whose key, name, publisher, size, quantization or format contain every word of `query`. */
export function filterModels(models: readonly ModelEntry[], query: string): readonly ModelEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return models;
  return models.filter((model) => {
    const text = haystack(model);
    return words.every((word) => text.includes(word));
  });
}

/** Everything on disk, filterable; long lists are windowed so 1,000 models stay fast. */
export function DownloadedModels() {
  const models = useTray((s) => s.models?.models ?? EMPTY_MODELS);
  // Nothing read yet (the first read may still be on its way): say why there is no list, not "none".
  const known = useTray((s) => s.models !== null && (s.models.updatedAt !== null || s.models.models.length > 0));
  const stale = useTray((s) => s.models?.stale === true);
  const status = useTray((s) => s.status);
  const tag = listTag(
    status,
    useTray((s) => s.models),
  );
  const reason = availability(status).load;
  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const filtered = useMemo(() => filterModels(models, deferredQuery), [models, deferredQuery]);
  const [expandedKey, setExpandedKey] = useState<string | null>(null);

  return (
    <section className="section" aria-labelledby="downloaded-heading">
      <div className="section__head">
        <h2 id="downloaded-heading">Downloaded models</h2>
        {models.length > 0 && <span className="count">{models.length.toLocaleString('en-US')}</span>}
        {tag && (
          <span className={tag.warn ? 'stale' : 'stale stale--source'} title={tag.title}>
            {tag.text}
          </span>
        )}
      </div>
      {models.length > 0 && reason && (
        <p id={REASON_ID} className="hint section__reason">
          {reason}
        </p>
      )}
      {!known ? (
        <p className="empty">{whyNoListYet(status, stale)}</p>
      ) : models.length === 0 ? (
        <NoModelsYet stale={stale} why={whyNoListYet(status, stale)} />
      ) : (
        <>
          <input
            type="search"
            className="filter"
            aria-label="Filter downloaded models"
            placeholder={`Filter ${models.length.toLocaleString('en-US')} models by name, key or publisher`}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              // Escape clears the filter first; on an empty filter it closes the popup as usual.
              if (e.key === 'Escape' && query !== '') {
                e.preventDefault();
                setQuery('');
              }
            }}
          />
          {filtered.length === 0 ? (
            <p className="empty">No downloaded model matches “{deferredQuery.trim()}”.</p>
          ) : (
            <ModelList
              models={filtered}
              resetKey={deferredQuery}
              expandedKey={expandedKey}
              onToggle={(key) => setExpandedKey((current) => (current === key ? null : key))}
            />
          )}
        </>
      )}
    </section>
  );
}

function NoModelsYet({ stale, why }: { stale: boolean; why: string }) {
  if (stale) return <p className="empty">{why}</p>;
  return (
    <div className="empty">
      <p>No models downloaded yet. Pick one of the suggestions under Get models, or type one to download.</p>
      <button
        type="button"
        className="button button--small"
        onClick={() => {
          const input = document.getElementById(DOWNLOAD_INPUT_ID);
          input?.scrollIntoView({ block: 'center' });
          input?.focus();
        }}
      >
        Show suggestions
      </button>
    </div>
  );
}

function ModelList({
  models,
  resetKey,
  expandedKey,
  onToggle,
}: {
  models: readonly ModelEntry[];
  resetKey: string;
  expandedKey: string | null;
  onToggle: (key: string) => void;
}) {
  const windowed = models.length > WINDOW_THRESHOLD;
  const scrollRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(FALLBACK_VIEWPORT);
  const [expandedExtra, setExpandedExtra] = useState(0);
  // The open row's options change its height without rendering this list (they arrive on demand,
  // a message appears): they call this so the layout effect below measures again.
  const [, remeasure] = useReducer((n: number) => n + 1, 0);

  const expandedIndex = expandedKey === null ? -1 : models.findIndex((m) => m.key === expandedKey);
  const range = windowed
    ? computeWindow({
        count: models.length,
        rowHeight: ROW_HEIGHT,
        viewportHeight,
        scrollTop,
        overscan: OVERSCAN,
        expanded: expandedIndex >= 0 ? { index: expandedIndex, extraHeight: expandedExtra } : null,
      })
    : { start: 0, end: models.length, paddingTop: 0, paddingBottom: 0 };

  useCssVariables(listRef, {
    '--row-h': `${ROW_HEIGHT}px`,
    '--pad-top': `${range.paddingTop}px`,
    '--pad-bottom': `${range.paddingBottom}px`,
  });

  // A new filter shows its first match at the top.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the filter changes
  useEffect(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
    setScrollTop(0);
  }, [resetKey]);

  // Measure the viewport and the open row (the only one taller than ROW_HEIGHT) after each layout.
  useLayoutEffect(() => {
    if (!windowed) return;
    const height = scrollRef.current?.clientHeight;
    if (height && height !== viewportHeight) setViewportHeight(height);
    const open = listRef.current?.querySelector<HTMLElement>('li[data-expanded="true"]');
    if (open) {
      const extra = Math.max(0, open.offsetHeight - ROW_HEIGHT);
      if (extra !== expandedExtra) setExpandedExtra(extra);
    } else if (expandedKey === null && expandedExtra !== 0) setExpandedExtra(0);
  });

  const rows = models
    .slice(range.start, range.end)
    .map((model, offset) => (
      <ModelRow
        key={model.key}
        model={model}
        position={range.start + offset + 1}
        setSize={models.length}
        expanded={model.key === expandedKey}
        onToggle={onToggle}
        onResize={remeasure}
      />
    ));

  return (
    <div
      ref={scrollRef}
      className={windowed ? 'model-scroll' : undefined}
      onScroll={windowed ? (e) => setScrollTop(e.currentTarget.scrollTop) : undefined}
    >
      <ul ref={listRef} className={`rows rows--models${windowed ? ' rows--windowed' : ''}`}>
        {rows}
      </ul>
    </div>
  );
}

function ModelRow({
  model,
  position,
  setSize,
  expanded,
  onToggle,
  onResize,
}: {
  model: ModelEntry;
  position: number;
  setSize: number;
  expanded: boolean;
  onToggle: (key: string) => void;
  onResize: () => void;
}) {
  const { load } = useActions();
  const status = useTray((s) => s.status);
  const models = useTray((s) => s.models?.models ?? EMPTY_MODELS);
  const reason = useMemo(() => loadBlocker(status, model.key, models), [status, model.key, models]);
  // The state's own reason is shown once under the heading; a reason of this row's own is kept beside it.
  const ownReason = reason !== null && reason !== availability(status).load;
  const reasonId = ownReason ? `load-reason-${position}` : REASON_ID;
  const blocked = blockedProps(reason, reasonId);
  const loadedAlready = model.loadedInstances.length > 0;
  const captionId = `load-caption-${position}`;
  const defaults = useTray((s) => s.settings?.loadDefaults ?? NO_DEFAULTS);
  const loading = useTray((s) => s.loading.find((l) => l.modelKey === model.key));
  const requested = useTray((s) => s.pending[pendingKey.load(model.key)] === true);
  const busy = loading !== undefined || requested;
  const panelId = `load-options-${position}`;
  const kept = useTray((s) => s.kept.some((k) => k.modelKey === model.key));
  // What it is may shorten to an ellipsis; its size and context never do (they decide what fits).
  const about = [model.publisher, model.paramsString, model.quantization, model.format?.toUpperCase()]
    .filter(Boolean)
    .join(' · ');
  const fit = [
    formatBytes(model.sizeBytes),
    model.maxContextLength ? `${formatTokens(model.maxContextLength)} context` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const meta = [about, fit].filter(Boolean).join(' · ');

  return (
    <li
      className={`row row--model${expanded ? ' row--expanded' : ''}`}
      aria-setsize={setSize}
      aria-posinset={position}
      data-expanded={expanded || undefined}
    >
      <div className="row__body">
        <div className="row__main">
          <div className="row__title">
            <span className="row__name" title={model.displayName}>
              {model.displayName}
            </span>{' '}
            <Badges model={model} kept={kept} />
          </div>{' '}
          <div className="row__key mono" title={model.key}>
            {model.key}
          </div>{' '}
          {busy ? (
            <Suspense fallback={<div className="row__meta row__meta--busy">Loading…</div>}>
              <LoadingMeta loading={loading} />
            </Suspense>
          ) : (
            <div className="row__meta row__meta--split" title={meta}>
              {about && <span className="row__meta-about">{about}</span>}
              {about && fit && (
                <span className="row__meta-sep" aria-hidden="true">
                  ·
                </span>
              )}
              {fit && <span className="row__meta-fit">{fit}</span>}
            </div>
          )}
        </div>
        <div className="row__actions">
          {busy ? (
            <Suspense fallback={null}>
              <LoadingBar modelKey={model.key} loading={loading} />
            </Suspense>
          ) : (
            <>
              {/* A loaded model's Load adds another instance: said beside it, while its name stays
                  "Load KEY" (design brief §4), which still starts with the visible "Load". */}
              <span className={loadedAlready ? 'load-another' : 'load-plain'}>
                <button
                  type="button"
                  className="button button--small"
                  aria-label={`Load ${model.key}`}
                  {...blocked}
                  aria-describedby={
                    [loadedAlready ? captionId : null, blocked['aria-describedby']].filter(Boolean).join(' ') ||
                    undefined
                  }
                  title={blocked.title ?? (loadedAlready ? `Load another instance of ${model.key}` : undefined)}
                  onClick={() => void load(model.key, defaults)}
                >
                  Load
                </button>
                {loadedAlready && (
                  <span id={captionId} className="load-another__caption">
                    another instance
                  </span>
                )}
              </span>
              {ownReason && (
                <span id={reasonId} className="visually-hidden">
                  {reason}
                </span>
              )}
              <button
                type="button"
                className="icon-button icon-button--small disclosure"
                aria-label={`Load options for ${model.key}`}
                aria-expanded={expanded}
                aria-controls={expanded ? panelId : undefined}
                title={blocked.title ?? 'Load options'}
                aria-describedby={blocked['aria-describedby']}
                disabled={blocked.disabled}
                onClick={() => onToggle(model.key)}
              >
                <ChevronIcon />
              </button>
            </>
          )}
        </div>
      </div>
      {expanded && !busy && (
        // Until its code is here, an empty element keeps the disclosure's aria-controls pointing somewhere.
        <Suspense fallback={<div id={panelId} className="load-options" />}>
          <LoadOptionsPanel
            id={panelId}
            model={model}
            reason={reason}
            reasonId={reasonId}
            onDone={() => onToggle(model.key)}
            onResize={onResize}
          />
        </Suspense>
      )}
    </li>
  );
}

function LoadingMeta({ loading }: { loading: LoadingState | undefined }) {
  const { loadingText } = loadingParts.read();
  return <div className="row__meta row__meta--busy">{loadingText(loading)}</div>;
}

function LoadingBar({ modelKey, loading }: { modelKey: string; loading: LoadingState | undefined }) {
  const { LoadingBar } = loadingParts.read();
  return <LoadingBar modelKey={modelKey} loading={loading} />;
}

function Badges({ model, kept }: { model: ModelEntry; kept: boolean }) {
  const loaded = model.loadedInstances.length > 0;
  return (
    <span className="badges">
      {loaded && <span className="badge badge--ok">Loaded </span>}
      {kept && <span className="badge badge--accent">Kept loaded </span>}
      <span className="badge">{model.type === 'embedding' ? 'Embedding' : 'LLM'} </span>
      {(model.vision || model.type === 'vlm') && <span className="badge">Vision </span>}
      {model.toolUse && <span className="badge">Tools </span>}
    </span>
  );
}
