import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTrayCore } from '../../../../electron/core/app';
import {
  buildDiagnosticsReport,
  type DiagnosticsInput,
  diagnosticsFileName,
} from '../../../../electron/core/diagnostics/report';
import {
  createConsoleLogger,
  nodeFileSystem,
  spawnWithoutShell,
  systemClock,
} from '../../../../electron/core/node-ports';
import { createLogFile } from '../../../../electron/core/persistence/log-file';
import { DEFAULT_SETTINGS, type ServerStatus } from '../../../../electron/shared/contract';
import { CANARY_API_TOKEN, CANARY_WEB_TOKEN } from '../../../robustness/secrets/canaries';

const FAKE_LMS = fileURLToPath(new URL('../lmstudio/lms/fixtures/fake-lms.mjs', import.meta.url));

const status: ServerStatus = {
  state: 'not-responding',
  detail: 'LM Studio answers its greeting but not requests. Restart LM Studio.',
  baseUrl: 'http://127.0.0.1:1234',
  port: 1234,
  remote: false,
  apiGeneration: 'v1',
  lmsPath: '/home/u/.lmstudio/bin/lms',
  lmsSearched: [],
  since: new Date(2026, 11, 2, 9, 0, 0).getTime(),
  checkedAt: new Date(2026, 11, 2, 9, 5, 0).getTime(),
  unstable: false,
  lmStudioClosed: false,
};

function input(overrides: Partial<DiagnosticsInput> = {}): DiagnosticsInput {
  return {
    now: new Date(2026, 11, 2, 9, 5, 30),
    appVersion: '0.3.0',
    transport: 'electron',
    platform: 'linux',
    system: {
      osRelease: '6.8.0-41-generic',
      arch: 'x64',
      versions: { node: '22.12.0', electron: '39.1.0', chrome: '142.0.7444.60' },
    },
    browser: null,
    status,
    lmStudioVersion: '0.4.2',
    lmsVersion: 'f13588d',
    settings: { ...DEFAULT_SETTINGS, apiToken: CANARY_API_TOKEN, lmsPath: '/home/u/.lmstudio/bin/lms' },
    envTokenSet: false,
    settingsMessages: [],
    outages: [
      {
        from: new Date(2026, 11, 1, 22, 0).getTime(),
        to: new Date(2026, 11, 1, 22, 4).getTime(),
        state: 'offline',
        baseUrl: 'http://127.0.0.1:1234',
      },
      { from: status.since, to: null, state: 'not-responding', baseUrl: 'http://127.0.0.1:1234' },
    ],
    logPath: '/home/u/.config/lmstudio-tray/logs/desktop.log',
    logLines: ['2026-12-02T08:00:00.000Z INFO LM Studio is online', '2026-12-02T08:59:59.000Z WARN no answer in 10 s'],
    ...overrides,
  };
}

