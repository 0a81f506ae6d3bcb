/**
 * LM Studio's HTTP API (protocol §1, §2, §5): the greeting, model lists of three API
 * generations, load/unload and REST downloads.
 *
 * Ordinary calls go through node:http(s) with a keep-alive pool (pooled connections are fine
 * there; Node's own HTTP costs about half of `fetch`'s CPU a request, which counts in the idle
 * model refresh). The greeting, the connect check and the connection watch are about the
 * connection itself: a pooled keep-alive socket can keep answering after the server
 * stopped listening, so the greeting always opens a fresh one; the connect check only opens a
 * TCP connection and closes it (no HTTP request, nothing in LM Studio's log); the watch holds
 * one connection open on purpose to hear it close.
 *
 * Every answer of an ordinary call is also evidence about the token (`onAuthEvidence`): an
 * answer that asks for one, from any route, is how the health monitor learns at once that
 * "Require Authentication" was switched on.
 *
 * Every call has a timeout and a cap on the response size, and follows no redirect (LM Studio
 * sends none; the token must not travel to another origin). Every failure becomes a CoreError
 * whose message says what happened and what to do; no stack, raw body or control character
 * reaches the user. tests/robustness/answers tries every route with hundreds of bad answers.
 */
import http from 'node:http';
import https from 'node:https';
import { Socket, connect as tcpConnect } from 'node:net';
import type { ApiGeneration, LoadOptions } from '../../shared/contract';
import { CoreError } from '../errors';
import type {
  ConnectResult,
  GreetingResult,
  LmStudioClient,
  LmStudioClientOptions,
  ModelListing,
  RestDownloadJob,
  RestDownloadStatus,
} from '../interfaces';
import { normaliseBaseUrl } from './base-url';
import { guardrailRefusalMessage } from './guardrails';
import { mapOpenAiModels, mapV0Models, mapV1Models } from './model-mapping';
import { bodyWithoutToken, withoutToken } from './without-token';

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Loading a large model can take minutes and the REST load only returns when it is done. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10 * 60_000;
/** Starting a REST download resolves the download plan first. */
const DOWNLOAD_START_TIMEOUT_MS = 60_000;
export const DEFAULT_GREETING_TIMEOUT_MS = 1_500;
/** A connect check to a live server takes well under a millisecond on loopback. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;
/**
 * Far above the largest honest answer: 1,000 models with long names, descriptions and eight
 * variants each make a 1.4 MB `/api/v1/models` (tests/robustness/answers).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** How long an older API generation is trusted before `/api/v1` is tried again. */
export const GENERATION_RECHECK_MS = 5 * 60_000;
const POOL_IDLE_TIMEOUT_MS = 4_000;
/** The greeting is 17 bytes; anything much larger is not LM Studio. */
const GREETING_MAX_BYTES = 64 * 1024;

export const NOT_RESPONDING_MESSAGE =
  'LM Studio is not responding. Install it from https://lmstudio.ai/download and run `lms server start`.';
/** The error codes Node gives a connection that dropped after it was made. */
const DROPPED_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * A failed call in words that fit what happened: a connection that dropped mid-answer is not a
 * missing LM Studio (telling that user to install it would mislead).
 */
function connectionFailureMessage(error: unknown): string {
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code && DROPPED_CONNECTION_CODES.has(code)) {
      return 'The connection to LM Studio dropped before it answered (it may have stopped or restarted). Try again once it is back.';
    }
    cause = cause.cause;
  }
  return NOT_RESPONDING_MESSAGE;
}

/** Where LM Studio keeps its tokens, for the messages below. */
const TOKENS_IN_LMSTUDIO = 'Developer → Server Settings → Manage Tokens';
/** An answer asked for a token and none was sent. */
export const TOKEN_REQUIRED_MESSAGE = `LM Studio now requires an API token. Create one in LM Studio (${TOKENS_IN_LMSTUDIO}) and add it in Settings.`;
/** An answer asked for a token although one was sent: it is wrong, or was revoked. */
export const TOKEN_REFUSED_MESSAGE = `LM Studio refused the token in Settings. Check it, or create a new one in LM Studio (${TOKENS_IN_LMSTUDIO}).`;

