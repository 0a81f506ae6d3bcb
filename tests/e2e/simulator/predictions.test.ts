import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  LogHub,
  planPrediction,
  predictionStats,
  requestMessages,
  type SimLogEvent,
  templatePrompt,
} from '../../../e2e/simulator/predictions';
import { SimState } from '../../../e2e/simulator/state';

afterEach(() => {
  vi.restoreAllMocks();
});

const input = (modelIdentifier: string): SimLogEvent => ({
  timestamp: 1,
  data: { type: 'llm.prediction.input', input: 'x', modelPath: 'p', modelIdentifier },
});

describe('simulator predictions', () => {
  it('reads messages from chat completions and from responses (a string or messages with parts)', () => {
    expect(
      requestMessages({
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
        ],
      }),
    ).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
    expect(requestMessages({ input: 'ping' })).toEqual([{ role: 'user', content: 'ping' }]);
    expect(
      requestMessages({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'a' }, { text: 'b' }] }] }),
    ).toEqual([{ role: 'user', content: 'ab' }]);
    expect(requestMessages({})).toEqual([]);
  });

  it("templates the prompt with the model's chat format", () => {
    const state = new SimState({});
    const model = (key: string) => state.findModel(key)!;
    const messages = [{ role: 'user', content: 'hi' }];
    expect(templatePrompt(model('qwen/qwen3-4b'), messages)).toBe(
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(templatePrompt(model('openai/gpt-oss-20b'), messages)).toBe(
      '<|start|>user<|message|>hi<|end|><|start|>assistant',
    );
    expect(templatePrompt(model('google/gemma-3-12b'), messages)).toBe(
      '<bos><start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n',
    );
  });

  it('times an answer by tokensPerSecond or generationMs, scaled by the jitter', () => {
    const state = new SimState({});
    const config = { ...state.config, tokensPerSecond: 20, timeToFirstTokenMs: 100, generationJitter: 0.5 };
    vi.spyOn(Math, 'random').mockReturnValue(0); // the lowest factor: 1 − 0.5
    expect(planPrediction(config, 'abcdefgh', null)).toMatchObject({
      promptTokens: 2,
      predictedTokens: 6,
      stopReason: 'eosFound',
      timeToFirstTokenMs: 50,
      generationMs: 150,
    });
    vi.spyOn(Math, 'random').mockReturnValue(1); // the highest: 1 + 0.5
    expect(planPrediction({ ...config, generationMs: 1000 }, 'a', 2)).toMatchObject({
      output: 'Hello from',
      predictedTokens: 2,
      stopReason: 'maxPredictedTokensReached',
      generationMs: 1500,
    });
  });

  it('leaves tokensPerSecond out when nothing was generated in measurable time, and adds numGpuLayers for MLX only', () => {
    const plan = planPrediction(new SimState({}).config, 'a', null);
    expect(predictionStats(plan, 'userStopped', 0, 0, true)).toEqual({
      stopReason: 'userStopped',
      timeToFirstTokenSec: 0.05,
      totalTimeSec: 0,
      promptTokensCount: 1,
      predictedTokensCount: 0,
      totalTokensCount: 1,
    });
    expect(Object.keys(predictionStats(plan, 'eosFound', 6, 100, false))).toEqual([
      'stopReason',
      'tokensPerSecond',
      'numGpuLayers',
      'timeToFirstTokenSec',
      'totalTimeSec',
      'promptTokensCount',
      'predictedTokensCount',
      'totalTokensCount',
    ]);
  });

  it('hub: a stream gets only events after its cursor, waits for the next, and is closed by a quit or an abort', async () => {
    const hub = new LogHub();
    hub.publish(input('before'));
    const cursor = hub.cursor();
    const waiting = hub.next(cursor);
    hub.publish(input('after'));
    const first = await waiting;
    expect(first).toMatchObject({ closed: false, seq: 2 });
    expect(first.events.map((e) => e.data.modelIdentifier)).toEqual(['after']);

    const ended = hub.next({ session: cursor.session, seq: first.seq });
    hub.appStopped();
    expect(await ended).toEqual({ events: [], seq: 2, closed: true });

    const gone = new AbortController();
    const abandoned = hub.next(hub.cursor(), gone.signal);
    gone.abort();
    expect(await abandoned).toMatchObject({ events: [], closed: false });
  });
});
