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
  },
};