/** What to tell the user when LM Studio asked for a token, by whether one was sent. */
export function tokenMessage(tokenSent: boolean): string {
  return tokenSent ? TOKEN_REFUSED_MESSAGE : TOKEN_REQUIRED_MESSAGE;
}

const GENERATION_PATHS: Record<ApiGeneration, string> = {
  v1: '/api/v1/models',
  v0: '/api/v0/models',
  openai: '/v1/models',
};
const GENERATIONS: ApiGeneration[] = ['v1', 'v0', 'openai'];
const REST_DOWNLOAD_STATUSES: readonly RestDownloadStatus[] = [
  'downloading',
  'paused',
  'completed',
  'failed',
  'already_downloaded',
];

/** A body that was not JSON. */
const MALFORMED = Symbol('malformed');

/** What the server answered to an ordinary call, before any judgement. */
interface Answer {
  status: number;
  json: unknown;
  /** An `Authorization` header went with the request. */
  tokenSent: boolean;
}

/** How to word a failure of one call. */
interface CallContext {
  /** Completes "LM Studio could not ...", e.g. "list its models". */
  action: string;
  /** Message when the server says the model / instance / job does not exist. */
  notFound?: string;
  /** The model being loaded: a refusal by LM Studio's guardrails is then said in one clear sentence. */
  loading?: string;
}

/**
 * Creates the client for one base URL. Throws CoreError('invalid-input') for an address that
 * cannot be LM Studio's (see `normaliseBaseUrl`).
 */
