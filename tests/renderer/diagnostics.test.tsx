/**
 * The settings view's diagnostics: Copy (clipboard, else the report shown selected), Save (the
 * desktop's dialog, web mode's download named by the core), and the log folder or path.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppSnapshot, DiagnosticsReport } from '../../electron/shared/contract';
import { browserName, Diagnostics, type DiagnosticsHost } from '../../renderer/src/components/Diagnostics';
import { TrayProvider } from '../../renderer/src/context';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge, type FakeBridge, fail, ok } from './fake-bridge';
import { makeSnapshot } from './fixtures';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const REPORT: DiagnosticsReport = {
  text: 'LM Studio Tray 0.1.0\nLM Studio 0.3.30\n',
  fileName: 'lmstudio-tray-diagnostics-20260115-1200.txt',
};
const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.85 Safari/537.36';

function fakeHost(overrides: Partial<DiagnosticsHost> = {}) {
  const written: string[] = [];
  const downloads: Array<{ text: string; fileName: string }> = [];
  const host: DiagnosticsHost = {
    clipboard: {
      writeText: async (text) => {
        written.push(text);
      },
    },
    userAgent: CHROME_UA,
    download: (text, fileName) => downloads.push({ text, fileName }),
    ...overrides,
  };
  return { host, written, downloads };
}

function renderDiagnostics(
  transport: 'electron' | 'web',
  host: DiagnosticsHost | undefined,
  configure?: (bridge: FakeBridge) => void,
  logFile: string | null = '/home/me/.config/lmstudio-tray/logs/web.log',
) {
  const snapshot: AppSnapshot = makeSnapshot({ app: { version: '0.1.0', platform: 'linux', transport, logFile } });
  const bridge = createFakeBridge(snapshot, { transport });
  bridge.handle('app:diagnostics', () => ok(REPORT));
  configure?.(bridge);
  const store = createTrayStore(bridge, snapshot);
  render(
    <TrayProvider store={store}>
      <Diagnostics host={host} />
    </TrayProvider>,
  );
  return bridge;
}

const status = () => screen.getByRole('status');

describe('browserName', () => {
  it('gives the browser and its version, not the whole user agent', () => {
    expect(browserName(CHROME_UA)).toBe('Chrome 131.0.6778.85');
    expect(browserName('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox 133.0');
    expect(browserName(`${CHROME_UA} Edg/131.0.2903.70`)).toBe('Edge 131.0.2903.70');
    expect(
      browserName(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      ),
    ).toBe('Safari 18.1');
    expect(
      browserName(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/150.0.7871.100 Safari/537.36',
      ),
    ).toBe('Headless Chrome 150.0.7871.100');
  });
});

describe('Copy diagnostics', () => {
  it('copies the report and says Copied beside the button, which keeps its name', async () => {
    const { host, written } = fakeHost();
    const bridge = renderDiagnostics('electron', host);
    fireEvent.click(screen.getByRole('button', { name: 'Copy diagnostics' }));
    await waitFor(() => expect(status().textContent).toBe('Copied'));
    expect(written).toEqual([REPORT.text]);
    // The desktop's versions come from main: nothing from the page.
    expect(bridge.callsOf('app:diagnostics')).toEqual([undefined]);
    expect(screen.getByRole('button', { name: 'Copy diagnostics' })).toBeTruthy();
    expect(screen.queryByRole('textbox')).toBeNull();
  });

  it('sends the browser’s name and version in web mode', async () => {
    const bridge = renderDiagnostics('web', fakeHost().host);
    fireEvent.click(screen.getByRole('button', { name: 'Copy diagnostics' }));
    await waitFor(() => expect(status().textContent).toBe('Copied'));
    expect(bridge.callsOf('app:diagnostics')).toEqual([{ browser: 'Chrome 131.0.6778.85' }]);
  });

  for (const [why, clipboard] of [
    ['has no clipboard API (web mode over a non-loopback address)', null],
    ['refuses to write', { writeText: () => Promise.reject(new DOMException('Denied', 'NotAllowedError')) }],
  ] as const) {
    it(`shows the report selected when the browser ${why}`, async () => {
      renderDiagnostics('web', fakeHost({ clipboard }).host);
      fireEvent.click(screen.getByRole('button', { name: 'Copy diagnostics' }));
      const report = (await screen.findByRole('textbox', { name: 'Diagnostics report' })) as HTMLTextAreaElement;
      expect(report.value).toBe(REPORT.text);
      expect(report.readOnly).toBe(true);
      await waitFor(() => expect(document.activeElement).toBe(report));
      expect([report.selectionStart, report.selectionEnd]).toEqual([0, REPORT.text.length]);
      expect(status().textContent).toContain('the report is selected below');
    });
  }

  it('shows the core’s refusal as an alert, and no Copied', async () => {
    renderDiagnostics('electron', fakeHost().host, (b) =>
      b.handle('app:diagnostics', () => fail('internal', 'Could not read the log file.')),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Copy diagnostics' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not read the log file.');
    expect(status().textContent).toBe('');
  });
});

describe('Save diagnostics', () => {
  it('asks the desktop shell to save through its dialog, and says where', async () => {
    const { host, downloads } = fakeHost();
    const bridge = renderDiagnostics('electron', host, (b) =>
      b.handle('app:save-diagnostics', () => ok({ path: '/home/me/report.txt' })),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save diagnostics' }));
    await waitFor(() => expect(status().textContent).toBe('Saved to /home/me/report.txt'));
    expect(bridge.callsOf('app:save-diagnostics')).toHaveLength(1);
    expect(bridge.callsOf('app:diagnostics')).toEqual([]);
    expect(downloads).toEqual([]);
  });

  it('says nothing when the user cancelled the dialog', async () => {
    const bridge = renderDiagnostics('electron', fakeHost().host, (b) =>
      b.handle('app:save-diagnostics', () => ok({ path: null })),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save diagnostics' }));
    await waitFor(() => expect(bridge.callsOf('app:save-diagnostics')).toHaveLength(1));
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Save diagnostics' }).hasAttribute('disabled')).toBe(false),
    );
    expect(status().textContent).toBe('');
  });

  it('downloads the report under the core’s file name in web mode', async () => {
    const { host, downloads } = fakeHost();
    const bridge = renderDiagnostics('web', host);
    fireEvent.click(screen.getByRole('button', { name: 'Save diagnostics' }));
    await waitFor(() => expect(downloads).toEqual([{ text: REPORT.text, fileName: REPORT.fileName }]));
    expect(bridge.callsOf('app:save-diagnostics')).toEqual([]);
    expect(status().textContent).toBe(`Downloaded ${REPORT.fileName}`);
  });

  it('downloads through an <a download> on a Blob', async () => {
    const created = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:http://127.0.0.1/report');
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    const clicked: Array<{ href: string; download: string }> = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    // Without a host of its own the component uses the browser's.
    renderDiagnostics('web', undefined);
    fireEvent.click(screen.getByRole('button', { name: 'Save diagnostics' }));
    await waitFor(() => expect(clicked).toEqual([{ href: 'blob:http://127.0.0.1/report', download: REPORT.fileName }]));
    const blob = created.mock.calls[0]![0] as Blob;
    expect(await blob.text()).toBe(REPORT.text);
  });
});

describe('the log', () => {
  it('is opened in its folder on the desktop', async () => {
    const bridge = renderDiagnostics('electron', fakeHost().host, (b) =>
      b.handle('app:open-log-folder', () => ok(null)),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Open log folder' }));
    await waitFor(() => expect(bridge.callsOf('app:open-log-folder')).toHaveLength(1));
    expect(screen.queryByText(/Log file:/)).toBeNull();
  });

  it('is named by its path in web mode, with no button', () => {
    renderDiagnostics('web', fakeHost().host);
    expect(screen.queryByRole('button', { name: 'Open log folder' })).toBeNull();
    expect(screen.getByText('Log file: /home/me/.config/lmstudio-tray/logs/web.log')).toBeTruthy();
  });

  it('says so when this process keeps none', () => {
    renderDiagnostics('web', fakeHost().host, undefined, null);
    expect(screen.getByText('This process keeps no log file.')).toBeTruthy();
  });
});
