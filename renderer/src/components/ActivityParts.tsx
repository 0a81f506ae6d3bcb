/**
 * The Activity region's content, loaded on demand (see Activity.tsx): the memory meter, one line
 * per model that ran lately and a small tokens/s chart of its last 10 minutes. The chart is drawn from the numbers
 * and hidden from assistive technology; its figures are in the text beside it.
 *
 * Nothing here runs on a timer: points age out of the 10 minutes when a new event arrives or the
 * page is shown again, so an idle popup never redraws.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ActivitySample, ActivitySnapshot, ModelActivity } from '../../../electron/shared/contract';
import { useTray } from '../context';
import { formatDuration, formatRate } from '../format';
import { useLiveText, useRenderClock } from '../live-text';
import { MemoryMeter } from './MemoryMeter';

export const CHART_WINDOW_MS = 10 * 60_000;
const CHART_WIDTH = 120;
const CHART_HEIGHT = 28;

/** What the region says when the stream is not followed and the core gave no words. */
const STATE_TEXT: Record<Exclude<ActivitySnapshot['state'], 'following'>, string> = {
  waiting: 'Activity shows once LM Studio is running.',
  unavailable: 'Activity is not available here.',
};

/** `qwen/qwen3-4b · 3 requests in 5 min · 42.0 tok/s median · TTFT 0.3 s` (figures it does not have are left out). */
export function activityLine(model: ModelActivity): string {
  const count = model.requestsLast5Min;
  const parts = [model.identifier, `${count} ${count === 1 ? 'request' : 'requests'} in 5 min`];
  if (model.medianTokensPerSecond !== null) parts.push(`${formatRate(model.medianTokensPerSecond)} tok/s median`);
  if (model.medianTimeToFirstTokenSec !== null) parts.push(`TTFT ${formatRate(model.medianTimeToFirstTokenSec)} s`);
  return parts.join(' · ');
}

/** The samples with a speed inside the chart's 10 minutes before `nowMs`. */
export function chartSamples(recent: readonly ActivitySample[], nowMs: number): ActivitySample[] {
  return recent.filter((s) => s.tokensPerSecond !== null && s.at > nowMs - CHART_WINDOW_MS && s.at <= nowMs);
}

/** `4 answers in 10 min · 31.2–45.0 tok/s`: what the chart shows, in words. */
export function chartText(samples: readonly ActivitySample[]): string {
  const rates = samples.map((s) => s.tokensPerSecond as number);
  const low = formatRate(Math.min(...rates));
  const high = formatRate(Math.max(...rates));
  const answers = `${rates.length} ${rates.length === 1 ? 'answer' : 'answers'} in 10 min`;
  return `${answers} · ${low === high ? low : `${low}–${high}`} tok/s`;
}

/**
 * The time the chart is drawn at: read again only when the data changes or the page is shown
 * again (a hidden page may have been away for minutes), never on a timer.
 */
function useDrawnAt(data: unknown): number {
  const clock = useRenderClock();
  const [shown, setShown] = useState(0);
  useEffect(() => {
    const onVisibilityChange = () => {
      if (document.visibilityState === 'visible') setShown((n) => n + 1);
    };
    document.addEventListener('visibilitychange', onVisibilityChange);
    return () => document.removeEventListener('visibilitychange', onVisibilityChange);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new data, or the page shown again, is a new moment to draw at
  return useMemo(() => clock(), [clock, data, shown]);
}

/**
 * What generated lately, per model. The region is always there, like Downloads, so assistive
 * technology finds it in the same place.
 */
export function ActivityRegion() {
  const activity = useTray((s) => s.activity);
  return (
    <section className="section" aria-labelledby="activity-heading">
      <div className="section__head">
        <h2 id="activity-heading">Activity</h2>
      </div>
      {activity && <ActivityContent activity={activity} />}
    </section>
  );
}

function ActivityContent({ activity }: { activity: ActivitySnapshot }) {
  const now = useDrawnAt(activity);
  const shown = activity.models.filter(
    (m) => m.inProgress > 0 || m.requestsLast5Min > 0 || chartSamples(m.recent, now).length > 0,
  );
  const stateLine = activity.state === 'following' ? null : (activity.message ?? STATE_TEXT[activity.state]);
  return (
    <>
      <MemoryMeter />
      {stateLine && <p className="empty">{stateLine}</p>}
      {shown.length === 0 ? (
        !stateLine && <p className="empty">Nothing generated in the last 10 minutes.</p>
      ) : (
        <ul className="rows">
          {shown.map((model) => (
            <ModelLine key={model.identifier} model={model} now={now} />
          ))}
        </ul>
      )}
    </>
  );
}

function ModelLine({ model, now }: { model: ModelActivity; now: number }) {
  const samples = chartSamples(model.recent, now);
  return (
    <li className="row activity">
      <div className="row__main">
        <div className="row__meta activity__line">{activityLine(model)}</div>
        {samples.length > 0 && (
          <div className="activity__chart">
            <Chart samples={samples} now={now} />
            <span className="row__note">{chartText(samples)}</span>
          </div>
        )}
      </div>
    </li>
  );
}

/** Tokens/s over the last 10 minutes: time across, speed up (scaled to the fastest answer). */
function Chart({ samples, now }: { samples: readonly ActivitySample[]; now: number }) {
  const top = Math.max(...samples.map((s) => s.tokensPerSecond as number)) || 1;
  const points = samples.map((s) => {
    const x = ((s.at - (now - CHART_WINDOW_MS)) / CHART_WINDOW_MS) * CHART_WIDTH;
    const y = CHART_HEIGHT - 2 - ((s.tokensPerSecond as number) / top) * (CHART_HEIGHT - 4);
    return { key: `${s.at}:${s.tokensPerSecond}`, x: Number(x.toFixed(1)), y: Number(y.toFixed(1)) };
  });
  return (
    <svg
      className="chart"
      aria-hidden="true"
      focusable="false"
      viewBox={`0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`}
      width={CHART_WIDTH}
      height={CHART_HEIGHT}
    >
      <line className="chart__axis" x1={0} y1={CHART_HEIGHT - 0.5} x2={CHART_WIDTH} y2={CHART_HEIGHT - 0.5} />
      {points.length > 1 && <polyline className="chart__line" points={points.map((p) => `${p.x},${p.y}`).join(' ')} />}
      {points.map(({ key, x, y }) => (
        <circle key={key} className="chart__point" cx={x} cy={y} r={1.5} />
      ))}
    </svg>
  );
}

/** A loaded model's row: a request the stream flagged as running far beyond this model's usual (the core notifies once too). */
export function StuckLine({ since }: { since: number }) {
  const ran = useLiveText(useCallback((now) => formatDuration((now - since) / 1000), [since]));
  return (
    <p className="row__note row__note--warn">
      Possibly stuck: a request has run for {ran}, far longer than usual. If it never ends, unload the model.
    </p>
  );
}
