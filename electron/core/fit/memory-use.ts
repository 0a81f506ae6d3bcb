/**
 * Memory at a glance (issue 10 part 3, lmstudio-protocol-2.md §4): the loaded models' file sizes
 * added up, against the machine's memory, for the popup's `Memory used by models` meter.
 *
 * - "About": a model's file size is what its weights take; its context cache comes on top.
 * - The machine's memory is `lms runtime survey`'s `totalMemory` (RAM and VRAM as LM Studio
 *   counts them) when this LM Studio session's survey gave it, else the OS's RAM total. The
 *   survey is the estimator's (fit/memory.ts): one run per LM Studio session, never while it is
 *   down. Free RAM comes from the OS on every answer.
 * - Local servers only: another computer's models do not use this one's memory.
 * - A loaded model whose size nobody knows (an OpenAI-only server lists no sizes) makes the sum
 *   meaningless, so the meter says why instead of showing too little.
 */
import { availability } from '../../shared/availability';
import type { MemoryUseAnswer, ModelsSnapshot, ServerStatus } from '../../shared/contract';
import type { RuntimeSurvey } from '../interfaces';
import type { Logger, SystemMemoryPort } from '../ports';

export const RAM_UNKNOWN = "The machine's memory could not be read, so the memory used by models cannot be shown.";

export interface MemoryUseInput {
  status: ServerStatus;
  models: ModelsSnapshot;
  /** This LM Studio session's survey, or null. */
  survey: RuntimeSurvey | null;
  /** The OS's RAM, or null when it could not be read. */
  ram: { totalBytes: number; freeBytes: number } | null;
}

/** The meter's reading from what is known now; pure. */
export function memoryUse({ status, models, survey, ram }: MemoryUseInput): MemoryUseAnswer {
  if (status.remote) {
    return {
      known: false,
      reason: `LM Studio runs on another computer (${hostOf(status.baseUrl)}): its models use that computer's memory.`,
    };
  }
  if (ram === null || ram.totalBytes <= 0) return { known: false, reason: RAM_UNKNOWN };
  // LM Studio closed: nothing is in memory, whatever list was last read.
  const loaded = availability(status).loaded === 'app-closed' ? [] : models.loaded;
  let modelsBytes = 0;
  for (const instance of loaded) {
    const size = instance.sizeBytes ?? models.models.find((model) => model.key === instance.modelKey)?.sizeBytes;
    if (size === null || size === undefined) {
      return {
        known: false,
        reason: `LM Studio did not say how big ${instance.identifier} is, so the memory used by models cannot be added up.`,
      };
    }
    modelsBytes += size;
  }
  const surveyed = survey?.totalMemoryBytes ?? null;
  return {
    known: true,
    memory: {
      modelsBytes,
      totalBytes: surveyed ?? ram.totalBytes,
      totalFrom: surveyed !== null ? 'runtime-survey' : 'os',
      ramTotalBytes: ram.totalBytes,
      ramFreeBytes: ram.freeBytes,
      vramTotalBytes: survey?.vramBytes ?? null,
    },
  };
}

export interface MemoryUseOptions {
  status: () => ServerStatus;
  models: () => ModelsSnapshot;
  /** The estimator's survey accessor (it checks, without waking LM Studio, that it runs first). */
  runtimeSurvey: () => Promise<RuntimeSurvey | null>;
  systemMemory: SystemMemoryPort;
  logger: Logger;
}

/** `models:memory`: the survey only for a local server (a remote one is answered at once). */
export async function readMemoryUse(options: MemoryUseOptions): Promise<MemoryUseAnswer> {
  const { logger } = options;
  let survey: RuntimeSurvey | null = null;
  if (!options.status().remote) {
    try {
      survey = await options.runtimeSurvey();
    } catch (error) {
      logger.info('The runtime survey could not be read; the OS total stands in', error);
    }
  }
  let ram: MemoryUseInput['ram'] = null;
  try {
    ram = options.systemMemory();
  } catch (error) {
    logger.warn("Could not read the machine's memory", error);
  }
  // The status and lists as they are once the survey is in, not as they were before it ran.
  return memoryUse({ status: options.status(), models: options.models(), survey, ram });
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
