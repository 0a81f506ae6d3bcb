/**
 * The one rule for LM Studio's address (settings.json, the settings view, web mode's --base-url).
 * Plain code, no Node APIs and no schema library: the core, web mode and the settings view use it.
 */

/**
 * Paths people paste after the origin (from LM Studio's docs and other clients' settings).
 * They name the same server, so they are dropped; any other path is refused rather than
 * silently ignored, since a proxy prefix would not be honoured.
 */
const BASE_URL_ACCEPTED_PATHS = new Set(['', '/v1', '/api/v0', '/api/v1']);
const BASE_URL_EXAMPLE = 'such as http://127.0.0.1:1234';

export type ParsedBaseUrl = { ok: true; url: URL; port: number } | { ok: false; message: string };

/**
 * The one rule for LM Studio's address, wherever it comes from (settings.json, the settings
 * view, web mode's --base-url): http or https, no user name or password (the token has its own
 * setting), a port from 1 to 65535, no path but LM Studio's own API prefixes, no query. Without
 * a scheme it is http; without a port, LM Studio's 1234 for http and 443 for https. Messages
 * never repeat the address, which may hold a password.
 */
export function parseBaseUrl(raw: string): ParsedBaseUrl {
  const refuse = (message: string): ParsedBaseUrl => ({ ok: false, message });
  const text = raw.trim();
  if (text === '') return refuse(`The LM Studio address is empty. Enter one ${BASE_URL_EXAMPLE}.`);
  if (text.length > 2048) return refuse('The LM Studio address is too long.');
  // URL would silently drop a tab or line break inside it; an address never holds one.
  if (/[\x00-\x20\x7f]/.test(text))
    return refuse('The LM Studio address must not contain spaces or control characters.');
  // A scheme other than http(s): `file:`, `javascript:`, `ftp://` (`localhost:1234` is a host and port).
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\d)/i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return refuse(`The LM Studio address must start with http:// or https:// (not ${scheme}:).`);
  }
  const withScheme = scheme === undefined ? `http://${text}` : text;
  // URL hides a port equal to the scheme's default (`http://host:80`) and throws on 70000,
  // so look at what was typed.
  const typedPort = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*?:(\d+)(?:[/?#]|$)/i.exec(withScheme)?.[1];
  if (typedPort !== undefined && (Number(typedPort) < 1 || Number(typedPort) > 65_535)) {
    return refuse(`The LM Studio address has port ${typedPort}; a port is a number from 1 to 65535.`);
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return refuse(`That is not a valid LM Studio address. Enter one ${BASE_URL_EXAMPLE}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return refuse(`The LM Studio address must start with http:// or https:// (not ${url.protocol}).`);
  }
  if (url.username || url.password) {
    return refuse(
      'The LM Studio address must not contain a user name or password. Put the API token in Settings instead.',
    );
  }
  if (url.hostname === '') return refuse(`The LM Studio address needs a host name ${BASE_URL_EXAMPLE}.`);
  if (!BASE_URL_ACCEPTED_PATHS.has(url.pathname.replace(/\/+$/, '')) || url.search || url.hash) {
    return refuse(
      `The LM Studio address is the server itself, ${BASE_URL_EXAMPLE} (an optional /v1 is fine), without a path.`,
    );
  }
  const port = url.port ? Number(url.port) : typedPort ? Number(typedPort) : url.protocol === 'http:' ? 1234 : 443;
  return { ok: true, url, port };
}
