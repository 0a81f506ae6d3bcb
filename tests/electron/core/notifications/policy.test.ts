import { describe, expect, it } from 'vitest';
import { createNotificationPolicy } from '../../../../electron/core/notifications/policy';
import {
  type AppNotification,
  DEFAULT_SETTINGS,
  type DownloadState,
  type ServerState,
  type ServerStatus,
  type Settings,
} from '../../../../electron/shared/contract';

const ALL_ON = DEFAULT_SETTINGS.notifications;
const WINDOW = 60_000;

function status(state: ServerState, extra: Partial<ServerStatus> = {}): ServerStatus {
  return {
    state,
    detail: '',
    baseUrl: 'http://127.0.0.1:1234',
    port: 1234,
    remote: false,
    apiGeneration: 'v1',
    lmsPath: '/usr/bin/lms',
    lmsSearched: [],
    since: 0,
    checkedAt: 0,
    unstable: false,
    lmStudioClosed: false,
    ...extra,
  };
}

/** One step of a scenario: a transition at a time, and the notification kinds it must produce. */
type Step = [at: number, from: ServerState, to: ServerState, expected: string[], userInitiated?: boolean];

function run(steps: Step[], toggles: Settings['notifications'] = ALL_ON): string[][] {
  const policy = createNotificationPolicy({ flapWindowMs: WINDOW });
  return steps.map(([at, from, to, , userInitiated]) =>
    policy
      .decide(
        { type: 'server', status: status(to), previous: status(from), userInitiated: userInitiated ?? false },
        toggles,
        at,
      )
      .map((n) => n.kind),
  );
}

const scenarios: Array<[name: string, steps: Step[], toggles?: Settings['notifications']]> = [
  ['start-up online is not news', [[0, 'checking', 'online', []]]],
  ['start-up offline is not news', [[0, 'checking', 'offline', []]]],
  [
    'start-up then a clean outage and recovery',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', ['serverDown']],
      [200_000, 'offline', 'online', ['serverUp']],
    ],
  ],
  [
    'found down at start-up, then up: a recovery is news',
    [
      [0, 'checking', 'offline', []],
      [10_000, 'offline', 'online', ['serverUp']],
    ],
  ],
  [
    'between two problem states says nothing',
    [
      [0, 'checking', 'online', []],
      [1_000, 'online', 'server-stopped', ['serverDown']],
      [2_000, 'server-stopped', 'offline', []],
      [3_000, 'offline', 'not-responding', []],
      [4_000, 'not-responding', 'unauthorized', []],
    ],
  ],
  [
    'a quick recovery after the first outage still notifies',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', ['serverDown']],
      [101_000, 'offline', 'online', ['serverUp']],
    ],
  ],
  [
    'flapping collapses into one unstable notice',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', ['serverDown']],
      [105_000, 'offline', 'online', ['serverUp']],
      [110_000, 'online', 'offline', ['serverUnstable']],
      [115_000, 'offline', 'online', []],
      [120_000, 'online', 'offline', []],
      [125_000, 'offline', 'online', []],
    ],
  ],
  [
    'after settling online for a window, a down is news again',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', ['serverDown']],
      [105_000, 'offline', 'online', ['serverUp']],
      [110_000, 'online', 'offline', ['serverUnstable']],
      [115_000, 'offline', 'online', []],
      [115_000 + WINDOW, 'online', 'offline', ['serverDown']],
      [115_000 + 2 * WINDOW, 'offline', 'online', ['serverUp']],
    ],
  ],
  [
    'after settling down for a window, the recovery is news',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', ['serverDown']],
      [105_000, 'offline', 'online', ['serverUp']],
      [110_000, 'online', 'offline', ['serverUnstable']],
      [110_000 + WINDOW, 'offline', 'online', ['serverUp']],
    ],
  ],
  [
    'a stop the user asked for is silent, and so is its recovery',
    [
      [0, 'checking', 'online', []],
      [10_000, 'online', 'server-stopped', [], true],
      [12_000, 'server-stopped', 'online', []],
    ],
  ],
  [
    "the user's stop-and-start does not make the next crash look like flapping",
    [
      [0, 'checking', 'online', []],
      [10_000, 'online', 'server-stopped', [], true],
      [12_000, 'server-stopped', 'online', []],
      [20_000, 'online', 'offline', ['serverDown']],
    ],
  ],
  [
    'going back to checking and out again is not news',
    [
      [0, 'checking', 'online', []],
      [10_000, 'online', 'checking', []],
      [11_000, 'checking', 'offline', []],
    ],
  ],
  [
    'online to online (detail changed) says nothing',
    [
      [0, 'checking', 'online', []],
      [10_000, 'online', 'online', []],
    ],
  ],
  [
    'toggles off: nothing is shown, but the state is still tracked',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', []],
      [105_000, 'offline', 'online', []],
      [110_000, 'online', 'offline', []],
    ],
    { ...ALL_ON, serverDown: false, serverUp: false },
  ],
  [
    'only "down" on',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', ['serverDown']],
      [200_000, 'offline', 'online', []],
    ],
    { ...ALL_ON, serverUp: false },
  ],
  [
    'only "back" on',
    [
      [0, 'checking', 'online', []],
      [100_000, 'online', 'offline', []],
      [200_000, 'offline', 'online', ['serverUp']],
    ],
    { ...ALL_ON, serverDown: false },
  ],
];

