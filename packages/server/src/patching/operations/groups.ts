import { z } from 'zod';
import { defineOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { baselineIdSchema, operatingSystemSchema, patchGroupSchema, patchOs } from '../baseline.js';
import { baselineArn } from '../baselines.js';
import { page } from '../paging.js';
import { checkKeys, identity, orchestratorFilters, svc } from './shared.js';

const arn = (i: { BaselineId: string }, c: { region: string; accountId: string }) => [baselineArn(c.region, c.accountId, i.BaselineId)];

export const groupOperations = [
  defineOperation({
    service: SSM,
    name: 'RegisterPatchBaselineForPatchGroup',
    input: z.object({ BaselineId: baselineIdSchema, PatchGroup: patchGroupSchema }),
    resources: arn,
    handler: async (i, c) => {
      await svc(c).baselines.registerGroup(c.accountId, c.region, i.BaselineId, i.PatchGroup);
      return { BaselineId: i.BaselineId, PatchGroup: i.PatchGroup };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeregisterPatchBaselineForPatchGroup',
    input: z.object({ BaselineId: baselineIdSchema, PatchGroup: patchGroupSchema }),
    resources: arn,
    handler: async (i, c) => {
      await svc(c).baselines.deregisterGroup(c.accountId, c.region, i.BaselineId, i.PatchGroup);
      return { BaselineId: i.BaselineId, PatchGroup: i.PatchGroup };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetPatchBaselineForPatchGroup',
    input: z.object({ PatchGroup: patchGroupSchema, OperatingSystem: operatingSystemSchema.optional() }),
    handler: async (i, c) => {
      const os = patchOs(i.OperatingSystem);
      return { BaselineId: await svc(c).baselines.forGroup(c.accountId, c.region, i.PatchGroup, os), PatchGroup: i.PatchGroup, OperatingSystem: os };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribePatchGroups',
    input: z.object({ Filters: orchestratorFilters(5).optional(), MaxResults: z.number().int().min(1).max(100).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const filters = i.Filters ?? [];
      checkKeys(filters, ['NAME_PREFIX', 'OPERATING_SYSTEM'], 'DescribePatchGroups');
      const s = svc(c).baselines;
      const defaults = await s.defaults(c.accountId, c.region);
      const rows = (await s.groups(c.accountId, c.region)).filter((g) =>
        filters.every((f) => !f.Values?.length || (f.Key === 'NAME_PREFIX' ? f.Values.some((p) => g.patch_group.startsWith(p)) : f.Values.includes(g.operating_system))),
      );
      const p = page(rows, `DescribePatchGroups ${c.accountId} ${c.region} ${JSON.stringify(filters)}`, i.NextToken, i.MaxResults ?? 100);
      const mappings = [];
      for (const g of p.rows) mappings.push({ PatchGroup: g.patch_group, BaselineIdentity: identity(await s.get(c.accountId, c.region, g.baseline_id), defaults) });
      return { Mappings: mappings, ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribePatchGroupState',
    input: z.object({ PatchGroup: patchGroupSchema }),
    handler: async (i, c) => {
      const rows = await svc(c).reports.groupStates(c.accountId, c.region, i.PatchGroup);
      const count = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).length;
      const summary = (r: (typeof rows)[number]) => JSON.parse(r.summary) as { UnreportedNotApplicableCount: number; AvailableSecurityUpdateCount: number };
      return {
        Instances: rows.length,
        InstancesWithInstalledPatches: count((r) => r.installed_count > 0),
        InstancesWithInstalledOtherPatches: count((r) => r.installed_other_count > 0),
        InstancesWithInstalledPendingRebootPatches: count((r) => r.installed_pending_reboot_count > 0),
        InstancesWithInstalledRejectedPatches: count((r) => r.installed_rejected_count > 0),
        InstancesWithMissingPatches: count((r) => r.missing_count > 0),
        InstancesWithFailedPatches: count((r) => r.failed_count > 0),
        InstancesWithNotApplicablePatches: count((r) => r.not_applicable_count > 0),
        InstancesWithUnreportedNotApplicablePatches: count((r) => summary(r).UnreportedNotApplicableCount > 0),
        InstancesWithCriticalNonCompliantPatches: count((r) => r.critical_non_compliant_count > 0),
        InstancesWithSecurityNonCompliantPatches: count((r) => r.security_non_compliant_count > 0),
        InstancesWithOtherNonCompliantPatches: count((r) => r.other_non_compliant_count > 0),
        InstancesWithAvailableSecurityUpdates: count((r) => summary(r).AvailableSecurityUpdateCount > 0),
      };
    },
  }),
];
