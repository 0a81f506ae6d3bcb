import { parseBaseUrl } from '../../shared/lmstudio-address';
import { CoreError } from '../errors';

/** LM Studio's server port when nothing else is known (its own default). */
export const DEFAULT_LMSTUDIO_PORT = 1234;

/** A base URL reduced to what the client needs. */
export interface NormalisedBaseUrl {
  /** `scheme://host:port` with no path, e.g. `http://127.0.0.1:1234`. */
  origin: string;
  port: number;
  /** True when the host is this machine: only then may the local `lms` act on it. */
  isLocal: boolean;
}

/**
 * Normalises the LM Studio address as a user typed it: with or without `/v1`, trailing
 * slashes, `localhost`, `[::1]`, or no scheme at all. A missing port means LM Studio's 1234
 * for http (443 for https).
 *
 * @throws CoreError('invalid-input') for what `parseBaseUrl` (the shared rule) refuses: anything
 *   but http(s), embedded credentials, a port outside 1-65535, or a path that is not the server's root.
 */
export function normaliseBaseUrl(raw: string): NormalisedBaseUrl {
  const parsed = parseBaseUrl(raw);
  if (!parsed.ok) throw new CoreError('invalid-input', parsed.message);
  const { url, port } = parsed;
  const defaultForScheme = url.protocol === 'http:' ? 80 : 443;
  const origin =
    port === defaultForScheme ? `${url.protocol}//${url.host}` : `${url.protocol}//${url.hostname}:${port}`;
  return { origin, port, isLocal: isLoopbackHost(url.hostname) };
}

/**
 * The address to use when the user set none: the port LM Studio last served on (from
 * `<home>/.internal/http-server-config.json`), else 1234, always on 127.0.0.1 because
 * LM Studio binds there by default and `localhost` may resolve to `::1` first.
 */
export function defaultBaseUrl(lastConfig: { port: number } | null): string {
  const port = lastConfig && isValidPort(lastConfig.port) ? lastConfig.port : DEFAULT_LMSTUDIO_PORT;
  return `http://127.0.0.1:${port}`;
}

/** `localhost`, `127.0.0.0/8`, `[::1]`, `0.0.0.0` (connects to this machine) and `*.localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0.0.0.0' || host === '::') return true;
  if (/^127(\.\d{1,3}){3}$/.test(host)) return true;
  // IPv4-mapped IPv6 loopback, as URL normalises it: ::ffff:7f00:1
  return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
}
