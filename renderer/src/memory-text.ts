/**
 * Memory written as LM Studio writes it: GiB of 1024^3 with one decimal (`5.2 GiB`), so the
 * estimate here and LM Studio's guardrail messages agree. Used by the load options and the
 * load-anyway dialog, both loaded on demand.
 */
import type { MemoryEstimate, SystemMemory } from '../../electron/shared/contract';

const GIB = 1024 ** 3;

/** `5.2 GiB`, `24 GiB`. */
export function formatGib(bytes: number): string {
  return `${Number((bytes / GIB).toFixed(1))} GiB`;
}

/** `Needs about 5.2 GiB (GPU 5.2 GiB)`, with LM Studio's own doubt when it has some. */
export function estimateText(estimate: MemoryEstimate): string {
  const gpu = estimate.gpuBytes === null ? '' : ` (GPU ${formatGib(estimate.gpuBytes)})`;
  const low = estimate.confidence === 'low' ? ', low confidence' : '';
  return `Needs about ${formatGib(estimate.totalBytes)}${gpu}${low}`;
}

/** `RAM 32 GiB, 12.3 GiB free · VRAM 24 GiB`: the machine beside the estimate (VRAM only when known). */
export function memoryText(memory: SystemMemory): string {
  const ram = `RAM ${formatGib(memory.ramTotalBytes)}, ${formatGib(memory.ramFreeBytes)} free`;
  return memory.vramTotalBytes === null ? ram : `${ram} · VRAM ${formatGib(memory.vramTotalBytes)}`;
}
