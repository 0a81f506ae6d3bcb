/**
 * Issue 10's privacy rule through the real core: a chat request carrying the prompt canary goes
 * through the LM Studio simulator while the activity monitor follows `lms log stream` (which
 * carries the prompt and the answer whole), with the API token canary required by LM Studio; then
 * LM Studio crashes and comes back, so outages.json is written. Neither the prompt nor any token
 * is in the events, the snapshots, the notifications, the log file, outages.json or the
 * diagnostics report. And the log file itself redacts what a line may carry: `Authorization:
 * Bearer …`, `?token=…`, web mode's token.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../../e2e/simulator/index';
import { createTrayCore } from '../../../electron/core/app';
import {
  createConsoleLogger,
  nodeFileSystem,
  spawnWithoutShell,
  systemClock,
  teeLoggers,
} from '../../../electron/core/node-ports';
import { createLogFile } from '../../../electron/core/persistence/log-file';
import type { DiagnosticsReport } from '../../../electron/shared/contract';
import { recordTally } from '../tally';
import { CANARIES, CANARY_API_TOKEN, CANARY_PROMPT, CANARY_WEB_TOKEN } from './canaries';
import { filesUnder, findLeaksInFiles, findLeaksInOutput } from './scan';

const WAIT = { timeout: 20_000, interval: 25 };
const KEY = 'qwen/qwen3-4b';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let cases = 0;

describe('no prompt text and no token anywhere, with the activity stream running', () => {
  it('a chat request with the prompt canary: events, snapshots, notifications, log file, outages.json, the report', async () => {
    const sim: Simulator = await startSimulator({ token: CANARY_API_TOKEN, loaded: [KEY] });
    cleanups.push(() => sim.close());
    const configDir = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-privacy-'));
    cleanups.push(() => rmSync(configDir, { recursive: true, force: true }));
    const logFile = createLogFile({ configDir, process: 'web' });
    logFile.addSecret(CANARY_WEB_TOKEN);
    const said: string[] = [];
    const logger = teeLoggers(
      createConsoleLogger('debug', (line) => said.push(`log: ${line}`)),
      createConsoleLogger('debug', (line) => logFile.append(line)),
    );
    const core = createTrayCore(
      {
        clock: systemClock,
        spawn: spawnWithoutShell,
        fs: nodeFileSystem,
        logger,
        logFile,
        environment: {
          platform: process.platform,
          homedir: sim.homeDir,
          env: { PATH: process.env.PATH, LM_API_TOKEN: CANARY_API_TOKEN },
        },
        which: async () => null,
        notifier: { show: (notification) => said.push(`notification: ${JSON.stringify(notification)}`) },
        configDir,
        overrides: { baseUrl: sim.baseUrl, lmsPath: sim.lmsPath, pollIntervalMs: 1000 },
        transport: 'web',
        appVersion: '0.0.0-test',
      },
      { health: { confirmDelayMs: 50 } },
    );
    core.onEvent((event) => said.push(`event: ${JSON.stringify(event)}`));
    cleanups.push(() => core.shutdown({ cancelDownloads: true }));
    await core.start();

    // Following the stream (its banner read): a request sent now is seen.
    await vi.waitFor(() => expect(core.snapshot().activity.state).toBe('following'), WAIT);
    await vi.waitFor(() => expect(said.some((line) => line.includes('lms log stream is streaming'))).toBe(true), WAIT);
    sim.configure({ generationMs: 800 });
    const answer = fetch(`${sim.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CANARY_API_TOKEN}` },
      body: JSON.stringify({ model: KEY, messages: [{ role: 'user', content: CANARY_PROMPT }] }),
    });
    const model = () => core.snapshot().activity.models.find((entry) => entry.identifier === KEY);
    await vi.waitFor(() => expect(model()?.inProgress).toBe(1), WAIT);
    said.push(`snapshot: ${JSON.stringify(core.snapshot())}`);
    expect((await answer).status).toBe(200);
    await vi.waitFor(() => expect(model()).toMatchObject({ inProgress: 0, requestsLast5Min: 1 }), WAIT);
    said.push(`snapshot: ${JSON.stringify(core.snapshot())}`);

    // An outage and the way back: outages.json is written, the stream stops and starts again.
    await sim.crash();
    await vi.waitFor(() => expect(core.snapshot().status.state).toBe('offline'), WAIT);
    await vi.waitFor(() => expect(existsSync(path.join(configDir, 'outages.json'))).toBe(true), WAIT);
    await sim.launchApp();
    await sim.startServer();
    await vi.waitFor(() => expect(core.snapshot().status.state).toBe('online'), WAIT);

    const report = await core.invoke('app:diagnostics', { browser: 'Chrome 131.0.6778.85' });
    expect(report.ok).toBe(true);
    const { text } = (report as { ok: true; value: DiagnosticsReport }).value;
    said.push(`report: ${text}`);
    // The report holds the stream's figures' source of truth (the version), and the outage.
    expect(text).toContain('LM Studio version: 0.4.2');
    expect(text).toMatch(/## Outages in the last 7 days \([1-9]/);
    await core.shutdown({ cancelDownloads: true });
    await logFile.flush();

    const files = filesUnder([configDir]);
    expect(files.map((file) => path.relative(configDir, file))).toEqual(
      expect.arrayContaining(['outages.json', path.join('logs', 'web.log')]),
    );
    // The log file holds what happened (the request's figures reached it), just not the text.
    const logged = readFileSync(path.join(configDir, 'logs', 'web.log'), 'utf8');
    expect(logged).toContain('Following LM Studio');
    const leaks = [
      ...findLeaksInOutput(said.join('\n'), CANARIES, 'what the core said'),
      ...findLeaksInFiles(files, CANARIES),
    ];
    expect(leaks).toEqual([]);
    // No piece of the prompt either: its distinctive words.
    for (const word of ['quokka lighthouse', 'Vellmoor']) {
      expect(said.join('\n')).not.toContain(word);
      for (const file of files) expect(readFileSync(file, 'utf8')).not.toContain(word);
    }
    cases += CANARIES.length * (files.length + 1);
  }, 90_000);

  it("the log file redacts Authorization headers, ?token= and web mode's token", async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-privacy-log-'));
    cleanups.push(() => rmSync(configDir, { recursive: true, force: true }));
    const logFile = createLogFile({ configDir, process: 'web' });
    logFile.addSecret(CANARY_WEB_TOKEN);
    const logger = createConsoleLogger('debug', (line) => logFile.append(line));
    logger.debug(`GET /v1/models headers {"Authorization":"Bearer ${CANARY_API_TOKEN}"}`);
    logger.info(`Authorization: Bearer ${CANARY_API_TOKEN}`);
    logger.warn(`page at http://127.0.0.1:4321/?token=${encodeURIComponent(CANARY_WEB_TOKEN)} refused`);
    logger.warn(`ws /ws?token=${CANARY_WEB_TOKEN}&v=1 closed`);
    logger.error(`a page sent ${CANARY_WEB_TOKEN} in a message`, new Error(`token ${CANARY_WEB_TOKEN} in a stack`));
    await logFile.flush();
    const files = filesUnder([configDir]);
    const logged = readFileSync(path.join(configDir, 'logs', 'web.log'), 'utf8');
    expect(logged.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(5);
    expect(logged).toContain('(secret)');
    expect(findLeaksInFiles(files, CANARIES)).toEqual([]);
    expect(await logFile.lastLines(200)).not.toEqual([]);
    cases += CANARIES.length * files.length;
  });
});

describe('tally', () => {
  it('records the secrets family', () => {
    expect(cases).toBeGreaterThan(0);
    recordTally({ family: 'secrets', cases, leakedSecrets: 0 });
  });
});
