import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { AssociationService } from './service.js';

export const associationSlot = new ServiceSlot<AssociationService>('associations');
export const associationService = (core: Core) => associationSlot.get(core);
