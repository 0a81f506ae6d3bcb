/**
 * The bad answers, derived from each route's good sample (routes.ts): what goes wrong on the wire
 * (HTML, truncation, silence, a trickle, a reset, a flood, a redirect), what goes wrong in the
 * envelope (200 with an error, 4xx/5xx in both error shapes, a token asked for), and what goes
 * wrong inside the JSON (each field removed, null, or of each wrong type; duplicate keys; absurd
 * numbers; null everywhere). Each case says what the call must conclude.
 */
import type { Behaviour } from './hostile-server';
import type { Route, WhenMissing } from './routes';

/** What the call must conclude. `either`: a result the contract accepts, or a CoreError with a true message. */
export type Expected =
  | { outcome: 'fails'; code: string | readonly string[]; message?: RegExp }
  | { outcome: 'succeeds' }
  | { outcome: 'either' };

export interface BadCase {
  route: Route;
  /** Which kind of wrong, e.g. `truncated JSON`: the families the core-level recovery picks from. */
  family: string;
  name: string;
  behaviour: Behaviour;
  expected: Expected;
}

export interface CaseContext {
  /** Another origin, for redirects: it must never be asked anything. */
  trapUrl: string;
  /** The size of the floods (50 MB). */
  floodBytes: number;
}

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>Error</title></head><body><pre>Cannot GET /api/v1/models</pre></body></html>';
const SERVER_REASON = 'The model crashed while loading (exit code 6)';
const TOKEN_REASON =
  "An LM Studio API token is required to make requests to this server, but none was provided using the Authorization header using the 'Bearer' scheme.";

const UNEXPECTED = /sent an unexpected answer when asked to/;
const fails = (code: string | readonly string[], message?: RegExp): Expected => ({ outcome: 'fails', code, message });
const EITHER: Expected = { outcome: 'either' };

function answer(status: number, body: string, contentType = 'application/json'): Behaviour {
  return { kind: 'answer', status, body, headers: { 'content-type': contentType } };
}

/** The greeting's verdict on anything but `{"lmstudio":true}`: another program holds the port. */
const foreign = (message?: RegExp): Expected => fails('foreign', message);

