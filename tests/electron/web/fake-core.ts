/**
 * A TrayCore stand-in for the web server's tests: records commands, answers them with whatever
 * the test sets, and lets the test raise events as the real core would.
 */

import type { TrayCore } from '../../../electron/core/interfaces';
import type { Logger } from '../../../electron/core/ports';
import type { AppEvent, CommandName, Result } from '../../../electron/shared/contract';

export interface FakeCore extends TrayCore {
  calls: Array<{ name: CommandName; payload: unknown }>;
  /** How `invoke` answers; the default echoes the command back as the value. */
  answer: (name: CommandName, payload: unknown) => Promise<Result<unknown>> | Result<unknown>;
  emit(event: AppEvent): void;
  listenerCount(): number;
}

export function createFakeCore(): FakeCore {
  const listeners = new Set<(event: AppEvent) => void>();
  const core: FakeCore = {
    calls: [],
    answer: (name, payload) => ({ ok: true, value: { echoed: name, payload: payload ?? null } }),
    async start() {},
    snapshot() {
      throw new Error('the web server never reads the snapshot directly');
    },
    async invoke(name, payload) {
      core.calls.push({ name, payload });
      // biome-ignore lint/suspicious/noExplicitAny: the fake answers every command with the test's value
      return (await core.answer(name, payload)) as any;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    powerEvent() {},
    async shutdown() {},
    emit(event) {
      for (const listener of listeners) listener(event);
    },
    listenerCount: () => listeners.size,
  };
  return core;
}

/** A logger that keeps what it was told, so tests can show it when they fail. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
