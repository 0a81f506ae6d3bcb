/**
 * A downloaded model's load in progress: the words under its name and the bar in place of Load.
 * Loaded on demand (DownloadedModels' `loadingParts`): the first view mostly shows no load.
 */
import type { LoadingState } from '../../../electron/shared/contract';
import { formatPercent } from '../format';
import type { LoadOptionField } from '../load-options';
import { ProgressBar } from './ProgressBar';

const OPTION_NAMES: Record<LoadOptionField, string> = {
  contextLength: 'context length',
  gpuOffload: 'GPU offload',
  ttlSeconds: 'TTL',
};
const VIA_NAMES: Record<LoadingState['via'], string> = { rest: 'REST API', lms: 'lms', responses: 'a first request' };

export function loadingText(loading: LoadingState | undefined): string {
  if (!loading) return 'Loading…';
  const parts = [`Loading via ${VIA_NAMES[loading.via]}`];
  if (loading.progress != null) parts.push(formatPercent(loading.progress * 100));
  if (loading.unsupportedOptions.length > 0) {
    parts.push(`${loading.unsupportedOptions.map((o) => OPTION_NAMES[o]).join(', ')} unavailable on this path`);
  }
  return parts.join(' · ');
}

/** `Loading MODELKEY`: indeterminate until the path gives a figure (REST gives none). */
export function LoadingBar({ modelKey, loading }: { modelKey: string; loading: LoadingState | undefined }) {
  return (
    <ProgressBar label={`Loading ${modelKey}`} value={loading?.progress == null ? null : loading.progress * 100} />
  );
}