export function badAnswers(route: Route, context: CaseContext): BadCase[] {
  const greeting = route.kind === 'greeting';
  const good = JSON.stringify(route.good);
  const cases: BadCase[] = [];
  const add = (family: string, name: string, behaviour: Behaviour, expected: Expected) =>
    cases.push({ route, family, name: `${family}: ${name}`, behaviour, expected });
  const missing = (when: WhenMissing | undefined): Expected =>
    greeting || !when ? foreign() : when.outcome === 'succeeds' ? when : fails(when.code, when.message);
  /** An answer that is not JSON (or not an object) with status 200. */
  const unreadable = greeting ? foreign() : fails('server-error', UNEXPECTED);

  // Not JSON at all.
  add(
    'HTML',
    'a web page with 200',
    answer(200, HTML_PAGE, 'text/html'),
    greeting ? foreign(/a web page/) : unreadable,
  );
  for (const status of [500, 502, 503]) {
    add(
      'HTML',
      `a web page with ${status}`,
      answer(status, HTML_PAGE, 'text/html'),
      greeting
        ? foreign(new RegExp(`HTTP ${status} with a web page`))
        : fails('server-error', new RegExp(`HTTP ${status}`)),
    );
  }
  add('HTML', 'a plain 404 page', answer(404, HTML_PAGE, 'text/html'), missing(route.whenMissing));
  add('HTML', 'an empty 404', answer(404, ''), missing(route.whenMissing));
  add('not JSON', 'plain text', answer(200, 'OK', 'text/plain'), unreadable);
  add('not JSON', 'an empty 200', answer(200, ''), unreadable);
  add('not JSON', 'a 204 with no body', answer(204, ''), unreadable);
  add(
    'not JSON',
    'binary bytes',
    { kind: 'answer', status: 200, body: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0xc3]) },
    unreadable,
  );

  // Truncated and invalid JSON.
  for (const fraction of [0, 0.25, 0.5, 0.75]) {
    const at = Math.max(1, Math.floor(good.length * fraction));
    add('truncated JSON', `cut after ${at} of ${good.length} characters`, answer(200, good.slice(0, at)), unreadable);
  }
  add('truncated JSON', 'the last brace missing', answer(200, good.slice(0, -1)), unreadable);
  const invalid: Record<string, string> = {
    'single quotes': good.replaceAll('"', "'"),
    'a trailing comma': `${good.slice(0, -1)},}`,
    'two documents': `${good}${good}`,
    'NaN as a value': good.replace(/:(\d+|true|false|null)/, ':NaN'),
    'a comment': `// LM Studio\n${good}`,
    'unquoted keys': good.replace(/"([a-z_]+)":/g, '$1:'),
  };
  for (const [name, body] of Object.entries(invalid)) {
    if (body !== good) add('invalid JSON', name, answer(200, body), unreadable);
  }
  for (const [name, body] of Object.entries({
    'a list': '[]',
    'a string': '"ok"',
    'a number': '42',
    true: 'true',
    null: 'null',
  })) {
    add('not an object', name, answer(200, body), unreadable);
  }

  // 200 with an error body, in both shapes, and in odd ones.
  const serverSaid = greeting ? foreign(/The model crashed/) : fails('server-error', /The model crashed while loading/);
  add('200 with an error', 'a string', answer(200, JSON.stringify({ error: SERVER_REASON })), serverSaid);
  add(
    '200 with an error',
    'an object',
    answer(200, JSON.stringify({ error: { message: SERVER_REASON, type: 'internal_error' } })),
    serverSaid,
  );
  const odd: Record<string, unknown> = {
    'a number': 42,
    'a list': [],
    'a list of objects': [{ message: SERVER_REASON }],
    'an empty object': {},
    'an object whose message is an object': { message: { text: SERVER_REASON } },
    'an empty message': { message: '' },
    'a 10,000-character message': { message: 'x'.repeat(10_000) },
    'a message with control characters': { message: `bad\u0000\u001b[31m answer\u202e` },
    'a message that is HTML': { message: HTML_PAGE },
  };
  for (const [name, error] of Object.entries(odd)) {
    add(
      '200 with an error',
      name,
      answer(200, JSON.stringify({ error })),
      greeting ? foreign() : fails('server-error'),
    );
  }

  // 4xx/5xx in both error shapes.
  for (const status of [400, 404, 409, 422, 429, 500, 503]) {
    for (const [shape, body] of [
      ['a string error', { error: SERVER_REASON }],
      ['an error object', { error: { message: SERVER_REASON, type: 'invalid_request', param: 'model' } }],
    ] as const) {
      const expected: Expected = greeting
        ? foreign(/The model crashed/)
        : status === 404 && route.notFound
          ? fails('not-found', route.notFound)
          : fails('server-error', /The model crashed while loading/);
      add(`HTTP ${status}`, shape, answer(status, JSON.stringify(body)), expected);
    }
  }
  add(
    'HTTP 404',
    'model_not_found',
    answer(
      404,
      JSON.stringify({
        error: {
          message: 'Model "x" not found.\n\nYour models:\n\na\nb',
          type: 'invalid_request_error',
          code: 'model_not_found',
        },
      }),
    ),
    greeting ? foreign() : fails('not-found', route.notFound ?? /not found/),
  );

  // A token asked for (both shapes, and LM Studio's odd HTTP 200).
  const tokenBody = { error: { type: 'invalid_request', code: 'invalid_api_key', message: TOKEN_REASON } };
  for (const [status, body] of [
    [401, tokenBody],
    [403, tokenBody],
    [401, { error: TOKEN_REASON }],
    [200, tokenBody],
  ] as const) {
    const code = status === 403 ? 'forbidden' : 'unauthorized';
    add(
      'token asked for',
      `HTTP ${status} with ${typeof body.error === 'string' ? 'a string' : 'an object'}`,
      answer(status, JSON.stringify(body)),
      greeting ? fails('unauthorized') : fails(code, /refused the token in Settings/),
    );
  }

  // Redirects: never followed, whatever the body says.
  for (const status of [301, 302, 303, 307, 308]) {
    const behaviour: Behaviour = { kind: 'redirect', status, location: `${context.trapUrl}/api/v1/models`, body: good };
    add(
      'redirect',
      `${status} to another origin`,
      behaviour,
      greeting ? foreign(new RegExp(`HTTP ${status}`)) : fails('server-error', /redirect/),
    );
  }
  add(
    'redirect',
    '302 to a path on the same server',
    { kind: 'redirect', status: 302, location: '/lmstudio-greeting', body: good },
    greeting ? foreign(/HTTP 302/) : fails('server-error', /redirect/),
  );

  // The connection itself.
  const tooSlow = greeting ? fails('timeout') : fails('unavailable', /did not answer within/);
  add('silence', 'accepts and never answers', { kind: 'hang' }, tooSlow);
  add('silence', 'sends the headers, then nothing', { kind: 'hang', afterHeaders: true }, tooSlow);
  add('silence', 'a byte a second', { kind: 'trickle', body: good, everyMs: 1000 }, tooSlow);
  const dropped = greeting
    ? fails('error', /^the connection was reset$/)
    : fails('unavailable', /dropped before it answered/);
  add('reset', 'before any answer', { kind: 'reset' }, dropped);
  add('reset', 'half-way through the body', { kind: 'reset', body: good }, dropped);
  const tooLarge = greeting ? foreign(/more than 64 KB/) : fails('server-error', /larger than/);
  add(
    'huge',
    `${context.floodBytes / 1e6} MB streamed`,
    { kind: 'flood', bytes: context.floodBytes, declared: false },
    tooLarge,
  );
  add(
    'huge',
    `${context.floodBytes / 1e6} MB declared`,
    { kind: 'flood', bytes: context.floodBytes, declared: true },
    tooLarge,
  );
  add(
    'huge',
    `${context.floodBytes / 1e6} MB gzipped into kilobytes`,
    { kind: 'gzip-bomb', bytes: context.floodBytes },
    // Refused past the cap once inflated, or (by a client that does not inflate) as the unreadable bytes it is.
    greeting ? foreign() : fails('server-error', /larger than|unexpected answer/),
  );

  // Inside the JSON: every field removed, null, or of each wrong type.
  for (const path of fieldPaths(route.good)) {
    const at = path.join('.');
    const current = valueAt(route.good, path);
    if (typeof path.at(-1) === 'string')
      add('field removed', at, answer(200, JSON.stringify(withValue(route.good, path, REMOVE))), EITHER);
    for (const [typeName, wrong] of Object.entries(WRONG_TYPES)) {
      if (typeName === jsonType(current)) continue;
      add(`field ${typeName}`, at, answer(200, JSON.stringify(withValue(route.good, path, wrong))), EITHER);
    }
  }
  add('null everywhere', 'every value null', answer(200, JSON.stringify(nullEverywhere(route.good))), EITHER);
  add('null everywhere', 'every leaf null', answer(200, JSON.stringify(nullLeaves(route.good))), EITHER);

  // Duplicate keys: which copy wins is JSON.parse's business; the result must still be typed.
  for (const key of Object.keys(route.good)) {
    const duplicate = `${JSON.stringify(key)}:{"dup":[1,"x"]}`;
    add('duplicate keys', `${key} first wrong`, answer(200, `{${duplicate},${good.slice(1)}`), EITHER);
    add('duplicate keys', `${key} last wrong`, answer(200, `${good.slice(0, -1)},${duplicate}}`), EITHER);
  }

  // Absurd numbers, written as raw JSON text so 2^64 and 1e400 arrive as the server wrote them.
  for (const path of fieldPaths(route.good).filter((p) => typeof valueAt(route.good, p) === 'number')) {
    for (const [name, literal] of Object.entries(ABSURD_NUMBERS)) {
      const body = JSON.stringify(withValue(route.good, path, MARK)).replace(`"${MARK}"`, literal);
      if (!body.includes(literal)) throw new Error(`the absurd number for ${path.join('.')} was not written`);
      add('absurd number', `${path.join('.')} = ${name}`, answer(200, body), EITHER);
    }
  }
  return cases;
}

