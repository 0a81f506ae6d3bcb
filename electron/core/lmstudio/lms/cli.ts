/**
 * The `lms` runner: each method spawns `lms` with an argument array (never a shell), validates
 * every model key, identifier and download target before it reaches argv, bounds every run in
 * time, and turns lms's output into values (parsers.ts) and its failures into `CoreError`s whose
 * message is lms's own `Error: ` line.
 */
import type { ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { LoadOptions } from '../../../shared/contract';
import { CoreError } from '../../errors';
import type {
  LmsCli,
  LmsEstimate,
  LmsGetEvent,
  LmsGetOutcome,
  LmsGetProcess,
  LmsLogStream,
  LogStreamEvent,
  ProcessRegistry,
} from '../../interfaces';
import type { Clock, Logger, SpawnFn } from '../../ports';
import { guardrailRefusalMessage } from '../guardrails';
import { isEstimateUnsupported, parseEstimateOutput, parseRuntimeSurveyJson } from './estimate-parsers';
import { createLogStreamReader } from './log-stream-parser';
import {
  cleanLine,
  createGetOutputParser,
  createLoadOutputParser,
  messageText,
  parseDaemonStatusJson,
  parseDaemonStatusVersion,
  parseLsJson,
  parseLsPathsJson,
  parsePsJson,
  parseServerStatusJson,
  parseVersionJson,
} from './parsers';
import { assertSafeDownloadTarget, assertSafeIdentifier, assertSafeModelKey } from './validate';

export interface LmsCliOptions {
  /** The executable found by `discoverLms`. */
  path: string;
  spawn: SpawnFn;
  registry: ProcessRegistry;
  clock: Clock;
  logger: Logger;
  platform: NodeJS.Platform;
  /** Limit for commands that may wake LM Studio (ls, ps, server start/stop, unload). */
  timeoutMs?: number;
  /** The environment lms runs with (default: this process's); colours are always turned off. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** `server status`, `daemon status`, `version`: local files and one probe, never a wake-up. */
const QUICK_TIMEOUT_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** lms polls a waking LM Studio once a second, 60 times: allow that on top of the limit. */
const WAKE_ALLOWANCE_MS = 65_000;
/** `lms load` redraws its spinner every 80 ms; this long without a byte means it is stuck. */
const LOAD_SILENCE_LIMIT_MS = 120_000;
/** After SIGINT, how long `lms get` may take to show its Y/N prompt before we answer anyway. */
const PROMPT_WAIT_MS = 1_500;
/** After the answer, how long it may take to exit before it is killed. */
const ANSWER_EXIT_WAIT_MS = 5_000;
/** After `exit`, how long to wait for the pipes to drain (a detached grandchild may hold them). */
const DRAIN_WAIT_MS = 1_000;
/** After SIGINT, how long `lms log stream` may take to unsubscribe and exit before it is killed. */
const STREAM_STOP_GRACE_MS = 2_000;
const MAX_STDOUT_CHARS = 32 * 1024 * 1024;
const STDERR_TAIL_CHARS = 64 * 1024;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  spawnError: Error | null;
  /** Why we killed it, if we did. */
  stoppedBy: 'deadline' | 'silence' | 'output-limit' | null;
  /** The time limit in force at the end (0 for none). */
  limitMs: number;
}

interface RunOptions {
  /** Kill after this long (extended once when lms says it is waking LM Studio). */
  timeoutMs?: number;
  /** Kill after this long without output. */
  silenceMs?: number;
  /** Keep stdin open (for `lms get`'s Y/N prompt); otherwise it is closed at once. */
  keepStdinOpen?: boolean;
  /** Keep all of stdout in the result (JSON commands). */
  collectStdout?: boolean;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

interface Running {
  child: ChildProcess | null;
  result: Promise<RunResult>;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function stderrLines(stderr: string): string[] {
  return stderr
    .split(/\r|\n/)
    .map(cleanLine)
    .filter((line) => line && !/^at\s/.test(line));
}

/** The message of lms's first `Error: ` line, or null when it printed none. */
export function lmsErrorLine(stderr: string): string | null {
  const error = stderrLines(stderr).find((line) => line.startsWith('Error: '));
  return error ? messageText(error.slice('Error: '.length)) || null : null;
}

/** The message of lms's first `Error: ` line, else its last line of stderr, else null. */
export function lmsErrorMessage(stderr: string): string | null {
  const last = stderrLines(stderr).at(-1);
  return lmsErrorLine(stderr) ?? (last ? messageText(last) : null);
}

function gpuArgument(gpu: NonNullable<LoadOptions['gpuOffload']>): string {
  if (gpu === 'off' || gpu === 'max') return gpu;
  if (typeof gpu === 'number' && Number.isFinite(gpu) && gpu >= 0 && gpu <= 1) return String(gpu);
  throw new CoreError('invalid-input', 'GPU offload must be "off", "max" or a number from 0 to 1.');
}

function integerArgument(name: string, value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CoreError('invalid-input', `${name} must be a whole number from ${min} to ${max}.`);
  }
  return String(value);
}

/** The `--context-length` and `--gpu` flags for the options given, validated. */
function memoryFlags(options: LoadOptions): string[] {
  const flags: string[] = [];
  if (options.contextLength !== undefined) {
    flags.push('--context-length', integerArgument('The context length', options.contextLength, 256, 16_777_216));
  }
  if (options.gpuOffload !== undefined) flags.push('--gpu', gpuArgument(options.gpuOffload));
  return flags;
}

/** `lms load` flags for the options given (the model key is appended after them). */
export function loadArguments(modelKey: string, options: LoadOptions): string[] {
  assertSafeModelKey(modelKey);
  const args = ['load', '--yes', ...memoryFlags(options)];
  if (options.ttlSeconds !== undefined)
    args.push('--ttl', integerArgument('The TTL', options.ttlSeconds, 1, 31_536_000));
  args.push(modelKey);
  return args;
}

/**
 * `lms load --estimate-only --yes [flags] KEY`, or `... --exact PATH` for exactly the model at
 * that path (`--exact` is a switch: the positional is then a path, not a fuzzy key). The TTL
 * does not change an estimate and is not passed.
 */
export function estimateArguments(modelKey: string, options: LoadOptions, exactPath?: string): string[] {
  assertSafeModelKey(modelKey);
  const args = ['load', '--estimate-only', '--yes', ...memoryFlags(options)];
  if (exactPath === undefined) return [...args, modelKey];
  assertSafeModelKey(exactPath); // a path from `lms ls` follows the same alphabet as keys
  return [...args, '--exact', exactPath];
}

/** Creates the runner for the `lms` at `options.path`. */
export function createLmsCli(options: LmsCliOptions): LmsCli {
  const { path, spawn, registry, clock, logger, platform } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const env = { ...(options.env ?? process.env), FORCE_COLOR: '0', NO_COLOR: '1' };

  function sleep(ms: number): { promise: Promise<'timeout'>; cancel: () => void } {
    let handle: unknown;
    const promise = new Promise<'timeout'>((resolve) => {
      handle = clock.setTimeout(() => resolve('timeout'), ms);
    });
    return { promise, cancel: () => clock.clearTimeout(handle) };
  }

  /** Spawns `lms ARGS`, feeds its decoded output to the callbacks and resolves when it has exited. */
  function execute(args: string[], run: RunOptions): Running {
    const command = `lms ${args.join(' ')}`;
    let child: ChildProcess;
    try {
      // Its own process group (POSIX): a terminal's Ctrl+C meant for LM Studio Tray must not reach
      // `lms get` too, which would answer its Y/N prompt by exiting before the app can say Y or N.
      // The registry still ends every child on quit.
      child = spawn(path, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env,
        windowsHide: true,
        detached: options.platform !== 'win32',
      });
    } catch (error) {
      const spawnError = error instanceof Error ? error : new Error(String(error));
      return {
        child: null,
        result: Promise.resolve({
          code: null,
          signal: null,
          stdout: '',
          stderr: '',
          spawnError,
          stoppedBy: null,
          limitMs: 0,
        }),
      };
    }
    registry.track(command, child);
    logger.debug(`started ${command} (pid ${child.pid})`);

    const result = new Promise<RunResult>((resolve) => {
      const outDecoder = new StringDecoder('utf8');
      const errDecoder = new StringDecoder('utf8');
      let stdout = '';
      let stderr = '';
      let spawnError: Error | null = null;
      let stoppedBy: RunResult['stoppedBy'] = null;
      let lastOutputAt = clock.now();
      let woke = false;
      const startedAt = clock.now();
      let limitMs = run.timeoutMs ?? 0;
      let deadline: unknown = null;
      let silenceTimer: unknown = null;
      let finished = false;
      const stop = (reason: NonNullable<RunResult['stoppedBy']>) => {
        if (stoppedBy || child.exitCode !== null || child.signalCode !== null) return;
        stoppedBy = reason;
        logger.warn(`${command} stopped (${reason}); killing pid ${child.pid}`);
        child.kill('SIGKILL');
      };

      const onStdout = (text: string) => {
        if (!text || finished) return;
        if (run.collectStdout) {
          stdout += text;
          if (stdout.length > MAX_STDOUT_CHARS) stop('output-limit');
        }
        run.onStdout?.(text);
      };
      const onStderr = (text: string) => {
        if (!text || finished) return;
        stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
        if (deadline !== null && !woke && stderr.includes('Waking up LM Studio service')) {
          woke = true;
          clock.clearTimeout(deadline);
          limitMs += WAKE_ALLOWANCE_MS;
          deadline = clock.setTimeout(() => stop('deadline'), startedAt + limitMs - clock.now());
        }
        run.onStderr?.(text);
      };
      child.stdout?.on('data', (data: Buffer) => {
        lastOutputAt = clock.now();
        onStdout(outDecoder.write(data));
      });
      child.stderr?.on('data', (data: Buffer) => {
        lastOutputAt = clock.now();
        onStderr(errDecoder.write(data));
      });
      child.stdin?.on('error', (error) => logger.debug(`${command}: stdin closed (${error.message})`));
      if (!run.keepStdinOpen) child.stdin?.end();

      if (run.timeoutMs !== undefined) deadline = clock.setTimeout(() => stop('deadline'), limitMs);
      if (run.silenceMs !== undefined) {
        const silenceMs = run.silenceMs;
        const check = () => {
          const quietFor = clock.now() - lastOutputAt;
          if (quietFor >= silenceMs) stop('silence');
          else silenceTimer = clock.setTimeout(check, silenceMs - quietFor);
        };
        silenceTimer = clock.setTimeout(check, silenceMs);
      }

      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (finished) return;
        if (deadline !== null) clock.clearTimeout(deadline);
        if (silenceTimer !== null) clock.clearTimeout(silenceTimer);
        onStdout(outDecoder.end());
        onStderr(errDecoder.end());
        finished = true;
        // Pipes still held open by a grandchild must not keep the app alive.
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
        logger.debug(`${command} exited (code ${code}, signal ${signal})`);
        resolve({ code, signal, stdout, stderr, spawnError, stoppedBy, limitMs });
      };
      // `on`, not `once`: a second 'error' (a failed kill) must not become an uncaught exception.
      child.on('error', (error) => {
        if (child.pid !== undefined) {
          logger.warn(`${command}: ${error.message}`);
          return;
        }
        spawnError = error;
        finish(null, null);
      });
      child.once('exit', (code, signal) => {
        // Output written just before exit may still be in the pipes: wait for them to close,
        // but not for ever (LM Studio, started detached by lms, could inherit them).
        const drained = sleep(DRAIN_WAIT_MS);
        child.once('close', () => {
          drained.cancel();
          finish(code, signal);
        });
        void drained.promise.then(() => finish(code, signal));
      });
    });
    return { child, result };
  }

  function spawnFailure(error: Error): CoreError {
    return new CoreError(
      'lms-missing',
      `Could not run LM Studio's \`lms\` at ${path} (${error.message}). Check the path in Settings, or reinstall LM Studio.`,
      { cause: error },
    );
  }

  /** Runs a command to completion; throws for a spawn failure or a run that had to be killed. */
  async function run(args: string[], limitMs: number): Promise<RunResult> {
    const result = await execute(args, { timeoutMs: limitMs, collectStdout: true }).result;
    const command = `lms ${args.join(' ')}`;
    if (result.spawnError) throw spawnFailure(result.spawnError);
    if (result.stoppedBy === 'deadline') {
      throw new CoreError(
        'lms-failed',
        `\`${command}\` did not answer within ${seconds(result.limitMs)} and was stopped. LM Studio may be busy or stuck: try again, or restart LM Studio.`,
      );
    }
    if (result.stoppedBy === 'output-limit') {
      throw new CoreError('lms-failed', `\`${command}\` printed far more output than expected and was stopped.`);
    }
    return result;
  }

  function failure(args: string[], result: RunResult): CoreError {
    // Killed by a signal, whatever it said last (`Waking up...`) is not why it ended.
    const said = result.signal ? lmsErrorLine(result.stderr) : lmsErrorMessage(result.stderr);
    const message =
      said ??
      (result.signal
        ? `\`lms ${args.join(' ')}\` was stopped by ${result.signal}.`
        : `\`lms ${args.join(' ')}\` exited with code ${result.code}.`);
    return new CoreError('lms-failed', message);
  }

  /** Runs a command that must exit 0 without an `Error: ` line (some builds exit 0 after one). */
  async function runOk(args: string[], limitMs: number): Promise<RunResult> {
    const result = await run(args, limitMs);
    if (result.code !== 0 || lmsErrorLine(result.stderr)) throw failure(args, result);
    return result;
  }

  /** Runs a JSON command and parses its stdout; without JSON, lms's own `Error: ` line is the better message. */
  async function runJson<T>(args: string[], limitMs: number, parse: (stdout: string) => T): Promise<T> {
    const result = await run(args, limitMs);
    if (result.code !== 0) throw failure(args, result);
    try {
      return parse(result.stdout);
    } catch (error) {
      const said = lmsErrorLine(result.stderr);
      throw said ? new CoreError('lms-failed', said) : error;
    }
  }

  async function load(
    modelKey: string,
    loadOptions: LoadOptions,
    onProgress: (progress: number | null) => void,
  ): Promise<{ identifier: string }> {
    const args = loadArguments(modelKey, loadOptions);
    const parser = createLoadOutputParser();
    let identifier: string | null = null;
    let errorMessage: string | null = null;
    let loaded = false;
    let cancelled = false;
    const result = await execute(args, {
      silenceMs: LOAD_SILENCE_LIMIT_MS,
      onStdout: (chunk) => {
        for (const event of parser.stdout(chunk)) {
          try {
            onProgress(event.progress);
          } catch (error) {
            logger.error('load progress listener failed', error);
          }
        }
      },
      onStderr: (chunk) => {
        for (const event of parser.stderr(chunk)) {
          if (event.type === 'loaded') {
            loaded = true;
            identifier = event.identifier ?? identifier;
          } else if (event.type === 'error') errorMessage ??= event.message;
          else if (event.type === 'cancelled') cancelled = true;
          else if (event.type === 'ambiguous') logger.warn(`lms load ${modelKey}: ${event.message}`);
        }
      },
    }).result;
    if (result.spawnError) throw spawnFailure(result.spawnError);
    if (result.stoppedBy === 'silence') {
      throw new CoreError(
        'lms-failed',
        `\`lms load\` showed no sign of progress for ${seconds(LOAD_SILENCE_LIMIT_MS)} and was stopped. Restart LM Studio and try again.`,
      );
    }
    // Exit 0 after an `Error: ` line and no word of success is a failure (some builds do that).
    if (result.code === 0 && !(errorMessage && !loaded)) return { identifier: identifier ?? modelKey };
    if (cancelled) throw new CoreError('lms-failed', `Loading ${modelKey} was cancelled.`);
    const refused = guardrailRefusalMessage(modelKey, result.stderr);
    if (refused) throw new CoreError('lms-failed', refused);
    if (!errorMessage && /not found/i.test(result.stderr)) {
      throw new CoreError(
        'not-found',
        `No downloaded model matches "${modelKey}". Download it first, or pick another model.`,
      );
    }
    throw errorMessage ? new CoreError('lms-failed', errorMessage) : failure(args, result);
  }

  /** Exit 0 for both verdicts; the words on stderr are the estimate (protocol-2 §2). */
  async function estimate(
    modelKey: string,
    loadOptions: LoadOptions,
    exactPath?: string,
  ): Promise<{ supported: true; estimate: LmsEstimate } | { supported: false }> {
    const args = estimateArguments(modelKey, loadOptions, exactPath);
    const result = await run(args, timeoutMs);
    const parsed = parseEstimateOutput(result.stderr) ?? parseEstimateOutput(result.stdout);
    if (result.code === 0 && parsed) return { supported: true, estimate: parsed };
    if (result.code !== 0 && isEstimateUnsupported(result.stderr)) return { supported: false };
    if (result.code !== 0 && /\bModel not found\b/i.test(result.stderr)) {
      throw new CoreError(
        'not-found',
        `No downloaded model matches "${exactPath ?? modelKey}", so LM Studio cannot estimate it.`,
      );
    }
    if (result.code === 0 && !lmsErrorLine(result.stderr)) {
      throw new CoreError('lms-failed', `\`lms ${args.join(' ')}\` printed no estimate.`);
    }
    throw failure(args, result);
  }

  function get(model: string, onEvent: (event: LmsGetEvent) => void): LmsGetProcess {
    assertSafeDownloadTarget(model);
    const parser = createGetOutputParser();
    const seen = {
      completed: false,
      alreadyDownloaded: null as string | null,
      progress: false,
      cancelled: false,
      continuing: false,
      error: null as string | null,
    };
    let intent: 'cancel' | 'detach' | null = null;
    /** The error lms had printed when it was asked to stop, if any. */
    let errorBeforeStop: string | null = null;
    let killedByUs = false;
    let exited = false;
    let promptShown = false;
    const promptWaiters: Array<() => void> = [];

    const handle = (events: LmsGetEvent[]) => {
      for (const event of events) {
        if (event.type === 'completed') seen.completed = true;
        else if (event.type === 'already-downloaded') seen.alreadyDownloaded = event.message;
        else if (event.type === 'progress') seen.progress = true;
        else if (event.type === 'cancelled') seen.cancelled = true;
        else if (event.type === 'continuing') seen.continuing = true;
        else if (event.type === 'error') seen.error ??= event.message;
        else if (event.type === 'prompt') {
          promptShown = true;
          for (const wake of promptWaiters.splice(0)) wake();
        }
        try {
          onEvent(event);
        } catch (error) {
          logger.error('lms get event listener failed', error);
        }
      }
    };
    const running = execute(['get', '--yes', model], {
      keepStdinOpen: true,
      onStdout: (chunk) => handle(parser.stdout(chunk)),
      onStderr: (chunk) => handle(parser.stderr(chunk)),
    });
    const child = running.child;
    const settled = running.result.then((result) => {
      exited = true;
      return result;
    });

    const done = settled.then((result): LmsGetOutcome => {
      if (result.spawnError)
        return { kind: 'failed', message: spawnFailure(result.spawnError).message, exitCode: null };
      if (result.code === 0 && seen.completed) return { kind: 'completed' };
      if (result.code === 0 && seen.alreadyDownloaded)
        return { kind: 'already-downloaded', message: seen.alreadyDownloaded };
      const failed = (message: string): LmsGetOutcome => ({ kind: 'failed', message, exitCode: result.code });
      // It had failed before it was asked to stop: that failure, not the stop, is what happened.
      if (intent !== null && errorBeforeStop !== null) return failed(errorBeforeStop);
      // Ended by a signal nobody here sent (ours are SIGINT to stop it and SIGKILL when it would not).
      const ourSignal = intent !== null && (result.signal === 'SIGINT' || killedByUs);
      if (result.signal && !ourSignal) return failed(`lms get was stopped by ${result.signal}.`);
      if (intent === 'detach' || (intent === 'cancel' && platform === 'win32')) return { kind: 'continuing' };
      if (intent === 'cancel') {
        if (killedByUs && !seen.cancelled) {
          // It never confirmed; like a second Ctrl+C, the download probably goes on in LM Studio.
          logger.warn(`lms get ${model} did not confirm the cancel and was killed`);
          return { kind: 'continuing' };
        }
        return { kind: 'cancelled' };
      }
      if (result.code === 0) {
        // Some builds exit 0 after an `Error: ` line: without a word of success, that is a failure.
        if (seen.error) return failed(seen.error);
        // Older builds say nothing on success after a bar, and only print the plan
        // (`✓ Satisfied ...`) when the model is already there.
        return seen.progress
          ? { kind: 'completed' }
          : { kind: 'already-downloaded', message: `${model} is already downloaded.` };
      }
      if (seen.continuing) return { kind: 'continuing' };
      if (seen.cancelled) return { kind: 'cancelled' };
      return failed(seen.error ?? `lms get exited with code ${result.code}.`);
    });

    let stopping: Promise<void> | null = null;
    /** SIGINT, then the answer to the Y/N prompt, then (if need be) SIGKILL. */
    async function interrupt(kind: 'cancel' | 'detach'): Promise<void> {
      intent = kind;
      errorBeforeStop = seen.error;
      if (!child) return;
      child.kill('SIGINT');
      // On Windows SIGINT terminates the process: there is no prompt to answer.
      if (platform !== 'win32') {
        const promptWait = sleep(PROMPT_WAIT_MS);
        const prompt = promptShown ? Promise.resolve() : new Promise<void>((resolve) => promptWaiters.push(resolve));
        await Promise.race([prompt, settled, promptWait.promise]);
        promptWait.cancel();
        if (exited) return;
        if (child.stdin?.writable) child.stdin.end(kind === 'cancel' ? 'N\n' : 'Y\n');
      }
      const exitWait = sleep(ANSWER_EXIT_WAIT_MS);
      const outcome = await Promise.race([settled.then(() => 'exited' as const), exitWait.promise]);
      exitWait.cancel();
      if (outcome === 'timeout' && !exited) {
        killedByUs = true;
        logger.warn(`lms get ${model} (pid ${child.pid}) did not exit after the answer; killing it`);
        child.kill('SIGKILL');
      }
    }
    const stopWith = (kind: 'cancel' | 'detach') => {
      // Already ended (its pipes may still be draining): a stop now would be read as its cause.
      const ended = exited || child === null || child.exitCode !== null || child.signalCode !== null;
      if (ended && stopping === null) return done.then(() => undefined);
      stopping ??= interrupt(kind);
      return stopping.then(() => done).then(() => undefined);
    };

    return {
      get pid() {
        return child?.pid;
      },
      done,
      cancel: () => stopWith('cancel'),
      detach: () => stopWith('detach'),
    };
  }

  /**
   * `lms log stream --source model --filter input,output --json`: the explicit filter because
   * builds from 0.3.26 to early 0.4 stream inputs only by default. stdout is read line by line
   * by the parser (the text never leaves it), stderr is passed on line by line.
   */
  function logStream(handlers: {
    onEvent(event: LogStreamEvent): void;
    onStderrLine(line: string): void;
  }): LmsLogStream {
    const reader = createLogStreamReader();
    const deliver = <T>(items: T[], to: (item: T) => void, what: string) => {
      for (const item of items) {
        try {
          to(item);
        } catch (error) {
          logger.error(`lms log stream ${what} listener failed`, error);
        }
      }
    };
    const events = (list: LogStreamEvent[]) => deliver(list, (event) => handlers.onEvent(event), 'event');
    const lines = (list: string[]) => deliver(list, (line) => handlers.onStderrLine(line), 'stderr');
    const running = execute(['log', 'stream', '--source', 'model', '--filter', 'input,output', '--json'], {
      onStdout: (chunk) => events(reader.stdout(chunk)),
      onStderr: (chunk) => lines(reader.stderr(chunk)),
    });
    const { child } = running;
    let ended = false;
    const exited = running.result.then((result) => {
      ended = true;
      if (result.spawnError) logger.warn(spawnFailure(result.spawnError).message);
      const rest = reader.end();
      events(rest.events);
      lines(rest.stderrLines);
      return { code: result.code, signal: result.signal };
    });

    let stopping: Promise<void> | null = null;
    /** SIGINT (lms unsubscribes and exits 0), then SIGKILL after a grace (builds without the handler may hang). */
    async function interrupt(stream: ChildProcess): Promise<void> {
      stream.kill('SIGINT');
      const grace = sleep(STREAM_STOP_GRACE_MS);
      const outcome = await Promise.race([exited.then(() => 'exited' as const), grace.promise]);
      grace.cancel();
      if (outcome === 'timeout' && stream.exitCode === null && stream.signalCode === null) {
        logger.warn(`lms log stream (pid ${stream.pid}) did not exit after SIGINT; killing it`);
        stream.kill('SIGKILL');
      }
      await exited;
    }

    return {
      get pid() {
        return child?.pid;
      },
      exited,
      stop() {
        if (child === null || ended || child.exitCode !== null || child.signalCode !== null) {
          return exited.then(() => undefined);
        }
        stopping ??= interrupt(child);
        return stopping;
      },
    };
  }

  return {
    path,
    serverStatus: () => runJson(['server', 'status', '--json'], QUICK_TIMEOUT_MS, parseServerStatusJson),
    daemonStatus: () => runJson(['daemon', 'status', '--json'], QUICK_TIMEOUT_MS, parseDaemonStatusJson),
    async version() {
      const result = await run(['version', '--json'], QUICK_TIMEOUT_MS);
      // A build that rejects --json says nothing useful about its version: unknown, not an error.
      if (result.code !== 0) return null;
      try {
        return parseVersionJson(result.stdout);
      } catch {
        // Builds before 2026-01 ignore --json and print `lms - LM Studio CLI - v0.0.47` or ASCII art.
        return /\bv(\d+\.\d+\.\d+)\b/.exec(cleanLine(result.stdout))?.[1] ?? null;
      }
    },
    ls: () => runJson(['ls', '--json'], timeoutMs, parseLsJson),
    lsPaths: () => runJson(['ls', '--json'], timeoutMs, parseLsPathsJson),
    estimate,
    runtimeSurvey: () => runJson(['runtime', 'survey', '--json'], timeoutMs, parseRuntimeSurveyJson),
    logStream,
    async lmStudioVersion() {
      // The plain form (the JSON one has no version); like `--json`, it looks for a running app and never wakes it.
      const result = await run(['daemon', 'status'], QUICK_TIMEOUT_MS);
      return parseDaemonStatusVersion(result.stdout);
    },
    ps: () => runJson(['ps', '--json'], timeoutMs, parsePsJson),
    async serverStart(startOptions = {}) {
      const args = ['server', 'start'];
      if (startOptions.port !== undefined)
        args.push('--port', integerArgument('The port', startOptions.port, 1, 65_535));
      await runOk(args, timeoutMs);
    },
    async serverStop() {
      const result = await run(['server', 'stop'], timeoutMs);
      // Stopping a stopped server is what the user wanted anyway.
      if (/The server is not running/.test(result.stderr)) return;
      if (result.code !== 0 || lmsErrorLine(result.stderr)) throw failure(['server', 'stop'], result);
    },
    load,
    async unload(identifier) {
      assertSafeIdentifier(identifier);
      const result = await run(['unload', identifier], timeoutMs);
      const unloaded = /unloaded\./i.test(result.stderr);
      // An unknown identifier prints a "Model Not Found" block but exits 0.
      if (!unloaded && /not found|don't have any models loaded/i.test(result.stderr)) {
        throw new CoreError(
          'not-found',
          `No loaded model has the identifier "${identifier}". It may have been unloaded already.`,
        );
      }
      if (result.code !== 0 || (!unloaded && lmsErrorLine(result.stderr)))
        throw failure(['unload', identifier], result);
    },
    async unloadAll() {
      const result = await runOk(['unload', '--all'], timeoutMs);
      const count = /Unloaded (\d+) models?\./.exec(result.stderr);
      if (count) return Number(count[1]);
      if (/No models to unload/.test(result.stderr)) return 0;
      return (result.stderr.match(/^Unloading "/gm) ?? []).length;
    },
    get,
  };
}
