/**
 * The supervisor over the real download manager, with a fake `lms` (each `lms get` a FakeRun the
 * test drives), a fake disk guard and an in-memory journal, under fake timers: time is the
 * subject (the schedule, the hour, 24 h of waiting).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDownloadManager } from '../../../../electron/core/downloads/manager';
import { createDownloadSupervisor } from '../../../../electron/core/downloads/supervisor';
import { CoreError } from '../../../../electron/core/errors';
import type {
  DiskGuard,
  DiskRefusal,
  DownloadJournal,
  JournalEntry,
  LmStudioClient,
  LmsCli,
  LmsGetEvent,
  LmsGetOutcome,
  LmsGetProcess,
  RestDownloadJob,
} from '../../../../electron/core/interfaces';
import { systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import {
  DISK_FLOOR_BYTES,
  type DiskSpaceAnswer,
  type DownloadState,
  fitsOnDisk,
  type ServerState,
  type ServerStatus,
} from '../../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const MIN = 60_000;

/** One fake `lms get`, as in the manager's tests. */
class FakeRun {
  cancelled = 0;
  detached = 0;
  private settle!: (outcome: LmsGetOutcome) => void;
  readonly process: LmsGetProcess;
  constructor(
    readonly model: string,
    private readonly onEvent: (event: LmsGetEvent) => void,
  ) {
    const done = new Promise<LmsGetOutcome>((resolve) => {
      this.settle = resolve;
    });
    this.process = {
      pid: 4242,
      done,
      cancel: async () => {
        this.cancelled += 1;
        this.end({ kind: 'cancelled' });
      },
      detach: async () => {
        this.detached += 1;
        this.end({ kind: 'continuing' });
      },
    };
  }
  emit(event: LmsGetEvent) {
    this.onEvent(event);
  }
  progress(downloadedBytes: number, totalBytes = 1000) {
    this.emit({
      type: 'progress',
      percent: (downloadedBytes / totalBytes) * 100,
      downloadedBytes,
      totalBytes,
      bytesPerSecond: 100,
      etaSeconds: 5,
    });
  }
  fail(message: string, exitCode: number | null = 1) {
    this.settle({ kind: 'failed', message, exitCode });
  }
  end(outcome: LmsGetOutcome) {
    this.settle(outcome);
  }
}

/** A disk with `free` bytes: refuses like the real guard (margin, floor); `drop` is the watch firing. */
class FakeDisk implements DiskGuard {
  private readonly watchers = new Set<(space: DiskSpaceAnswer & { known: true }) => void>();
  asked: Array<number | null> = [];
  constructor(public free: number) {}
  private answer(): DiskSpaceAnswer & { known: true } {
    return { known: true, space: { folder: '/models', freeBytes: this.free, totalBytes: 1e12, checkedAt: Date.now() } };
  }
  async space() {
    return this.answer();
  }
  async refusal(bytesMissing: number | null): Promise<DiskRefusal | null> {
    this.asked.push(bytesMissing);
    const fits = bytesMissing === null ? this.free >= DISK_FLOOR_BYTES : fitsOnDisk(bytesMissing, this.free);
    if (fits) return null;
    const needed = bytesMissing ?? DISK_FLOOR_BYTES;
    return {
      message: `Not enough disk space: it needs ${needed / 1e9} GB, ${this.free / 1e9} GB is free in /models.`,
      neededBytes: needed,
      freeBytes: this.free,
      folder: '/models',
    };
  }
  watch(onLow: (space: DiskSpaceAnswer & { known: true }) => void) {
    this.watchers.add(onLow);
    return () => this.watchers.delete(onLow);
  }
  get watching() {
    return this.watchers.size;
  }
  drop(free: number) {
    this.free = free;
    for (const onLow of this.watchers) onLow(this.answer());
  }
}

class MemoryJournal implements DownloadJournal {
  readonly entries = new Map<string, JournalEntry>();
  constructor(initial: JournalEntry[] = []) {
    for (const entry of initial) this.entries.set(entry.id, entry);
  }
  async read() {
    return [...this.entries.values()].map((entry) => ({ ...entry }));
  }
  async put(entry: JournalEntry) {
    this.entries.set(entry.id, { ...entry });
  }
  async remove(id: string) {
    this.entries.delete(id);
  }
}

