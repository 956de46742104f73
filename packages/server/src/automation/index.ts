import type { Capability } from '../protocol/capability.js';
import { executionOperations } from './operations/executions.js';
import { changeRequestOperations } from './operations/change-requests.js';
import { AutomationService } from './service.js';
import { automationSlot } from './slot.js';
import { registerExecutionTags } from './tags.js';
import { automationMigrations } from './tables.js';

export { automationService } from './slot.js';
export { registerOpsItemExecutions } from './ops-items.js';

export const automationCapability: Capability = {
  name: 'automation',
  migrations: automationMigrations,
  operations: [...executionOperations, ...changeRequestOperations],
  start(core) {
    automationSlot.set(core, new AutomationService(core));
    registerExecutionTags(core);
  },
};
