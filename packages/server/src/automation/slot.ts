import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { AutomationService } from './service.js';

export const automationSlot = new ServiceSlot<AutomationService>('automation');
export const automationService = (core: Core) => automationSlot.get(core);
