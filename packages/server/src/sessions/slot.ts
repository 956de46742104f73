import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { SessionService } from './service.js';

export const sessionSlot = new ServiceSlot<SessionService>('sessions');
export const sessionService = (core: Core) => sessionSlot.get(core);
