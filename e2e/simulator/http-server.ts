/**
 * LM Studio's HTTP server (an Express app in the real thing): the routes, shapes and quirks of
 * lmstudio-protocol.md §1, §2 and §5, over real loopback sockets.
 *
 * Socket handling matters as much as the routes, since the tray's health monitor relies on it:
 * keep-alive works as in Node (an idle socket may be held), a graceful close (`lms server stop`)
 * stops listening and closes idle connections, `stopListening` refuses new connections while the
 * open ones stay and keep being answered, and `close('destroy')` (a crash) destroys every socket
 * at once.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { maxTokens, requestMessages, templatePrompt } from './predictions';
import { runtimeEngine } from './resources';
import {
  modelNotFoundBody,
  NO_MODELS_LOADED_BODY,
  openAiModelList,
  v0Model,
  v1DownloadStatus,
  v1Error,
  v1LoadConfig,
  v1Model,
} from './shapes';
import { JIT_DEFAULT_TTL_MS, type SimState } from './state';

/** The body LM Studio 0.4 answers when a token is required and missing (agustif/opencode-lmstudio#41). */
export const INVALID_API_KEY_BODY = {
  error: {
    type: 'invalid_request',
    code: 'invalid_api_key',
    message:
      "An LM Studio API token is required to make requests to this server, but none was provided using the Authorization header using the 'Bearer' scheme (i.e., 'Authorization: Bearer $LM_API_TOKEN'). Learn more at: https://lmstudio.ai/docs/developer/core/authentication.",
  },
};

/** The HTTP-200 answer to any route LM Studio does not know (also CORS preflights). */
export function unexpectedEndpointBody(method: string, path: string) {
  return { error: `Unexpected endpoint or method. (${method} ${path})` };
}

/**
 * The REST load's answer when the guardrails refuse it: the refusal's text in the v1 error shape,
 * with the `model_load_failed` code lmstudio-bug-tracker#2295 names. UNVERIFIED: no capture quotes it.
 */
export function guardrailErrorBody(message: string) {
  return { error: { type: 'internal_error', code: 'model_load_failed', message } };
}

const FOREIGN_404 =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const FOREIGN_INDEX =
  '<!DOCTYPE html>\n<html>\n<head><title>Welcome to nginx!</title></head>\n<body><h1>Welcome to nginx!</h1></body>\n</html>\n';
const MAX_BODY_BYTES = 1_000_000;

type Json = Record<string, unknown>;
interface Reply {
  status: number;
  body: unknown;
}
const ok = (body: unknown): Reply => ({ status: 200, body });
/** The request's answer was cut off: its socket is destroyed. */
const TERMINATED = Symbol('terminated');
const INFERENCE_PATHS = new Set(['/v1/responses', '/v1/chat/completions', '/api/v0/chat/completions']);

export class LmStudioHttpServer {
  private server: http.Server | null = null;
  /** Servers that stopped listening but still answer the connections they had (`stopListening`), each with its end. */
  private readonly retired = new Map<http.Server, Promise<void>>();
  private readonly sockets = new Set<Socket>();
  /** Requests held open by `hang`, so a close can end them. */
  private readonly held = new Set<ServerResponse>();
  private closing = false;

  constructor(private readonly state: SimState) {}

  get listening(): boolean {
    return this.server !== null;
  }

