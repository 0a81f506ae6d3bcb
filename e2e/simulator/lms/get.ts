/**
 * `lms get` (lms `src/subcommands/get.ts`, `handleDownloadWithProgressBar.ts`): the download
 * plan, the 22-cell progress bar on stdout, `Finalizing download...`/`Download completed.` on
 * stderr, and the SIGINT prompt that leaves the download running (Y) or cancels it (N).
 */
import { createInterface } from 'node:readline';
import type { RpcDownload } from '../control-protocol';
import { createDownloadTextFormatter, formatSizeBytes1000, planLine, SPINNER_FRAMES } from '../format';
import type { SimModel } from '../types';
import { type Context, ensureAwake, parseCommand } from './context';
import { log, sleep, stdout } from './output';
import { ProgressBar } from './progress';
import { rpc } from './rpc';

const POLL_MS = 50;
/** The plan is re-printed every 50 ms while it resolves; resolving takes at least this long. */
const MIN_RESOLVE_MS = 100;
const PROMPT = 'Continue to download in the background? (Y/N): ';

export async function get(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    yes: { type: 'boolean', short: 'y' },
    mlx: { type: 'boolean' },
    gguf: { type: 'boolean' },
    select: { type: 'boolean' },
    limit: { type: 'string', short: 'n' },
    'always-show-all-results': { type: 'boolean' },
    'always-show-download-options': { type: 'boolean', short: 'a' },
  });
  const requested = positionals[0];
  if (requested === undefined) {
    log.error('Please specify a model to download, e.g. lms get qwen/qwen3-4b --yes.');
    return 1;
  }
  await ensureAwake(ctx);

  let target = isArtifact(requested) ? requested.toLowerCase() : requested;
  if (!isArtifact(requested) && !requested.startsWith('https://')) {
    const [term = '', variant] = requested.split('@');
    const pick = await rpc('searchStaffPicks', { term });
    if (!pick) {
      log.error('No models found with the specified search criteria.');
      return 1;
    }
    if (!pick.exact) log.info('Multiple staff picks found. Automatically selecting the first one due to --yes.');
    target = variant === undefined ? pick.key : `${pick.key}@${variant}`;
  }

  const planKey = target.split('@')[0] ?? target;
  const resolution = await resolveWithPlanSpinner(planKey, target);
  switch (resolution.kind) {
    case 'not-found':
      log.error(`Failed to resolve the download plan: the model "${planKey}" was not found in the LM Studio Hub.`);
      return 1;
    case 'variant-missing':
      log.error(`Cannot find variant ${resolution.variant}.`);
      return 1;
    case 'already-downloaded':
      stdout(planLine(`   ✓ Satisfied ${planKey}`));
      if (ctx.generation === '0.4') log.info(`Model already downloaded. To use, run: lms load ${resolution.model.key}`);
      return 0;
    case 'started':
    case 'attached': {
      const size = formatSizeBytes1000(resolution.download.totalBytes);
      stdout(planLine(`   ↓ To download: model ${resolution.planKey} - ${size}`));
      stdout(planLine(`     └─ ↓ To download: ${describeFile(resolution.model)} - ${size}`));
      if (resolution.kind === 'attached') stdout(planLine('This download is already in progress.'));
      else if (values.yes) stdout(planLine(`Resolution completed. Downloading ${size}...`));
      else stdout(planLine(`About to download ${size}.`));
      return followDownload(resolution.download);
    }
  }
}

/** `owner/name` (exactly one `/`), which lms takes as a Hub artifact. */
function isArtifact(name: string): boolean {
  return !name.startsWith('https://') && name.split('/').length === 2;
}

function describeFile(model: SimModel): string {
  const quant = model.quantization ? ` ${model.quantization}` : '';
  return `${model.displayName}${quant} [${model.format === 'mlx' ? 'MLX' : 'GGUF'}]`;
}

async function resolveWithPlanSpinner(planKey: string, target: string) {
  let frame = 0;
  const printResolving = () =>
    stdout(planLine(`   ${SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length]} ${planKey} - Resolving...`));
  printResolving();
  const timer = setInterval(printResolving, POLL_MS);
  try {
    const [resolution] = await Promise.all([rpc('resolveDownload', { target }), sleep(MIN_RESOLVE_MS)]);
    return resolution;
  } finally {
    clearInterval(timer);
  }
}

/** Draws the download's progress until it ends; SIGINT asks whether to keep it running. */
async function followDownload(initial: RpcDownload): Promise<number> {
  const bar = new ProgressBar(22);
  const formatText = createDownloadTextFormatter();
  let asking = false;
  let finalizingShown = false;
  let lastBytes = -1;
  let lastSpeed = 0;

  const onSigint = () => {
    process.once('SIGINT', () => process.exit(1));
    bar.stopWithoutClear();
    asking = true;
    log.info();
    askToContinue().then(async (keepRunning) => {
      if (keepRunning) {
        log.info('Download will continue in the background.');
        process.exit(1);
      }
      log.warn('Download canceled.');
      await rpc('cancelDownload', { id: initial.id }).catch(() => undefined);
      process.exit(1);
    });
  };
  process.once('SIGINT', onSigint);

  const showFinalizing = () => {
    if (finalizingShown || asking) return;
    finalizingShown = true;
    bar.setRatio(
      1,
      formatText({
        downloadedBytes: initial.totalBytes,
        totalBytes: initial.totalBytes,
        speedBytesPerSecond: lastSpeed || 1,
      }),
    );
    bar.stop();
    log.info('Finalizing download...');
  };

  for (;;) {
    const d = await rpc('downloadStatus', { id: initial.id });
    if (d === null) {
      bar.stop();
      log.error('The download disappeared from LM Studio.');
      return 1;
    }
    if (d.status === 'completed') {
      showFinalizing();
      log.info('Download completed.');
      return 0;
    }
    if (d.status === 'failed' || d.status === 'cancelled') {
      if (asking) {
        // The prompt decides the exit; LM Studio just reported the end of the download.
        await sleep(POLL_MS);
        continue;
      }
      bar.stop();
      log.error(d.status === 'failed' ? (d.error ?? 'The download failed.') : 'The download was canceled.');
      return 1;
    }
    if (d.finalizing) {
      showFinalizing();
    } else if (!asking && d.downloadedBytes !== lastBytes && d.bytesPerSecond > 0) {
      // Like LM Studio's progress events: only new bytes produce an update (a stall redraws the last one).
      lastBytes = d.downloadedBytes;
      lastSpeed = d.bytesPerSecond;
      bar.setRatio(
        d.downloadedBytes / d.totalBytes,
        formatText({
          downloadedBytes: d.downloadedBytes,
          totalBytes: d.totalBytes,
          speedBytesPerSecond: d.bytesPerSecond,
        }),
      );
    }
    await sleep(POLL_MS);
  }
}

/** `askQuestion` of lms `confirm.ts`: the prompt on stderr, Y or N (any case), re-asked otherwise. */
function askToContinue(): Promise<boolean> {
  process.stdin.resume();
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  return new Promise((resolve) => {
    const ask = () =>
      rl.question(PROMPT, (answer) => {
        const normalized = answer.trim().toUpperCase();
        if (normalized === 'Y' || normalized === 'N') {
          rl.close();
          resolve(normalized === 'Y');
        } else {
          process.stderr.write('Invalid selection. Please enter Y/N.\n');
          ask();
        }
      });
    ask();
  });
}
