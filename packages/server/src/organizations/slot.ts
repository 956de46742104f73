import { ServiceSlot } from '../protocol/capability.js';
import type { OrganizationStore } from './store.js';

export const organizationSlot = new ServiceSlot<OrganizationStore>('organizations');
export const organizationStore = (core: Parameters<typeof organizationSlot.get>[0]) => organizationSlot.get(core);
