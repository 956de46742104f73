import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { GroupService } from './service.js';

export const groupSlot = new ServiceSlot<GroupService>('resource groups');
export const groups = (core: Core): GroupService => groupSlot.get(core);
