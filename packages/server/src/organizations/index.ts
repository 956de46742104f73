import type { Capability } from '../protocol/capability.js';
import { organizationOperations } from './operations.js';
import { organizationSlot } from './slot.js';
import { OrganizationStore } from './store.js';
import { organizationMigrations } from './tables.js';

export { OrganizationStore, OrganizationError, organizationView, type Organization } from './store.js';
export { organizationStore } from './slot.js';

export const organizationsCapability: Capability = {
  name: 'organizations',
  migrations: organizationMigrations,
  operations: organizationOperations,
  start(core) {
    organizationSlot.set(core, new OrganizationStore(core.database, (id) => core.iam.getAccount(id)));
  },
};