  /** Listens on 127.0.0.1:`port` (0 = any free port) and returns the port. */
  async listen(port: number): Promise<number> {
    if (this.server) throw new Error('already listening');
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) this.send(res, 500, { error: String(error) });
      });
    });
    server.on('connection', (socket) => {
      this.state.connectionCount++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.closing = false;
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected server address');
    return address.port;
  }

  /**
   * The port refuses new connections at once; every open connection, idle keep-alive ones
   * included, stays open and keeps being answered (http.Server's own close would end idle ones).
   */
  stopListening(): void {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const drained = new Promise<void>((resolve) => server.once('close', () => resolve()));
    this.retired.set(server, drained);
    void drained.then(() => this.retired.delete(server));
    NetServer.prototype.close.call(server);
  }

  /**
   * Stops listening and ends the connections kept by `stopListening` too. `graceful` (server
   * stop): idle sockets close now, in-flight answers finish and then close. `destroy` (crash):
   * every socket is destroyed at once.
   */
  async close(mode: 'graceful' | 'destroy'): Promise<void> {
    const servers = [...this.retired.keys()];
    const drained = [...this.retired.values()];
    this.retired.clear();
    const server = this.server;
    this.server = null;
    if (server) {
      servers.push(server);
      drained.push(new Promise<void>((resolve) => server.close(() => resolve())));
    }
    if (servers.length === 0) return;
    this.closing = true;
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
    if (mode === 'destroy') {
      for (const socket of this.sockets) socket.destroy();
    } else {
      for (const s of servers) s.closeIdleConnections();
    }
    await Promise.all(drained);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const { config } = this.state;
    this.state.recordRequest(method, path);

    if (config.foreign) return this.sendForeign(res, method, path);
    if (config.hang) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    const raw = await readBody(req);
    if (config.latencyMs > 0) await delay(config.latencyMs);
    if (res.destroyed) return;

    const reply = await this.route(method, path, req, raw, res);
    // A prediction stopped under it (the model unloaded, the app or its server stopped): the request is terminated.
    if (reply === TERMINATED) {
      res.socket?.destroy();
      return;
    }
    this.send(res, reply.status, reply.body);
  }

  private async route(
    method: string,
    path: string,
    req: IncomingMessage,
    raw: string,
    res: ServerResponse,
  ): Promise<Reply | typeof TERMINATED> {
    const { config } = this.state;
    const greeting = method === 'GET' && path === '/lmstudio-greeting';
    if (greeting && !config.greetingNeedsToken) return ok({ lmstudio: true });
    if (config.token !== null && req.headers.authorization !== `Bearer ${config.token}`) {
      return { status: config.authErrorStatus, body: INVALID_API_KEY_BODY };
    }
    if (greeting) return ok({ lmstudio: true });

    let body: Json = {};
    if (method === 'POST' && raw.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(raw);
        body = parsed !== null && typeof parsed === 'object' ? (parsed as Json) : {};
      } catch (error) {
        // Express's body parser fails with a plain-string error.
        return { status: 400, body: { error: (error as Error).message } };
      }
    }

    const unknown = ok(unexpectedEndpointBody(method, path));
    if (method === 'GET' && path === '/v1/models') {
      return ok(openAiModelList(this.state.models, this.state.instances, config.jit));
    }
    if (method === 'POST' && INFERENCE_PATHS.has(path)) {
      return this.infer(path, body, res);
    }
    if (method === 'GET' && path === '/api/v0/models') {
      return ok({ object: 'list', data: this.state.models.map((m) => v0Model(m, this.state.instances)) });
    }
    if (method === 'GET' && path.startsWith('/api/v0/models/')) {
      const id = decodeURIComponent(path.slice('/api/v0/models/'.length));
      const model = this.state.findModel(id);
      if (!model) return { status: 404, body: { error: `Model "${id}" not found.` } };
      return ok(v0Model(model, this.state.instances));
    }
    if (!path.startsWith('/api/v1/') || config.generation === '0.3') return unknown;

    if (method === 'GET' && path === '/api/v1/models') {
      return ok({ models: this.state.models.map((m) => v1Model(m, this.state.instances)) });
    }
    if (method === 'POST' && path === '/api/v1/models/load') return this.load(body);
    if (method === 'POST' && path === '/api/v1/models/unload') {
      const id = body.instance_id;
      if (typeof id !== 'string')
        return { status: 400, body: v1Error('invalid_request', "'instance_id' is required.") };
      if (!this.state.unload(id)) {
        return { status: 404, body: v1Error('model_not_found', `No loaded model instance with id "${id}".`) };
      }
      return ok({ instance_id: id });
    }
    if (method === 'POST' && path === '/api/v1/models/download') return this.download(body);
    const statusPrefix = '/api/v1/models/download/status/';
    if (method === 'GET' && path.startsWith(statusPrefix)) {
      const jobId = decodeURIComponent(path.slice(statusPrefix.length));
      const download = this.state.findDownload(jobId);
      // A job LM Studio was running when it quit is gone once it is back.
      if (!download || download.forgotten)
        return { status: 404, body: v1Error('job_not_found', `No download job with id "${jobId}".`) };
      return ok(v1DownloadStatus(download));
    }
    return unknown;
  }

  /** `POST /api/v1/models/load`: exact keys only, synchronous. */
  private async load(body: Json): Promise<Reply> {
    const key = body.model;
    if (typeof key !== 'string' || key === '') {
      return { status: 400, body: v1Error('invalid_request', "'model' is required.", 'model') };
    }
    const model = this.state.findModel(key);
    if (!model) return { status: 404, body: v1Error('model_not_found', `Model "${key}" not found.`, 'model') };
    const contextLength = typeof body.context_length === 'number' ? body.context_length : undefined;
    const started = Date.now();
    const outcome = await this.state.beginLoad({ modelKey: key, contextLength }).done;
    if (!outcome.ok && outcome.guardrail) return { status: 500, body: guardrailErrorBody(outcome.message) };
    if (!outcome.ok) return { status: 500, body: v1Error('internal_error', outcome.message) };
    const { instance } = outcome;
    return ok({
      type: model.type,
      instance_id: instance.identifier,
      load_time_seconds: (Date.now() - started) / 1000,
      status: 'loaded',
      ...(body.echo_load_config === true ? { load_config: v1LoadConfig(model, instance.contextLength) } : {}),
    });
  }

  /** `POST /api/v1/models/download`: a catalog key or an exact Hugging Face URL. */
  private download(body: Json): Reply {
    const model = body.model;
    if (typeof model !== 'string' || model === '') {
      return { status: 400, body: v1Error('invalid_request', "'model' is required.", 'model') };
    }
    const target = typeof body.quantization === 'string' ? `${model}@${body.quantization}` : model;
    const resolution = this.state.resolveDownload(target);
    switch (resolution.kind) {
      case 'already-downloaded':
        return ok({ status: 'already_downloaded' });
      case 'not-found':
        return { status: 404, body: v1Error('model_not_found', `Could not find "${model}" in the LM Studio catalog.`) };
      case 'variant-missing':
        return { status: 400, body: v1Error('invalid_request', `Cannot find variant ${resolution.variant}.`) };
      case 'in-progress':
      case 'available': {
        const d =
          resolution.kind === 'available'
            ? this.state.startDownload(resolution.entry, model, 'rest')
            : resolution.download;
        return ok({
          job_id: d.id,
          status: d.status,
          total_size_bytes: d.totalBytes,
          started_at: new Date(d.startedAt).toISOString(),
        });
      }
    }
  }

  /** `/v1/responses` and `/v1/chat/completions`: JIT-load the model if needed, answer briefly. */
  private async infer(path: string, body: Json, res: ServerResponse): Promise<Reply | typeof TERMINATED> {
    const { state } = this;
    const requested = typeof body.model === 'string' ? body.model : '';
    let instance = state.findInstance(requested);
    if (!instance) {
      const model = state.findModel(requested);
      if (!state.config.jit || !model) {
        if (!state.config.jit && state.instances.length === 0) return { status: 404, body: NO_MODELS_LOADED_BODY };
        const available = state.config.jit ? state.models.map((m) => m.key) : state.instances.map((i) => i.identifier);
        return { status: 404, body: modelNotFoundBody(requested, available) };
      }
      const ttlMs = typeof body.ttl === 'number' ? body.ttl * 1000 : JIT_DEFAULT_TTL_MS;
      const outcome = await state.beginLoad({ modelKey: model.key, jit: true, ttlMs }).done;
      if (!outcome.ok) return { status: 500, body: { error: { message: outcome.message } } };
      instance = outcome.instance;
    }
    const model = state.findModel(instance.modelKey);
    const prompt = model ? templatePrompt(model, requestMessages(body)) : '';
    const prediction = state.predict(instance, prompt, maxTokens(body));
    // Held like `hang`'s requests: a server stop or crash terminates it ("Any active request will be terminated").
    this.held.add(res);
    const onClose = () => prediction.clientLeft();
    res.on('close', onClose);
    const result = await prediction.done;
    res.off('close', onClose);
    this.held.delete(res);
    if (result === null || res.destroyed) return TERMINATED;
    const { plan, stats } = result;
    const created = Math.floor(Date.now() / 1000);
    const text = plan.output;
    const finished = plan.stopReason === 'eosFound' ? 'stop' : 'length';
    const usage = {
      input_tokens: plan.promptTokens,
      output_tokens: plan.predictedTokens,
      total_tokens: plan.promptTokens + plan.predictedTokens,
    };
    if (path === '/v1/responses') {
      return ok({
        id: `resp_${created.toString(16)}`,
        object: 'response',
        created_at: created,
        status: 'completed',
        model: instance.identifier,
        output: [
          {
            id: `msg_${created.toString(16)}`,
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ],
        usage,
      });
    }
    const completion = {
      id: `chatcmpl-${created.toString(16)}`,
      object: 'chat.completion',
      created,
      model: instance.identifier,
      choices: [{ index: 0, logprobs: null, finish_reason: finished, message: { role: 'assistant', content: text } }],
      usage: {
        prompt_tokens: plan.promptTokens,
        completion_tokens: plan.predictedTokens,
        total_tokens: plan.promptTokens + plan.predictedTokens,
      },
    };
    if (path === '/api/v0/chat/completions') {
      // The native v0 answer carries the prediction's stats (lmstudio-protocol-2.md §8).
      return ok({
        ...completion,
        stats: {
          tokens_per_second: stats.tokensPerSecond,
          time_to_first_token: stats.timeToFirstTokenSec,
          generation_time: stats.totalTimeSec,
          stop_reason: stats.stopReason,
        },
        model_info: {
          arch: model?.architecture ?? null,
          quant: model?.quantization ?? null,
          format: model?.format ?? 'gguf',
          context_length: instance.contextLength,
        },
        runtime: { ...runtimeEngine(this.state.config), supported_formats: ['gguf'] },
      });
    }
    // The OpenAI-compatible answer's `stats` is always empty.
    return ok({ ...completion, stats: {}, system_fingerprint: instance.identifier });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed || res.headersSent) return;
    const json = JSON.stringify(body);
    res.statusCode = status;
    res.setHeader('X-Powered-By', 'Express');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    // Once the server stops listening, an answer still in flight closes its connection after it.
    if (this.closing) res.setHeader('Connection', 'close');
    res.end(json);
  }

  private sendForeign(res: ServerResponse, method: string, path: string): void {
    const html = method === 'GET' && path === '/' ? FOREIGN_INDEX : FOREIGN_404;
    res.statusCode = html === FOREIGN_INDEX ? 200 : 404;
    res.setHeader('Server', 'nginx');
    res.setHeader('Content-Type', 'text/html');
    res.setHeader('Content-Length', Buffer.byteLength(html));
    res.end(html);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
