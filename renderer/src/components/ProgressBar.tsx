import { useRef } from 'react';
import { useCssVariables } from '../context';
import { formatPercent } from '../format';

/**
 * A labelled progress bar. With `value` null it is indeterminate: no `aria-valuenow`, and a
 * sweeping stripe instead of a fill, because a REST load or a waking LM Studio gives no figure.
 */
export function ProgressBar({ label, value, tone }: { label: string; value: number | null; tone?: 'done' | 'warn' }) {
  const ref = useRef<HTMLDivElement>(null);
  const clamped = value == null ? null : Math.min(100, Math.max(0, value));
  useCssVariables(ref, { '--progress': clamped == null ? '0' : String(clamped / 100) });
  return (
    <div
      ref={ref}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped == null ? undefined : Math.floor(clamped)}
      aria-valuetext={clamped == null ? 'In progress' : formatPercent(clamped)}
      className={`progress${clamped == null ? ' progress--indeterminate' : ''}${tone ? ` progress--${tone}` : ''}`}
    >
      <div className="progress__fill" />
    </div>
  );
}
