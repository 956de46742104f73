import type { Capability } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import { kmsOperations } from './operations.js';
import { KmsServiceImpl, kmsSlot, type KmsService } from './service.js';
import { kmsMigrations } from './tables.js';

export type { KeyMetadataView, KmsService } from './service.js';

/** Keys, aliases and envelope encryption; other capabilities use it through `kmsService(core)`. */
export const kmsCapability: Capability = {
  name: 'kms',
  migrations: kmsMigrations,
  operations: kmsOperations,
  start(core: Core) {
    const service = new KmsServiceImpl(core);
    service.registerJobs(core);
    kmsSlot.set(core, service);
  },
};

export function kmsService(core: Core): KmsService {
  return kmsSlot.get(core);
}
