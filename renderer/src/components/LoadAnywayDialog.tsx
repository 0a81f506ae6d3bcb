/**
 * `Load MODELKEY anyway?`: asked before a load the last estimate says LM Studio's guardrails will
 * refuse. Loaded on demand (see App's `LoadAnyway`): most loads never ask.
 */
import { type KeyboardEvent, useEffect, useLayoutEffect, useRef } from 'react';
import { useActions } from '../context';
import { estimateText, memoryText } from '../memory-text';
import type { LoadToConfirm } from '../store';

/** Where focus goes back to: what had it before, else the row's own Load (the options that asked may have closed). */
function returnFocus(previous: Element | null, modelKey: string): void {
  if (previous instanceof HTMLElement && previous.isConnected && previous !== document.body) {
    previous.focus();
    return;
  }
  for (const name of [`Load options for ${modelKey}`, `Load ${modelKey}`]) {
    const button = [...document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === name);
    if (button && !button.disabled) {
      button.focus();
      return;
    }
  }
}

export function LoadAnywayDialog({ request }: { request: LoadToConfirm }) {
  const { load, cancelLoad } = useActions();
  const { modelKey, options, estimate, memory } = request;
  const dialog = useRef<HTMLDivElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const previous = useRef<Element | null>(null);

  useLayoutEffect(() => {
    previous.current = document.activeElement;
    // The least harmful answer has focus: Enter does not start a load that is likely refused.
    cancelButton.current?.focus();
    return () => returnFocus(previous.current, modelKey);
  }, [modelKey]);

  // Escape answers the dialog wherever focus is (a click on the backdrop leaves it on the page), and
  // does not also close the popup: this runs before App's listener, which skips a handled Escape.
  useEffect(() => {
    const onEscape = (event: globalThis.KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      cancelLoad();
    };
    document.addEventListener('keydown', onEscape, true);
    return () => document.removeEventListener('keydown', onEscape, true);
  }, [cancelLoad]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Tab') return;
    // Modal: Tab stays on the dialog's two buttons.
    const buttons = [...(dialog.current?.querySelectorAll('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = buttons[(at + (event.shiftKey ? buttons.length - 1 : 1)) % buttons.length];
    event.preventDefault();
    next?.focus();
  };

  const machine = memory ? memoryText(memory) : null;
  return (
    <div className="dialog-backdrop">
      <div
        ref={dialog}
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="load-anyway-title"
        aria-describedby="load-anyway-why"
        onKeyDown={onKeyDown}
      >
        <h2 id="load-anyway-title" className="dialog__title">
          Load {modelKey} anyway?
        </h2>
        <div id="load-anyway-why" className="dialog__body">
          <p>
            {estimateText(estimate)} with these options, by LM Studio’s estimate: more than its “Model loading
            guardrails” setting allows{machine ? ` on this machine (${machine})` : ''}. LM Studio will probably refuse
            the load.
          </p>
          <p>
            Estimates can be wrong, so you can try anyway; or choose a shorter context length or less GPU offload in the
            load options. The guardrails are in LM Studio’s own settings; LM Studio Tray never changes them.
          </p>
        </div>
        <div className="dialog__actions">
          <button ref={cancelButton} type="button" className="button" onClick={cancelLoad}>
            Cancel
          </button>
          <button type="button" className="button button--primary" onClick={() => void load(modelKey, options, true)}>
            Try anyway
          </button>
        </div>
      </div>
    </div>
  );
}