describe('notification policy: server transitions', () => {
  it.each(scenarios)('%s', (_name, steps, toggles) => {
    expect(run(steps, toggles)).toEqual(steps.map((s) => s[3]));
  });
});

describe('notification policy: wording', () => {
  const policy = () => createNotificationPolicy({ flapWindowMs: WINDOW });
  const down = (to: ServerState, extra: Partial<ServerStatus> = {}): AppNotification => {
    const p = policy();
    const [n] = p.decide(
      { type: 'server', status: status(to, extra), previous: status('online'), userInitiated: false },
      ALL_ON,
      1,
    );
    return n!;
  };

  it('says the server is down in plain words, with the fix', () => {
    expect(down('offline')).toEqual({
      kind: 'serverDown',
      title: 'LM Studio server is down',
      body: 'Port 1234 stopped answering. Open LM Studio or run `lms server start`.',
    });
    expect(down('server-stopped').body).toContain('lms server start');
  });

  it('explains each kind of problem', () => {
    expect(down('not-responding').title).toBe('LM Studio server is not responding');
    expect(down('unauthorized').body).toContain('API token');
    expect(down('foreign').body).toContain('Another program now answers on port 1234');
  });

  it('names the address of a remote server and does not suggest the local lms', () => {
    const n = down('offline', { remote: true, baseUrl: 'http://gpu-box:1234' });
    expect(n.body).toBe(
      'http://gpu-box:1234 stopped answering. Check that LM Studio and its server are running on that machine.',
    );
  });

  it('announces the recovery and instability', () => {
    const p = policy();
    const at = (t: number, from: ServerState, to: ServerState) =>
      p.decide({ type: 'server', status: status(to), previous: status(from), userInitiated: false }, ALL_ON, t);
    at(0, 'online', 'offline');
    expect(at(1, 'offline', 'online')).toEqual([
      { kind: 'serverUp', title: 'LM Studio server is back', body: 'Port 1234 is answering again.' },
    ]);
    expect(at(2, 'online', 'offline')[0]).toMatchObject({
      kind: 'serverUnstable',
      title: 'LM Studio server is unstable',
    });
  });
});

describe('notification policy: downloads and loads', () => {
  const download = (over: Partial<DownloadState>): DownloadState => ({
    id: 'd1',
    model: 'qwen/qwen3-4b',
    status: 'completed',
    attached: false,
    via: 'lms',
    percent: 100,
    downloadedBytes: 1,
    totalBytes: 1,
    bytesPerSecond: null,
    etaSeconds: null,
    message: null,
    startedAt: 0,
    endedAt: 1,
    warning: null,
    attempt: 1,
    nextRetryAt: null,
    failureKind: null,
    loadWhenDone: false,
    modelKey: null,
    ...over,
  });

  const cases: Array<
    [
      string,
      Parameters<ReturnType<typeof createNotificationPolicy>['decide']>[0],
      Partial<Settings['notifications']>,
      AppNotification[],
    ]
  > = [
    [
      'finished download',
      { type: 'download-finished', download: download({}) },
      {},
      [{ kind: 'downloadFinished', title: 'Download finished', body: 'qwen/qwen3-4b is ready to load.' }],
    ],
    [
      'finished download, toggle off',
      { type: 'download-finished', download: download({}) },
      { downloadFinished: false },
      [],
    ],
    [
      'already downloaded is not news',
      { type: 'download-finished', download: download({ status: 'already-downloaded' }) },
      {},
      [],
    ],
    ['cancelled is not news', { type: 'download-finished', download: download({ status: 'cancelled' }) }, {}, []],
    [
      'failed download',
      { type: 'download-failed', download: download({ status: 'failed', message: 'Error: Cannot find variant q9.' }) },
      {},
      [{ kind: 'downloadFailed', title: 'Download of qwen/qwen3-4b failed', body: 'Error: Cannot find variant q9.' }],
    ],
    [
      'failed download without a message',
      { type: 'download-failed', download: download({ status: 'failed' }) },
      {},
      [
        {
          kind: 'downloadFailed',
          title: 'Download of qwen/qwen3-4b failed',
          body: 'LM Studio did not say why. Try again from the Downloads list.',
        },
      ],
    ],
    [
      'failed download, toggle off',
      { type: 'download-failed', download: download({ status: 'failed' }) },
      { downloadFailed: false },
      [],
    ],
    [
      'failed load',
      { type: 'load-failed', modelKey: 'qwen/qwen3-4b', message: 'Not enough memory.' },
      {},
      [{ kind: 'loadFailed', title: 'Could not load qwen/qwen3-4b', body: 'Not enough memory.' }],
    ],
    ['failed load, toggle off', { type: 'load-failed', modelKey: 'x', message: 'y' }, { loadFailed: false }, []],
  ];

  it.each(cases)('%s', (_name, input, toggles, expected) => {
    expect(createNotificationPolicy().decide(input, { ...ALL_ON, ...toggles }, 0)).toEqual(expected);
  });
});
