import { createTrayCore } from '../core/app';
import type { TrayCore } from '../core/interfaces';
import { defaultConfigDir, type NodePorts } from '../core/node-ports';
import type { Settings } from '../shared/contract';
import type { WebCliOptions } from './cli-args';

/**
 * The one place web mode meets the real core: Node's ports, settings in the chosen folder, this
 * run's flags as overrides. Notifications need no Notifier of their own here: the core emits
 * them as `notification:show` events, which the server sends to every page.
 */
export function createWebCore(
  options: Pick<WebCliOptions, 'baseUrl' | 'lmsPath' | 'configDir'>,
  ports: NodePorts,
  appVersion: string,
): TrayCore {
  const overrides: Partial<Settings> = {};
  if (options.baseUrl !== null) overrides.baseUrl = options.baseUrl;
  if (options.lmsPath !== null) overrides.lmsPath = options.lmsPath;
  return createTrayCore({
    clock: ports.clock,
    spawn: ports.spawn,
    fs: ports.fs,
    logger: ports.logger,
    environment: ports.environment,
    which: ports.which,
    diskSpace: ports.diskSpace,
    systemMemory: ports.systemMemory,
    ...(ports.logFile ? { logFile: ports.logFile } : {}),
    notifier: { show: (n) => ports.logger.info(`Notification: ${n.title}${n.body ? ` — ${n.body}` : ''}`) },
    configDir: options.configDir ?? defaultConfigDir(ports.environment),
    overrides,
    transport: 'web',
    appVersion,
  });
}