export function createLmStudioClient(options: LmStudioClientOptions): LmStudioClient {
  const { origin, port, isLocal } = normaliseBaseUrl(options.baseUrl);
  /** The host as net.connect wants it (an IPv6 literal without its brackets). */
  const hostname = new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  const downloadStartTimeoutMs = options.downloadStartTimeoutMs ?? DOWNLOAD_START_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  /** The generation whose model list answered last; re-detected after any failure. */
  let generation: ApiGeneration | null = null;
  /** When `generation` was detected (trying the better generations first). */
  let generationFoundAt = 0;
  const generationRecheckMs = options.generationRecheckMs ?? GENERATION_RECHECK_MS;
  /**
   * Ordinary calls' pool. Like fetch's, it closes a socket idle for 4 s: before LM Studio's 5 s
   * keep-alive ends it (a request never races that close) and before a router forgets it. Idle
   * sockets do not hold the process open (Node unrefs them).
   */
  const pool = new (origin.startsWith('https:') ? https : http).Agent({
    keepAlive: true,
    timeout: POOL_IDLE_TIMEOUT_MS,
  });

  function authHeaders(): Record<string, string> {
    const token = options.token()?.trim();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** Tells the observer what this answer says about the token; an observer's failure is not the call's. */
  function reportAuth(answer: Answer, tokenSent: boolean): void {
    if (!options.onAuthEvidence) return;
    const evidence = asksForTokenIn(answer)
      ? ({ kind: 'refused', tokenSent } as const)
      : ({ kind: 'accepted' } as const);
    try {
      options.onAuthEvidence(evidence);
    } catch {
      // The observer is the health monitor's; a call's outcome never depends on it.
    }
  }

  async function call(method: 'GET' | 'POST', path: string, body?: object, callTimeoutMs = timeoutMs): Promise<Answer> {
    const auth = authHeaders();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...auth };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    try {
      const { status, body: text } = await rawRequest(`${origin}${path}`, {
        method,
        agent: pool,
        headers,
        body: payload,
        timeoutMs: callTimeoutMs,
        maxBytes: maxResponseBytes,
      });
      const answer = {
        status,
        json: withoutToken(parseJson(text), options.token()?.trim()),
        tokenSent: 'authorization' in auth,
      };
      reportAuth(answer, answer.tokenSent);
      return answer;
    } catch (error) {
      if (error instanceof TooLargeError) throw tooLarge(maxResponseBytes);
      generation = null;
      if (error instanceof TimeoutError) {
        throw new CoreError(
          'unavailable',
          `LM Studio did not answer within ${formatSeconds(callTimeoutMs)}. It may be busy; try again in a moment.`,
          { cause: error },
        );
      }
      throw new CoreError('unavailable', connectionFailureMessage(error), { cause: error });
    }
  }

  /** Throws the CoreError for a failed or unreadable answer; returns the JSON otherwise. */
  function expectOk(answer: Answer, context: CallContext): Record<string, unknown> {
    const failure = failureOf(answer, context);
    if (failure) throw failure;
    if (!isObject(answer.json)) throw unexpectedAnswer(context.action);
    return answer.json;
  }

  /**
   * The generation to start from. An older one is trusted for `generationRecheckMs` only: the
   * missing `/api/v1` that chose it may have been a passing 404 (a proxy, a restart), and a
   * server stuck on the older lists would show less (no sizes, no display names) for good.
   */
  function rememberedGeneration(): ApiGeneration | null {
    if (generation === null || generation === GENERATIONS[0]) return generation;
    return Date.now() - generationFoundAt < generationRecheckMs ? generation : null;
  }

  async function listModels(): Promise<ModelListing> {
    const remembered = rememberedGeneration();
    const order = remembered ? [remembered, ...GENERATIONS.filter((g) => g !== remembered)] : GENERATIONS;
    const context = { action: 'list its models' };
    for (const candidate of order) {
      const answer = await call('GET', GENERATION_PATHS[candidate]);
      if (isRouteMissing(answer)) continue;
      const json = expectOk(answer, context);
      const listing = toListing(candidate, json);
      if (!listing) throw unexpectedAnswer(context.action);
      if (candidate !== remembered) generationFoundAt = Date.now();
      generation = candidate;
      return listing;
    }
    generation = null;
    throw new CoreError(
      'server-error',
      'The server answered, but offers none of LM Studio’s model lists. Check that the LM Studio address in Settings points at LM Studio.',
    );
  }

  /**
   * Loads exactly `modelKey`: `POST /api/v1/models/load {model, context_length?}` (LM Studio
   * 0.4+), else the minimal `/v1/responses` request, which JIT-loads it (identifier = key).
   * Only the context length can travel over REST, and only on the v1 path: GPU offload and TTL
   * are never sent, so the caller must show them as unavailable on this path rather than let
   * them look applied. `restOnly` (the keeper's loads) never JIT-loads: without `/api/v1` it throws.
   */
  async function loadModel(modelKey: string, loadOptions: LoadOptions, request: { restOnly?: boolean } = {}) {
    const notFound = `LM Studio has no model called ${modelKey}.`;
    const context = { action: `load ${modelKey}`, notFound, loading: modelKey };
    // v0 and openai were chosen because /api/v1 was missing: skip the doomed request.
    const remembered = rememberedGeneration();
    if (remembered !== 'v0' && remembered !== 'openai') {
      const body: Record<string, unknown> = { model: modelKey };
      if (loadOptions.contextLength !== undefined) body.context_length = loadOptions.contextLength;
      const answer = await call('POST', '/api/v1/models/load', body, loadTimeoutMs);
      if (!isRouteMissing(answer)) {
        const json = expectOk(answer, context);
        return { identifier: text(json.instance_id) ?? modelKey, via: 'rest' as const };
      }
    }
    if (request.restOnly) {
      throw new CoreError(
        'unavailable',
        `This LM Studio has no REST load (LM Studio 0.4 or later), and a just-in-time load would come back with a TTL, so ${modelKey} was not loaded over HTTP.`,
      );
    }
    // LM Studio 0.3.x: an inference request JIT-loads the model (Codex's minimal request).
    const answer = await call(
      'POST',
      '/v1/responses',
      { model: modelKey, input: '', max_output_tokens: 1 },
      loadTimeoutMs,
    );
    if (!isRouteMissing(answer)) {
      expectOk(answer, context);
      return { identifier: modelKey, via: 'responses' as const };
    }
    // Before 0.3.29 there is no /v1/responses; a one-token chat completion JIT-loads the same way.
    const chat = await call(
      'POST',
      '/v1/chat/completions',
      { model: modelKey, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1 },
      loadTimeoutMs,
    );
    if (isRouteMissing(chat)) {
      throw new CoreError(
        'unavailable',
        'This LM Studio version cannot load models over HTTP. Update LM Studio, or load the model with `lms load`.',
      );
    }
    expectOk(chat, context);
    return { identifier: modelKey, via: 'responses' as const };
  }

  async function unloadModel(instanceId: string): Promise<void> {
    const context = {
      action: `unload ${instanceId}`,
      notFound: `No model called ${instanceId} is loaded in LM Studio.`,
    };
    const answer = await call('POST', '/api/v1/models/unload', { instance_id: instanceId });
    if (isRouteMissing(answer)) throw needsRestApi('unload models', '`lms unload`');
    expectOk(answer, context);
  }

  async function startDownload(model: string): Promise<RestDownloadJob> {
    const context = { action: `download ${model}`, notFound: `LM Studio found no model called ${model} to download.` };
    const answer = await call('POST', '/api/v1/models/download', { model }, downloadStartTimeoutMs);
    if (isRouteMissing(answer)) throw needsRestApi('download models', '`lms get`');
    return toDownloadJob(expectOk(answer, context), context.action);
  }

  async function downloadStatus(jobId: string): Promise<RestDownloadJob> {
    const context = { action: 'report the download’s progress', notFound: `LM Studio has no download job ${jobId}.` };
    const answer = await call('GET', `/api/v1/models/download/status/${encodeURIComponent(jobId)}`);
    if (isRouteMissing(answer)) throw needsRestApi('report downloads', '`lms get`');
    return toDownloadJob(expectOk(answer, context), context.action);
  }

  async function greet(greetOptions?: { timeoutMs?: number }): Promise<GreetingResult> {
    const headers = authHeaders();
    try {
      const { status, body } = await rawRequest(`${origin}/lmstudio-greeting`, {
        agent: false,
        headers,
        timeoutMs: greetOptions?.timeoutMs ?? DEFAULT_GREETING_TIMEOUT_MS,
        maxBytes: GREETING_MAX_BYTES,
      });
      return classifyGreeting(status, bodyWithoutToken(body, options.token()?.trim()), 'authorization' in headers);
    } catch (error) {
      generation = null;
      return classifyConnectionError(error);
    }
  }

  const openTcp = (): Socket => tcpConnect({ host: hostname, port });
  const checker = createConnectChecker(hostname, port);

  function connectCheck(checkOptions?: { timeoutMs?: number }): Promise<ConnectResult> {
    return checker(checkOptions?.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  }

  function watchConnection(onClosed: () => void): () => void {
    return isLocal ? watchBare(onClosed) : watchKeptAlive(onClosed);
  }

  /**
   * On this machine: a bare TCP connection, never written to (nothing in LM Studio's log, no
   * keep-alive timeout; Node answers one that stays silent for its headers timeout, ~60 s,
   * with a 408 and closes it). A server stop leaves it open: the monitor's connect checks see that.
   */
  function watchBare(onClosed: () => void): () => void {
    const socket = openTcp();
    let done = false;
    const finish = (notify: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (notify) onClosed();
    };
    socket.on('data', () => finish(true));
    socket.once('error', () => finish(true));
    socket.once('close', () => finish(true));
    return () => finish(false);
  }

  /**
   * Elsewhere (no connect checks): an idle keep-alive connection after one greeting, which a
   * server stop closes with its other idle connections, and its keep-alive timeout too.
   */
  function watchKeptAlive(onClosed: () => void): () => void {
    const agent = new (origin.startsWith('https:') ? https : http).Agent({
      keepAlive: true,
      maxSockets: 1,
      maxFreeSockets: 1,
    });
    let done = false;
    const finish = (notify: boolean) => {
      if (done) return;
      done = true;
      agent.destroy();
      if (notify) onClosed();
    };
    rawRequest(`${origin}/lmstudio-greeting`, {
      agent,
      headers: authHeaders(),
      timeoutMs: DEFAULT_GREETING_TIMEOUT_MS,
      maxBytes: GREETING_MAX_BYTES,
      // The socket outlives the response: its close is the signal.
      onSocket: (socket) => socket.once('close', () => finish(true)),
    }).catch(() => finish(true));
    return () => finish(false);
  }

  return {
    baseUrl: origin,
    port,
    isLocal,
    greet,
    connectCheck,
    watchConnection,
    listModels,
    loadModel,
    unloadModel,
    startDownload,
    downloadStatus,
  };
}

// ---------------------------------------------------------------------------------------------
// Judging answers
// ---------------------------------------------------------------------------------------------

/**
 * An unknown route: LM Studio answers HTTP 200 `{"error":"Unexpected endpoint or method. (...)"}`
 * (protocol §1); other servers (and proxies) answer a plain 404.
 */
function isRouteMissing(answer: Answer): boolean {
  const { message, code } = errorOf(answer.json);
  if (message && /^Unexpected endpoint/i.test(message)) return true;
  return answer.status === 404 && code === null && (answer.json === MALFORMED || message === null);
}

/** The CoreError for a failed answer (by status or by an `error` body), or null when it succeeded. */
function failureOf(answer: Answer, context: CallContext): CoreError | null {
  const { status, json } = answer;
  const { message, code } = errorOf(json);
  if (asksForTokenIn(answer)) {
    return new CoreError(status === 403 ? 'forbidden' : 'unauthorized', tokenMessage(answer.tokenSent));
  }
  if (code === 'model_not_found' || code === 'job_not_found' || (status === 404 && context.notFound)) {
    return new CoreError(
      'not-found',
      context.notFound ?? `LM Studio could not ${context.action}: ${reasonIn(message)}`,
    );
  }
  if (status >= 300 && status < 400) {
    return new CoreError(
      'server-error',
      `LM Studio could not ${context.action}: the server answered with a redirect (HTTP ${status}), which LM Studio never sends, so it was not followed. Check that the LM Studio address in Settings points at LM Studio.`,
    );
  }
  const refused =
    context.loading !== undefined && message !== null && guardrailRefusalMessage(context.loading, message);
  if (refused) return new CoreError('server-error', refused);
  if (status < 200 || status >= 300 || message !== null) {
    const reason = message !== null ? reasonIn(message) : `it answered HTTP ${status}`;
    return new CoreError('server-error', `LM Studio could not ${context.action}: ${reason}`);
  }
  if (json === MALFORMED) return unexpectedAnswer(context.action);
  return null;
}

/**
 * `error` is a string in some answers and `{message, type, code}` in others (protocol §1, §2).
 * Any other value present (a number, a list) still says the call failed, without a reason to
 * quote; `false` says nothing failed.
 */
function errorOf(json: unknown): { message: string | null; code: string | null } {
  if (!isObject(json) || json.error === undefined || json.error === null || json.error === false) {
    return { message: null, code: null };
  }
  const { error } = json;
  if (typeof error === 'string') return { message: error.trim() === '' ? NO_REASON : error, code: null };
  if (isObject(error)) {
    const message = text(error.message) ?? NO_REASON;
    return { message, code: text(error.code) ?? text(error.type) };
  }
  return { message: NO_REASON, code: null };
}

const NO_REASON = 'no reason given';

/** 401, 403, or an `error` body that asks for a token (whatever the status). */
function asksForTokenIn(answer: Answer): boolean {
  const { message, code } = errorOf(answer.json);
  return answer.status === 401 || answer.status === 403 || asksForToken(message, code);
}

/** LM Studio 0.4's missing-token answer, sent as 401 by some versions and 200 by others. */
function asksForToken(message: string | null, code: string | null): boolean {
  if (code === 'invalid_api_key') return true;
  return message !== null && /API token|Authorization header|Bearer/i.test(message);
}

export function classifyGreeting(status: number, body: string, tokenSent = false): GreetingResult {
  const json = parseJson(body);
  const { message, code } = errorOf(json);
  if (status === 401 || status === 403 || asksForToken(message, code)) {
    return { kind: 'unauthorized', message: message ? reasonIn(message) : `HTTP ${status}`, tokenSent };
  }
  // Exactly the greeting. Extra fields are tolerated so a newer LM Studio that adds some is
  // still recognised; no other program answers `"lmstudio": true` by accident.
  if (status === 200 && isObject(json) && json.lmstudio === true) return { kind: 'lmstudio' };
  const what =
    json === MALFORMED
      ? /^\s*</.test(body)
        ? 'a web page'
        : 'text'
      : body.trim() === ''
        ? 'an empty body'
        : message
          ? isWebPage(message)
            ? 'a web page'
            : message === NO_REASON
              ? 'an error'
              : `"${oneLine(message)}"`
          : 'JSON';
  return { kind: 'foreign', message: `It answered HTTP ${status} with ${what} instead of LM Studio’s greeting.` };
}

function classifyConnectionError(error: unknown): GreetingResult {
  if (error instanceof TimeoutError) return { kind: 'timeout' };
  // Something answered, with far more than a greeting: not LM Studio.
  if (error instanceof TooLargeError) {
    return {
      kind: 'foreign',
      message: `It answered with more than ${formatSize(GREETING_MAX_BYTES)} instead of LM Studio’s greeting.`,
    };
  }
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return { kind: 'refused' };
  // Node's words for these ("read ECONNRESET", "aborted", "socket hang up") say little to a user.
  if (code && DROPPED_CONNECTION_CODES.has(code)) {
    return { kind: 'error', message: 'the connection was reset' };
  }
  return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
}

/** The errno code of a network error, looking through `cause` and AggregateError (happy eyeballs). */
function errorCode(error: unknown): string | null {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return null;
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = cause;
  }
  return null;
}

