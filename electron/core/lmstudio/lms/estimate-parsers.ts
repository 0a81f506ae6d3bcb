/**
 * Pure parsers for what lms says about memory (lmstudio-protocol-2.md §2, §4): the stderr of
 * `lms load --estimate-only`, the unknown-option error of an lms without it, and the JSON of
 * `lms runtime survey --json`. No I/O.
 */
import { CoreError } from '../../errors';
import type { LmsEstimate, RuntimeSurvey } from '../../interfaces';
import { cleanLine } from './parsers';

// ---------------------------------------------------------------------------------------------
// `lms load --estimate-only`
// ---------------------------------------------------------------------------------------------

/**
 * Bytes per unit in both of lms's formats: `formatSizeBytes1024` (`5.20 GiB`, since 2026-02-07)
 * and `formatSizeBytes1000` (`5.20 GB`, before). `0 GiB`/`0 Bytes` is what a GPU-less estimate prints.
 */
const ESTIMATE_UNITS: Record<string, number> = {
  B: 1,
  Bytes: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/**
 * `5.20 GiB` -> 5583457485, `65.68 GB` -> 65680000000; null when unreadable, and when past 2^53
 * bytes (no memory is that large, and the product may be Infinity, which JSON turns into null).
 */
export function parseMemorySize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(Bytes|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/.exec(text.trim());
  if (!match) return null;
  const unit = ESTIMATE_UNITS[match[2]!];
  const bytes = unit === undefined ? Number.NaN : Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

const PASSES = 'This model may be loaded based on your resource guardrails settings.';
const FAILS = 'This model will fail to load based on your resource guardrails settings.';

/**
 * The estimate lms printed (all on stderr, exit 0 for both verdicts), or null when the text holds
 * none. Needs the `Model:` line, the total and the verdict; the GPU line is read when present. The
 * lines may come after `Waking up LM Studio service...` and carry colour codes when colour leaks.
 */
export function parseEstimateOutput(text: string): LmsEstimate | null {
  let model: string | null = null;
  let gpuBytes: number | null = null;
  let totalBytes: number | null = null;
  let confidence: LmsEstimate['confidence'] = 'high';
  let passesGuardrails: boolean | null = null;
  for (const raw of text.split(/\r|\n/)) {
    const line = cleanLine(raw);
    const field = /^(Model|Estimated GPU Memory|Estimated Total Memory|Confidence|Estimate):\s*(.*)$/.exec(line);
    if (!field) continue;
    const [, name, value = ''] = field;
    if (name === 'Model') model = value || null;
    else if (name === 'Estimated GPU Memory') gpuBytes = parseMemorySize(value);
    else if (name === 'Estimated Total Memory') totalBytes = parseMemorySize(value);
    else if (name === 'Confidence') confidence = value.toUpperCase() === 'LOW' ? 'low' : 'high';
    else if (value === PASSES) passesGuardrails = true;
    else if (value === FAILS) passesGuardrails = false;
  }
  if (model === null || totalBytes === null || passesGuardrails === null) return null;
  return { model, gpuBytes, totalBytes, confidence, passesGuardrails };
}

/**
 * True when lms refused `--estimate-only` as an option it does not know (LM Studio before 0.3.27):
 * commander's `error: unknown option '--estimate-only'`; older parsers' "unknown argument(s)"
 * naming it count too.
 */
export function isEstimateUnsupported(stderr: string): boolean {
  const text = cleanLine(stderr.replace(/\r|\n/g, ' '));
  return /\bunknown (?:option|arguments?)\b/i.test(text) && text.includes('--estimate-only');
}

// ---------------------------------------------------------------------------------------------
// `lms runtime survey --json`
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A byte count that makes sense (finite, not negative, a safe integer), else null. */
function bytes(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Enum values changed casing on 2026-03-05 (`Compatible` -> `compatible`): compare in lower case. */
function lower(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

/** The survey is pretty-printed over many lines; anything lms printed before it is skipped. */
function surveyJson(text: string): unknown {
  const start = text.search(/^\s*\{/m);
  try {
    if (start < 0) throw new SyntaxError('no JSON');
    return JSON.parse(text.slice(start));
  } catch {
    const shown = cleanLine(text).slice(0, 120);
    throw new CoreError(
      'lms-failed',
      `\`lms runtime survey --json\` did not print JSON${shown ? ` (it printed "${shown}")` : ' (it printed nothing)'}.`,
    );
  }
}

/**
 * The engine whose figures to read: like lms's own table, llama.cpp when present, else the first;
 * a compatible engine first (an incompatible one may have surveyed nothing).
 */
function chosenEngine(engines: Json[]): Json | null {
  const ranked = [...engines].sort((a, b) => rank(a) - rank(b));
  return ranked[0] ?? null;
  function rank(engine: Json): number {
    const compatible = isObject(engine.compatibility) && lower(engine.compatibility.status) === 'compatible';
    const llama = lower(engine.engine) === 'llama.cpp' || lower(engine.name).startsWith('llama.cpp');
    return (compatible ? 0 : 2) + (llama ? 0 : 1);
  }
}

/**
 * `lms runtime survey --json` -> the machine's memory capacities (protocol-2 §4). RAM is
 * `memoryInfo.ramCapacity`; VRAM is `memoryInfo.vramCapacity`, else the GPUs' memory added up;
 * each GPU's is its dedicated memory, else its total (integrated GPUs share RAM); the total is
 * `memoryInfo.totalMemory` as LM Studio gives it (never added up here). Any part may
 * be missing: what is missing is null or left out, never an error. Throws only for output that
 * is not JSON at all.
 */
export function parseRuntimeSurveyJson(text: string): RuntimeSurvey {
  const json = surveyJson(text);
  const engines = isObject(json) && Array.isArray(json.engines) ? json.engines.filter(isObject) : [];
  const engine = chosenEngine(engines);
  const memory = engine && isObject(engine.memoryInfo) ? engine.memoryInfo : {};
  const survey = engine && isObject(engine.hardwareSurvey) ? engine.hardwareSurvey : {};
  const gpuSurvey = isObject(survey.gpuSurveyResult) ? survey.gpuSurveyResult : {};
  const gpuInfo = Array.isArray(gpuSurvey.gpuInfo) ? gpuSurvey.gpuInfo.filter(isObject) : [];
  const gpus: RuntimeSurvey['gpus'] = [];
  for (const gpu of gpuInfo) {
    const dedicated = bytes(gpu.dedicatedMemoryCapacityBytes);
    const vramBytes = dedicated !== null && dedicated > 0 ? dedicated : bytes(gpu.totalMemoryCapacityBytes);
    if (vramBytes === null || vramBytes === 0) continue;
    const name = typeof gpu.name === 'string' && cleanLine(gpu.name) ? cleanLine(gpu.name).slice(0, 120) : 'GPU';
    gpus.push({ name, vramBytes });
  }
  const ram = bytes(memory.ramCapacity);
  const vram = bytes(memory.vramCapacity);
  const total = bytes(memory.totalMemory);
  const gpuTotal = gpus.reduce((sum, gpu) => sum + gpu.vramBytes, 0);
  return {
    ramBytes: ram !== null && ram > 0 ? ram : null,
    vramBytes: vram !== null && vram > 0 ? vram : gpuTotal > 0 ? gpuTotal : null,
    totalMemoryBytes: total !== null && total > 0 ? total : null,
    gpus,
  };
}
