/**
 * LM Studio's refusal of a load that its "Model loading guardrails" setting blocks
 * (lmstudio-protocol-2.md §5), from `lms load` (a stack trace on stderr, exit 1) or from the REST
 * load's error body: one sentence the user can act on, never the stack or LM Studio's long text.
 */

/**
 * LM Studio 0.3.27 and later: `Model loading was stopped due to insufficient system resources.`;
 * before: `Model loading aborted due to insufficient system resources.`
 */
const REFUSAL = /Model loading (?:was stopped|aborted) due to insufficient system resources/i;
/** `this model requires approximately 273.25 GB of memory` (0.3.27 printed `NaN undefined`). */
const REQUIRED = /requires approximately (\d+(?:\.\d+)?) ?([KMGT]i?B)\b/;

/** True when `text` (stderr, or an error message) is LM Studio's guardrail refusal. */
export function isGuardrailRefusal(text: string): boolean {
  return REFUSAL.test(text);
}

/** The message for a load of `modelKey` that LM Studio's guardrails refused, or null when `text` is not that refusal. */
export function guardrailRefusalMessage(modelKey: string, text: string): string | null {
  if (!isGuardrailRefusal(text)) return null;
  const required = REQUIRED.exec(text);
  const needs = required ? ` (it needs about ${required[1]} ${required[2]})` : '';
  return (
    `LM Studio refused to load ${modelKey}: its "Model loading guardrails" setting says there is not enough memory${needs}. ` +
    'Choose a shorter context length or less GPU offload, unload another model, or change "Model loading guardrails" in LM Studio\'s settings.'
  );
}
