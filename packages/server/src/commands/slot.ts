import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { CommandService } from './service.js';

export const commandSlot = new ServiceSlot<CommandService>('commands');
export const commandService = (core: Core) => commandSlot.get(core);
