import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// This suite's own secrets, not the canaries: it writes them to files on purpose, and the scan of
// the real `npm test` run around it must not count those.
const CANARY_API_TOKEN = 'sk-lm-ScanTest:only-in-the-scanner-tests-01';
const CANARY_WEB_TOKEN = 'scan-test-web-token-only-here-02';
const CANARIES = [
  { label: 'the API token canary', value: CANARY_API_TOKEN },
  { label: 'the web token canary', value: CANARY_WEB_TOKEN },
];

import { CANARIES_MODULE_MARKER, CANARY_PROMPT, CANARIES as RUN_CANARIES } from './canaries';
import { filesUnder, findLeaksInFiles, findLeaksInOutput, webTokensInOpenLines } from './scan';

const OPEN = `Open http://127.0.0.1:4321/?token=${encodeURIComponent(CANARY_WEB_TOKEN)}`;
const WEB = { label: 'web token', value: CANARY_WEB_TOKEN };
const API = { label: 'api token', value: CANARY_API_TOKEN };

describe('the secret scan of console output', () => {
  it('allows the web token only in an exact Open line', () => {
    expect(findLeaksInOutput(`starting\n${OPEN}\nready\n`, [WEB], 'out')).toEqual([]);
    expect(findLeaksInOutput(`\u001b[32m${OPEN}\u001b[39m\r\n`, [WEB], 'out')).toEqual([]);
  });

  it('reports the web token anywhere else, by label and line, never by value', () => {
    const text = [
      OPEN,
      `2026-12-02T05:00:00.000Z DEBUG page url ${OPEN.slice(5)}`,
      `  ${OPEN}`,
      `Error: bad token ${CANARY_WEB_TOKEN}`,
    ].join('\n');
    const leaks = findLeaksInOutput(text, [WEB], 'run.log');
    expect(leaks).toEqual([
      { label: 'web token', place: 'run.log:2' },
      { label: 'web token', place: 'run.log:3' },
      { label: 'web token', place: 'run.log:4' },
    ]);
    expect(JSON.stringify(leaks)).not.toContain(CANARY_WEB_TOKEN);
  });

  it('never exempts the API token, even on an Open line', () => {
    const text = `Open http://127.0.0.1:1/?token=${CANARY_API_TOKEN}\nAuthorization: Bearer ${CANARY_API_TOKEN}`;
    expect(findLeaksInOutput(text, [WEB, API], 'out')).toEqual([{ label: 'api token', place: 'out:2' }]);
  });

  it('finds a URL-encoded copy', () => {
    expect(findLeaksInOutput(`GET /?t=${encodeURIComponent(CANARY_API_TOKEN)}`, [API], 'out')).toHaveLength(1);
  });

  it('reads the tokens of Open lines, decoded, wherever they are quoted', () => {
    const token = 'a/b+c=d';
    const text = `${OPEN}\nweb mode output:\n"Open http://[::1]:80/?token=${encodeURIComponent(token)}"\n`;
    expect(webTokensInOpenLines(text)).toEqual([CANARY_WEB_TOKEN, token]);
  });
});

describe('the secret scan of files', () => {
  let root: string;
  const write = (relative: string, content: string | Buffer) => {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), content);
  };
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-scan-'));
    write('nested/web.log', `${OPEN}\n`);
    write('clean.txt', 'nothing here');
    write('image.bin', Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from(CANARY_API_TOKEN)]));
    write('ledger', `${CANARY_WEB_TOKEN}\n`);
    // The token the user typed, where web mode keeps it: not a leak; anywhere else in the file: one.
    write('stored/settings.json', JSON.stringify({ apiToken: CANARY_API_TOKEN, pollIntervalMs: 5000 }));
    write('stored/.settings.json.123.a1b2.tmp', JSON.stringify({ apiToken: CANARY_API_TOKEN }));
    write('copied/settings.json', JSON.stringify({ apiToken: null, baseUrl: `http://x/?key=${CANARY_API_TOKEN}` }));
    write('copied/settings.json.corrupt-1', `{"apiToken": "${CANARY_API_TOKEN}",`);
    write('copied/tokens.json', JSON.stringify({ apiToken: CANARY_API_TOKEN }));
    // A copy of canaries.ts (a runner's compiled-source cache) holds them by design.
    write('cache/ssr/0a1b', `export const CANARIES_MODULE_MARKER = '${CANARIES_MODULE_MARKER}'; "${CANARY_API_TOKEN}"`);
    symlinkSync('/etc', path.join(root, 'link'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds every copy in any file, an Open line included, and skips what it is told to', () => {
    const files = filesUnder([root, path.join(root, 'missing')], (file) => file.endsWith('ledger'));
    expect(files.map((file) => path.relative(root, file))).not.toContain('ledger');
    expect(files).toHaveLength(9);
    const leaks = findLeaksInFiles(files, CANARIES);
    expect(leaks.map((leak) => [leak.label, path.relative(root, leak.place)])).toEqual([
      ['the API token canary', path.join('copied', 'settings.json')],
      ['the API token canary', path.join('copied', 'settings.json.corrupt-1')],
      ['the API token canary', path.join('copied', 'tokens.json')],
      ['the API token canary', 'image.bin'],
      ['the web token canary', path.join('nested', 'web.log')],
    ]);
  });
});

describe('the prompt canary', () => {
  // This suite's own prompt: the real one written here would be a leak in the outer scan.
  const PROMPT = { label: 'the prompt canary', value: 'scan-test prompt: the walrus orchard of Quillby 03' };
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-scan-prompt-'));
    mkdirSync(path.join(root, 'logs'));
    writeFileSync(path.join(root, 'logs', 'web.log'), `2026-12-02T05:00:00.000Z DEBUG input: ${PROMPT.value}\n`);
    writeFileSync(path.join(root, 'logs', 'desktop.log.1'), `{"input":"${PROMPT.value}"}`);
    writeFileSync(path.join(root, 'outages.json'), '{"outages":[]}');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is one of the secrets every run scans for', () => {
    expect(RUN_CANARIES.map((canary) => canary.value)).toContain(CANARY_PROMPT);
  });

  it('is found in the log files and in the console output, like a token', () => {
    const leaks = findLeaksInFiles(filesUnder([root]), [PROMPT]);
    expect(leaks.map((leak) => path.relative(root, leak.place)).sort()).toEqual([
      path.join('logs', 'desktop.log.1'),
      path.join('logs', 'web.log'),
    ]);
    expect(findLeaksInOutput(`ok\nprompt: ${encodeURIComponent(PROMPT.value)}\n`, [PROMPT], 'out')).toEqual([
      { label: 'the prompt canary', place: 'out:2' },
    ]);
  });
});
