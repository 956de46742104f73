import { ServiceSlot } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import type { Baselines } from './baselines.js';
import type { PatchReports } from './reports.js';
import type { PatchSnapshots } from './snapshots.js';

export interface Patching {
  baselines: Baselines;
  reports: PatchReports;
  snapshots: PatchSnapshots;
}

export const patchingSlot = new ServiceSlot<Patching>('patching');
export const patching = (core: Core): Patching => patchingSlot.get(core);
