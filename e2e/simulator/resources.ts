/**
 * The simulated machine LM Studio runs on: RAM, one GPU (or none), the memory estimate of a load,
 * the model loading guardrails (lmstudio-protocol-2.md §2, §4, §5) and `lms runtime survey`'s
 * answer. LM Studio's real estimator and thresholds are unknown (protocol-2 "Still unknown"); the
 * formulas here are the simulator's own, chosen so estimates grow with the context length and the
 * defaults let every default model load.
 */
import type { SimConfig, SimGpu, SimModel } from './types';

const GIB = 1024 ** 3;

/** A simulated machine: 32 GiB of RAM and one discrete 8 GiB GPU. */
export const DEFAULT_RAM_BYTES = 32 * GIB;
export const DEFAULT_GPU: SimGpu = {
  name: 'NVIDIA GeForce RTX 4060',
  vramBytes: 8 * GIB,
  integrationType: 'discrete',
  detectionPlatform: 'CUDA',
  detectionPlatformVersion: '12.8',
};

/** The context length of a load that names none (the same as an instance's default). */
export function defaultContextLength(model: SimModel): number {
  return Math.min(model.type === 'embedding' ? 2048 : 4096, model.maxContextLength);
}

/** The KV cache per token: by default the model's size / 131,072, so at 131,072 tokens it equals the model. */
export function kvBytesPerToken(model: SimModel): number {
  return model.kvBytesPerToken ?? Math.ceil(model.sizeBytes / 131_072);
}

/** Share of the GPU by default (no `--gpu`): everything when it fits in VRAM, else what fits ("auto"). */
function defaultGpuRatio(totalBytes: number, gpu: SimGpu | null): number {
  if (!gpu || totalBytes === 0) return 0;
  return Math.min(1, gpu.vramBytes / totalBytes);
}

export interface MemoryEstimate {
  contextLength: number;
  modelBytes: number;
  contextBytes: number;
  totalBytes: number;
  /** `totalBytes` × the GPU share (0 without a GPU). */
  gpuBytes: number;
  confidence: 'high' | 'low';
  passesGuardrails: boolean;
}

/**
 * `estimateModelUsage`, simulated: model bytes = the model's size; context bytes = the KV cache
 * per token × the context length; GPU bytes = the total × the GPU share (`--gpu` ratio, else what
 * fits in VRAM); verdict = total ≤ the guardrail threshold.
 */
export function estimateMemory(
  config: SimConfig,
  model: SimModel,
  options: { contextLength?: number; gpuRatio?: number },
): MemoryEstimate {
  const contextLength = options.contextLength ?? defaultContextLength(model);
  const modelBytes = model.sizeBytes;
  const contextBytes = kvBytesPerToken(model) * contextLength;
  const totalBytes = modelBytes + contextBytes;
  const ratio = config.gpu ? (options.gpuRatio ?? defaultGpuRatio(totalBytes, config.gpu)) : 0;
  return {
    contextLength,
    modelBytes,
    contextBytes,
    totalBytes,
    gpuBytes: Math.round(totalBytes * ratio),
    confidence: config.estimateConfidence,
    passesGuardrails: totalBytes <= guardrailThresholdBytes(config),
  };
}

/** Share of RAM + VRAM each level allows (the simulator's choice; LM Studio's is unknown). */
const GUARDRAIL_SHARE = { low: 1, medium: 0.9, high: 0.8 } as const;

/**
 * The most memory a load may need: `guardrailThresholdBytes` when set, else by mode: off →
 * unlimited, custom → `customThresholdBytes`, else a share of RAM + VRAM (high: 80 %, so 32 GiB
 * for the default 32 GiB RAM and 8 GiB GPU).
 */
export function guardrailThresholdBytes(config: SimConfig): number {
  if (config.guardrailThresholdBytes !== null) return config.guardrailThresholdBytes;
  const { mode, customThresholdBytes } = config.guardrails;
  if (mode === 'off') return Number.POSITIVE_INFINITY;
  if (mode === 'custom') return customThresholdBytes;
  return Math.floor(GUARDRAIL_SHARE[mode] * (config.ramBytes + (config.gpu?.vramBytes ?? 0)));
}

/** LM Studio 0.3.27+'s refusal of a load above the guardrails (lmstudio-bug-tracker#1202); X in GB of 1000³. */
export function guardrailRefusal(totalBytes: number): string {
  const gb = (totalBytes / 1e9).toFixed(2);
  return `Model loading was stopped due to insufficient system resources. Under the current settings, this model requires approximately ${gb} GB of memory, and continuing to load it would likely overload your system and cause it to freeze. If you think this is incorrect, you can adjust the model loading guardrails in settings.`;
}

/** `<home>/settings.json`: the models folder and the guardrails (protocol-2 §3, §5). */
export function lmStudioSettings(config: SimConfig, downloadsFolder: string | null) {
  return {
    ...(downloadsFolder !== null ? { downloadsFolder } : {}),
    modelLoadingGuardrails: { ...config.guardrails },
  };
}

/** `lms runtime survey --json`'s object (`RuntimeHardwareSurvey`), lowercase enums or the capitalised ones of before 2026-03. */
export function runtimeSurvey(config: SimConfig) {
  const capitalised = config.surveyEnumCase === 'capitalised';
  const e = (value: string) => (capitalised ? value.charAt(0).toUpperCase() + value.slice(1) : value);
  const { gpu } = config;
  const vramCapacity = gpu?.vramBytes ?? 0;
  return {
    status: capitalised ? 'OK' : 'ok',
    engines: [
      {
        ...runtimeEngine(config),
        engine: 'llama.cpp',
        platform: 'linux',
        compatibility: { status: e('compatible') },
        supportedModelFormatNames: ['GGUF'],
        hardwareSurvey: {
          gpuSurveyResult: {
            result: gpu ? { code: e('success'), message: '' } : { code: e('noDevicesFound'), message: 'No GPUs found' },
            gpuInfo: gpu
              ? [
                  {
                    name: gpu.name,
                    deviceId: 0,
                    totalMemoryCapacityBytes: gpu.vramBytes,
                    dedicatedMemoryCapacityBytes: gpu.integrationType === 'integrated' ? 0 : gpu.vramBytes,
                    integrationType: e(gpu.integrationType),
                    detectionPlatform: gpu.detectionPlatform,
                    detectionPlatformVersion: gpu.detectionPlatformVersion,
                    otherInfo: {},
                  },
                ]
              : [],
          },
          cpuSurveyResult: {
            result: { code: e('success'), message: '' },
            cpuInfo: {
              name: 'AMD Ryzen 7 7700X 8-Core Processor',
              architecture: 'x86_64',
              supportedInstructionSetExtensions: ['AVX', 'AVX2'],
            },
          },
        },
        memoryInfo: { ramCapacity: config.ramBytes, vramCapacity, totalMemory: config.ramBytes + vramCapacity },
      },
    ],
  };
}

/** The llama.cpp engine the simulated machine runs (`runtime survey`, v0 inference's `runtime`). */
export function runtimeEngine(config: SimConfig): { name: string; version: string } {
  const cuda = config.gpu?.detectionPlatform === 'CUDA';
  return {
    name: cuda ? 'llama.cpp-linux-x86_64-nvidia-cuda12-avx2' : 'llama.cpp-linux-x86_64-avx2',
    version: '1.52.1',
  };
}
