import type { PatchSummary } from '@capstan/wire';
import { z } from 'zod';
import { instanceArn, nodeService } from '../../nodes/index.js';
import { AwsError } from '../../protocol/errors.js';
import { defineOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { baselineOverrideSchema, patchGroupSchema, validation } from '../baseline.js';
import { page } from '../paging.js';
import { summaryOf } from '../reports.js';
import { parseOverride, resolveForNode } from '../resolve.js';
import type { PatchStateRow } from '../tables.js';
import { checkKeys, orchestratorFilters, svc } from './shared.js';

const instanceId = z.string().regex(/(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/);
const invalidInstance = (id: string) => new AwsError('InvalidInstanceId', `Instance ${id} is not a registered managed node.`, { messageMember: 'Message' });

/** AWS's InstancePatchState. */
function stateView(r: PatchStateRow) {
  const s: PatchSummary = summaryOf(r);
  return {
    InstanceId: r.instance_id,
    PatchGroup: s.PatchGroup,
    BaselineId: s.BaselineId,
    SnapshotId: s.SnapshotId,
    ...(s.InstallOverrideList ? { InstallOverrideList: s.InstallOverrideList } : {}),
    InstalledCount: s.InstalledCount,
    InstalledOtherCount: s.InstalledOtherCount,
    InstalledPendingRebootCount: s.InstalledPendingRebootCount,
    InstalledRejectedCount: s.InstalledRejectedCount,
    MissingCount: s.MissingCount,
    FailedCount: s.FailedCount,
    UnreportedNotApplicableCount: s.UnreportedNotApplicableCount,
    NotApplicableCount: s.NotApplicableCount,
    AvailableSecurityUpdateCount: s.AvailableSecurityUpdateCount,
    OperationStartTime: new Date(s.OperationStartTime),
    OperationEndTime: new Date(s.OperationEndTime),
    Operation: s.Operation,
    ...(s.LastNoRebootInstallOperationTime !== undefined ? { LastNoRebootInstallOperationTime: new Date(s.LastNoRebootInstallOperationTime) } : {}),
    RebootOption: s.RebootOption,
    CriticalNonCompliantCount: s.CriticalNonCompliantCount,
    SecurityNonCompliantCount: s.SecurityNonCompliantCount,
    OtherNonCompliantCount: s.OtherNonCompliantCount,
  };
}

type StateView = ReturnType<typeof stateView>;
const COUNT_KEYS = ['InstalledCount', 'InstalledOtherCount', 'InstalledPendingRebootCount', 'InstalledRejectedCount', 'MissingCount', 'FailedCount', 'UnreportedNotApplicableCount', 'NotApplicableCount', 'AvailableSecurityUpdateCount', 'CriticalNonCompliantCount', 'SecurityNonCompliantCount', 'OtherNonCompliantCount'] as const;
const stateFilter = z.object({ Key: z.string().min(1).max(200), Values: z.array(z.string()).min(1).max(1), Type: z.enum(['Equal', 'NotEqual', 'LessThan', 'GreaterThan']) });

/** A patch's State as DescribeInstancePatches filters take it: AWS's enum or its CamelCase form (InstalledOther). */
const stateKey = (s: string) => s.replace(/_/g, '').toLowerCase();

export const stateOperations = [
  defineOperation({
    service: SSM,
    name: 'DescribeInstancePatchStates',
    input: z.object({ InstanceIds: z.array(instanceId).max(50), MaxResults: z.number().int().min(10).max(100).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => i.InstanceIds.map((id) => instanceArn(c.region, c.accountId, id)),
    handler: async (i, c) => {
      const rows = await svc(c).reports.states(c.accountId, c.region, i.InstanceIds);
      const p = page(rows.map(stateView), `DescribeInstancePatchStates ${c.accountId} ${c.region} ${i.InstanceIds.join(',')}`, i.NextToken, i.MaxResults ?? 10);
      return { InstancePatchStates: p.rows, ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeInstancePatchStatesForPatchGroup',
    input: z.object({ PatchGroup: patchGroupSchema, Filters: z.array(stateFilter).max(4).optional(), MaxResults: z.number().int().min(10).max(100).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const filters = (i.Filters ?? []).map((f) => {
        if (!(COUNT_KEYS as readonly string[]).includes(f.Key)) throw validation(`DescribeInstancePatchStatesForPatchGroup does not filter on ${f.Key}; use ${COUNT_KEYS.join(', ')}.`);
        const n = Number(f.Values[0]);
        if (!/^\d+$/.test(f.Values[0]!)) throw validation(`The value of filter ${f.Key} must be a whole number, not ${f.Values[0]}.`);
        return { key: f.Key as (typeof COUNT_KEYS)[number], n, type: f.Type };
      });
      const views = (await svc(c).reports.groupStates(c.accountId, c.region, i.PatchGroup)).map(stateView).filter((v: StateView) =>
        filters.every((f) => {
          const x = v[f.key];
          return f.type === 'Equal' ? x === f.n : f.type === 'NotEqual' ? x !== f.n : f.type === 'LessThan' ? x < f.n : x > f.n;
        }),
      );
      const p = page(views, `DescribeInstancePatchStatesForPatchGroup ${c.accountId} ${c.region} ${i.PatchGroup} ${JSON.stringify(filters)}`, i.NextToken, i.MaxResults ?? 50);
      return { InstancePatchStates: p.rows, ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeInstancePatches',
    input: z.object({ InstanceId: instanceId, Filters: orchestratorFilters(4).optional(), MaxResults: z.number().int().min(10).max(100).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      if (!(await nodeService(c.core).instance(c.accountId, c.region, i.InstanceId))) throw invalidInstance(i.InstanceId);
      const filters = i.Filters ?? [];
      checkKeys(filters, ['Classification', 'KBId', 'Severity', 'State'], 'DescribeInstancePatches');
      const patches = (await svc(c).reports.patches(c.accountId, c.region, i.InstanceId)).filter((p) =>
        filters.every((f) => {
          const v = f.Values ?? [];
          if (v.length === 0) return true;
          if (f.Key === 'State') return v.some((x) => stateKey(x) === stateKey(p.State));
          const have = f.Key === 'Classification' ? p.Classification : f.Key === 'KBId' ? p.KBId : p.Severity;
          return v.includes(have);
        }),
      );
      const p = page(patches, `DescribeInstancePatches ${c.accountId} ${c.region} ${i.InstanceId} ${JSON.stringify(filters)}`, i.NextToken, i.MaxResults ?? 10);
      return {
        Patches: p.rows.map((x) => ({ Title: x.Title, KBId: x.KBId, Classification: x.Classification, Severity: x.Severity, State: x.State, InstalledTime: new Date(x.InstalledTime ?? 0), ...(x.CVEIds ? { CVEIds: x.CVEIds } : {}) })),
        ...(p.NextToken ? { NextToken: p.NextToken } : {}),
      };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetDeployablePatchSnapshotForInstance',
    input: z.object({ InstanceId: instanceId, SnapshotId: z.string().regex(/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/), BaselineOverride: baselineOverrideSchema.optional(), UseS3DualStackEndpoint: z.boolean().optional() }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      const s = svc(c);
      const override = i.BaselineOverride ? parseOverride(i.BaselineOverride) : undefined;
      const r = await resolveForNode(c.core, s.baselines, c.core.database.db, c.accountId, c.region, i.InstanceId, { ...(override ? { override } : {}), snapshotId: i.SnapshotId });
      if (!r.ok) {
        if (!(await nodeService(c.core).instance(c.accountId, c.region, i.InstanceId))) throw invalidInstance(i.InstanceId);
        throw new AwsError('UnsupportedOperatingSystem', r.reason, { messageMember: 'Message' });
      }
      return { InstanceId: i.InstanceId, SnapshotId: i.SnapshotId, SnapshotDownloadUrl: await s.snapshots.publish(c.accountId, c.region, r.snapshot), Product: r.product };
    },
  }),
];
