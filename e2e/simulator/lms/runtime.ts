/**
 * `lms runtime survey [--json] [--refresh]` (lms `src/subcommands/runtime/survey.ts`,
 * lmstudio-protocol-2.md §4): wakes LM Studio; capacities only, no live usage.
 */
import { formatSizeBytes1024 } from '../format';
import { type Context, ensureAwake, parseCommand } from './context';
import { printLine } from './output';
import { rpc } from './rpc';

interface SurveyGpu {
  name: string;
  totalMemoryCapacityBytes: number;
  dedicatedMemoryCapacityBytes: number;
  integrationType: string;
  detectionPlatform: string;
}

interface SurveyEngine {
  name: string;
  version: string;
  engine: string;
  compatibility: { status: string; message?: string };
  hardwareSurvey: {
    gpuSurveyResult: { gpuInfo: SurveyGpu[] };
    cpuSurveyResult: { cpuInfo?: { architecture: string; supportedInstructionSetExtensions: string[] } };
  };
  memoryInfo: { ramCapacity: number };
}

export async function survey(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' }, refresh: { type: 'boolean' } });
  await ensureAwake(ctx);
  const result = (await rpc('survey', {})) as { engines: SurveyEngine[] };
  if (values.json) {
    printLine(JSON.stringify(result, null, 2));
    return 0;
  }
  const engine = result.engines.find((e) => e.engine === 'llama.cpp') ?? result.engines[0];
  if (!engine) {
    printLine('No runtime survey results');
    return 0;
  }
  printLine(`Survey by ${engine.name} (${engine.version})`);
  printLine();
  const gpus = engine.hardwareSurvey.gpuSurveyResult.gpuInfo;
  if (gpus.length === 0) {
    printLine('No GPUs detected');
  } else {
    const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
    const rows = gpus.map((gpu) => [
      `${gpu.name} (${gpu.detectionPlatform}, ${capital(gpu.integrationType)})`,
      ` ${formatSizeBytes1024(gpu.dedicatedMemoryCapacityBytes > 0 ? gpu.dedicatedMemoryCapacityBytes : gpu.totalMemoryCapacityBytes)}`,
    ]);
    const width = Math.max('GPU/ACCELERATORS'.length, ...rows.map(([name = '']) => name.length));
    for (const [name = '', vram = ''] of [['GPU/ACCELERATORS', 'VRAM'], ...rows]) {
      printLine(`${name.padEnd(width)}   ${vram}`);
    }
  }
  printLine();
  const cpu = engine.hardwareSurvey.cpuSurveyResult.cpuInfo;
  const extensions = cpu?.supportedInstructionSetExtensions ?? [];
  printLine(`CPU: ${cpu?.architecture ?? 'unknown'}${extensions.length > 0 ? ` (${extensions.join(', ')})` : ''}`);
  printLine(`RAM: ${formatSizeBytes1024(engine.memoryInfo.ramCapacity)}`);
  const compatibility = engine.compatibility;
  if (compatibility.status.toLowerCase() !== 'compatible') {
    printLine(`Compatibility: ${compatibility.status}${compatibility.message ? ` - ${compatibility.message}` : ''}`);
  }
  return 0;
}
