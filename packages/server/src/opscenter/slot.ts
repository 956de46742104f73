import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { OpsMetadataService } from './metadata.js';
import type { OpsItemService } from './service.js';

export const itemsSlot = new ServiceSlot<OpsItemService>('opscenter');
export const metadataSlot = new ServiceSlot<OpsMetadataService>('opsmetadata');
export const opsItems = (core: Core): OpsItemService => itemsSlot.get(core);
export const opsMetadata = (core: Core): OpsMetadataService => metadataSlot.get(core);
