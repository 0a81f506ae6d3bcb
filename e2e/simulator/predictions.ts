/**
 * Predictions and what `lms log stream` sees of them (lmstudio-protocol-2.md §1, §6): an
 * inference request takes a parallel slot of its instance, processes its prompt (status
 * `processingPrompt`), generates at the configured speed (`generating`), and publishes an
 * `llm.prediction.input` event when it starts and an `llm.prediction.output` event, with stats,
 * when it completes. The events go to a hub that streams wait on (long poll: nothing runs while
 * nothing happens).
 */
import type { SimConfig, SimModel } from './types';

/** `DiagnosticsLogEvent` of lmstudio-js, in its schema's key order. */
export type SimLogEvent =
  | {
      timestamp: number;
      data: { type: 'llm.prediction.input'; input: string; modelPath: string; modelIdentifier: string };
    }
  | {
      timestamp: number;
      data: { type: 'llm.prediction.output'; output: string; stats?: PredictionStats; modelIdentifier: string };
    };

/** `LLMPredictionStats` (the subset LM Studio fills for a plain answer), in schema order. */
export interface PredictionStats {
  stopReason: 'eosFound' | 'maxPredictedTokensReached' | 'userStopped' | 'modelUnloaded';
  tokensPerSecond?: number;
  numGpuLayers?: number;
  timeToFirstTokenSec?: number;
  totalTimeSec?: number;
  promptTokensCount?: number;
  predictedTokensCount?: number;
  totalTokensCount?: number;
}

/** Where a stream is: the app session it follows (a quit or crash ends it) and the last event it saw. */
export interface LogCursor {
  session: number;
  seq: number;
}

const EVENTS_KEPT = 1000;

/** The app's event bus: events of the current app session, and the streams waiting for the next ones. */
export class LogHub {
  private events: Array<{ seq: number; event: SimLogEvent }> = [];
  private seq = 0;
  private session = 0;
  private readonly waiters = new Set<() => void>();

  publish(event: SimLogEvent): void {
    this.events.push({ seq: ++this.seq, event });
    if (this.events.length > EVENTS_KEPT) this.events.splice(0, this.events.length - EVENTS_KEPT);
    this.wakeWaiters();
  }

  /** A new stream starts after the events already published. */
  cursor(): LogCursor {
    return { session: this.session, seq: this.seq };
  }

  /** LM Studio quit or crashed: every stream of this session ends. */
  appStopped(): void {
    this.session++;
    this.events = [];
    this.wakeWaiters();
  }

