/**
 * The diagnostics report (`app:diagnostics`): one plain-text page a user pastes into a bug report
 * instead of collecting versions and logs by hand.
 *
 * What it holds: the app's and the system's versions, how LM Studio was reached and what it said,
 * the settings with every secret replaced by `(set)` / `(not set)`, the outages of the last week
 * and the last log lines. No secret, no prompt text: the settings are masked field by field, and
 * the log lines, already redacted when written, are redacted again here.
 */
import os from 'node:os';
import type { DiagnosticsReport, ServerStatus, Settings } from '../../shared/contract';
import type { OutageEntry } from '../interfaces';
import { formatEntry, redactLogText } from '../persistence/log-file';

/** How many log lines the report ends with. */
export const REPORT_LOG_LINES = 200;

export interface SystemInfo {
  osRelease: string;
  arch: string;
  /** `process.versions`: node, and electron and chrome in the desktop app. */
  versions: Readonly<Record<string, string | undefined>>;
}

export interface DiagnosticsInput {
  now: Date;
  appVersion: string;
  transport: 'electron' | 'web';
  platform: string;
  system: SystemInfo;
  /** The page's browser (web mode), as the page said it. */
  browser: string | null;
  status: ServerStatus;
  /** From the plain `lms daemon status` (null: not running, not said, or a remote server). */
  lmStudioVersion: string | null;
  lmsVersion: string | null;
  /** The settings in force, the token included: masked here. */
  settings: Settings;
  /** Whether `LM_API_TOKEN` is set in the environment (its value is never read here). */
  envTokenSet: boolean;
  settingsMessages: readonly string[];
  outages: readonly OutageEntry[];
  logPath: string | null;
  logLines: readonly string[];
}

/** Keys whose values are secrets, whatever a newer version calls them. */
const SECRET_KEY = /token|secret|password|passphrase|credential|api[-_]?key|auth/i;

/** `lmstudio-tray-diagnostics-YYYYMMDD-HHMM.txt`, in local time. */
export function diagnosticsFileName(now: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const day = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  return `lmstudio-tray-diagnostics-${day}-${pad(now.getHours())}${pad(now.getMinutes())}.txt`;
}

/** This process's OS release, architecture and runtime versions. */
export function currentSystem(): SystemInfo {
  return { osRelease: os.release(), arch: process.arch, versions: process.versions };
}

export function buildDiagnosticsReport(input: DiagnosticsInput): DiagnosticsReport {
  const { status, system } = input;
  const versions = system.versions;
  const lines: string[] = [
    'LM Studio Tray diagnostics',
    `Made: ${localTime(input.now)} (${input.now.toISOString()})`,
    '',
    '## App',
    `LM Studio Tray: ${input.appVersion} (${input.transport === 'electron' ? 'desktop app' : 'web mode'})`,
    `OS: ${input.platform} ${system.osRelease} (${system.arch})`,
    `Node: ${versions.node ?? 'unknown'}`,
  ];
  if (input.transport === 'electron') {
    lines.push(`Electron: ${versions.electron ?? 'unknown'}`, `Chromium: ${versions.chrome ?? 'unknown'}`);
  } else {
    lines.push(`Browser: ${input.browser ? oneLine(input.browser) : 'not said'}`);
  }
  lines.push(
    '',
    '## LM Studio',
    `Address: ${status.baseUrl} (${status.remote ? 'another machine' : 'this machine'})`,
    `Status: ${status.state}${status.detail ? ` — ${oneLine(status.detail)}` : ''}`,
    `Since: ${localTime(new Date(status.since))}${status.unstable ? ' (unstable)' : ''}`,
    `LM Studio version: ${input.lmStudioVersion ?? (status.remote ? 'unknown (another machine)' : 'unknown (not running, or not said)')}`,
    `API generation: ${status.apiGeneration ?? 'unknown'}`,
    `lms: ${status.lmsPath ?? (status.remote ? 'not used (another machine)' : 'not found')}${
      status.lmsPath ? ` (version ${input.lmsVersion ?? 'unknown'})` : ''
    }`,
    '',
    '## Settings',
    ...settingsLines(input.settings),
    `LM_API_TOKEN: ${input.envTokenSet ? '(set)' : '(not set)'}`,
    ...input.settingsMessages.map((message) => `Message: ${oneLine(message)}`),
    '',
    `## Outages in the last 7 days (${input.outages.length}, as seen while LM Studio Tray ran)`,
    ...(input.outages.length === 0 ? ['None.'] : input.outages.map(outageLine)),
    '',
    `## Last ${REPORT_LOG_LINES} log lines${input.logPath ? ` (${input.logPath})` : ''}`,
    ...(input.logLines.length === 0
      ? [input.logPath ? 'None yet.' : 'No log file in this run.']
      : input.logLines.slice(-REPORT_LOG_LINES).map((line) => formatEntry(line).trimEnd())),
  );
  // The log lines were redacted when written; the rest holds no secret by construction. Once
  // more over the whole text, in case a secret reached a message or a path.
  return { text: `${redactLogText(lines.join('\n'))}\n`, fileName: diagnosticsFileName(input.now) };
}

/** `key: value` per setting, nested objects flattened (`notifications.serverDown: true`). */
function settingsLines(settings: Settings): string[] {
  const out: string[] = [];
  const visit = (prefix: string, value: unknown) => {
    const key = prefix.split('.').at(-1) ?? prefix;
    if (SECRET_KEY.test(key)) {
      out.push(`${prefix}: ${value === null || value === undefined || value === '' ? '(not set)' : '(set)'}`);
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [name, inner] of Object.entries(value)) visit(`${prefix}.${name}`, inner);
    } else {
      out.push(`${prefix}: ${oneLine(JSON.stringify(value) ?? 'null')}`);
    }
  };
  for (const [name, value] of Object.entries(settings)) visit(name, value);
  return out;
}

function outageLine(entry: OutageEntry): string {
  const from = localTime(new Date(entry.from));
  const until =
    entry.to === null
      ? 'not back while LM Studio Tray ran'
      : `${localTime(new Date(entry.to))} (${duration(entry.to - entry.from)})`;
  return `- ${from} → ${until}: ${entry.state} at ${entry.baseUrl}`;
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

/** `2026-12-02 14:05:09 +01:00`: local time, with its offset so a reader elsewhere can place it. */
function localTime(date: Date): string {
  const pad = (value: number) => String(Math.abs(value)).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

function oneLine(text: string): string {
  return formatEntry(text).trimEnd().replace(/\n\s*/g, ' ');
}
