import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { NodeService } from './service.js';

export const nodeSlot = new ServiceSlot<NodeService>('nodes');
export const nodeService = (core: Core) => nodeSlot.get(core);