  /**
   * The events after `cursor`, waiting (without any timer) until there is one, the session ends
   * (`closed`), or `signal` aborts (the stream went away).
   */
  async next(
    cursor: LogCursor,
    signal?: AbortSignal,
  ): Promise<{ events: SimLogEvent[]; seq: number; closed: boolean }> {
    for (;;) {
      if (cursor.session !== this.session) return { events: [], seq: cursor.seq, closed: true };
      const fresh = this.events.filter((e) => e.seq > cursor.seq);
      if (fresh.length > 0) return { events: fresh.map((e) => e.event), seq: this.seq, closed: false };
      if (signal?.aborted) return { events: [], seq: cursor.seq, closed: false };
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** The simulator closes: waiting streams are told their session ended. */
  dispose(): void {
    this.appStopped();
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/** What the simulator answers every prompt with (one token per word). */
export const ANSWER_TEXT = 'Hello from the LM Studio simulator.';
const ANSWER_WORDS = ANSWER_TEXT.split(' ');

interface ChatMessage {
  role: string;
  content: string;
}

/** The request's messages, from `messages` (chat completions) or `input` (responses: a string or messages). */
export function requestMessages(body: Record<string, unknown>): ChatMessage[] {
  const raw = Array.isArray(body.messages) ? body.messages : body.input;
  if (typeof raw === 'string') return [{ role: 'user', content: raw }];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((m: unknown) => {
    if (m === null || typeof m !== 'object') return [];
    const { role, content } = m as { role?: unknown; content?: unknown };
    const text =
      typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? content
              .map((part: unknown) =>
                part !== null && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
                  ? (part as { text: string }).text
                  : '',
              )
              .join('')
          : '';
    return [{ role: typeof role === 'string' ? role : 'user', content: text }];
  });
}

/** The prompt as the model's chat template renders it (what `llm.prediction.input` carries). */
export function templatePrompt(model: SimModel, messages: ChatMessage[]): string {
  if (model.architecture === 'gemma3') {
    const turns = messages.map(
      (m) => `<start_of_turn>${m.role === 'assistant' ? 'model' : 'user'}\n${m.content}<end_of_turn>\n`,
    );
    return `<bos>${turns.join('')}<start_of_turn>model\n`;
  }
  if (model.architecture === 'gpt-oss') {
    const turns = messages.map((m) => `<|start|>${m.role}<|message|>${m.content}<|end|>`);
    return `${turns.join('')}<|start|>assistant`;
  }
  const turns = messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`);
  return `${turns.join('')}<|im_start|>assistant\n`;
}

/** A rough tokenizer: four characters a token, at least one. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The request's token limit (`max_tokens`, `max_completion_tokens` or `max_output_tokens`), if any. */
export function maxTokens(body: Record<string, unknown>): number | null {
  for (const key of ['max_output_tokens', 'max_completion_tokens', 'max_tokens']) {
    const value = body[key];
    if (typeof value === 'number' && value > 0) return Math.floor(value);
  }
  return null;
}

/** How one answer goes: its text, token counts and timing (from the config's speed knobs). */
export interface PredictionPlan {
  output: string;
  promptTokens: number;
  predictedTokens: number;
  stopReason: 'eosFound' | 'maxPredictedTokensReached';
  timeToFirstTokenMs: number;
  generationMs: number;
}

export function planPrediction(config: SimConfig, prompt: string, limit: number | null): PredictionPlan {
  const predictedTokens = limit === null ? ANSWER_WORDS.length : Math.min(limit, ANSWER_WORDS.length);
  const jitter = config.generationJitter > 0 ? 1 + (Math.random() * 2 - 1) * config.generationJitter : 1;
  const generationMs = config.generationMs ?? (predictedTokens / Math.max(0.001, config.tokensPerSecond)) * 1000;
  return {
    output: ANSWER_WORDS.slice(0, predictedTokens).join(' '),
    promptTokens: countTokens(prompt),
    predictedTokens,
    stopReason: predictedTokens < ANSWER_WORDS.length ? 'maxPredictedTokensReached' : 'eosFound',
    timeToFirstTokenMs: Math.round(config.timeToFirstTokenMs * jitter),
    generationMs: Math.round(generationMs * jitter),
  };
}

/** The output event's stats for a prediction that ran `generatedMs` after its first token. */
export function predictionStats(
  plan: PredictionPlan,
  stopReason: PredictionStats['stopReason'],
  predictedTokens: number,
  generatedMs: number,
  gguf: boolean,
): PredictionStats {
  const seconds = generatedMs / 1000;
  const tokensPerSecond = seconds > 0 ? predictedTokens / seconds : Number.NaN;
  return {
    stopReason,
    // "undefined in the case of a very short prediction which results in a NaN or a Infinity value".
    ...(Number.isFinite(tokensPerSecond) ? { tokensPerSecond } : {}),
    // llama.cpp captures have no numGpuLayers; MLX ones say -1.
    ...(gguf ? {} : { numGpuLayers: -1 }),
    timeToFirstTokenSec: plan.timeToFirstTokenMs / 1000,
    totalTimeSec: seconds,
    promptTokensCount: plan.promptTokens,
    predictedTokensCount: predictedTokens,
    totalTokensCount: plan.promptTokens + predictedTokens,
  };
}