describe('buildDiagnosticsReport', () => {
  it('names the file by local time', () => {
    expect(diagnosticsFileName(new Date(2026, 0, 5, 7, 3))).toBe('lmstudio-tray-diagnostics-20260105-0703.txt');
    expect(buildDiagnosticsReport(input()).fileName).toBe('lmstudio-tray-diagnostics-20261202-0905.txt');
  });

  it('holds the versions, the server, the masked settings, the outages and the log lines', () => {
    const { text } = buildDiagnosticsReport(input());
    const lines = text.split('\n');
    for (const expected of [
      'LM Studio Tray: 0.3.0 (desktop app)',
      'OS: linux 6.8.0-41-generic (x64)',
      'Node: 22.12.0',
      'Electron: 39.1.0',
      'Chromium: 142.0.7444.60',
      'Address: http://127.0.0.1:1234 (this machine)',
      'Status: not-responding — LM Studio answers its greeting but not requests. Restart LM Studio.',
      'LM Studio version: 0.4.2',
      'API generation: v1',
      'lms: /home/u/.lmstudio/bin/lms (version f13588d)',
      'apiToken: (set)',
      'LM_API_TOKEN: (not set)',
      'baseUrl: null',
      'pollIntervalMs: 5000',
      'notifications.serverDown: true',
      'keepLoaded: []',
      '## Outages in the last 7 days (2, as seen while LM Studio Tray ran)',
      '## Last 200 log lines (/home/u/.config/lmstudio-tray/logs/desktop.log)',
      '2026-12-02T08:59:59.000Z WARN no answer in 10 s',
    ]) {
      expect(lines).toContain(expected);
    }
    expect(lines.filter((line) => line.startsWith('- '))).toEqual([
      expect.stringMatching(
        /^- 2026-12-01 22:00:00 [+-]\d\d:\d\d → 2026-12-01 22:04:00 [+-]\d\d:\d\d \(4 min\): offline at http:\/\/127\.0\.0\.1:1234$/,
      ),
      expect.stringMatching(/^- 2026-12-02 09:00:00 .* → not back while LM Studio Tray ran: not-responding at /),
    ]);
    expect(text).not.toContain(CANARY_API_TOKEN);
  });

  it('in web mode names the browser; never a secret, even one that reached a log line or a message', () => {
    const { text } = buildDiagnosticsReport(
      input({
        transport: 'web',
        browser: 'Chrome 142 on Linux',
        settings: { ...DEFAULT_SETTINGS, apiToken: null },
        envTokenSet: true,
        settingsMessages: [`--token ${CANARY_API_TOKEN} is not a setting`],
        logLines: [
          `2026-12-02T08:00:00.000Z INFO Open http://127.0.0.1:5000/?token=${CANARY_WEB_TOKEN}`,
          `2026-12-02T08:00:01.000Z DEBUG Authorization: Bearer ${CANARY_API_TOKEN}`,
          '2026-12-02T08:00:02.000Z ERROR forged\u001b[2J',
        ],
      }),
    );
    expect(text).toContain('Browser: Chrome 142 on Linux');
    expect(text).not.toContain('Electron:');
    expect(text).toContain('apiToken: (not set)');
    expect(text).toContain('LM_API_TOKEN: (set)');
    expect(text).not.toContain(CANARY_API_TOKEN);
    expect(text).not.toContain(CANARY_WEB_TOKEN);
    expect(text).not.toContain('\u001b');
  });

  it('says what it does not know: a remote server, no outages, no log file', () => {
    const { text } = buildDiagnosticsReport(
      input({
        status: { ...status, state: 'online', detail: '', remote: true, lmsPath: null, apiGeneration: null },
        lmStudioVersion: null,
        lmsVersion: null,
        outages: [],
        logPath: null,
        logLines: [],
      }),
    );
    expect(text).toContain('LM Studio version: unknown (another machine)');
    expect(text).toContain('lms: not used (another machine)');
    expect(text).toContain('API generation: unknown');
    expect(text).toContain('\nNone.\n');
    expect(text).toContain('No log file in this run.');
  });
});

describe('app:diagnostics through the core', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  it("holds LM Studio's version from lms and this run's log lines, and no token", async () => {
    const configDir = await mkdtemp(path.join(os.tmpdir(), 'diagnostics-'));
    const logFile = createLogFile({ configDir, process: 'web' });
    const port = await closedPort();
    const core = createTrayCore(
      {
        clock: systemClock,
        spawn: spawnWithoutShell,
        fs: nodeFileSystem,
        notifier: { show() {} },
        logger: createConsoleLogger('debug', (line) => logFile.append(line)),
        environment: {
          platform: process.platform,
          homedir: configDir,
          env: { PATH: process.env.PATH, LM_API_TOKEN: CANARY_API_TOKEN },
        },
        configDir,
        overrides: { baseUrl: `http://127.0.0.1:${port}`, lmsPath: FAKE_LMS, apiToken: CANARY_API_TOKEN },
        transport: 'web',
        appVersion: '0.0.0-test',
        which: async () => null,
        logFile,
      },
      { health: { confirmDelayMs: 10 } },
    );
    cleanups.push(async () => {
      await core.shutdown();
      await rm(configDir, { recursive: true, force: true });
    });
    await core.start();
    expect(core.snapshot().app.logFile).toBe(path.join(configDir, 'logs', 'web.log'));

    const logged = await core.invoke('app:log', { level: 'error', message: 'Uncaught Error: chart\nfailed' });
    expect(logged).toEqual({ ok: true, value: null });
    const result = await core.invoke('app:diagnostics', { browser: 'Firefox 140' });
    if (!result.ok) throw new Error(result.error.message);
    const { text, fileName } = result.value;
    expect(fileName).toMatch(/^lmstudio-tray-diagnostics-\d{8}-\d{4}\.txt$/);
    expect(text).toContain('LM Studio version: 0.4.2');
    expect(text).toContain(`lms: ${FAKE_LMS} (version f13588d)`);
    expect(text).toContain('Browser: Firefox 140');
    expect(text).toContain('apiToken: (set)');
    expect(text).toMatch(/ERROR popup: Uncaught Error: chart failed\n/);
    expect(text).not.toContain(CANARY_API_TOKEN);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
