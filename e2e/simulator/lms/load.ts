/**
 * `lms load` (lms `src/subcommands/load.ts`): fuzzy match, spinner (0.4) or bar (0.3), SIGINT
 * cancels; `--estimate-only` prints the memory estimate (lmstudio-protocol-2.md §2); a load the
 * guardrails refuse ends as an uncaught error does, its stack on stderr (§5).
 */
import type { RpcEstimate } from '../control-protocol';
import { formatElapsedTime, formatSizeBytes1000, formatSizeBytes1024 } from '../format';
import { modelPath } from '../shapes';
import type { SimModel } from '../types';
import { type Context, ensureAwake, parseCommand } from './context';
import { fuzzyFilter } from './fuzzy';
import { exit, log, printLine, sleep } from './output';
import { ProgressBar, Spinner } from './progress';
import { rpc } from './rpc';

const POLL_MS = 50;
/** The spinner's text follows progress at most every 100 ms. */
const PROGRESS_THROTTLE_MS = 100;

/** Where LM Studio's guardrail check throws, as its logs show it (lmstudio-bug-tracker#927, #1151). */
const GUARDRAIL_STACK = [
  '    at _0x28af67.guardrailHasEnoughResourcesForModelOrThrow (/opt/lm-studio/resources/app/.webpack/main/index.js:207:12)',
  '    at async _0x28af67.loadModel (/opt/lm-studio/resources/app/.webpack/main/index.js:211:9948)',
  '    at async Object.handler (/opt/lm-studio/resources/app/.webpack/main/index.js:302:7263)',
];

export async function load(ctx: Context, args: string[]): Promise<number> {
  if (!ctx.estimateOnlySupported && args.includes('--estimate-only')) {
    // commander rejects the option before the command runs: no wake.
    process.stderr.write("error: unknown option '--estimate-only'\n");
    return exit(1);
  }
  const { values, positionals } = parseCommand(args, {
    yes: { type: 'boolean', short: 'y' },
    'context-length': { type: 'string', short: 'c' },
    gpu: { type: 'string' },
    ttl: { type: 'string' },
    identifier: { type: 'string' },
    parallel: { type: 'string' },
    'estimate-only': { type: 'boolean' },
    exact: { type: 'boolean' },
    local: { type: 'boolean' },
  });
  const contextLength = positiveInteger(values['context-length'], '-c, --context-length <length>');
  const ttlSeconds = positiveInteger(values.ttl, '--ttl <seconds>');
  positiveInteger(values.parallel, '--parallel <count>');
  if (values.gpu !== undefined && !/^(off|max|0(\.\d+)?|1(\.0+)?)$/.test(values.gpu)) {
    process.stderr.write(`error: option '--gpu <value>' argument '${values.gpu}' is invalid.\n`);
    return exit(1);
  }
  const gpuRatio =
    values.gpu === undefined ? undefined : values.gpu === 'off' ? 0 : values.gpu === 'max' ? 1 : Number(values.gpu);
  const legacy = ctx.generation === '0.3';
  const estimateOnly = values['estimate-only'] === true;
  const query = positionals[0];
  await ensureAwake(ctx);
  const { models } = await rpc('models', {});
  if (query === undefined) {
    log.error('Please specify a model to load, e.g. lms load qwen/qwen3-4b --yes.');
    return 1;
  }
  // Without --yes, lms prints an empty line to stdout before it picks a model.
  if (estimateOnly && !values.yes) printLine();

  // 0.4 matches model keys; 0.3 (before lms 066002e) matched, and loaded by, model paths.
  const nameOf = (m: SimModel) => (legacy ? modelPath(m) : m.key);
  // `--exact`: the argument must equal a model's path.
  if (values.exact) {
    const exact = models.find((m) => modelPath(m) === query);
    if (!exact) {
      log.error('Model not found');
      log.info();
      log.info(`  No model found with path being exactly "${query}".`);
      log.info();
      log.info('  To disable exact matching, remove the --exact flag.');
      return 1;
    }
    return estimateOnly
      ? printEstimate(exact, contextLength, gpuRatio)
      : loadModel(ctx, exact, { identifier: values.identifier, contextLength, ttlSeconds, gpuRatio });
  }
  const names = models.map(nameOf);
  const matches = fuzzyFilter(query, names);
  if (matches.length === 0) {
    log.error(`Cannot find a model matching the provided model key "${query}".`);
    log.info();
    log.info('To see a list of downloaded models, run:');
    log.info();
    log.info('    lms ls');
    return 1;
  }
  if (matches.length > 1) {
    if (!values.yes) {
      log.error(`${matches.length} models match "${query}". Pass an exact model key, or --yes to load the first one.`);
      return 1;
    }
    log.warn(`${matches.length} models match the provided model key on the same device. Loading the first one.`);
  }
  const model = models.find((m) => nameOf(m) === matches[0])!;

  if (estimateOnly) return printEstimate(model, contextLength, gpuRatio);
  return loadModel(ctx, model, { identifier: values.identifier, contextLength, ttlSeconds, gpuRatio });
}

