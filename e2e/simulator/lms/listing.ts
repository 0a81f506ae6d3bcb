/** `lms ls` and `lms ps` (lms `src/subcommands/list.ts`): JSON on one stdout line, or a table. */
import { formatSizeBytes1000 } from '../format';
import { lmsInstanceInfo, lmsModelInfo } from '../shapes';
import type { SimModel } from '../types';
import { type Context, ensureAwake, parseCommand } from './context';
import { log, printLine } from './output';
import { rpc } from './rpc';

export async function ls(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    json: { type: 'boolean' },
    llm: { type: 'boolean' },
    embedding: { type: 'boolean' },
    variants: { type: 'boolean' },
    detailed: { type: 'boolean' },
  });
  await ensureAwake(ctx);
  const { models } = await rpc('models', {});
  const key = positionals[0];
  const shown = models.filter(
    (m) =>
      (key === undefined || m.key === key) &&
      (!(values.llm || values.embedding) ||
        (values.llm && m.type === 'llm') ||
        (values.embedding && m.type === 'embedding')),
  );
  if (values.json) {
    const infos = shown.map((m) => lmsModelInfo(m, ctx.generation));
    printLine(JSON.stringify(values.variants ? infos.map((model) => ({ model, variants: [model.modelKey] })) : infos));
    return 0;
  }
  if (models.length === 0) {
    printLine('You have not downloaded any models yet.');
    return 0;
  }
  const total = shown.reduce((sum, m) => sum + m.sizeBytes, 0);
  printLine();
  printLine(`You have ${shown.length} models, taking up ${formatSizeBytes1000(total)} of disk space.`);
  for (const type of ['llm', 'embedding'] as const) {
    const group = shown.filter((m) => m.type === type);
    if (group.length === 0) continue;
    printLine();
    printTable(
      [type === 'llm' ? 'LLM' : 'EMBEDDING', 'PARAMS', 'ARCH', 'SIZE', 'DEVICE'],
      group.map((m) => [m.key, m.paramsString ?? '', m.architecture ?? '', formatSizeBytes1000(m.sizeBytes), 'Local']),
    );
  }
  return 0;
}

export async function ps(ctx: Context, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } });
  await ensureAwake(ctx);
  const { models, instances } = await rpc('models', {});
  const rows = instances.flatMap((instance) => {
    const model = models.find((m: SimModel) => m.key === instance.modelKey);
    return model ? [{ model, instance }] : [];
  });
  if (values.json) {
    printLine(JSON.stringify(rows.map(({ model, instance }) => lmsInstanceInfo(model, instance, ctx.generation))));
    return 0;
  }
  if (rows.length === 0) {
    log.info('No models are currently loaded. To load a model, run: lms load <model path>');
    return 0;
  }
  printLine();
  printTable(
    ['IDENTIFIER', 'MODEL', 'STATUS', 'SIZE', 'CONTEXT', 'PARALLEL', 'DEVICE', 'TTL'],
    rows.map(({ model, instance }) => [
      instance.identifier,
      model.key,
      instance.status.toUpperCase(),
      formatSizeBytes1000(model.sizeBytes),
      String(instance.contextLength),
      instance.parallel === null ? '' : String(instance.parallel),
      'Local',
      instance.ttlMs === null ? '' : `${Math.round(instance.ttlMs / 60_000)}m`,
    ]),
  );
  return 0;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('    ')
      .trimEnd();
  printLine(format(header));
  for (const row of rows) printLine(format(row));
}
