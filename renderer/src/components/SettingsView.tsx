import { type FormEvent, useEffect, useRef, useState } from 'react';
import * as v from 'valibot';
import {
  NOTIFICATION_KINDS,
  QUIT_BEHAVIOURS,
  type SettingsPatch,
  type SettingsView as SettingsViewData,
} from '../../../electron/shared/contract';
import { SettingsFieldSchemas } from '../../../electron/shared/contract-schemas';
import { useActions, useTray } from '../context';
import {
  draftFromOptions,
  type LoadOptionField,
  type LoadOptionsDraft,
  LoadOptionsFields,
  parseLoadOptions,
} from '../load-options';
import { pendingKey } from '../store';
import { Diagnostics } from './Diagnostics';

type NotificationToggles = SettingsViewData['notifications'];
type QuitBehaviour = (typeof QUIT_BEHAVIOURS)[number];

interface Draft {
  baseUrl: string;
  lmsPath: string;
  pollSeconds: string;
  notifications: NotificationToggles;
  launchAtLogin: boolean;
  loadDefaults: LoadOptionsDraft;
  quitBehaviour: QuitBehaviour;
  care: Care;
}

/** What the app does on its own to look after LM Studio, each of which the user may turn off. */
type Care = Pick<SettingsViewData, 'retryDownloads' | 'checkDiskSpace' | 'estimateMemory'>;

const CARE: ReadonlyArray<{ key: keyof Care; label: string; hint: string }> = [
  {
    key: 'retryDownloads',
    label: 'Retry failed downloads on their own',
    hint: 'A download that stops is started again for up to an hour, and one unfinished at quit is picked up at the next start.',
  },
  {
    key: 'checkDiskSpace',
    label: 'Check disk space before and during downloads',
    hint: 'Refuses a download that will not fit, and stops one when the disk is nearly full (LM Studio on this computer only).',
  },
  {
    key: 'estimateMemory',
    label: 'Estimate the memory a model needs before loading it',
    hint: 'Shown in the load options; asks before a load LM Studio’s guardrails would refuse.',
  },
];

type FieldErrors = Partial<Record<'baseUrl' | 'lmsPath' | 'pollIntervalMs', string>> & {
  loadDefaults?: Partial<Record<LoadOptionField, string>>;
};

const NOTIFICATION_LABELS: Record<(typeof NOTIFICATION_KINDS)[number], string> = {
  serverDown: 'Server went down',
  serverUp: 'Server came back',
  downloadFinished: 'Download finished',
  downloadFailed: 'Download failed',
  loadFailed: 'Model failed to load',
  keptModel: 'A kept model could not be kept loaded',
  requestStuck: 'A request may be stuck',
};

const QUIT_LABELS: Record<QuitBehaviour, string> = {
  'leave-downloads-running': 'Leave them running in LM Studio',
  'cancel-downloads': 'Cancel them',
};

function draftFrom(settings: SettingsViewData): Draft {
  return {
    baseUrl: settings.baseUrl ?? '',
    lmsPath: settings.lmsPath ?? '',
    pollSeconds: String(settings.pollIntervalMs / 1000),
    notifications: { ...settings.notifications },
    launchAtLogin: settings.launchAtLogin,
    loadDefaults: draftFromOptions(settings.loadDefaults),
    quitBehaviour: settings.quitBehaviour,
    care: {
      retryDownloads: settings.retryDownloads,
      checkDiskSpace: settings.checkDiskSpace,
      estimateMemory: settings.estimateMemory,
    },
  };
}

function firstIssue(result: { success: boolean; issues?: readonly { message: string }[] }): string | undefined {
  return result.success ? undefined : result.issues?.[0]?.message;
}

/**
 * Validates the draft with the contract's per-field schemas and returns only the fields that
 * differ from the saved settings (an untouched field is never rewritten).
 */
