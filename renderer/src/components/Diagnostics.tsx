/**
 * The settings view's diagnostics: `Copy diagnostics` and `Save diagnostics` (one plain-text report
 * from the core, ready for a bug report, with no secret in it) and where the log is. Part of the
 * settings page's chunk, loaded on demand.
 */
import { useEffect, useRef, useState } from 'react';
import type { DiagnosticsReport } from '../../../electron/shared/contract';
import { useActions, useTray } from '../context';

/** `Chrome 131.0.6778.85` from a user agent: the browser that matters for a web-mode report. */
export function browserName(userAgent: string): string {
  // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
  // Literal patterns, so the ReDoS lint (tests/robustness/parsers) can read each one.
  for (const [pattern, name] of [
    [/\bEdg\/([\d.]+)/, 'Edge'],
    [/\bOPR\/([\d.]+)/, 'Opera'],
    [/\bFirefox\/([\d.]+)/, 'Firefox'],
    [/\bChromium\/([\d.]+)/, 'Chromium'],
    [/\bChrome\/([\d.]+)/, 'Chrome'],
    [/\bVersion\/([\d.]+)/, 'Safari'],
  ] as const) {
    const version = pattern.exec(userAgent)?.[1];
    if (version) return `${name} ${version}`;
  }
  return userAgent.slice(0, 200);
}

/** The page's way to the clipboard, injectable for tests; null where the browser has none (an insecure context). */
export interface DiagnosticsHost {
  clipboard: Pick<Clipboard, 'writeText'> | null;
  userAgent: string;
  /** Offers `text` as a download named `fileName` (web mode). */
  download(text: string, fileName: string): void;
}

/** Saves through an `<a download>` on a Blob: the page's CSP governs fetches, not downloads. */
function downloadText(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its own reference by then; Firefox needs the URL a moment longer.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const browserHost = (): DiagnosticsHost => ({
  clipboard: globalThis.navigator?.clipboard ?? null,
  userAgent: globalThis.navigator?.userAgent ?? '',
  download: downloadText,
});

export function Diagnostics({ host = browserHost() }: { host?: DiagnosticsHost }) {
  const { ask } = useActions();
  const app = useTray((s) => s.app);
  const web = app?.transport === 'web';
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The report shown for the user to copy, where the clipboard could not take it. */
  const [manual, setManual] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (manual === null) return;
    area.current?.focus();
    area.current?.select();
  }, [manual]);

  /** Runs one action, its message in the status line or, refused, in an alert. */
  const act = async (action: () => Promise<string | null>) => {
    setBusy(true);
    setStatus('');
    setError(null);
    try {
      setStatus((await action()) ?? '');
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  const report = async (): Promise<DiagnosticsReport> => {
    const result = await ask('app:diagnostics', web ? { browser: browserName(host.userAgent) } : undefined);
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  };

  const copy = () =>
    act(async () => {
      const { text } = await report();
      try {
        if (!host.clipboard) throw new Error('no clipboard');
        await host.clipboard.writeText(text);
      } catch {
        // No clipboard API here (web mode over a non-loopback address is not a secure context), or
        // the browser refused: the report is shown, selected, for the user's own Copy.
        setManual(text);
        return 'The browser would not copy it: the report is selected below, press Ctrl+C (⌘C) to copy it.';
      }
      setManual(null);
      return 'Copied';
    });

  const save = () =>
    act(async () => {
      if (!web) {
        const result = await ask('app:save-diagnostics');
        if (!result.ok) throw new Error(result.error.message);
        return result.value.path === null ? null : `Saved to ${result.value.path}`;
      }
      const { text, fileName } = await report();
      host.download(text, fileName);
      return `Downloaded ${fileName}`;
    });

  const openLogFolder = () =>
    act(async () => {
      const result = await ask('app:open-log-folder');
      if (!result.ok) throw new Error(result.error.message);
      return null;
    });

  return (
    <section className="group diagnostics" aria-labelledby="diagnostics-heading">
      <h2 id="diagnostics-heading" className="subhead">
        Diagnostics
      </h2>
      <p className="hint">
        One plain-text report for a bug report: versions, settings (secrets left out), status, recent outages and the
        last log lines. No prompt or answer text.
      </p>
      <div className="settings__actions diagnostics__actions">
        <span role="status" className="saved">
          {status}
        </span>
        <button type="button" className="button button--small" disabled={busy} onClick={() => void copy()}>
          Copy diagnostics
        </button>
        <button type="button" className="button button--small" disabled={busy} onClick={() => void save()}>
          Save diagnostics
        </button>
        {!web && (
          <button type="button" className="button button--small" disabled={busy} onClick={() => void openLogFolder()}>
            Open log folder
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="field__error">
          {error}
        </p>
      )}
      {web && (
        <p className="hint mono" title={app?.logFile ?? undefined}>
          {app?.logFile ? `Log file: ${app.logFile}` : 'This process keeps no log file.'}
        </p>
      )}
      {manual !== null && (
        <>
          <label htmlFor="diagnostics-report" className="visually-hidden">
            Diagnostics report
          </label>
          <textarea
            id="diagnostics-report"
            ref={area}
            className="diagnostics__report"
            readOnly
            rows={8}
            value={manual}
          />
        </>
      )}
    </section>
  );
}
