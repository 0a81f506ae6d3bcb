/** `lms unload [identifier] [-a|--all]`, with its exit-code quirks (an unknown identifier exits 0). */
import { type Context, ensureAwake, parseCommand } from './context';
import { log } from './output';
import { rpc } from './rpc';

export async function unload(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { all: { type: 'boolean', short: 'a' } });
  const identifier = positionals[0];
  await ensureAwake(ctx);
  const { instances } = await rpc('models', {});

  if (values.all) {
    if (identifier !== undefined) {
      log.error('You cannot specify a model identifier when using the --all flag.');
      return 0;
    }
    if (instances.length === 0) {
      log.info('No models to unload.');
      return 0;
    }
    for (const instance of instances) {
      log.info(`Unloading "${instance.identifier}"...`);
      await rpc('unload', { identifier: instance.identifier });
    }
    log.info(`Unloaded ${instances.length} ${instances.length === 1 ? 'model' : 'models'}.`);
    return 0;
  }

  if (identifier === undefined) {
    if (instances.length === 0) {
      log.info('You don\'t have any models loaded. Use "lms load" to load a model.');
      return 1;
    }
    log.error('Please specify the identifier of the model to unload, or use --all.');
    return 1;
  }

  const { unloaded } = await rpc('unload', { identifier });
  if (!unloaded) {
    log.error('Model Not Found');
    log.info();
    log.info(`  Cannot find a loaded model with the identifier "${identifier}".`);
    log.info('  To see the loaded models, run: lms ps');
    return 0;
  }
  log.info(`Model "${identifier}" unloaded.`);
  return 0;
}
