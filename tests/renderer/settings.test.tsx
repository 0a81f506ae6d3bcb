import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SettingsPatch } from '../../electron/shared/contract';
import { fail, ok } from './fake-bridge';
import { makeSettings, makeSnapshot, makeStatus } from './fixtures';
import { renderPopup } from './render';

afterEach(cleanup);

async function openSettings(snapshot = makeSnapshot(), answer?: (patch: SettingsPatch) => void) {
  const rendered = await renderPopup(snapshot, (bridge) =>
    bridge.handle('settings:update', (patch) => {
      answer?.(patch!);
      return ok(makeSettings({ ...snapshot.settings, ...patch, apiTokenSet: patch?.apiToken != null }));
    }),
  );
  fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
  await screen.findByRole('heading', { name: 'Settings' });
  return rendered;
}

describe('Settings', () => {
  it('opens from the gear, focuses the address, and goes Back to the popup', async () => {
    await openSettings();
    // The form mounts (and takes focus) once the settings have arrived, a moment after the heading.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('LM Studio address')));
    fireEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(await screen.findByRole('status', { name: 'Server status' })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Settings' }));
  });

  it('refuses invalid fields with the contract’s messages and sends nothing', async () => {
    const { bridge } = await openSettings();
    fireEvent.change(screen.getByLabelText('LM Studio address'), { target: { value: 'localhost:1234' } });
    fireEvent.change(screen.getByLabelText('Poll interval (seconds)'), { target: { value: '0.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Poll at most once a second.')).toBeTruthy();
    expect(screen.getByText(/The LM Studio address must be a URL such as http:\/\/127\.0\.0\.1:1234\./)).toBeTruthy();
    expect(screen.getByLabelText('LM Studio address').getAttribute('aria-invalid')).toBe('true');
    expect(bridge.callsOf('settings:update')).toEqual([]);
  });

  it('saves only the fields that changed', async () => {
    const { bridge } = await openSettings();
    fireEvent.change(screen.getByLabelText('LM Studio address'), { target: { value: 'http://192.168.1.5:1234' } });
    fireEvent.change(screen.getByLabelText('Poll interval (seconds)'), { target: { value: '10' } });
    fireEvent.click(screen.getByLabelText('Download finished'));
    fireEvent.click(screen.getByLabelText('Launch at login'));
    fireEvent.click(screen.getByLabelText('Cancel them'));
    fireEvent.change(screen.getByLabelText('Context length'), { target: { value: '8192' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(bridge.callsOf('settings:update')).toHaveLength(1));
    expect(bridge.callsOf('settings:update')[0]).toEqual({
      baseUrl: 'http://192.168.1.5:1234',
      pollIntervalMs: 10_000,
      notifications: {
        serverDown: true,
        serverUp: true,
        downloadFinished: false,
        downloadFailed: true,
        loadFailed: true,
        keptModel: true,
        requestStuck: true,
      },
      launchAtLogin: true,
      quitBehaviour: 'cancel-downloads',
      loadDefaults: { contextLength: 8192 },
    });
    expect(await screen.findByText('Saved')).toBeTruthy();
  });

  it('shows the core’s messages about settings.json, and its refusal of a save', async () => {
    const snapshot = makeSnapshot({
      settings: makeSettings({ messages: ['pollIntervalMs in settings.json was "fast"; using 5 seconds.'] }),
    });
    const { bridge } = await openSettings(snapshot);
    expect(screen.getByText('pollIntervalMs in settings.json was "fast"; using 5 seconds.')).toBeTruthy();
    bridge.handle('settings:update', () => fail('internal', 'Could not write settings.json: disk full.'));
    fireEvent.click(screen.getByLabelText('Launch at login'));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not write settings.json: disk full.');
  });

  it('treats the API token as write-only: set or not set, replace or clear', async () => {
    const patches: SettingsPatch[] = [];
    await openSettings(makeSnapshot({ settings: makeSettings({ apiTokenSet: true }) }), (p) => patches.push(p));
    const group = screen.getByRole('group', { name: 'API token' });
    expect(group.textContent).toContain('A token is set');
    expect((within(group).getByLabelText('New API token') as HTMLInputElement).value).toBe('');

    fireEvent.change(within(group).getByLabelText('New API token'), { target: { value: ' sk-new ' } });
    fireEvent.click(within(group).getByRole('button', { name: 'Replace token' }));
    await waitFor(() => expect(patches).toEqual([{ apiToken: 'sk-new' }]));

    fireEvent.click(within(group).getByRole('button', { name: 'Clear token' }));
    await waitFor(() => expect(patches).toEqual([{ apiToken: 'sk-new' }, { apiToken: null }]));
    await waitFor(() => expect(group.textContent).toContain('Not set'));
  });

  it('validates the load defaults', async () => {
    const { bridge } = await openSettings();
    fireEvent.change(screen.getByLabelText('Context length'), { target: { value: '100' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/Context length is a whole number of tokens from 256/)).toBeTruthy();
    expect(bridge.callsOf('settings:update')).toEqual([]);
  });
});

describe('status fixes that go through settings', () => {
  it('saves an API token from the status panel when authentication is required', async () => {
    const { bridge } = await renderPopup(makeSnapshot({ status: makeStatus({ state: 'unauthorized' }) }), (b) => {
      b.handle('settings:update', () => ok(makeSettings({ apiTokenSet: true })));
      b.handle('server:refresh', () => ok(makeStatus()));
      b.handle('models:refresh', () => ok(makeSnapshot().models));
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save token' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Paste the API token');
    fireEvent.change(screen.getByLabelText('API token'), { target: { value: 'sk-lm-123' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save token' }));
    await waitFor(() => expect(bridge.callsOf('settings:update')).toEqual([{ apiToken: 'sk-lm-123' }]));
    await waitFor(() => expect(bridge.callsOf('server:refresh')).toHaveLength(1));
  });

  it('links "Not LM Studio" to the address setting', async () => {
    await renderPopup(makeSnapshot({ status: makeStatus({ state: 'foreign' }) }));
    fireEvent.click(screen.getByRole('button', { name: 'Change address' }));
    await screen.findByRole('heading', { name: 'Settings' });
    expect(document.activeElement).toBe(screen.getByLabelText('LM Studio address'));
  });

  it('turns off what the app does on its own: retries, disk checks, memory estimates, the kept-model notice', async () => {
    const { bridge } = await openSettings();
    const retry = await screen.findByRole('checkbox', { name: 'Retry failed downloads on their own' });
    expect((retry as HTMLInputElement).checked).toBe(true);
    fireEvent.click(retry);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Check disk space before and during downloads' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Estimate the memory a model needs before loading it' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'A kept model could not be kept loaded' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(bridge.callsOf('settings:update')).toHaveLength(1));
    expect(bridge.callsOf('settings:update')[0]).toEqual({
      notifications: {
        serverDown: true,
        serverUp: true,
        downloadFinished: true,
        downloadFailed: true,
        loadFailed: true,
        keptModel: false,
        requestStuck: true,
      },
      retryDownloads: false,
      checkDiskSpace: false,
      estimateMemory: false,
    });
    // Each says what turning it off stops.
    expect(retry.getAttribute('aria-describedby')).toBe('setting-retryDownloads-hint');
    expect(document.getElementById('setting-retryDownloads-hint')?.textContent).toContain('started again');
  });
});