function serverStatus(state: ServerState): ServerStatus {
  return {
    state,
    detail: '',
    baseUrl: 'http://127.0.0.1:1234',
    port: 1234,
    remote: false,
    apiGeneration: null,
    lmsPath: null,
    lmsSearched: [],
    since: 0,
    checkedAt: 0,
    unstable: false,
    lmStudioClosed: false,
  };
}

function setup(
  options: {
    lms?: boolean;
    daemonRunning?: boolean;
    server?: ServerState;
    disk?: FakeDisk | null;
    journal?: MemoryJournal;
    retryDownloads?: boolean;
    rest?: Partial<Pick<LmStudioClient, 'startDownload' | 'downloadStatus'>>;
    waitCheckMs?: number;
  } = {},
) {
  const runs: FakeRun[] = [];
  const daemon = { running: options.daemonRunning ?? true };
  /** Every lms command run, by name: only `get` (the user's, or a retry once LM Studio runs) and `daemonStatus` may appear. */
  const lmsCalls: string[] = [];
  const waking = () => {
    throw new Error('a command that wakes LM Studio was run');
  };
  const lms = {
    path: '/fake/lms',
    get(model: string, onEvent: (event: LmsGetEvent) => void) {
      lmsCalls.push('get');
      const run = new FakeRun(model, onEvent);
      runs.push(run);
      return run.process;
    },
    daemonStatus: vi.fn(async () => {
      lmsCalls.push('daemonStatus');
      return { running: daemon.running, pid: daemon.running ? 77 : null };
    }),
    ls: waking,
    ps: waking,
    load: waking,
    serverStart: waking,
    estimate: waking,
    runtimeSurvey: waking,
  } as unknown as LmsCli;
  const withLms = options.lms !== false;
  const client = {
    isLocal: true,
    startDownload: vi.fn(async (): Promise<RestDownloadJob> => {
      throw new Error('not expected');
    }),
    downloadStatus: vi.fn(async (): Promise<RestDownloadJob> => {
      throw new Error('not expected');
    }),
    ...options.rest,
  } as unknown as LmStudioClient;
  const manager = createDownloadManager({
    client: () => client,
    lms: () => (withLms ? lms : null),
    clock: systemClock,
    logger: silent,
    platform: 'linux',
    stallAfterMs: 10_000,
    slowPhaseStallAfterMs: 60_000,
    giveUpAfterMs: Number.POSITIVE_INFINITY,
    restPollMs: 1000,
  });
  const settings = { retryDownloads: options.retryDownloads ?? true };
  const server = { status: serverStatus(options.server ?? 'online') };
  const disk = options.disk === undefined ? new FakeDisk(1e12) : options.disk;
  const journal = options.journal ?? new MemoryJournal();
  const supervisor = createDownloadSupervisor({
    manager,
    lms: () => (withLms ? lms : null),
    status: () => server.status,
    disk,
    checkDiskSpace: () => true,
    journal,
    retryDownloads: () => settings.retryDownloads,
    clock: systemClock,
    logger: silent,
    waitCheckMs: options.waitCheckMs,
  });
  const finished: DownloadState[] = [];
  const updates: DownloadState[][] = [];
  supervisor.onFinished((d) => finished.push(d));
  supervisor.onChange((list) => updates.push(list));
  const row = (id: string) => supervisor.list().find((d) => d.id === id)!;
  const setServer = (state: ServerState) => {
    server.status = serverStatus(state);
    supervisor.serverChanged(server.status);
  };
  return {
    supervisor,
    manager,
    runs,
    daemon,
    lmsCalls,
    client,
    settings,
    disk,
    journal,
    finished,
    updates,
    row,
    setServer,
  };
}

