import type { Capability } from '../protocol/capability.js';
import { nodeService } from '../nodes/index.js';
import { attachOutputEndpoint } from './http.js';
import { followOperations } from './follow.js';
import { notifyOperations } from './notify.js';
import { commandOperations } from './operations.js';
import { CommandService } from './service.js';
import { commandSlot } from './slot.js';
import { commandMigrations } from './tables.js';

export { commandService } from './slot.js';
export type { NodePayloadHook } from './node-payload.js';
export { COMMAND_EVENT, INVOCATION_EVENT } from './status-events.js';
// OpsCenter's notifications are signed the same way, with the same key.
export { signWebhook, webhookSigningKey } from './notify.js';
import { commandService } from './slot.js';

/** How often each replica looks for commands whose dispatch stopped (see Dispatcher.sweep). */
const DISPATCH_SWEEP_MS = 5_000;

export const commandsCapability: Capability = {
  name: 'commands',
  migrations: commandMigrations,
  operations: [...commandOperations, ...followOperations, ...notifyOperations],
  start(core, options) {
    const svc = new CommandService(core, nodeService(core));
    if (options.publicUrl) svc.publicUrl = options.publicUrl;
    svc.s3 = options.s3;
    commandSlot.set(core, svc);
  },
  http(app, core) {
    attachOutputEndpoint(app, core);
    const sweep = setInterval(() => void commandService(core).dispatcher.sweep().catch(() => undefined), DISPATCH_SWEEP_MS);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
  },
};
