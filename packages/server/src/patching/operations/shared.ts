import { z } from 'zod';
import type { CallContext } from '../../protocol/context.js';
import { validation, type Baseline } from '../baseline.js';
import { patching } from '../slot.js';

export const svc = (c: CallContext) => patching(c.core);

/** AWS's PatchOrchestratorFilter. */
export const orchestratorFilters = (max: number) => z.array(z.object({ Key: z.string().min(1).max(128), Values: z.array(z.string().min(1).max(256)).max(20).optional() })).max(max);
export type OrchestratorFilter = { Key: string; Values?: string[] };

/** Keys a listing knows; any other is refused, saying which ones it takes. */
export function checkKeys(filters: readonly OrchestratorFilter[], keys: readonly string[], op: string): void {
  const bad = filters.find((f) => !keys.includes(f.Key));
  if (bad) throw validation(`${op} does not filter on ${bad.Key}; use ${keys.join(', ')}.`);
}

export const identity = (b: Baseline, defaults: Set<string>) => ({
  BaselineId: b.BaselineId,
  BaselineName: b.Name,
  OperatingSystem: b.OperatingSystem,
  ...(b.Description ? { BaselineDescription: b.Description } : {}),
  DefaultBaseline: defaults.has(b.BaselineId),
});

export const baselineView = (b: Baseline) => ({
  BaselineId: b.BaselineId,
  Name: b.Name,
  OperatingSystem: b.OperatingSystem,
  GlobalFilters: b.GlobalFilters,
  ApprovalRules: b.ApprovalRules,
  ApprovedPatches: b.ApprovedPatches,
  ApprovedPatchesComplianceLevel: b.ApprovedPatchesComplianceLevel,
  ApprovedPatchesEnableNonSecurity: b.ApprovedPatchesEnableNonSecurity,
  RejectedPatches: b.RejectedPatches,
  RejectedPatchesAction: b.RejectedPatchesAction,
  CreatedDate: new Date(b.createdAt),
  ModifiedDate: new Date(b.modifiedAt),
  ...(b.Description ? { Description: b.Description } : {}),
  Sources: b.Sources,
  ...(b.AvailableSecurityUpdatesComplianceStatus ? { AvailableSecurityUpdatesComplianceStatus: b.AvailableSecurityUpdatesComplianceStatus } : {}),
});
