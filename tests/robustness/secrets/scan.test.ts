import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARIES, CANARY_API_TOKEN, CANARY_WEB_TOKEN } from './canaries';
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
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'lmstudio-tray-scan-'));
    mkdirSync(path.join(root, 'config', 'nested'), { recursive: true });
    writeFileSync(path.join(root, 'config', 'settings.json'), JSON.stringify({ apiToken: CANARY_API_TOKEN }));
    writeFileSync(path.join(root, 'config', 'nested', 'web.log'), `${OPEN}\n`);
    writeFileSync(path.join(root, 'clean.txt'), 'nothing here');
    writeFileSync(
      path.join(root, 'image.bin'),
      Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from(CANARY_API_TOKEN)]),
    );
    writeFileSync(path.join(root, 'ledger'), `${CANARY_WEB_TOKEN}\n`);
    symlinkSync('/etc', path.join(root, 'link'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds every copy in any file, an Open line included, and skips what it is told to', () => {
    const files = filesUnder([root, path.join(root, 'missing')], (file) => file.endsWith('ledger'));
    expect(files.map((file) => path.relative(root, file))).toEqual([
      'clean.txt',
      path.join('config', 'nested', 'web.log'),
      path.join('config', 'settings.json'),
      'image.bin',
    ]);
    const leaks = findLeaksInFiles(files, CANARIES);
    expect(leaks.map((leak) => [leak.label, path.relative(root, leak.place)])).toEqual([
      ['the web token canary', path.join('config', 'nested', 'web.log')],
      ['the API token canary', path.join('config', 'settings.json')],
      ['the API token canary', 'image.bin'],
    ]);
  });
});
