import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTINUES_IN_LM_STUDIO, createDownloadManager } from '../../../../electron/core/downloads/manager';
import { CoreError } from '../../../../electron/core/errors';
import type {
  LmStudioClient,
  LmsCli,
  LmsGetEvent,
  LmsGetOutcome,
  LmsGetProcess,
  RestDownloadJob,
} from '../../../../electron/core/interfaces';
import { systemClock } from '../../../../electron/core/node-ports';
import type { Logger } from '../../../../electron/core/ports';
import type { DownloadState } from '../../../../electron/shared/contract';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** One fake `lms get`: the test emits events and ends it; cancel/detach end it as lms would. */
class FakeRun {
  cancelled = 0;
  detached = 0;
  private settle!: (outcome: LmsGetOutcome) => void;
  readonly process: LmsGetProcess;
  constructor(
    readonly model: string,
    private readonly onEvent: (event: LmsGetEvent) => void,
    platform: NodeJS.Platform,
  ) {
    const done = new Promise<LmsGetOutcome>((resolve) => {
      this.settle = resolve;
    });
    this.process = {
      pid: 4242,
      done,
      cancel: async () => {
        this.cancelled += 1;
        this.end(platform === 'win32' ? { kind: 'continuing' } : { kind: 'cancelled' });
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
  end(outcome: LmsGetOutcome) {
    this.settle(outcome);
  }
}

function setup(
  options: {
    platform?: NodeJS.Platform;
    isLocal?: boolean;
    lms?: boolean;
    maxConcurrent?: number;
    rest?: Partial<Pick<LmStudioClient, 'startDownload' | 'downloadStatus'>>;
    getThrows?: Error;
  } = {},
) {
  const platform = options.platform ?? 'linux';
  const runs: FakeRun[] = [];
  const lms = {
    path: '/fake/lms',
    get(model: string, onEvent: (event: LmsGetEvent) => void) {
      if (options.getThrows) throw options.getThrows;
      const run = new FakeRun(model, onEvent, platform);
      runs.push(run);
      return run.process;
    },
  } as unknown as LmsCli;
  const client = {
    isLocal: options.isLocal ?? true,
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
    lms: () => (options.lms === false ? null : lms),
    clock: systemClock,
    logger: silent,
    platform,
    maxConcurrent: options.maxConcurrent ?? 3,
    stallAfterMs: 10_000,
    slowPhaseStallAfterMs: 60_000,
    giveUpAfterMs: 120_000,
    restPollMs: 1000,
  });
  const updates: DownloadState[][] = [];
  const finished: DownloadState[] = [];
  manager.onChange((list) => updates.push(list));
  manager.onFinished((d) => finished.push(d));
  const row = (id: string) => manager.list().find((d) => d.id === id)!;
  return { manager, runs, client, updates, finished, row };
}

/** Lets promise callbacks (the outcome of `done`) run under fake timers. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('download manager: lms path', () => {
  it('maps lms get events onto the row and finishes once', async () => {
    const { manager, runs, finished, row, updates } = setup();
    const started = manager.start('  qwen/qwen3-4b ');
    expect(started).toMatchObject({ model: 'qwen/qwen3-4b', status: 'resolving', via: 'lms', percent: null });
    expect(started.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    const run = runs[0]!;
    expect(run.model).toBe('qwen/qwen3-4b');

    run.emit({ type: 'waking' });
    expect(row(started.id).status).toBe('waking');
    expect(row(started.id).modelKey).toBeNull();
    // The plan line names the key LM Studio resolved the download to (the text may be a URL).
    run.emit({ type: 'plan', totalBytes: 1000, modelKey: 'qwen/qwen3-4b' });
    expect(row(started.id)).toMatchObject({ status: 'downloading', totalBytes: 1000, modelKey: 'qwen/qwen3-4b' });
    run.progress(250);
    expect(row(started.id)).toMatchObject({ status: 'downloading', percent: 25, downloadedBytes: 250, etaSeconds: 5 });
    run.emit({ type: 'finalizing' });
    expect(row(started.id).status).toBe('finalizing');
    run.emit({ type: 'completed' });
    run.end({ kind: 'completed' });
    await settle();
    expect(row(started.id)).toMatchObject({
      status: 'completed',
      percent: 100,
      downloadedBytes: 1000,
      endedAt: 1_000_000,
    });
    expect(finished.map((d) => d.status)).toEqual(['completed']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(updates.at(-1)?.[0]?.status).toBe('completed');
    expect(finished).toHaveLength(1);
  });

  it('shows a download lms attached to as such', async () => {
    const { manager, runs, row } = setup();
    const d = manager.start('qwen/qwen3-4b');
    runs[0]!.emit({ type: 'attached' });
    expect(row(d.id)).toMatchObject({ attached: true, status: 'downloading' });
  });

  it('reports already-downloaded and failure in lms words', async () => {
    const { manager, runs, row, finished } = setup();
    const a = manager.start('a/one');
    const b = manager.start('b/two');
    runs[0]!.end({ kind: 'already-downloaded', message: 'Model already downloaded. To use, run: lms load a/one' });
    runs[1]!.emit({ type: 'error', message: 'Cannot find variant q9.' });
    runs[1]!.end({ kind: 'failed', message: '', exitCode: 1 });
    await settle();
    expect(row(a.id)).toMatchObject({
      status: 'already-downloaded',
      message: expect.stringContaining('already'),
      failureKind: null,
    });
    expect(row(b.id)).toMatchObject({
      status: 'failed',
      message: 'Cannot find variant q9.',
      failureKind: 'no-variant',
    });
    expect(finished).toHaveLength(2);
  });

  it('gives every failure its kind, from the words and the exit code', async () => {
    const { manager, runs, row } = setup();
    const quit = manager.start('m/quit');
    const silent = manager.start('m/silent');
    const odd = manager.start('m/odd');
    runs[0]!.end({ kind: 'failed', message: 'LM Studio quit while the download was running.', exitCode: 1 });
    runs[1]!.end({ kind: 'failed', message: '', exitCode: 137 });
    runs[2]!.end({ kind: 'failed', message: 'Something odd.', exitCode: 1 });
    await settle();
    expect(row(quit.id).failureKind).toBe('interrupted');
    expect(row(silent.id)).toMatchObject({
      failureKind: 'interrupted',
      message: expect.stringContaining('exit code 137 without saying why'),
    });
    expect(row(odd.id).failureKind).toBe('unknown');
    // A new attempt has not failed (yet).
    manager.retry(odd.id);
    expect(row(odd.id).failureKind).toBeNull();
  });

  it('fails with the validation message when lms refuses the target', () => {
    const { manager } = setup({ getThrows: new CoreError('invalid-input', 'That model name is not allowed.') });
    expect(manager.start('-x')).toMatchObject({ status: 'failed', message: 'That model name is not allowed.' });
  });

  it('gives a second click on a running model the same row', () => {
    const { manager, runs } = setup();
    const first = manager.start('qwen/qwen3-4b');
    expect(manager.start('qwen/qwen3-4b').id).toBe(first.id);
    expect(runs).toHaveLength(1);
  });

  it('coalesces a 50 ms redraw stream to at most 10 updates a second', async () => {
    const { manager, runs, updates } = setup();
    manager.start('qwen/qwen3-4b');
    const run = runs[0]!;
    updates.length = 0;
    for (let i = 1; i <= 100; i++) {
      run.progress(i * 10);
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(200);
    // 5 seconds of redraws: 10/s plus the leading emit, never the 100 raw frames.
    expect(updates.length).toBeLessThanOrEqual(51);
    expect(updates.length).toBeGreaterThan(40);
    expect(updates.at(-1)?.[0]?.downloadedBytes).toBe(1000);
  });

  it('sends the first change after a quiet spell at once (leading edge), then keeps to the rate', async () => {
    const { manager, runs, updates } = setup();
    manager.start('qwen/qwen3-4b');
    const run = runs[0]!;
    run.progress(100);
    await vi.advanceTimersByTimeAsync(1000);
    updates.length = 0;

    // After a second without frames, a frame with a new percentage is emitted in the same tick.
    run.progress(420);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.[0]).toMatchObject({ percent: 42, downloadedBytes: 420 });

    // A frame right behind it waits for the rest of the 100 ms slot, then goes out as the trailing emit.
    run.progress(430);
    expect(updates).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(updates).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(updates).toHaveLength(2);
    expect(updates[1]?.[0]).toMatchObject({ percent: 43 });

    // Quiet again for 200 ms: the next change is immediate once more.
    await vi.advanceTimersByTimeAsync(200);
    run.progress(440);
    expect(updates).toHaveLength(3);
    expect(updates[2]?.[0]).toMatchObject({ percent: 44 });
  });

  it('sends nothing for identical redraws, so they never delay the next real change', async () => {
    const { manager, runs, updates } = setup();
    manager.start('qwen/qwen3-4b');
    const run = runs[0]!;
    run.progress(100);
    await vi.advanceTimersByTimeAsync(200);
    updates.length = 0;
    for (let i = 0; i < 20; i++) {
      run.progress(100); // the bar redraws the same frame every 50 ms
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(updates).toEqual([]);
    run.progress(150);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.[0]).toMatchObject({ downloadedBytes: 150 });
  });
});

describe('download manager: stalls', () => {
  it('counts only growing bytes as progress, not identical redraws', async () => {
    const { manager, runs, row } = setup();
    const d = manager.start('qwen/qwen3-4b');
    const run = runs[0]!;
    run.progress(100);
    for (let t = 0; t < 11_000; t += 50) {
      run.progress(100); // the bar redraws the same frame
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(row(d.id)).toMatchObject({ status: 'stalled', message: expect.stringContaining('No progress for') });
    run.progress(100);
    expect(row(d.id)).toMatchObject({ status: 'stalled', bytesPerSecond: null, etaSeconds: null });
    run.progress(101);
    expect(row(d.id)).toMatchObject({ status: 'downloading', message: null, bytesPerSecond: 100 });
  });

  it('counts a growing percentage as progress while the printed size has not moved yet (slow links)', async () => {
    const { manager, runs, row } = setup();
    const d = manager.start('qwen/qwen3-4b');
    const frame = (percent: number) =>
      runs[0]!.emit({
        type: 'progress',
        percent,
        downloadedBytes: 1_230_000_000,
        totalBytes: 20_000_000_000,
        bytesPerSecond: 150_000,
        etaSeconds: 120_000,
      });
    for (let step = 0; step < 12; step++) {
      frame(6.15 + step * 0.01);
      await vi.advanceTimersByTimeAsync(5_000);
    }
    expect(row(d.id).status).toBe('downloading');
  });

  it('gives waking, resolving and finalizing the longer limit', async () => {
    const { manager, runs, row } = setup();
    const d = manager.start('qwen/qwen3-4b');
    runs[0]!.emit({ type: 'waking' });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(row(d.id).status).toBe('waking');
    await vi.advanceTimersByTimeAsync(31_000);
    expect(row(d.id)).toMatchObject({ status: 'stalled', message: expect.stringContaining('has not woken up') });
    runs[0]!.emit({ type: 'plan', totalBytes: 10, modelKey: null });
    expect(row(d.id).status).toBe('downloading');
  });

  it('after a long stall stops following it, leaving the download to LM Studio (never cancelling it)', async () => {
    const { manager, runs, row, finished } = setup();
    const d = manager.start('qwen/qwen3-4b');
    runs[0]!.progress(5);
    await vi.advanceTimersByTimeAsync(121_000);
    expect(runs[0]!.cancelled).toBe(0);
    expect(runs[0]!.detached).toBe(1);
    expect(row(d.id)).toMatchObject({
      status: 'continuing',
      message:
        'No progress for 2 minutes: LM Studio Tray stopped following this download, which stays in LM Studio. Check the network, then look in LM Studio or download it again.',
    });
    expect(finished).toHaveLength(1);
  });

  it('does not count time asleep as a stall', async () => {
    const { manager, runs, row } = setup();
    const d = manager.start('qwen/qwen3-4b');
    runs[0]!.progress(5);
    // The machine sleeps: timers do not run, the wall clock jumps past the give-up limit.
    vi.setSystemTime(Date.now() + 30 * 60_000);
    manager.resume();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs[0]!.detached).toBe(0);
    expect(row(d.id).status).toBe('downloading');
  });
});

describe('download manager: concurrency, cancel, retry, dismiss', () => {
  it('queues beyond the limit and starts the next when one ends', async () => {
    const { manager, runs, row } = setup({ maxConcurrent: 2 });
    const [a, b, c] = ['m/a', 'm/b', 'm/c'].map((m) => manager.start(m));
    expect(runs.map((r) => r.model)).toEqual(['m/a', 'm/b']);
    expect(row(c!.id).status).toBe('queued');
    runs[0]!.end({ kind: 'completed' });
    await settle();
    expect(row(a!.id).status).toBe('completed');
    expect(runs.map((r) => r.model)).toEqual(['m/a', 'm/b', 'm/c']);
    expect(row(c!.id).status).toBe('resolving');
    expect(row(b!.id).status).toBe('resolving');
  });

  it('cancels for real through lms (SIGINT, then N)', async () => {
    const { manager, runs } = setup();
    const d = manager.start('qwen/qwen3-4b');
    const after = await manager.cancel(d.id);
    expect(runs[0]!.cancelled).toBe(1);
    expect(after).toMatchObject({ status: 'cancelled', message: 'Download cancelled.' });
  });

  it('on Windows, cancel leaves the download to LM Studio and says so', async () => {
    const { manager } = setup({ platform: 'win32' });
    const d = manager.start('qwen/qwen3-4b');
    expect(await manager.cancel(d.id)).toMatchObject({ status: 'continuing', message: CONTINUES_IN_LM_STUDIO });
  });

  it('cancels a queued download without starting it', async () => {
    const { manager, runs } = setup({ maxConcurrent: 1 });
    manager.start('m/a');
    const queued = manager.start('m/b');
    expect(await manager.cancel(queued.id)).toMatchObject({ status: 'cancelled' });
    expect(runs).toHaveLength(1);
  });

  it('refuses an unknown id with a clear message', async () => {
    const { manager } = setup();
    await expect(manager.cancel('dl-nope')).rejects.toThrow('That download is no longer in the list.');
    expect(() => manager.retry('dl-nope')).toThrow(CoreError);
  });

  it('retries as a new attempt on the same row and ignores the old attempt', async () => {
    const { manager, runs, row } = setup();
    const d = manager.start('qwen/qwen3-4b');
    const first = runs[0]!;
    first.end({ kind: 'failed', message: 'Network error', exitCode: 1 });
    await settle();
    expect(() => manager.retry(d.id)).not.toThrow();
    expect(manager.list()).toHaveLength(1);
    expect(row(d.id)).toMatchObject({ status: 'resolving', message: null, endedAt: null });
    first.progress(999); // a late frame from the first attempt
    expect(row(d.id).downloadedBytes).toBeNull();
    runs[1]!.end({ kind: 'completed' });
    await settle();
    expect(row(d.id).status).toBe('completed');
    expect(() => manager.retry(d.id)).toThrow('already downloaded');
  });

  it('refuses to retry a running download or dismiss one', () => {
    const { manager } = setup();
    const d = manager.start('qwen/qwen3-4b');
    expect(() => manager.retry(d.id)).toThrow('still running');
    expect(() => manager.dismiss(d.id)).toThrow('Cancel the download of qwen/qwen3-4b before removing it.');
  });

  it('restarts a stalled download without cancelling it: lets go (Y), then follows a new lms get', async () => {
    const { manager, runs, row, finished } = setup();
    const d = manager.start('qwen/qwen3-4b');
    runs[0]!.progress(5);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(row(d.id).status).toBe('stalled');
    const restarted = await manager.restart(d.id);
    expect(runs[0]!.detached).toBe(1);
    expect(runs[0]!.cancelled).toBe(0);
    expect(restarted).toMatchObject({ id: d.id, status: 'resolving', attempt: 2, downloadedBytes: null });
    expect(runs).toHaveLength(2);
    runs[0]!.progress(900); // a late frame from the attempt let go of
    expect(row(d.id).downloadedBytes).toBeNull();
    await settle();
    expect(finished).toEqual([]); // letting go is not an outcome
    runs[1]!.emit({ type: 'attached' });
    runs[1]!.end({ kind: 'completed' });
    await settle();
    expect(row(d.id).status).toBe('completed');
    expect(finished.map((f) => f.status)).toEqual(['completed']);
  });

  it('restart retries a finished row and leaves a queued one as it is', async () => {
    const { manager, runs, row } = setup({ maxConcurrent: 1 });
    const a = manager.start('m/a');
    const b = manager.start('m/b');
    expect(await manager.restart(b.id)).toMatchObject({ status: 'queued' });
    runs[0]!.end({ kind: 'failed', message: 'read ECONNRESET', exitCode: 1 });
    await settle();
    expect(row(a.id).failureKind).toBe('network');
    await manager.cancel(b.id);
    expect(await manager.restart(a.id)).toMatchObject({ status: 'resolving', attempt: 2 });
  });

  it('dismisses finished rows only', async () => {
    const { manager, runs } = setup();
    const d = manager.start('qwen/qwen3-4b');
    runs[0]!.end({ kind: 'completed' });
    await settle();
    manager.dismiss(d.id);
    expect(manager.list()).toEqual([]);
    expect(() => manager.dismiss(d.id)).not.toThrow();
  });
});

describe('download manager: REST path', () => {
  const job = (over: Partial<RestDownloadJob>): RestDownloadJob => ({
    jobId: 'job_1',
    status: 'downloading',
    totalBytes: 1000,
    downloadedBytes: 0,
    bytesPerSecond: null,
    etaSeconds: null,
    ...over,
  });

  it('is used for a remote server even when lms exists, and polls to completion', async () => {
    const statuses = [
      job({ downloadedBytes: 400, bytesPerSecond: 100, etaSeconds: 6 }),
      job({ status: 'paused', downloadedBytes: 400 }),
      job({ downloadedBytes: 900 }),
      job({ status: 'completed', downloadedBytes: 1000 }),
    ];
    const { manager, runs, row, client, finished } = setup({
      isLocal: false,
      rest: {
        startDownload: vi.fn(async () => job({})),
        downloadStatus: vi.fn(async () => statuses.shift()!),
      },
    });
    const d = manager.start('openai/gpt-oss-20b');
    expect(d.via).toBe('rest');
    await settle();
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(row(d.id)).toMatchObject({ status: 'downloading', percent: 40, etaSeconds: 6 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(row(d.id)).toMatchObject({ status: 'stalled', message: 'Paused in LM Studio. Resume it there.' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(row(d.id)).toMatchObject({ status: 'downloading', message: null, percent: 90 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(row(d.id).status).toBe('completed');
    expect(client.downloadStatus).toHaveBeenCalledWith('job_1');
    expect(finished).toHaveLength(1);
  });

  it('is used when lms is not available', async () => {
    const { manager, row } = setup({
      lms: false,
      rest: { startDownload: vi.fn(async () => job({ jobId: null, status: 'already_downloaded' })) },
    });
    const d = manager.start('qwen/qwen3-4b');
    await settle();
    expect(row(d.id)).toMatchObject({ via: 'rest', status: 'already-downloaded' });
  });

  it('cancel stops tracking and says the download continues in LM Studio', async () => {
    const { manager, client } = setup({
      isLocal: false,
      rest: {
        startDownload: vi.fn(async () => job({})),
        downloadStatus: vi.fn(async () => job({ downloadedBytes: 1 })),
      },
    });
    const d = manager.start('qwen/qwen3-4b');
    await settle();
    expect(await manager.cancel(d.id)).toMatchObject({ status: 'continuing', message: CONTINUES_IN_LM_STUDIO });
    await vi.advanceTimersByTimeAsync(5000);
    expect(client.downloadStatus).not.toHaveBeenCalled();
  });

  it('a job LM Studio no longer knows fails at once (no answer would bring it back); other failed polls are waited out', async () => {
    const answers: Array<() => RestDownloadJob> = [
      () => {
        throw new CoreError('server-error', 'LM Studio sent an unexpected answer.');
      },
      () => {
        throw new CoreError('not-found', 'LM Studio has no download job job_1.');
      },
    ];
    const { manager, row, client } = setup({
      isLocal: false,
      rest: { startDownload: vi.fn(async () => job({})), downloadStatus: vi.fn(async () => answers.shift()!()) },
    });
    const d = manager.start('qwen/qwen3-4b');
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(row(d.id).status).toBe('downloading');
    await vi.advanceTimersByTimeAsync(1000);
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      message:
        'LM Studio no longer knows the download of qwen/qwen3-4b (it may have restarted). Retry to start it again.',
      failureKind: 'interrupted',
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(client.downloadStatus).toHaveBeenCalledTimes(2);
  });

  it('reports a refused start as a failure', async () => {
    const { manager, row } = setup({
      isLocal: false,
      rest: {
        startDownload: vi.fn(async () => {
          throw new CoreError('server-error', 'LM Studio could not find openai/nope.');
        }),
      },
    });
    const d = manager.start('openai/nope');
    await settle();
    expect(row(d.id)).toMatchObject({
      status: 'failed',
      message: 'LM Studio could not find openai/nope.',
      failureKind: 'unknown',
    });
  });

  it('calls a job LM Studio reports failed an LM Studio failure', async () => {
    const { manager, row } = setup({
      isLocal: false,
      rest: { startDownload: vi.fn(async () => job({ status: 'failed' })) },
    });
    const d = manager.start('qwen/qwen3-4b');
    await settle();
    expect(row(d.id)).toMatchObject({ status: 'failed', failureKind: 'lm-studio' });
  });
});

describe('download manager: shutdown', () => {
  it('leaves running downloads going in LM Studio (detach) and ends every child', async () => {
    const { manager, runs, row } = setup({ maxConcurrent: 1 });
    const a = manager.start('m/a');
    const b = manager.start('m/b');
    await manager.shutdown('leave-running');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.detached).toBe(1);
    expect(row(a.id)).toMatchObject({ status: 'continuing', message: CONTINUES_IN_LM_STUDIO });
    expect(row(b.id).status).toBe('cancelled');
    expect(() => manager.start('m/c')).toThrow('quitting');
  });

  it('cancels running downloads when asked', async () => {
    const { manager, runs, row } = setup();
    const a = manager.start('m/a');
    await manager.shutdown('cancel');
    expect(runs[0]!.cancelled).toBe(1);
    expect(row(a.id).status).toBe('cancelled');
  });
});
