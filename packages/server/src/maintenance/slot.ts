import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { MaintenanceService } from './service.js';

export const maintenanceSlot = new ServiceSlot<MaintenanceService>('maintenance');
export const maintenanceService = (core: Core) => maintenanceSlot.get(core);
