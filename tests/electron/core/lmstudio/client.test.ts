/**
 * The client against real loopback servers: small purpose-built ones for the odd answers
 * (malformed, oversized, 200-with-error, HTML, hangs, a server that stopped listening).
 * The last part runs against the LM Studio simulator (e2e/simulator) for LM Studio's own routes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../../e2e/simulator/index';
import { CoreError } from '../../../../electron/core/errors';
import type { AuthEvidence, LmStudioClient } from '../../../../electron/core/interfaces';
import {
  createLmStudioClient,
  NOT_RESPONDING_MESSAGE,
  TOKEN_REFUSED_MESSAGE,
  TOKEN_REQUIRED_MESSAGE,
} from '../../../../electron/core/lmstudio/client';

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

type Handler = (request: Seen, response: http.ServerResponse) => void;

interface TestServer {
  url: string;
  port: number;
  seen: Seen[];
  server: http.Server;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A loopback HTTP server whose every answer comes from `handler`. */
async function serve(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** LM Studio 0.3's answer to a route it does not have. */
function unexpectedEndpoint(req: Seen, res: http.ServerResponse) {
  json(res, 200, { error: `Unexpected endpoint or method. (${req.method} ${req.path})` });
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function client(url: string, extra: Partial<Parameters<typeof createLmStudioClient>[0]> = {}): LmStudioClient {
  return createLmStudioClient({ baseUrl: url, token: () => null, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<CoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError);
    return error as CoreError;
  }
  throw new Error('expected a CoreError');
}

const V1_MODELS = {
  models: [
    {
      type: 'llm',
      publisher: 'qwen',
      key: 'qwen/qwen3-4b',
      display_name: 'Qwen3 4B',
      architecture: 'qwen3',
      quantization: { name: 'Q4_K_M', bits_per_weight: 4 },
      size_bytes: 2_500_000_000,
      params_string: '4B',
      loaded_instances: [{ id: 'qwen/qwen3-4b', config: { context_length: 8192 } }],
      max_context_length: 32768,
      format: 'gguf',
      capabilities: { vision: false, trained_for_tool_use: true, reasoning: { allowed_options: ['on', 'off'] } },
    },
    {
      type: 'llm',
      publisher: 'google',
      key: 'google/gemma-3-4b',
      display_name: 'Gemma 3 4B',
      quantization: { name: '4bit', bits_per_weight: 4 },
      size_bytes: 3_000_000_000,
      params_string: null,
      loaded_instances: [],
      max_context_length: 131072,
      format: 'mlx',
      capabilities: { vision: true, trained_for_tool_use: false },
    },
    {
      type: 'embedding',
      publisher: 'nomic-ai',
      key: 'text-embedding-nomic-embed-text-v1.5',
      display_name: 'Nomic Embed',
      quantization: null,
      size_bytes: 84_000_000,
      params_string: null,
      loaded_instances: [],
      max_context_length: 2048,
      format: 'gguf',
    },
  ],
};

const V0_MODELS = {
  object: 'list',
  data: [
    {
      id: 'qwen/qwen3-4b',
      object: 'model',
      type: 'llm',
      publisher: 'qwen',
      arch: 'qwen3',
      compatibility_type: 'gguf',
      quantization: 'Q4_K_M',
      state: 'loaded',
      max_context_length: 32768,
      loaded_context_length: 4096,
      capabilities: ['tool_use'],
    },
    {
      id: 'google/gemma-3-4b',
      object: 'model',
      type: 'vlm',
      publisher: 'google',
      compatibility_type: 'gguf',
      quantization: 'Q4_0',
      state: 'not-loaded',
      max_context_length: 131072,
    },
    { id: 'text-embedding-nomic', object: 'model', type: 'embeddings', state: 'not-loaded', max_context_length: 2048 },
  ],
};

describe('greet', () => {
  it('recognises LM Studio and sends the token', async () => {
    const server = await serve((_req, res) => json(res, 200, { lmstudio: true }));
    const result = await client(server.url, { token: () => 'sk-lm-abc' }).greet();
    expect(result).toEqual({ kind: 'lmstudio' });
    expect(server.seen[0]).toMatchObject({ path: '/lmstudio-greeting', authorization: 'Bearer sk-lm-abc' });
  });

  it.each([
    [401, { error: { code: 'invalid_api_key', message: 'An LM Studio API token is required' } }],
    [403, { error: 'Forbidden' }],
    [
      200,
      {
        error: {
          type: 'invalid_request',
          message: "An LM Studio API token is required ... using the Authorization header using the 'Bearer' scheme",
        },
      },
    ],
  ])('HTTP %i asking for a token is "unauthorized"', async (status, body) => {
    const server = await serve((_req, res) => json(res, status, body));
    expect((await client(server.url).greet()).kind).toBe('unauthorized');
  });

  it.each([
    ['an HTML page', (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html/>')],
    ['a 404', (res: http.ServerResponse) => res.writeHead(404).end('Cannot GET /lmstudio-greeting')],
    ['other JSON', (res: http.ServerResponse) => json(res, 200, { ok: true })],
    ['lmstudio:false', (res: http.ServerResponse) => json(res, 200, { lmstudio: false })],
    ['lmstudio:"true"', (res: http.ServerResponse) => json(res, 200, { lmstudio: 'true' })],
    ['a 500 greeting', (res: http.ServerResponse) => json(res, 500, { lmstudio: true })],
    ['an array', (res: http.ServerResponse) => json(res, 200, [{ lmstudio: true }])],
    [
      '"Unexpected endpoint"',
      (res: http.ServerResponse) => json(res, 200, { error: 'Unexpected endpoint or method.' }),
    ],
  ])('%s is "foreign"', async (_name, answer) => {
    const server = await serve((_req, res) => answer(res));
    const result = await client(server.url).greet();
    expect(result.kind).toBe('foreign');
    if (result.kind === 'foreign') expect(result.message).toMatch(/instead of LM Studio’s greeting/);
  });

  it('reports a closed port as "refused"', async () => {
    expect(await client(`http://127.0.0.1:${await closedPort()}`).greet()).toEqual({ kind: 'refused' });
  });

  it('reports silence as "timeout" within its short timeout', async () => {
    const server = await serve(() => {});
    expect(await client(server.url).greet({ timeoutMs: 200 })).toEqual({ kind: 'timeout' });
  });

  it('reports a body that stops half-way as "timeout"', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"lmst');
    });
    expect(await client(server.url).greet({ timeoutMs: 200 })).toEqual({ kind: 'timeout' });
  });

  it('reports a reset connection as "error", never throwing', async () => {
    const server = await serve((_req, res) => res.socket?.destroy());
    const result = await client(server.url).greet();
    expect(result.kind).toBe('error');
  });

  it('notices a server that stopped listening while an old keep-alive socket still answers', async () => {
    const server = await serve((_req, res) => json(res, 200, { lmstudio: true }));
    const pooled = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const viaPool = () =>
      new Promise<number>((resolve, reject) => {
        http
          .get(`${server.url}/lmstudio-greeting`, { agent: pooled }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
    expect(await viaPool()).toBe(200);
    // Stop listening but keep idle connections, as a server in the middle of going away does.
    server.server.closeIdleConnections = () => {};
    server.server.close();
    try {
      // The trap: the pooled socket still gets answers...
      expect(await viaPool()).toBe(200);
      // ...while a fresh connection is refused, which greet() reports.
      expect(await client(server.url).greet()).toEqual({ kind: 'refused' });
    } finally {
      pooled.destroy();
    }
  });
});

/** Counts the TCP connections a test server accepted. */
function connections(server: TestServer): () => number {
  let count = 0;
  server.server.on('connection', () => count++);
  return () => count;
}

describe('connectCheck', () => {
  it('connects and closes without sending a request', async () => {
    const server = await serve((_req, res) => json(res, 200, { lmstudio: true }));
    const accepted = connections(server);
    expect(await client(server.url).connectCheck()).toBe('connected');
    expect(accepted()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.seen).toEqual([]);
  });

  it('reports a closed port as "refused"', async () => {
    expect(await client(`http://127.0.0.1:${await closedPort()}`).connectCheck()).toBe('refused');
  });

  it('checks one after another open a new connection each (one socket, connected again)', async () => {
    const server = await serve((_req, res) => json(res, 200, { lmstudio: true }));
    const accepted = connections(server);
    const lmstudio = client(server.url);
    const results: string[] = [];
    for (let i = 0; i < 5; i++) results.push(await lmstudio.connectCheck());
    expect(results).toEqual(Array(5).fill('connected'));
    await expect.poll(accepted).toBe(5);
    expect(server.seen).toEqual([]);
  });

  it('checks asked for while one runs share its answer and its connection', async () => {
    const server = await serve((_req, res) => json(res, 200, { lmstudio: true }));
    const accepted = connections(server);
    const lmstudio = client(server.url);
    expect(await Promise.all([lmstudio.connectCheck(), lmstudio.connectCheck()])).toEqual(['connected', 'connected']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(accepted()).toBe(1);
  });
});

describe('watchConnection', () => {
  it('holds a bare connection (no request) and calls back when the server drops it', async () => {
    const server = await serve((_req, res) => json(res, 200, { lmstudio: true }));
    const accepted = connections(server);
    let closed = 0;
    const stop = client(server.url).watchConnection(() => closed++);
    await expect.poll(accepted).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(0);
    expect(server.seen).toEqual([]);
    server.server.closeAllConnections();
    await expect.poll(() => closed).toBe(1);
    stop();
  });

  it('calls back when the server is not there at all', async () => {
    let closed = 0;
    client(`http://127.0.0.1:${await closedPort()}`).watchConnection(() => closed++);
    await expect.poll(() => closed).toBe(1);
  });

  it('stays quiet after it was stopped', async () => {
    const server = await serve((_req, res) => json(res, 200, { lmstudio: true }));
    const accepted = connections(server);
    let closed = 0;
    const stop = client(server.url).watchConnection(() => closed++);
    await expect.poll(accepted).toBe(1);
    stop();
    server.server.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(0);
  });
});

describe('evidence about the token (onAuthEvidence)', () => {
  const ASKS = { error: { code: 'invalid_api_key', message: 'An LM Studio API token is required' } };
  const ASKS_IN_200 = { error: { message: 'An LM Studio API token is required to make requests to this server' } };
  /** Every API call the client makes, each on its own route. */
  const ROUTES: Array<[string, (c: LmStudioClient) => Promise<unknown>]> = [
    ['listModels', (c) => c.listModels()],
    ['loadModel', (c) => c.loadModel('qwen/qwen3-4b', {})],
    ['unloadModel', (c) => c.unloadModel('qwen/qwen3-4b')],
    ['startDownload', (c) => c.startDownload('qwen/qwen3-8b')],
    ['downloadStatus', (c) => c.downloadStatus('job-1')],
  ];

  it.each(
    ROUTES.flatMap(([name, run]) =>
      [
        [401, ASKS],
        [403, { error: 'Forbidden' }],
        [200, ASKS_IN_200],
      ].map(([status, body]) => [name, status, body, run] as const),
    ),
  )(
    '%s answered HTTP %i asking for a token -> refused, saying whether a token was sent',
    async (_name, status, body, run) => {
      const server = await serve((_req, res) => json(res, status as number, body));
      for (const token of [null, 'sk-lm-old']) {
        const seen: AuthEvidence[] = [];
        const error = await failure(
          run(client(server.url, { token: () => token, onAuthEvidence: (e) => seen.push(e) })),
        );
        expect(seen[0]).toEqual({ kind: 'refused', tokenSent: token !== null });
        expect(error.code).toBe(status === 403 ? 'forbidden' : 'unauthorized');
        expect(error.message).toBe(token ? TOKEN_REFUSED_MESSAGE : TOKEN_REQUIRED_MESSAGE);
      }
    },
  );

  it('any other answer is accepted, a 404 or a 500 included; the greeting and network failures tell nothing', async () => {
    const server = await serve((req, res) => {
      if (req.path === '/lmstudio-greeting') json(res, 401, ASKS);
      else if (req.path === '/api/v1/models/unload')
        json(res, 404, { error: { code: 'model_not_found', message: 'no' } });
      else json(res, 500, { error: 'Internal problem' });
    });
    const seen: AuthEvidence[] = [];
    const lmstudio = client(server.url, { onAuthEvidence: (e) => seen.push(e) });
    expect((await lmstudio.greet()).kind).toBe('unauthorized');
    expect(seen).toEqual([]);
    await failure(lmstudio.unloadModel('x'));
    await failure(lmstudio.startDownload('x'));
    expect(seen).toEqual([{ kind: 'accepted' }, { kind: 'accepted' }]);
    const gone = client(`http://127.0.0.1:${await closedPort()}`, { onAuthEvidence: (e) => seen.push(e) });
    await failure(gone.listModels());
    expect(seen).toHaveLength(2);
  });

  it('an observer that throws does not change the call', async () => {
    const server = await serve((_req, res) => json(res, 200, V1_MODELS));
    const lmstudio = client(server.url, {
      onAuthEvidence: () => {
        throw new Error('observer broke');
      },
    });
    expect((await lmstudio.listModels()).generation).toBe('v1');
  });
});

describe('listModels', () => {
  it('reuses a pooled connection, and lets one idle for 4 s go before LM Studio’s 5 s keep-alive could close it under a call', async () => {
    const server = await serve((_req, res) => json(res, 200, V1_MODELS));
    const accepted = connections(server);
    const lmstudio = client(server.url);
    await lmstudio.listModels();
    await lmstudio.listModels();
    expect(accepted()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 4_300));
    expect((await lmstudio.listModels()).generation).toBe('v1');
    expect(accepted()).toBe(2);
  }, 20_000);

  it('maps /api/v1/models (LM Studio 0.4)', async () => {
    const server = await serve((_req, res) => json(res, 200, V1_MODELS));
    const listing = await client(server.url).listModels();
    expect(listing.generation).toBe('v1');
    expect(listing.models.map((m) => [m.key, m.type, m.quantization, m.vision, m.toolUse, m.reasoning])).toEqual([
      ['qwen/qwen3-4b', 'llm', 'Q4_K_M', false, true, true],
      ['google/gemma-3-4b', 'vlm', '4bit', true, false, false],
      ['text-embedding-nomic-embed-text-v1.5', 'embedding', null, false, false, false],
    ]);
    expect(listing.models[0]).toMatchObject({
      displayName: 'Qwen3 4B',
      publisher: 'qwen',
      format: 'gguf',
      paramsString: '4B',
      sizeBytes: 2_500_000_000,
      maxContextLength: 32768,
    });
    expect(listing.loaded).toEqual([
      {
        identifier: 'qwen/qwen3-4b',
        modelKey: 'qwen/qwen3-4b',
        contextLength: 8192,
        ttlMs: null,
        lastUsedTime: null,
        activity: null,
        sizeBytes: 2_500_000_000,
      },
    ]);
  });

  it('falls back to /api/v0/models past the HTTP-200 "Unexpected endpoint" answer, and remembers it', async () => {
    const server = await serve((req, res) =>
      req.path === '/api/v0/models' ? json(res, 200, V0_MODELS) : unexpectedEndpoint(req, res),
    );
    const lmstudio = client(server.url);
    const listing = await lmstudio.listModels();
    expect(listing.generation).toBe('v0');
    expect(listing.models.map((m) => [m.key, m.type, m.vision, m.toolUse, m.quantization, m.format])).toEqual([
      ['qwen/qwen3-4b', 'llm', false, true, 'Q4_K_M', 'gguf'],
      ['google/gemma-3-4b', 'vlm', true, false, 'Q4_0', 'gguf'],
      ['text-embedding-nomic', 'embedding', false, false, null, null],
    ]);
    expect(listing.loaded).toEqual([expect.objectContaining({ identifier: 'qwen/qwen3-4b', contextLength: 4096 })]);
    expect(server.seen.map((s) => s.path)).toEqual(['/api/v1/models', '/api/v0/models']);

    await lmstudio.listModels();
    expect(server.seen.map((s) => s.path).slice(2)).toEqual(['/api/v0/models']);
  });

  it('merges a v0 model listed twice (loaded and not-loaded rows)', async () => {
    const row = V0_MODELS.data[0]!;
    const server = await serve((req, res) =>
      req.path === '/api/v0/models'
        ? json(res, 200, { data: [{ ...row, state: 'not-loaded' }, row] })
        : unexpectedEndpoint(req, res),
    );
    const listing = await client(server.url).listModels();
    expect(listing.models).toHaveLength(1);
    expect(listing.loaded).toHaveLength(1);
  });

  it('falls back to /v1/models past plain 404s, and never infers what is loaded from it', async () => {
    const server = await serve((req, res) =>
      req.path === '/v1/models'
        ? json(res, 200, { data: [{ id: 'openai/gpt-oss-20b', object: 'model' }], object: 'list' })
        : res.writeHead(404, { 'content-type': 'text/html' }).end('<pre>Cannot GET</pre>'),
    );
    const listing = await client(server.url).listModels();
    expect(listing).toMatchObject({ generation: 'openai', loaded: null });
    expect(listing.models[0]).toMatchObject({ key: 'openai/gpt-oss-20b', publisher: 'openai', loadedInstances: [] });
  });

  it('says so when no model list exists', async () => {
    const server = await serve(unexpectedEndpoint);
    expect((await failure(client(server.url).listModels())).message).toMatch(/none of LM Studio’s model lists/);
  });

  it.each([
    [401, { error: { code: 'invalid_api_key', message: 'An LM Studio API token is required' } }],
    [200, { error: { message: 'An LM Studio API token is required to make requests to this server' } }],
  ])('HTTP %i asking for a token -> "unauthorized" with how to add one', async (status, body) => {
    const server = await serve((_req, res) => json(res, status, body));
    const error = await failure(client(server.url).listModels());
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(TOKEN_REQUIRED_MESSAGE);
    expect(server.seen).toHaveLength(1);
  });

  it('403 -> "forbidden": the token sent was refused', async () => {
    const server = await serve((_req, res) => json(res, 403, { error: 'bad token' }));
    const error = await failure(client(server.url, { token: () => 'sk-lm-old' }).listModels());
    expect(error.code).toBe('forbidden');
    expect(error.message).toBe(TOKEN_REFUSED_MESSAGE);
  });

  it.each([
    ['a string', { error: 'Something broke\n  at stack' }, 'Something broke at stack'],
    ['an object', { error: { message: 'Internal problem', type: 'internal_error' } }, 'Internal problem'],
  ])('an error given as %s becomes a readable message', async (_name, body, reason) => {
    const server = await serve((_req, res) => json(res, 500, body));
    const error = await failure(client(server.url).listModels());
    expect(error.code).toBe('server-error');
    expect(error.message).toBe(`LM Studio could not list its models: ${reason}`);
  });

  it('a 500 with an HTML body names the status, not the page', async () => {
    const server = await serve((_req, res) => res.writeHead(500).end('<html>oops</html>'));
    const error = await failure(client(server.url).listModels());
    expect(error.message).toBe('LM Studio could not list its models: it answered HTTP 500');
  });

  it('malformed JSON -> a clear "unexpected answer"', async () => {
    const server = await serve((_req, res) => json(res, 200, '{"models": [ {"key": '));
    const error = await failure(client(server.url).listModels());
    expect(error.code).toBe('server-error');
    expect(error.message).toMatch(/^LM Studio sent an unexpected answer when asked to list its models\./);
  });

  it('the wrong shape -> "unexpected answer"', async () => {
    const server = await serve((_req, res) => json(res, 200, { models: 'none' }));
    expect((await failure(client(server.url).listModels())).message).toMatch(/unexpected answer/);
  });

  it('aborts a body past the size cap while streaming', async () => {
    let aborted = false;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => {
        aborted = !res.writableFinished;
      });
      res.write(`{"models":[${'{"key":"x"},'.repeat(1000)}`);
      // Never ends on its own: only the client's cap stops it.
      const timer = setInterval(() => res.write('{"key":"y"},'.repeat(100)), 5);
      res.on('close', () => clearInterval(timer));
    });
    const error = await failure(client(server.url, { maxResponseBytes: 64 * 1024 }).listModels());
    expect(error.message).toMatch(/^LM Studio sent an answer larger than 64 KB, so it was not read\./);
    await expect.poll(() => aborted).toBe(true);
  });

  it('refuses a declared Content-Length past the cap without reading it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{');
    });
    const error = await failure(client(server.url, { maxResponseBytes: 1024 * 1024 }).listModels());
    expect(error.message).toBe(
      'LM Studio sent an answer larger than 1 MB, so it was not read. Check that the LM Studio address in Settings points at LM Studio.',
    );
  });

  it('unreachable -> how to install and start LM Studio', async () => {
    const error = await failure(client(`http://127.0.0.1:${await closedPort()}`).listModels());
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(NOT_RESPONDING_MESSAGE);
    expect(error.message).not.toMatch(/\bat \w+ \(/);
  });

  it('a connection that drops mid-answer is said as such, not as "install LM Studio"', async () => {
    const server = await serve((_request, res) => res.socket?.destroy());
    const error = await failure(client(server.url).listModels());
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(
      'The connection to LM Studio dropped before it answered (it may have stopped or restarted). Try again once it is back.',
    );
  });

  it('times out a server that never answers', async () => {
    const server = await serve(() => {});
    const error = await failure(client(server.url, { timeoutMs: 200 }).listModels());
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe('LM Studio did not answer within 0.2 s. It may be busy; try again in a moment.');
  });

  it('reads the token on every request', async () => {
    const server = await serve((_req, res) => json(res, 200, V1_MODELS));
    let token: string | null = null;
    const lmstudio = client(server.url, { token: () => token });
    await lmstudio.listModels();
    token = 'sk-lm-new';
    await lmstudio.listModels();
    expect(server.seen.map((s) => s.authorization)).toEqual([undefined, 'Bearer sk-lm-new']);
  });
});