function toListing(generation: ApiGeneration, json: unknown): ModelListing | null {
  if (generation === 'openai') {
    const mapped = mapOpenAiModels(json);
    return mapped && { generation, models: mapped.models, loaded: null };
  }
  const mapped = generation === 'v1' ? mapV1Models(json) : mapV0Models(json);
  return mapped && { generation, models: mapped.models, loaded: mapped.loaded };
}

function toDownloadJob(json: Record<string, unknown>, action: string): RestDownloadJob {
  const status = REST_DOWNLOAD_STATUSES.find((s) => s === json.status);
  if (!status) throw unexpectedAnswer(action);
  const completion = typeof json.estimated_completion === 'string' ? Date.parse(json.estimated_completion) : Number.NaN;
  return {
    jobId: text(json.job_id),
    status,
    totalBytes: count(json.total_size_bytes),
    downloadedBytes: count(json.downloaded_bytes),
    bytesPerSecond: count(json.bytes_per_second),
    etaSeconds: Number.isFinite(completion) ? Math.max(0, Math.round((completion - Date.now()) / 1000)) : null,
  };
}

function unexpectedAnswer(action: string): CoreError {
  return new CoreError(
    'server-error',
    `LM Studio sent an unexpected answer when asked to ${action}. Check that the LM Studio address in Settings points at LM Studio, and that LM Studio is up to date.`,
  );
}

