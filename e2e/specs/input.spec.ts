import { expect, snap, test } from './fixtures';

// Option injection, shell syntax, another host, a path, a look-alike letter (Cyrillic е), an encoded slash.
for (const bad of [
  '--help',
  'qwen/qwen3-4b; rm -rf ~',
  'http://example.com/model.gguf',
  '../../etc/passwd',
  'qwen/qw\u0435n3-4b',
  'qwen%2Fqwen3-4b',
]) {
  test(`refuses "${bad}" with an alert that says what is accepted`, async ({ popup, sim }) => {
    await popup.getByRole('textbox', { name: 'Model to download', exact: true }).fill(bad);
    await popup.getByRole('button', { name: 'Download', exact: true }).click();
    const alert = popup.getByRole('alert');
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(/huggingface|catalog|key/i);
    const downloads = popup.getByRole('region', { name: 'Downloads', exact: true });
    await expect(downloads.getByRole('listitem')).toHaveCount(0);
    expect(sim.state.lmsInvocations().filter((argv) => argv[0] === 'get')).toEqual([]);
    // What was typed is kept, so it can be corrected.
    await expect(popup.getByRole('textbox', { name: 'Model to download', exact: true })).toHaveValue(bad);
    await snap(popup, 'invalid-input');
  });
}