export function buildSettingsPatch(
  draft: Draft,
  saved: SettingsViewData,
): { patch: SettingsPatch; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const patch: SettingsPatch = {};
  const changed = (key: keyof SettingsViewData, value: unknown) => JSON.stringify(saved[key]) !== JSON.stringify(value);

  const baseUrl = draft.baseUrl.trim() === '' ? null : draft.baseUrl.trim();
  const urlIssue =
    firstIssue(v.safeParse(SettingsFieldSchemas.baseUrl, baseUrl)) ??
    (baseUrl !== null && !/^https?:\/\//i.test(baseUrl)
      ? 'The LM Studio address must be a URL such as http://127.0.0.1:1234.'
      : undefined);
  if (urlIssue) errors.baseUrl = urlIssue;
  else if (changed('baseUrl', baseUrl)) patch.baseUrl = baseUrl;

  const lmsPath = draft.lmsPath.trim() === '' ? null : draft.lmsPath.trim();
  const lmsIssue = firstIssue(v.safeParse(SettingsFieldSchemas.lmsPath, lmsPath));
  if (lmsIssue) errors.lmsPath = lmsIssue;
  else if (changed('lmsPath', lmsPath)) patch.lmsPath = lmsPath;

  const seconds = Number(draft.pollSeconds);
  if (draft.pollSeconds.trim() === '' || !Number.isFinite(seconds)) {
    errors.pollIntervalMs = 'The poll interval is a number of seconds, from 1 to 600.';
  } else {
    const pollIntervalMs = Math.round(seconds * 1000);
    const pollIssue = firstIssue(v.safeParse(SettingsFieldSchemas.pollIntervalMs, pollIntervalMs));
    if (pollIssue) errors.pollIntervalMs = pollIssue;
    else if (changed('pollIntervalMs', pollIntervalMs)) patch.pollIntervalMs = pollIntervalMs;
  }

  if (changed('notifications', draft.notifications)) patch.notifications = { ...draft.notifications };
  if (changed('launchAtLogin', draft.launchAtLogin)) patch.launchAtLogin = draft.launchAtLogin;
  if (changed('quitBehaviour', draft.quitBehaviour)) patch.quitBehaviour = draft.quitBehaviour;
  for (const { key } of CARE) if (changed(key, draft.care[key])) patch[key] = draft.care[key];

  const loadDefaults = parseLoadOptions(draft.loadDefaults);
  if (!loadDefaults.ok) errors.loadDefaults = loadDefaults.errors;
  else if (changed('loadDefaults', loadDefaults.value)) patch.loadDefaults = loadDefaults.value;

  return { patch, errors };
}

/** The second view: every setting, saved through `settings:update`, then the diagnostics. */
export function SettingsView() {
  const settings = useTray((s) => s.settings);
  return (
    <>
      {settings ? <SettingsForm settings={settings} /> : <p className="empty">Reading settings…</p>}
      <Diagnostics />
    </>
  );
}