function needsRestApi(what: string, alternative: string): CoreError {
  return new CoreError(
    'unavailable',
    `This LM Studio version cannot ${what} over HTTP (LM Studio 0.4 or later can). Update LM Studio, or use ${alternative} on the machine that runs it.`,
  );
}

function tooLarge(maxBytes: number): CoreError {
  return new CoreError(
    'server-error',
    `LM Studio sent an answer larger than ${formatSize(maxBytes)}, so it was not read. Check that the LM Studio address in Settings points at LM Studio.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------------

/**
 * Connect-only checks, several a second while a local server is online: one socket does them
 * all, connected again once its previous connection has closed (as node:net allows), so a check
 * costs the connection and next to nothing else. Measured on a 2-core VM: ~0.5 ms of CPU a
 * check against ~0.8 ms with a new socket each time. A check asked for while one runs shares
 * its answer (the outcome of the same moment).
 */
function createConnectChecker(host: string, port: number): (timeoutMs: number) => Promise<ConnectResult> {
  const socket = new Socket();
  let running: Promise<ConnectResult> | null = null;
  let answer: ((result: ConnectResult) => void) | null = null;
  let outcome: ConnectResult = 'failed';
  let settled = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settle = (result: ConnectResult) => {
    if (settled) return;
    settled = true;
    outcome = result;
    clearTimeout(timer);
    socket.destroy();
  };
  socket.on('connect', () => settle('connected'));
  socket.on('error', (error) => settle(errorCode(error) === 'ECONNREFUSED' ? 'refused' : 'failed'));
  // The answer waits for 'close' (the same or the next tick): only then may the socket connect again.
  socket.on('close', () => {
    const resolve = answer;
    answer = null;
    running = null;
    resolve?.(outcome);
  });
  return (timeoutMs) => {
    running ??= new Promise<ConnectResult>((resolve) => {
      answer = resolve;
      settled = false;
      outcome = 'failed';
      timer = setTimeout(() => settle('failed'), timeoutMs);
      socket.connect({ host, port });
    });
    return running;
  };
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

interface RawRequestOptions {
  method?: 'GET' | 'POST';
  /** `false` for a fresh connection that is closed afterwards. */
  agent: http.Agent | false;
  headers: Record<string, string>;
  /** Sent whole, so Node sets its Content-Length. */
  body?: string;
  /** For the whole exchange, body included. */
  timeoutMs: number;
  /** A declared or received body larger than this stops the exchange (TooLargeError). */
  maxBytes: number;
  onSocket?: (socket: Socket) => void;
}

/**
 * One HTTP exchange over node:http(s). Rejects with TimeoutError, TooLargeError or the network
 * error; any status is an answer.
 */
function rawRequest(url: string, options: RawRequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const transport = url.startsWith('https:') ? https : http;
    const request = transport.request(url, {
      method: options.method ?? 'GET',
      agent: options.agent,
      headers: options.headers,
    });
    if (options.onSocket) request.once('socket', options.onSocket);
    const timer = setTimeout(() => stop(new TimeoutError('no answer in time')), options.timeoutMs);
    /** Our own reason to end it: reported as such, not as the reset it causes. */
    const stop = (reason: Error) => {
      clearTimeout(timer);
      reject(reason);
      request.destroy(reason);
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on('error', fail);
    request.on('response', (response) => {
      response.on('error', fail);
      if (Number(response.headers['content-length']) > options.maxBytes) {
        stop(new TooLargeError('answer too large'));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) stop(new TooLargeError('answer too large'));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(options.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function parseJson(body: string): unknown {
  if (body.trim() === '') return null;
  try {
    return JSON.parse(body);
  } catch {
    return MALFORMED;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A size, speed or count as the popup can show it; beyond 2^53 no number is a real size. */
function count(value: unknown): number | null {
  return typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER ? value : null;
}

/**
 * A server message fit for one line of the popup: control and bidi characters dropped (they
 * could disguise the text or break the line), whitespace collapsed, length capped.
 */
function oneLine(message: string): string {
  const flat = message
    .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/** The server's reason as the end of one of our sentences; a web page is named, not quoted. */
function reasonIn(message: string | null): string {
  if (message === null) return NO_REASON;
  if (isWebPage(message)) return 'it answered with a web page instead of a reason';
  return oneLine(message) || NO_REASON;
}

function isWebPage(text: string): boolean {
  return /<\s*(!doctype|html|head|body)\b/i.test(text);
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
