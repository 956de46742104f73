import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { ConnectionService } from './connections.js';
import type { RuleService } from './service.js';

export const ruleSlot = new ServiceSlot<RuleService>('rules');
export const connectionSlot = new ServiceSlot<ConnectionService>('rules');
export const ruleService = (core: Core) => ruleSlot.get(core);
export const connectionService = (core: Core) => connectionSlot.get(core);
