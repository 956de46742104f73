import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { PackageStore } from './store.js';

export interface DistributorServices {
  store: PackageStore;
}

export const distributorSlot = new ServiceSlot<DistributorServices>('distributor');
export const distributor = (core: Core) => distributorSlot.get(core);
