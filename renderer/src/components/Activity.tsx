import { Suspense } from 'react';
import { onDemand } from '../on-demand';

/**
 * The Activity region, its memory meter and a row's stuck line load on demand: the first view
 * carries only this. Web mode's server render has the module handed over, and the page loads it
 * before hydrating (App's `loadFirstViewParts`); elsewhere the region shows a moment after the rest.
 */
export const activityParts = onDemand(() => import('./ActivityParts'));

export function Activity() {
  return (
    <Suspense fallback={null}>
      <Region />
    </Suspense>
  );
}

function Region() {
  const { ActivityRegion } = activityParts.read();
  return <ActivityRegion />;
}