/** `printEstimatedResourceUsage`: every line on stderr, exit 0 whatever the verdict. */
async function printEstimate(
  model: SimModel,
  contextLength: number | undefined,
  gpuRatio: number | undefined,
): Promise<number> {
  const estimate: RpcEstimate = await rpc('estimate', {
    modelKey: model.key,
    ...(contextLength !== undefined ? { contextLength } : {}),
    ...(gpuRatio !== undefined ? { gpuRatio } : {}),
  });
  const size = estimate.units === 'GiB' ? formatSizeBytes1024 : formatSizeBytes1000;
  log.info(`Model: ${estimate.modelLine === 'key' ? model.key : modelPath(model)}`);
  if (contextLength !== undefined) log.info(`Context Length: ${contextLength.toLocaleString('en-US')}`);
  if (gpuRatio !== undefined) log.info(`GPU Offload: ${gpuRatio * 100}%`);
  log.info(`Estimated GPU Memory:   ${size(estimate.gpuBytes)}`);
  log.info(`Estimated Total Memory: ${size(estimate.totalBytes)}`);
  if (estimate.confidence === 'low') log.info('Confidence: LOW');
  log.info(
    `\nEstimate: ${
      estimate.passesGuardrails
        ? 'This model may be loaded based on your resource guardrails settings.'
        : 'This model will fail to load based on your resource guardrails settings.'
    }`,
  );
  return 0;
}

async function loadModel(
  ctx: Context,
  model: SimModel,
  options: { identifier?: string; contextLength?: number; ttlSeconds?: number; gpuRatio?: number },
): Promise<number> {
  const legacy = ctx.generation === '0.3';
  const { identifier, contextLength, ttlSeconds, gpuRatio } = options;
  if (legacy) log.info(`Loading model "${modelPath(model)}"...`);
  const startedAt = Date.now();
  const { loadId } = await rpc('beginLoad', {
    modelKey: model.key,
    ...(identifier !== undefined ? { identifier } : {}),
    ...(contextLength !== undefined ? { contextLength } : {}),
    ...(ttlSeconds !== undefined ? { ttlMs: ttlSeconds * 1000 } : {}),
    ...(gpuRatio !== undefined ? { gpuRatio } : {}),
  });

  const spinnerText = (progress: number) => `Loading ${model.key} ${(progress * 100).toFixed(0)}%`;
  const spinner = legacy ? null : new Spinner(spinnerText(0));
  const bar = legacy ? new ProgressBar(50) : null;
  spinner?.setText(spinnerText(0));
  const stop = () => {
    spinner?.stop();
    bar?.stop();
  };
  process.once('SIGINT', () => {
    stop();
    rpc('cancelLoad', { loadId }).finally(() => {
      log.warn('Load cancelled.');
      process.exit(1);
    });
  });

  let lastTextAt = Date.now();
  let lastProgress = 0;
  for (;;) {
    await sleep(POLL_MS);
    const status = await rpc('loadStatus', { loadId });
    if (status.done) {
      stop();
      if (status.identifier === null) {
        if (status.guardrail) {
          // An uncaught error: `index.ts` prints its stack (lmstudio-bug-tracker#1631).
          process.stderr.write(`Error: ${status.error}\n${GUARDRAIL_STACK.join('\n')}\n`);
          return 1;
        }
        log.error(status.error ?? 'Failed to load the model.');
        return 1;
      }
      const elapsed = formatElapsedTime(Date.now() - startedAt);
      if (legacy) {
        log.info(`Model loaded successfully in ${elapsed}. (${formatSizeBytes1000(model.sizeBytes)})`);
        log.info(`To use the model in the API/SDK, use the identifier "${status.identifier}".`);
        log.info('To set a custom identifier, use the --identifier <identifier> option.');
      } else {
        log.info(`Model loaded successfully in ${elapsed}.`);
        log.info(`(${formatSizeBytes1024(model.sizeBytes)})`);
        log.info(`To use the model in the API/SDK, use the identifier "${status.identifier}".`);
      }
      return 0;
    }
    if (status.progress !== lastProgress) {
      lastProgress = status.progress;
      bar?.setRatio(status.progress);
      if (spinner && Date.now() - lastTextAt >= PROGRESS_THROTTLE_MS) {
        lastTextAt = Date.now();
        spinner.setText(spinnerText(status.progress));
      }
    }
  }
}

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`error: option '${flag}' argument '${value}' is invalid.\n`);
    return exit(1);
  }
  return n;
}
