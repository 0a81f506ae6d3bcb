/**
 * LM Studio's answers with the API token taken out. The client repeats what the server says (an
 * error's message, in the status line, a notification, the log); a server that quotes back the
 * token it was sent (a careless proxy, a future LM Studio) must not put it there.
 */

/** What a copy of the token becomes in an answer (not words that read as "asks for a token"). */
export const TOKEN_PLACEHOLDER = '[redacted]';

/**
 * Tokens shorter than this are left alone: replacing a few letters everywhere would garble model
 * names (LM Studio's own tokens are over 30 characters).
 */
const SHORTEST_REDACTED_TOKEN = 8;

/** The parsed answer with the token replaced in every string value in it; keys and shape are kept. */
export function withoutToken(json: unknown, token: string | undefined): unknown {
  if (!token || token.length < SHORTEST_REDACTED_TOKEN) return json;
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replaceAll(token, TOKEN_PLACEHOLDER);
    if (Array.isArray(value)) return value.map(clean);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clean(item)]));
    }
    return value;
  };
  return clean(json);
}

/** A raw body with the token replaced: in its JSON strings when it is JSON, anywhere otherwise. */
export function bodyWithoutToken(body: string, token: string | undefined): string {
  if (!token || token.length < SHORTEST_REDACTED_TOKEN || !body.includes(token)) return body;
  try {
    return JSON.stringify(withoutToken(JSON.parse(body), token));
  } catch {
    return body.replaceAll(token, TOKEN_PLACEHOLDER);
  }
}