function SettingsForm({ settings }: { settings: SettingsViewData }) {
  const { updateSettings } = useActions();
  const saving = useTray((s) => s.pending[pendingKey.settings] === true);
  const detectedLms = useTray((s) => s.status?.lmsPath ?? null);
  const transport = useTray((s) => s.app?.transport ?? null);
  const [draft, setDraft] = useState(() => draftFrom(settings));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const firstField = useRef<HTMLInputElement>(null);

  useEffect(() => firstField.current?.focus(), []);

  const edit = (change: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...change }));
    setSaved(false);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { patch, errors: found } = buildSettingsPatch(draft, settings);
    setErrors(found);
    setSaveError(null);
    if (Object.keys(found).length > 0) return;
    if (Object.keys(patch).length === 0) {
      setSaved(true);
      return;
    }
    const result = await updateSettings(patch);
    if (result.ok) setSaved(true);
    else setSaveError(result.error.message);
  };

  const describedBy = (id: string, error: string | undefined) => (error ? `${id}-error` : `${id}-hint`);
  const fieldError = (id: string, error: string | undefined) =>
    error ? (
      <p role="alert" className="field__error" id={`${id}-error`}>
        {error}
      </p>
    ) : null;

  return (
    <div className="settings">
      {settings.messages.length > 0 && (
        <section className="notes" aria-labelledby="settings-notes-heading">
          <h2 id="settings-notes-heading" className="subhead">
            About these settings
          </h2>
          <ul>
            {settings.messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </section>
      )}

      <form onSubmit={submit} noValidate>
        <fieldset className="group">
          <legend>Connection</legend>
          <div className="field">
            <label htmlFor="setting-base-url">LM Studio address</label>
            <input
              ref={firstField}
              id="setting-base-url"
              type="url"
              inputMode="url"
              spellCheck={false}
              placeholder="Automatic (http://127.0.0.1:1234)"
              value={draft.baseUrl}
              aria-invalid={errors.baseUrl ? true : undefined}
              aria-describedby={describedBy('setting-base-url', errors.baseUrl)}
              onChange={(e) => edit({ baseUrl: e.target.value })}
            />
            {fieldError('setting-base-url', errors.baseUrl) ?? (
              <p className="hint" id="setting-base-url-hint">
                Empty: the port LM Studio last used, else http://127.0.0.1:1234.
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="setting-lms-path">lms path</label>
            <input
              id="setting-lms-path"
              type="text"
              spellCheck={false}
              placeholder="Found automatically"
              value={draft.lmsPath}
              aria-invalid={errors.lmsPath ? true : undefined}
              aria-describedby={describedBy('setting-lms-path', errors.lmsPath)}
              onChange={(e) => edit({ lmsPath: e.target.value })}
            />
            {fieldError('setting-lms-path', errors.lmsPath) ?? (
              <p className="hint" id="setting-lms-path-hint" title={detectedLms ?? undefined}>
                {detectedLms ? `In use: ${detectedLms}` : 'Empty: look on PATH and in LM Studio’s own folder.'}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="setting-poll">Poll interval (seconds)</label>
            <input
              id="setting-poll"
              type="number"
              inputMode="decimal"
              min={1}
              max={600}
              value={draft.pollSeconds}
              aria-invalid={errors.pollIntervalMs ? true : undefined}
              aria-describedby={describedBy('setting-poll', errors.pollIntervalMs)}
              onChange={(e) => edit({ pollSeconds: e.target.value })}
            />
            {fieldError('setting-poll', errors.pollIntervalMs) ?? (
              <p className="hint" id="setting-poll-hint">
                How often to check the server, from 1 to 600.
              </p>
            )}
          </div>
        </fieldset>

        <TokenSettings tokenSet={settings.apiTokenSet} />

        <fieldset className="group">
          <legend>Desktop notifications</legend>
          {NOTIFICATION_KINDS.map((kind) => (
            <label key={kind} className="check">
              <input
                type="checkbox"
                checked={draft.notifications[kind]}
                onChange={(e) => edit({ notifications: { ...draft.notifications, [kind]: e.target.checked } })}
              />
              {NOTIFICATION_LABELS[kind]}
            </label>
          ))}
        </fieldset>

        <fieldset className="group">
          <legend>Looking after LM Studio</legend>
          {CARE.map(({ key, label, hint }) => (
            <div key={key} className="check-field">
              <label className="check">
                <input
                  type="checkbox"
                  checked={draft.care[key]}
                  aria-describedby={`setting-${key}-hint`}
                  onChange={(e) => edit({ care: { ...draft.care, [key]: e.target.checked } })}
                />
                {label}
              </label>
              <p className="hint" id={`setting-${key}-hint`}>
                {hint}
              </p>
            </div>
          ))}
        </fieldset>

        <fieldset className="group">
          <legend>Loading models</legend>
          <p className="hint">Defaults for Load and its options; empty fields leave the choice to LM Studio.</p>
          <LoadOptionsFields
            idPrefix="setting-load"
            draft={draft.loadDefaults}
            onChange={(loadDefaults) => edit({ loadDefaults })}
            errors={errors.loadDefaults ?? {}}
          />
        </fieldset>

        <fieldset className="group">
          <legend>When quitting with downloads running</legend>
          {QUIT_BEHAVIOURS.map((behaviour) => (
            <label key={behaviour} className="check">
              <input
                type="radio"
                name="quit-behaviour"
                value={behaviour}
                checked={draft.quitBehaviour === behaviour}
                onChange={() => edit({ quitBehaviour: behaviour })}
              />
              {QUIT_LABELS[behaviour]}
            </label>
          ))}
        </fieldset>

        <fieldset className="group">
          <legend>Start-up</legend>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.launchAtLogin}
              onChange={(e) => edit({ launchAtLogin: e.target.checked })}
            />
            Launch at login
          </label>
          {transport === 'web' && <p className="hint">Applies to the desktop app.</p>}
        </fieldset>

        {saveError && (
          <p role="alert" className="field__error">
            {saveError}
          </p>
        )}
        <div className="settings__actions">
          {saved && (
            <span role="status" className="saved">
              Saved
            </span>
          )}
          <button type="submit" className="button button--primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </div>
  );
}

/** Write-only: the page learns whether a token is set, never the token itself. */
function TokenSettings({ tokenSet }: { tokenSet: boolean }) {
  const { updateSettings } = useActions();
  const saving = useTray((s) => s.pending[pendingKey.settings] === true);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);

  const save = async (value: string | null) => {
    if (value !== null) {
      const issue = firstIssue(v.safeParse(SettingsFieldSchemas.apiToken, value));
      if (!value) return setError("Paste the API token from LM Studio's Developer settings.");
      if (issue) return setError(issue);
    }
    const result = await updateSettings({ apiToken: value });
    if (result.ok) {
      setToken('');
      setError(null);
    } else setError(result.error.message);
  };

  return (
    <fieldset className="group">
      <legend>API token</legend>
      <p className="hint" id="setting-token-state">
        {tokenSet
          ? 'A token is set. It is stored by the app and never shown.'
          : 'Not set. Needed only when LM Studio asks for one.'}
      </p>
      <div className="inline-field">
        <label htmlFor="setting-token" className="visually-hidden">
          {tokenSet ? 'New API token' : 'API token'}
        </label>
        <input
          id="setting-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder={tokenSet ? 'Replace with a new token' : 'Paste a token'}
          value={token}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'setting-token-error' : 'setting-token-state'}
          onChange={(e) => setToken(e.target.value)}
          onKeyDown={(e) => {
            // Enter saves the token, not the whole form around it.
            if (e.key === 'Enter') {
              e.preventDefault();
              void save(token.trim());
            }
          }}
        />
        <button
          type="button"
          className="button button--small"
          disabled={saving}
          onClick={() => void save(token.trim())}
        >
          {tokenSet ? 'Replace token' : 'Save token'}
        </button>
        {tokenSet && (
          <button
            type="button"
            className="button button--small button--quiet"
            disabled={saving}
            onClick={() => void save(null)}
          >
            Clear token
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="field__error" id="setting-token-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
