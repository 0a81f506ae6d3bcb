/** LM Studio's guardrail refusal, as `lms load` prints it (fixtures) and as the REST load's error body says it. */
import { describe, expect, it } from 'vitest';
import { guardrailRefusalMessage, isGuardrailRefusal } from '../../../../electron/core/lmstudio/guardrails';
import { fixtureText } from './lms/fixtures';

describe('guardrailRefusalMessage', () => {
  it('0.3.27 and later: one sentence naming the setting and the size, no stack, no LM Studio text', () => {
    const message = guardrailRefusalMessage('qwen/qwen3.5-9b', fixtureText('load-guardrail.stderr'));
    expect(message).toBe(
      'LM Studio refused to load qwen/qwen3.5-9b: its "Model loading guardrails" setting says there is not enough memory (it needs about 22.92 GB). ' +
        'Choose a shorter context length or less GPU offload, unload another model, or change "Model loading guardrails" in LM Studio\'s settings.',
    );
    expect(message).not.toMatch(/\bat\b.*index\.js|\n/);
  });

  it('the older wording (before 0.3.27) and the `NaN undefined` of 0.3.27 give the message without a size', () => {
    for (const fixture of ['load-guardrail-legacy.stderr', 'load-guardrail-nan.stderr']) {
      const message = guardrailRefusalMessage('openai/gpt-oss-120b', fixtureText(fixture));
      expect(message).toMatch(
        /^LM Studio refused to load openai\/gpt-oss-120b: its "Model loading guardrails" setting says there is not enough memory\. /,
      );
    }
  });

  it('the REST error message (with or without its `Error: ` prefix) is the same refusal', () => {
    const rest =
      'Error: Model loading was stopped due to insufficient system resources. Under the current settings, this model requires approximately 273.25 GB of memory, and continuing to load it would likely overload your system and cause it to freeze. If you think this is incorrect, you can adjust the model loading guardrails in settings.';
    expect(guardrailRefusalMessage('mistralai/mistral-nemo-instruct-2407', rest)).toContain(
      '(it needs about 273.25 GB)',
    );
  });

  it('other failures are not a refusal', () => {
    for (const text of [
      fixtureText('load-waking-error.stderr'),
      'Error: Failed to load the model: not enough memory.',
      'Attempt to pull a snapshot of system resources failed.',
      '',
    ]) {
      expect(isGuardrailRefusal(text)).toBe(false);
      expect(guardrailRefusalMessage('a/b', text)).toBeNull();
    }
  });
});
