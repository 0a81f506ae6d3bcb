/**
 * Tells the core when the popup is shown or hidden (`app:popup-visibility`): it refreshes the
 * loaded models' TTL and last use (`lms ps`) only while someone is looking.
 */
import type { Bridge } from '../../electron/shared/contract';

/** Reports the page's visibility now and on every change. Returns the function that stops it. */
export function reportPopupVisibility(bridge: Bridge, doc: Document = document): () => void {
  const report = (): void => {
    // Best effort: a failure here only means a less fresh TTL, not something to alert about.
    bridge.invoke('app:popup-visibility', { visible: doc.visibilityState === 'visible' }).catch(() => undefined);
  };
  report();
  doc.addEventListener('visibilitychange', report);
  return () => doc.removeEventListener('visibilitychange', report);
}