describe('answers that once slipped through (found by tests/robustness/answers)', () => {
  it('a redirect is an unexpected answer: never followed, so the token never reaches another origin', async () => {
    const elsewhere = await serve((_req, res) => json(res, 200, V1_MODELS));
    const server = await serve((_req, res) =>
      res
        .writeHead(302, { location: `http://localhost:${elsewhere.port}/api/v1/models` })
        .end(JSON.stringify(V1_MODELS)),
    );
    const error = await failure(client(server.url, { token: () => 'sk-lm-secret' }).listModels());
    expect(error.code).toBe('server-error');
    expect(error.message).toMatch(
      /^LM Studio could not list its models: the server answered with a redirect \(HTTP 302\)/,
    );
    expect(elsewhere.seen).toEqual([]);
  });

  it.each([
    ['a list of objects', [{ message: 'x' }]],
    ['a number', 42],
    ['an empty string', ''],
  ])('an error that is %s fails without "[object Object]"', async (_name, value) => {
    const server = await serve((_req, res) => json(res, 200, { error: value }));
    const error = await failure(client(server.url).listModels());
    expect(error.message).toBe('LM Studio could not list its models: no reason given');
  });

  it('`error: false` says nothing failed', async () => {
    const server = await serve((_req, res) => json(res, 200, { ...V1_MODELS, error: false }));
    expect((await client(server.url).listModels()).models).toHaveLength(3);
  });

  it('a server reason loses its control and bidi characters, and a web page is named, not quoted', async () => {
    let reason = 'bad\u0000\u001b[31m answer\u202e';
    const server = await serve((_req, res) => json(res, 500, { error: reason }));
    expect((await failure(client(server.url).listModels())).message).toBe(
      'LM Studio could not list its models: bad [31m answer',
    );
    reason = '<!DOCTYPE html><html><body>Internal error</body></html>';
    expect((await failure(client(server.url).listModels())).message).toBe(
      'LM Studio could not list its models: it answered with a web page instead of a reason',
    );
  });

  it('a model_not_found reason is one line', async () => {
    const server = await serve((_req, res) =>
      json(res, 404, { error: { message: 'Model "x" not found.\n\nYour models:\n\na', code: 'model_not_found' } }),
    );
    const error = await failure(client(server.url).listModels());
    expect(error.code).toBe('not-found');
    expect(error.message).toBe('LM Studio could not list its models: Model "x" not found. Your models: a');
  });

  it('sizes and lengths past 2^53 are unknown, not shown as absurd figures', async () => {
    const server = await serve((req, res) => {
      if (req.path === '/api/v1/models') {
        const [model] = V1_MODELS.models;
        return json(
          res,
          200,
          `{"models":[${JSON.stringify(model).replace('"size_bytes":2500000000', '"size_bytes":18446744073709551616')}]}`,
        );
      }
      json(res, 200, `{"job_id":"j","status":"downloading","total_size_bytes":1e308,"downloaded_bytes":5}`);
    });
    const lmstudio = client(server.url);
    expect((await lmstudio.listModels()).models[0]).toMatchObject({ key: 'qwen/qwen3-4b', sizeBytes: null });
    expect(await lmstudio.downloadStatus('j')).toMatchObject({ totalBytes: null, downloadedBytes: 5 });
  });

  it('a greeting past 64 KB is another program ("foreign"), not an unreachable one', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"lmstudio":true,"pad":"${'x'.repeat(100_000)}"}`);
    });
    expect(await client(server.url).greet()).toEqual({
      kind: 'foreign',
      message: 'It answered with more than 64 KB instead of LM Studio’s greeting.',
    });
  });

  it('an empty greeting is called empty, not JSON; a reset is worded for a user', async () => {
    let reset = false;
    const server = await serve((_req, res) => (reset ? res.socket?.resetAndDestroy() : res.writeHead(302).end()));
    expect(await client(server.url).greet()).toEqual({
      kind: 'foreign',
      message: 'It answered HTTP 302 with an empty body instead of LM Studio’s greeting.',
    });
    reset = true;
    expect(await client(server.url).greet()).toEqual({
      kind: 'error',
      message: 'the connection was reset',
    });
  });

  it('a fallback to /api/v0 after a passing 404 from /api/v1 is not kept for good: v1 is tried again once the recheck is due', async () => {
    let v1Missing = true;
    const server = await serve((req, res) => {
      if (req.path === '/api/v1/models') return v1Missing ? res.writeHead(404).end() : json(res, 200, V1_MODELS);
      json(res, 200, { data: [{ id: 'qwen/qwen3-4b', type: 'llm', state: 'not-loaded' }] });
    });
    const soon = client(server.url, { generationRecheckMs: 0 });
    expect((await soon.listModels()).generation).toBe('v0');
    v1Missing = false;
    expect((await soon.listModels()).generation).toBe('v1');
    v1Missing = true;
    const later = client(server.url);
    await later.listModels();
    v1Missing = false;
    expect((await later.listModels()).generation).toBe('v0');
  });

  it('a load and a download start that hang end by their own (injectable) timeouts', async () => {
    const server = await serve(() => {});
    const lmstudio = client(server.url, { loadTimeoutMs: 200, downloadStartTimeoutMs: 300 });
    expect((await failure(lmstudio.loadModel('qwen/qwen3-4b', {}))).message).toMatch(/did not answer within 0\.2 s/);
    expect((await failure(lmstudio.startDownload('qwen/qwen3-4b'))).message).toMatch(/did not answer within 0\.3 s/);
  });
});

describe('loadModel', () => {
  it('POSTs exactly {model, context_length} to /api/v1/models/load; GPU offload and TTL are not sent', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, { type: 'llm', instance_id: 'qwen/qwen3-4b:2', load_time_seconds: 1.2, status: 'loaded' }),
    );
    const result = await client(server.url).loadModel('qwen/qwen3-4b', {
      contextLength: 8192,
      gpuOffload: 'max',
      ttlSeconds: 600,
    });
    expect(result).toEqual({ identifier: 'qwen/qwen3-4b:2', via: 'rest' });
    expect(server.seen[0]).toMatchObject({ method: 'POST', path: '/api/v1/models/load' });
    expect(JSON.parse(server.seen[0]!.body)).toEqual({ model: 'qwen/qwen3-4b', context_length: 8192 });
  });

  it('without /api/v1, sends the minimal /v1/responses request', async () => {
    const server = await serve((req, res) =>
      req.path === '/v1/responses' ? json(res, 200, { id: 'resp_1', output: [] }) : unexpectedEndpoint(req, res),
    );
    const result = await client(server.url).loadModel('qwen/qwen3-4b', { contextLength: 4096 });
    expect(result).toEqual({ identifier: 'qwen/qwen3-4b', via: 'responses' });
    expect(server.seen.map((s) => s.path)).toEqual(['/api/v1/models/load', '/v1/responses']);
    expect(JSON.parse(server.seen[1]!.body)).toEqual({ model: 'qwen/qwen3-4b', input: '', max_output_tokens: 1 });
  });

  it('restOnly (the keeper): without /api/v1 it refuses rather than JIT-load through /v1/responses', async () => {
    const server = await serve((req, res) =>
      req.path === '/api/v0/models' ? json(res, 200, V0_MODELS) : unexpectedEndpoint(req, res),
    );
    const lmstudio = client(server.url);
    await expect(lmstudio.loadModel('qwen/qwen3-4b', {}, { restOnly: true })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('a just-in-time load would come back with a TTL'),
    });
    await lmstudio.listModels();
    await expect(lmstudio.loadModel('qwen/qwen3-4b', {}, { restOnly: true })).rejects.toThrow('no REST load');
    expect(server.seen.map((s) => s.path)).toEqual(['/api/v1/models/load', '/api/v1/models', '/api/v0/models']);
  });

  it('before 0.3.29 (no /v1/responses), loads with a one-token chat completion', async () => {
    const server = await serve((req, res) =>
      req.path === '/v1/chat/completions'
        ? json(res, 200, { id: 'chat_1', choices: [] })
        : unexpectedEndpoint(req, res),
    );
    const result = await client(server.url).loadModel('qwen/qwen3-4b', {});
    expect(result).toEqual({ identifier: 'qwen/qwen3-4b', via: 'responses' });
    expect(server.seen.map((s) => s.path)).toEqual(['/api/v1/models/load', '/v1/responses', '/v1/chat/completions']);
    expect(JSON.parse(server.seen[2]!.body)).toEqual({
      model: 'qwen/qwen3-4b',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 1,
    });
  });

  it('goes straight to /v1/responses once the model list showed there is no v1 API', async () => {
    const server = await serve((req, res) =>
      req.path === '/api/v0/models'
        ? json(res, 200, V0_MODELS)
        : req.path === '/v1/responses'
          ? json(res, 200, { id: 'resp_1' })
          : unexpectedEndpoint(req, res),
    );
    const lmstudio = client(server.url);
    await lmstudio.listModels();
    await lmstudio.loadModel('qwen/qwen3-4b', {});
    expect(server.seen.map((s) => s.path)).toEqual(['/api/v1/models', '/api/v0/models', '/v1/responses']);
  });

  it('model_not_found -> "LM Studio has no model called X."', async () => {
    const server = await serve((_req, res) =>
      json(res, 404, {
        error: {
          message: 'Model "nope/nope" not found. Please specify a valid model.\n\nYour models:\n\nqwen/qwen3-4b',
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      }),
    );
    const error = await failure(client(server.url).loadModel('nope/nope', {}));
    expect(error.code).toBe('not-found');
    expect(error.message).toBe('LM Studio has no model called nope/nope.');
  });

  it('a failed load reports the server’s reason', async () => {
    const server = await serve((_req, res) =>
      json(res, 500, { error: { type: 'internal_error', message: 'Not enough memory to load the model' } }),
    );
    const error = await failure(client(server.url).loadModel('qwen/qwen3-4b', {}));
    expect(error.message).toBe('LM Studio could not load qwen/qwen3-4b: Not enough memory to load the model');
  });

  it("a load LM Studio's guardrails refuse says so in one sentence naming the setting", async () => {
    const server = await serve((_req, res) =>
      json(res, 500, {
        error: {
          message:
            'Error: Model loading was stopped due to insufficient system resources. Under the current settings, this model requires approximately 22.92 GB of memory, and continuing to load it would likely overload your system and cause it to freeze. If you think this is incorrect, you can adjust the model loading guardrails in settings.',
          type: 'model_load_failed',
        },
      }),
    );
    const error = await failure(client(server.url).loadModel('qwen/qwen3.5-9b', { contextLength: 110_000 }));
    expect(error).toMatchObject({
      code: 'server-error',
      message:
        'LM Studio refused to load qwen/qwen3.5-9b: its "Model loading guardrails" setting says there is not enough memory (it needs about 22.92 GB). ' +
        'Choose a shorter context length or less GPU offload, unload another model, or change "Model loading guardrails" in LM Studio\'s settings.',
    });
  });
});

describe('unload and REST downloads', () => {
  it('unloads by instance id', async () => {
    const server = await serve((_req, res) => json(res, 200, { instance_id: 'qwen/qwen3-4b' }));
    await client(server.url).unloadModel('qwen/qwen3-4b');
    expect(server.seen[0]).toMatchObject({ method: 'POST', path: '/api/v1/models/unload' });
    expect(JSON.parse(server.seen[0]!.body)).toEqual({ instance_id: 'qwen/qwen3-4b' });
  });

  it('an unknown instance -> not-found', async () => {
    const server = await serve((_req, res) =>
      json(res, 404, { error: { type: 'model_not_found', message: 'No instance' } }),
    );
    const error = await failure(client(server.url).unloadModel('ghost'));
    expect(error).toMatchObject({ code: 'not-found', message: 'No model called ghost is loaded in LM Studio.' });
  });

  it('starts a download and polls its status by path segment', async () => {
    const eta = new Date(Date.now() + 120_000).toISOString();
    const server = await serve((req, res) =>
      req.path === '/api/v1/models/download'
        ? json(res, 200, {
            job_id: 'job_493c7c9ded',
            status: 'downloading',
            total_size_bytes: 2279145003,
            started_at: '2025-10-03T15:33:23.496Z',
          })
        : json(res, 200, {
            job_id: 'job_493c7c9ded',
            status: 'downloading',
            bytes_per_second: 25_000_000,
            estimated_completion: eta,
            total_size_bytes: 2279145003,
            downloaded_bytes: 1_000_000_000,
          }),
    );
    const lmstudio = client(server.url);
    expect(await lmstudio.startDownload('openai/gpt-oss-20b')).toEqual({
      jobId: 'job_493c7c9ded',
      status: 'downloading',
      totalBytes: 2279145003,
      downloadedBytes: null,
      bytesPerSecond: null,
      etaSeconds: null,
    });
    expect(JSON.parse(server.seen[0]!.body)).toEqual({ model: 'openai/gpt-oss-20b' });
    const status = await lmstudio.downloadStatus('job_493c7c9ded');
    expect(server.seen[1]!.path).toBe('/api/v1/models/download/status/job_493c7c9ded');
    expect(status).toMatchObject({ downloadedBytes: 1_000_000_000, bytesPerSecond: 25_000_000 });
    expect(status.etaSeconds).toBeGreaterThan(100);
    expect(status.etaSeconds).toBeLessThanOrEqual(120);
  });

  it('already_downloaded has no job', async () => {
    const server = await serve((_req, res) => json(res, 200, { status: 'already_downloaded' }));
    expect(await client(server.url).startDownload('qwen/qwen3-4b')).toMatchObject({
      jobId: null,
      status: 'already_downloaded',
    });
  });

  it('an unknown status is an unexpected answer, and an unknown job is not-found', async () => {
    const server = await serve((req, res) =>
      req.path.endsWith('/download')
        ? json(res, 200, { status: 'exploding' })
        : json(res, 404, { error: { type: 'job_not_found', message: 'no job' } }),
    );
    const lmstudio = client(server.url);
    expect((await failure(lmstudio.startDownload('a/b'))).message).toMatch(/unexpected answer/);
    expect(await failure(lmstudio.downloadStatus('job_x'))).toMatchObject({
      code: 'not-found',
      message: 'LM Studio has no download job job_x.',
    });
  });

  it('LM Studio 0.3 cannot download over HTTP: says what to use instead', async () => {
    const server = await serve(unexpectedEndpoint);
    const error = await failure(client(server.url).startDownload('qwen/qwen3-4b'));
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/cannot download models over HTTP.*`lms get`/);
  });
});

describe('construction', () => {
  it('exposes the normalised address', () => {
    const lmstudio = client('localhost:4321/v1/');
    expect([lmstudio.baseUrl, lmstudio.port, lmstudio.isLocal]).toEqual(['http://localhost:4321', 4321, true]);
  });

  it('refuses an address with credentials', () => {
    expect(() => client('http://me:pw@127.0.0.1:1234')).toThrow(CoreError);
  });
});

describe('against the LM Studio simulator', () => {
  let sim: Simulator | null = null;

  afterEach(async () => {
    await sim?.close();
    sim = null;
  });

  it('0.4: greets, lists with v1, loads exactly, unloads', async () => {
    sim = await startSimulator({ generation: '0.4', loaded: ['openai/gpt-oss-20b'] });
    const lmstudio = client(sim.baseUrl);
    expect(await lmstudio.greet()).toEqual({ kind: 'lmstudio' });
    const listing = await lmstudio.listModels();
    expect(listing.generation).toBe('v1');
    expect(listing.models.map((m) => m.key)).toContain('qwen/qwen3-4b');
    expect(listing.loaded?.map((i) => i.identifier)).toEqual(['openai/gpt-oss-20b']);

    expect(await lmstudio.loadModel('qwen/qwen3-4b', { contextLength: 8192 })).toEqual({
      identifier: 'qwen/qwen3-4b',
      via: 'rest',
    });
    expect(sim.state.loaded().map((i) => [i.modelKey, i.contextLength])).toContainEqual(['qwen/qwen3-4b', 8192]);
    await lmstudio.unloadModel('qwen/qwen3-4b');
    expect(sim.state.loaded().map((i) => i.identifier)).toEqual(['openai/gpt-oss-20b']);

    expect(await failure(lmstudio.loadModel('nobody/nothing', {}))).toMatchObject({
      code: 'not-found',
      message: 'LM Studio has no model called nobody/nothing.',
    });
    expect(await failure(lmstudio.unloadModel('ghost'))).toMatchObject({ code: 'not-found' });
    expect(sim.state.wakeCount()).toBe(0);
  });

  it('0.3: lists with v0 and loads through /v1/responses', async () => {
    sim = await startSimulator({ generation: '0.3' });
    const lmstudio = client(sim.baseUrl);
    const listing = await lmstudio.listModels();
    expect(listing.generation).toBe('v0');
    expect(listing.loaded).toEqual([]);
    expect(await lmstudio.loadModel('qwen/qwen3-4b', {})).toEqual({ identifier: 'qwen/qwen3-4b', via: 'responses' });
    expect(sim.state.loaded().map((i) => i.modelKey)).toEqual(['qwen/qwen3-4b']);
    expect((await lmstudio.listModels()).loaded?.map((i) => i.identifier)).toEqual(['qwen/qwen3-4b']);
    expect((await failure(lmstudio.startDownload('qwen/qwen3-8b'))).code).toBe('unavailable');
  });

  it.each([401, 200, 403] as const)('a token answered with HTTP %i: unauthorized until it is given', async (status) => {
    sim = await startSimulator({ token: 'sk-lm-abcdefgh:abcdefghijklmnopqrst', authErrorStatus: status });
    let token: string | null = null;
    const lmstudio = client(sim.baseUrl, { token: () => token });
    // The greeting needs no token (lms sends none), so the model list is what tells.
    expect(await lmstudio.greet()).toEqual({ kind: 'lmstudio' });
    const error = await failure(lmstudio.listModels());
    expect(['unauthorized', 'forbidden']).toContain(error.code);
    expect(error.message).toMatch(/API token/);
    token = 'sk-lm-abcdefgh:abcdefghijklmnopqrst';
    expect((await lmstudio.listModels()).generation).toBe('v1');
  });

  it('downloads over REST and follows the job to completion', async () => {
    sim = await startSimulator({ downloadBytesPerSecond: 4_000_000_000 });
    const lmstudio = client(sim.baseUrl);
    // In the default catalog, not yet downloaded.
    const catalogKey = 'qwen/qwen3-8b';
    expect(sim.state.models().map((m) => m.key)).not.toContain(catalogKey);
    const job = await lmstudio.startDownload(catalogKey);
    expect(job.status).toBe('downloading');
    expect(job.jobId).toMatch(/\S/);
    let status = job;
    await expect
      .poll(
        async () => {
          status = await lmstudio.downloadStatus(job.jobId!);
          return status.status;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe('completed');
    expect((await lmstudio.listModels()).models.map((m) => m.key)).toContain(catalogKey);
    expect(await lmstudio.startDownload(catalogKey)).toMatchObject({ status: 'already_downloaded', jobId: null });
  });

  it('a foreign program on the port, and a hung server', async () => {
    sim = await startSimulator({ foreign: true });
    const lmstudio = client(sim.baseUrl, { timeoutMs: 300 });
    expect((await lmstudio.greet()).kind).toBe('foreign');
    sim.configure({ foreign: false, hang: true });
    expect(await lmstudio.greet({ timeoutMs: 200 })).toEqual({ kind: 'timeout' });
    expect((await failure(lmstudio.listModels())).message).toMatch(/did not answer within 0.3 s/);
  });

  it('crash: the watched connection closes and the greeting is refused', async () => {
    sim = await startSimulator();
    const lmstudio = client(sim.baseUrl);
    let closed = false;
    const stop = lmstudio.watchConnection(() => {
      closed = true;
    });
    expect(await lmstudio.connectCheck()).toBe('connected');
    await sim.crash();
    await expect.poll(() => closed).toBe(true);
    expect(await lmstudio.greet()).toEqual({ kind: 'refused' });
    expect(sim.state.requests()).toEqual([]);
    stop();
  });

  it('a server that stops listening: the connect check is refused while the watched connection stays', async () => {
    sim = await startSimulator();
    const lmstudio = client(sim.baseUrl);
    let closed = false;
    const stop = lmstudio.watchConnection(() => {
      closed = true;
    });
    expect(await lmstudio.connectCheck()).toBe('connected');
    await sim.stopListening();
    expect(await lmstudio.connectCheck()).toBe('refused');
    expect(closed).toBe(false);
    await sim.startServer();
    expect(await lmstudio.connectCheck()).toBe('connected');
    expect(sim.state.requests()).toEqual([]);
    stop();
  });
});