/**
 * Seeded random damage on top of the cases above: several fields changed at once, and bytes of
 * the good body overwritten. `count` of each per route (`scaled()` in the suites: a few in
 * `npm test`, thousands in `npm run fuzz`); the same seed gives the same cases.
 */
export function randomBadAnswers(route: Route, count: number, seed: number): BadCase[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const paths = fieldPaths(route.good);
  const values = [REMOVE, ...Object.values(WRONG_TYPES), -1, 2 ** 64, 'x'.repeat(1000), [null], { a: { b: [] } }];
  const cases: BadCase[] = [];
  for (let i = 0; i < count; i++) {
    let body: unknown = route.good;
    const changed: string[] = [];
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      const path = pick(paths.filter((candidate) => hasPath(body, candidate)));
      if (!path) break;
      body = withValue(body, path, pick(values));
      changed.push(path.join('.'));
    }
    const text = JSON.stringify(body);
    cases.push({
      route,
      family: 'random fields',
      name: `random fields #${seed}-${i}: ${changed.join(', ')}`,
      behaviour: answer(200, text),
      expected: EITHER,
    });
    const bytes = Buffer.from(JSON.stringify(route.good));
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--)
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    cases.push({
      route,
      family: 'random bytes',
      name: `random bytes #${seed}-${i}`,
      behaviour: { kind: 'answer', status: 200, body: bytes },
      expected: EITHER,
    });
  }
  return cases;
}

