import type { CommandError } from '../shared/contract';
import type { CoreErrorCode } from './interfaces';

/**
 * The one error type the core throws on purpose. Its message is written for the user: what
 * happened and what to do ("LM Studio is not running. Start it, or run `lms server start`.").
 * `TrayCore.invoke` turns it into a `CommandError` value; anything else becomes `internal`.
 */
export class CoreError extends Error {
  override readonly name = 'CoreError';
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Any thrown value as a `CommandError` the page can show. */
export function toCommandError(error: unknown): CommandError {
  if (error instanceof CoreError) return { code: error.code, message: error.message };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Something went wrong inside LM Studio Tray: ${detail}` };
}
