/**
 * An in-memory Bridge for the popup's tests: commands answer from handlers the test scripts,
 * events are emitted by the test, and every call is recorded.
 */
import type {
  AppSnapshot,
  Bridge,
  CommandError,
  CommandName,
  CommandRequest,
  CommandResponse,
  EventName,
  EventPayloads,
  Result,
} from '../../electron/shared/contract';

type Handler<C extends CommandName> = (
  payload: CommandRequest<C> | undefined,
) => Result<CommandResponse<C>> | Promise<Result<CommandResponse<C>>>;

export interface FakeBridge extends Bridge {
  /** Every command sent, in order. */
  readonly calls: Array<{ name: CommandName; payload: unknown }>;
  /** Scripts the answer to one command (replacing any earlier script). */
  handle<C extends CommandName>(name: C, handler: Handler<C>): void;
  /** Delivers an event to the page's listeners. */
  emit<E extends EventName>(name: E, payload: EventPayloads[E]): void;
  listenerCount(name: EventName): number;
  callsOf(name: CommandName): unknown[];
  /** Mutable so a test can swap it; Bridge declares it readonly for the page. */
  showsNotifications: boolean;
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: CommandError['code'], message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});

/** A fake bridge whose `app:get-snapshot` answers `snapshot`; other commands fail until scripted. */
export function createFakeBridge(
  snapshot: AppSnapshot,
  options: { showsNotifications?: boolean; transport?: 'electron' | 'web' } = {},
): FakeBridge {
  const handlers = new Map<CommandName, Handler<CommandName>>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const calls: Array<{ name: CommandName; payload: unknown }> = [];

  const bridge: FakeBridge = {
    calls,
    showsNotifications: options.showsNotifications ?? false,
    transport: options.transport ?? 'electron',
    async invoke<C extends CommandName>(name: C, payload?: CommandRequest<C>) {
      calls.push({ name, payload });
      const handler = handlers.get(name) as unknown as Handler<C> | undefined;
      if (!handler) return fail('internal', `The fake bridge has no script for ${name}.`) as Result<CommandResponse<C>>;
      return handler(payload);
    },
    on<E extends EventName>(name: E, listener: (payload: EventPayloads[E]) => void) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    handle(name, handler) {
      handlers.set(name, handler as unknown as Handler<CommandName>);
    },
    emit(name, payload) {
      for (const listener of listeners.get(name) ?? []) listener(payload);
    },
    listenerCount(name) {
      return listeners.get(name)?.size ?? 0;
    },
    callsOf(name) {
      return calls.filter((c) => c.name === name).map((c) => c.payload);
    },
  };
  bridge.handle('app:get-snapshot', () => ok(snapshot));
  return bridge;
}