/** mulberry32: small, seeded, good enough to pick cases. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hasPath(value: unknown, path: Array<string | number>): boolean {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !(key in current)) return false;
    current = (current as Record<string | number, unknown>)[key];
  }
  return true;
}

const REMOVE = Symbol('remove');
const MARK = '@@absurd-number@@';
const WRONG_TYPES: Record<string, unknown> = {
  null: null,
  string: 'x',
  'empty string': '',
  number: 7,
  boolean: true,
  list: [],
  object: {},
};
const ABSURD_NUMBERS: Record<string, string> = {
  negative: '-1',
  '2^64': '18446744073709551616',
  '1e308': '1e308',
  '1e400 (Infinity)': '1e400',
  'a numeric string': '"123"',
  fractional: '0.5',
  'negative zero': '-0',
};

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value === '') return 'empty string';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Every field's path: each key of each object, and the first element of each list (its shape stands for all). */
function fieldPaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : [[...prefix, 0], ...fieldPaths(value[0], [...prefix, 0])];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...fieldPaths(child, [...prefix, key])]);
}

function valueAt(value: unknown, path: Array<string | number>): unknown {
  return path.reduce<unknown>((current, key) => (current as Record<string | number, unknown>)[key], value);
}

/** A deep copy of `value` with the field at `path` replaced (or removed). */
function withValue(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path.at(-1)!;
  if (replacement === REMOVE) delete parent[key];
  else parent[key] = replacement;
  return copy;
}

/** The top-level fields all null. */
function nullEverywhere(value: Record<string, unknown>): Record<string, null> {
  return Object.fromEntries(Object.keys(value).map((key) => [key, null]));
}

/** The shape kept, every leaf value null. */
function nullLeaves(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullLeaves);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, nullLeaves(child)]));
  }
  return null;
}