/** Lets promise callbacks (outcomes, daemon status answers, the journal) run under fake timers. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('download supervisor: retries', () => {
  it('retries at 10 s, 30 s, 1, 2, 5 min, then every 5 min, and fails with the reason after an hour', async () => {
    const { supervisor, runs, row, finished } = setup();
    const d = await supervisor.start('qwen/qwen3-4b');
    const delays: number[] = [];
    for (let i = 0; i < 30; i++) {
      runs.at(-1)!.fail('read ECONNRESET');
      await settle();
      const current = row(d.id);
      if (current.status !== 'retrying') break;
      expect(current).toMatchObject({ failureKind: 'network', attempt: i + 2, message: 'read ECONNRESET' });
      delays.push(current.nextRetryAt! - Date.now());
      await vi.advanceTimersByTimeAsync(current.nextRetryAt! - Date.now());
      expect(runs).toHaveLength(i + 2);
      expect(row(d.id)).toMatchObject({ status: 'resolving', nextRetryAt: null, attempt: i + 2 });
    }
    const s = 1000;
    expect(delays).toEqual([10 * s, 30 * s, MIN, 2 * MIN, 5 * MIN, ...Array(11).fill(5 * MIN)]);
    expect(delays.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(60 * MIN);
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      failureKind: 'network',
      nextRetryAt: null,
      message: 'Gave up after 17 attempts over an hour: read ECONNRESET',
    });
    expect(finished.map((f) => f.status)).toEqual(['failed']);
    await vi.advanceTimersByTimeAsync(30 * MIN);
    expect(runs).toHaveLength(17);
  });

  it('starts the run over when an attempt got further than any before it', async () => {
    const { supervisor, runs, row } = setup();
    const d = await supervisor.start('qwen/qwen3-4b');
    runs[0]!.progress(100);
    runs[0]!.fail('read ECONNRESET');
    await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    runs[1]!.fail('read ECONNRESET'); // no further than 100 bytes
    await settle();
    expect(row(d.id).nextRetryAt! - Date.now()).toBe(30_000);
    await vi.advanceTimersByTimeAsync(30_000);
    runs[2]!.progress(500);
    runs[2]!.fail('read ECONNRESET');
    await settle();
    expect(row(d.id).nextRetryAt! - Date.now()).toBe(10_000);
  });

  it('retries a failure it does not recognise at most 5 times', async () => {
    const { supervisor, runs, row, finished } = setup();
    const d = await supervisor.start('qwen/qwen3-4b');
    for (let i = 0; i < 10 && row(d.id).status !== 'failed'; i++) {
      runs.at(-1)!.fail('Something odd happened.');
      await settle();
      if (row(d.id).status === 'retrying') await vi.advanceTimersByTimeAsync(row(d.id).nextRetryAt! - Date.now());
    }
    expect(runs).toHaveLength(6);
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      failureKind: 'unknown',
      message: 'Gave up after 6 attempts: Something odd happened.',
    });
    expect(finished).toHaveLength(1);
  });

  it('never retries a permanent failure, and says why', async () => {
    const { supervisor, runs, row, finished, journal } = setup();
    const d = await supervisor.start('qwen/qwen3-4b@q9');
    runs[0]!.emit({ type: 'error', message: 'Cannot find variant q9.' });
    runs[0]!.fail('Cannot find variant q9.');
    await settle();
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      failureKind: 'no-variant',
      message: 'Cannot find variant q9.',
    });
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(runs).toHaveLength(1);
    expect(finished).toHaveLength(1);
    expect(journal.entries.size).toBe(0);
  });

  it('with retryDownloads off, a failed attempt is final', async () => {
    const { supervisor, runs, row, finished } = setup({ retryDownloads: false });
    const d = await supervisor.start('qwen/qwen3-4b');
    runs[0]!.fail('read ECONNRESET');
    await settle();
    expect(row(d.id)).toMatchObject({ status: 'failed', message: 'read ECONNRESET', failureKind: 'network' });
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(runs).toHaveLength(1);
    expect(finished).toHaveLength(1);
  });

  it('turned off while a retry waits: the retry does not run and the download fails with its reason', async () => {
    const { supervisor, runs, row, settings } = setup();
    const d = await supervisor.start('qwen/qwen3-4b');
    runs[0]!.fail('read ECONNRESET');
    await settle();
    settings.retryDownloads = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(1);
    expect(row(d.id)).toMatchObject({ status: 'failed', message: 'read ECONNRESET' });
  });

  it('only the final outcome reaches onFinished, once; cancel while retrying is final too', async () => {
    const { supervisor, runs, row, finished, journal } = setup();
    const a = await supervisor.start('m/a');
    runs[0]!.fail('read ECONNRESET');
    await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    runs[1]!.end({ kind: 'completed' });
    await settle();
    expect(row(a.id)).toMatchObject({ status: 'completed', attempt: 2, failureKind: null });
    expect(finished.map((f) => [f.id, f.status])).toEqual([[a.id, 'completed']]);

    const b = await supervisor.start('m/b');
    runs[2]!.fail('read ECONNRESET');
    await settle();
    expect(() => supervisor.dismiss(b.id)).toThrow('Cancel the download of m/b before removing it.');
    expect(await supervisor.cancel(b.id)).toMatchObject({ status: 'cancelled', nextRetryAt: null });
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(runs).toHaveLength(3);
    expect(finished.map((f) => f.status)).toEqual(['completed', 'cancelled']);
    await settle();
    expect(journal.entries.size).toBe(0);
    supervisor.dismiss(b.id);
    expect(supervisor.list().map((d) => d.id)).toEqual([a.id]);
  });

  it('Retry now on a failed download starts a new run at once', async () => {
    const { supervisor, runs, row } = setup({ retryDownloads: false });
    const d = await supervisor.start('qwen/qwen3-4b');
    runs[0]!.fail('read ECONNRESET');
    await settle();
    expect(await supervisor.retry(d.id)).toMatchObject({ status: 'resolving', attempt: 2, id: d.id });
    expect(runs).toHaveLength(2);
    runs[1]!.end({ kind: 'completed' });
    await settle();
    expect(row(d.id).status).toBe('completed');
    await expect(supervisor.retry(d.id)).rejects.toThrow('already downloaded');
  });
});

describe('download supervisor: the list', () => {
  it('is the manager rows with its fields on top, coalesced to at most 10 updates a second', async () => {
    const { supervisor, runs, updates } = setup();
    const d = await supervisor.start('qwen/qwen3-4b', { loadWhenDone: true });
    await vi.advanceTimersByTimeAsync(1000);
    updates.length = 0;
    for (let i = 1; i <= 100; i++) {
      runs[0]!.progress(i * 10);
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(300);
    // 5 seconds of 50 ms redraws: about 10 a second, never the 100 frames.
    expect(updates.length).toBeLessThanOrEqual(52);
    expect(updates.length).toBeGreaterThan(30);
    expect(updates.at(-1)).toEqual([
      expect.objectContaining({
        id: d.id,
        status: 'downloading',
        downloadedBytes: 1000,
        attempt: 1,
        loadWhenDone: true,
        failureKind: null,
        nextRetryAt: null,
      }),
    ]);
  });
});

describe('download supervisor: waiting for LM Studio without waking it', () => {
  it('waits while lms daemon status says not running, without counting toward the hour, then goes on', async () => {
    const { supervisor, runs, daemon, lmsCalls, row, finished } = setup();
    const d = await supervisor.start('qwen/qwen3-4b');
    runs[0]!.progress(300);
    daemon.running = false;
    runs[0]!.fail('LM Studio quit while the download was running.');
    await settle();
    expect(row(d.id)).toMatchObject({ status: 'retrying', failureKind: 'interrupted' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(row(d.id)).toMatchObject({
      status: 'waiting',
      attempt: 2,
      message: expect.stringContaining('Waiting for LM Studio'),
      downloadedBytes: 300,
    });
    await vi.advanceTimersByTimeAsync(3 * 60 * MIN);
    expect(row(d.id).status).toBe('waiting');
    // Three hours of asking, never a command that wakes LM Studio.
    expect(runs).toHaveLength(1);
    expect(new Set(lmsCalls.slice(1))).toEqual(new Set(['daemonStatus']));

    daemon.running = true;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs).toHaveLength(2);
    expect(row(d.id)).toMatchObject({ status: 'resolving', attempt: 2 });
    // Three hours waited, yet the hour is far from spent: the next failure is retried.
    runs[1]!.fail('read ECONNRESET');
    await settle();
    expect(row(d.id).status).toBe('retrying');
    await vi.advanceTimersByTimeAsync(row(d.id).nextRetryAt! - Date.now());
    runs[2]!.end({ kind: 'completed' });
    await settle();
    expect(finished.map((f) => f.status)).toEqual(['completed']);
  });

  it('gives up after 24 hours of waiting', async () => {
    const { supervisor, runs, daemon, row, finished } = setup({ waitCheckMs: 10 * MIN });
    const d = await supervisor.start('qwen/qwen3-4b');
    daemon.running = false;
    runs[0]!.fail('LM Studio quit while the download was running.');
    await settle();
    await vi.advanceTimersByTimeAsync(23 * 60 * MIN);
    expect(row(d.id).status).toBe('waiting');
    await vi.advanceTimersByTimeAsync(61 * MIN);
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      message: 'Gave up after waiting 24 hours for LM Studio to run. LM Studio quit while the download was running.',
    });
    expect(finished).toHaveLength(1);
    expect(runs).toHaveLength(1);
  });

  it('checks waiting downloads again when the computer wakes and when the server changes', async () => {
    const { supervisor, runs, daemon, row, setServer } = setup({ waitCheckMs: 60 * MIN });
    const a = await supervisor.start('m/a');
    daemon.running = false;
    runs[0]!.fail('LM Studio quit while the download was running.');
    await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(row(a.id).status).toBe('waiting');
    daemon.running = true;
    supervisor.resume();
    await settle();
    expect(runs).toHaveLength(2);

    daemon.running = false;
    runs[1]!.fail('LM Studio quit while the download was running.');
    await settle();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(row(a.id).status).toBe('waiting');
    daemon.running = true;
    setServer('server-stopped'); // LM Studio is up again (its server need not be)
    await settle();
    expect(runs).toHaveLength(3);
  });

  it('a REST download waits while the server is not online, and goes on when it is', async () => {
    const jobs: RestDownloadJob[] = [];
    const job = (over: Partial<RestDownloadJob>): RestDownloadJob => ({
      jobId: 'job_1',
      status: 'downloading',
      totalBytes: 1000,
      downloadedBytes: 0,
      bytesPerSecond: null,
      etaSeconds: null,
      ...over,
    });
    const { supervisor, row, client, setServer, finished } = setup({
      lms: false,
      rest: {
        startDownload: vi.fn(async () => job({})),
        downloadStatus: vi.fn(async () => jobs.shift() ?? job({ status: 'failed' })),
      },
    });
    const d = await supervisor.start('qwen/qwen3-4b');
    await settle();
    setServer('offline');
    await vi.advanceTimersByTimeAsync(1000); // the poll reports the job failed
    expect(row(d.id)).toMatchObject({ status: 'retrying', failureKind: 'lm-studio', via: 'rest' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(row(d.id)).toMatchObject({ status: 'waiting', message: expect.stringContaining('server to be online') });
    expect(client.startDownload).toHaveBeenCalledTimes(1);
    jobs.push(job({ status: 'completed', downloadedBytes: 1000 }));
    setServer('online');
    await settle();
    expect(client.startDownload).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(row(d.id).status).toBe('completed');
    expect(finished.map((f) => f.status)).toEqual(['completed']);
  });
});

describe('download supervisor: stalls', () => {
  it('never cancels a stall; Retry now lets go of it (Y) and follows a new lms get', async () => {
    const { supervisor, runs, row, finished } = setup();
    const d = await supervisor.start('qwen/qwen3-4b');
    runs[0]!.progress(100);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(row(d.id).status).toBe('stalled');
    await vi.advanceTimersByTimeAsync(2 * 60 * MIN);
    expect(row(d.id).status).toBe('stalled');
    expect(runs[0]!.cancelled).toBe(0);
    expect(runs[0]!.detached).toBe(0);

    expect(await supervisor.retry(d.id)).toMatchObject({ status: 'resolving', attempt: 2 });
    expect(runs[0]!.detached).toBe(1);
    expect(runs[0]!.cancelled).toBe(0);
    expect(runs).toHaveLength(2);
    runs[1]!.emit({ type: 'attached' });
    runs[1]!.progress(200);
    expect(row(d.id)).toMatchObject({ status: 'downloading', attached: true });
    runs[1]!.end({ kind: 'completed' });
    await settle();
    expect(finished.map((f) => f.status)).toEqual(['completed']);
  });
});

describe('download supervisor: disk', () => {
  it("refuses the user's start when a suggestion's size will not fit", async () => {
    const disk = new FakeDisk(3e9);
    const { supervisor, manager } = setup({ disk });
    const refused = supervisor.start('Qwen/Qwen3-4B');
    await expect(refused).rejects.toBeInstanceOf(CoreError);
    await expect(refused).rejects.toMatchObject({
      code: 'unavailable',
      message: 'Not enough disk space: it needs 2.5 GB, 3 GB is free in /models.',
    });
    expect(disk.asked).toEqual([2_500_000_000]);
    expect(manager.list()).toEqual([]);
    expect(supervisor.list()).toEqual([]);
  });

  it('cancels an lms download at once when the plan line says it will not fit', async () => {
    const { supervisor, runs, row, finished, journal } = setup({ disk: new FakeDisk(6e9) });
    const d = await supervisor.start('acme/big-model');
    runs[0]!.emit({ type: 'plan', totalBytes: 5.5e9, modelKey: null });
    await vi.advanceTimersByTimeAsync(100);
    expect(runs[0]!.cancelled).toBe(1);
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      failureKind: 'not-enough-disk',
      message: 'Not enough disk space: it needs 5.5 GB, 6 GB is free in /models.',
    });
    expect(finished).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(runs).toHaveLength(1);
    expect(journal.entries.size).toBe(0);
  });

  it('under the floor, cancels lms downloads', async () => {
    const disk = new FakeDisk(100e9);
    const { supervisor, runs, row } = setup({ disk });
    const d = await supervisor.start('acme/big-model');
    runs[0]!.emit({ type: 'plan', totalBytes: 50e9, modelKey: null });
    runs[0]!.progress(10e9, 50e9);
    await vi.advanceTimersByTimeAsync(100);
    expect(disk.watching).toBe(1);
    disk.drop(1.5e9);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs[0]!.cancelled).toBe(1);
    expect(row(d.id)).toMatchObject({ status: 'failed', failureKind: 'not-enough-disk' });
    expect(disk.asked.at(-1)).toBe(40e9);
    expect(disk.watching).toBe(0);
  });

  it('under the floor, warns on a REST download (it cannot be stopped from here) and keeps following it', async () => {
    const disk = new FakeDisk(100e9);
    const job: RestDownloadJob = {
      jobId: 'job_1',
      status: 'downloading',
      totalBytes: 50e9,
      downloadedBytes: 10e9,
      bytesPerSecond: 1e6,
      etaSeconds: 60,
    };
    const { supervisor, row, client } = setup({
      lms: false,
      disk,
      rest: { startDownload: vi.fn(async () => job), downloadStatus: vi.fn(async () => job) },
    });
    const d = await supervisor.start('acme/big-model');
    await vi.advanceTimersByTimeAsync(100);
    disk.drop(1.5e9);
    await vi.advanceTimersByTimeAsync(100);
    expect(row(d.id)).toMatchObject({
      status: 'downloading',
      warning:
        'Not enough disk space: it needs 40 GB, 1.5 GB is free in /models. LM Studio Tray cannot stop this download: pause it in LM Studio.',
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(vi.mocked(client.downloadStatus).mock.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('checks the bytes still missing before an automatic retry, and gives up when they will not fit', async () => {
    const disk = new FakeDisk(100e9);
    const { supervisor, runs, row } = setup({ disk });
    const d = await supervisor.start('acme/big-model');
    runs[0]!.emit({ type: 'plan', totalBytes: 50e9, modelKey: null });
    runs[0]!.progress(20e9, 50e9);
    runs[0]!.fail('read ECONNRESET');
    await settle();
    disk.free = 20e9;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(disk.asked.at(-1)).toBe(30e9);
    expect(runs).toHaveLength(1);
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      failureKind: 'not-enough-disk',
      message: 'Not enough disk space: it needs 30 GB, 20 GB is free in /models.',
    });
  });
});

describe('download supervisor: the journal and the pick-up at start', () => {
  const entry = (over: Partial<JournalEntry>): JournalEntry => ({
    id: 'dl-7-abcdef',
    model: 'qwen/qwen3-4b',
    loadWhenDone: true,
    attempt: 2,
    firstFailureAt: 500_000,
    retryingMs: 40_000,
    failureKind: 'interrupted',
    startedAt: 400_000,
    ...over,
  });

  it('records a download while unfinished and forgets it once final', async () => {
    const { supervisor, runs, journal } = setup();
    const d = await supervisor.start('qwen/qwen3-4b', { loadWhenDone: true });
    await settle();
    expect(journal.entries.get(d.id)).toMatchObject({ model: 'qwen/qwen3-4b', loadWhenDone: true, attempt: 1 });
    runs[0]!.fail('read ECONNRESET');
    await settle();
    expect(journal.entries.get(d.id)).toMatchObject({ attempt: 2, failureKind: 'network', firstFailureAt: Date.now() });
    await vi.advanceTimersByTimeAsync(10_000);
    runs[1]!.end({ kind: 'completed' });
    await settle();
    expect(journal.entries.size).toBe(0);
  });

  it('picks up an unfinished download at start, waiting without waking LM Studio, then re-runs lms get', async () => {
    const journal = new MemoryJournal([entry({})]);
    const { supervisor, runs, daemon, lmsCalls, row, finished } = setup({ journal, daemonRunning: false });
    await supervisor.restore();
    expect(row('dl-7-abcdef')).toMatchObject({
      status: 'waiting',
      model: 'qwen/qwen3-4b',
      loadWhenDone: true,
      attempt: 3,
      failureKind: 'interrupted',
    });
    expect(lmsCalls).toEqual(['daemonStatus']);
    daemon.running = true;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs.map((r) => r.model)).toEqual(['qwen/qwen3-4b']);
    runs[0]!.emit({ type: 'attached' });
    runs[0]!.end({ kind: 'completed' });
    await settle();
    expect(row('dl-7-abcdef')).toMatchObject({ status: 'completed', attached: true, loadWhenDone: true });
    expect(finished).toHaveLength(1);
    expect(journal.entries.size).toBe(0);
  });

  it('keeps counting the hour of a run picked up', async () => {
    const journal = new MemoryJournal([entry({ retryingMs: 60 * MIN - 1000 })]);
    const { supervisor, runs, row } = setup({ journal });
    await supervisor.restore();
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    runs[0]!.fail('read ECONNRESET');
    await settle();
    expect(row('dl-7-abcdef')).toMatchObject({ status: 'failed', message: expect.stringContaining('over an hour') });
  });

  it('with retryDownloads off, picks nothing up and forgets what was recorded', async () => {
    const journal = new MemoryJournal([entry({})]);
    const { supervisor, runs, lmsCalls } = setup({ journal, retryDownloads: false });
    await supervisor.restore();
    await settle();
    expect(supervisor.list()).toEqual([]);
    expect(runs).toHaveLength(0);
    expect(lmsCalls).toEqual([]);
    expect(journal.entries.size).toBe(0);
  });

  it('quitting leaves unfinished downloads recorded; quitting with cancel forgets them', async () => {
    const kept = setup();
    const a = await kept.supervisor.start('m/a');
    await kept.supervisor.shutdown('leave-running');
    expect(kept.runs[0]!.detached).toBe(1);
    expect(kept.journal.entries.has(a.id)).toBe(true);
    expect(kept.finished).toEqual([]);

    const cancelled = setup();
    const b = await cancelled.supervisor.start('m/b');
    await cancelled.supervisor.shutdown('cancel');
    expect(cancelled.runs[0]!.cancelled).toBe(1);
    expect(cancelled.journal.entries.has(b.id)).toBe(false);
  });
});
