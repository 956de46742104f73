import { z } from 'zod';
import { defineOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { checkTagKeys, tagListSchema } from '../../tagging/index.js';
import { baselineFields, baselineIdSchema, baselineNameSchema, operatingSystemSchema, patchOs } from '../baseline.js';
import { baselineArn } from '../baselines.js';
import { page } from '../paging.js';
import { baselineView, checkKeys, identity, orchestratorFilters, svc } from './shared.js';

const description = z.string().min(1).max(1024);
const arn = (i: { BaselineId: string }, c: { region: string; accountId: string }) => [baselineArn(c.region, c.accountId, i.BaselineId)];

export const baselineOperations = [
  defineOperation({
    service: SSM,
    name: 'CreatePatchBaseline',
    input: z.object({ OperatingSystem: operatingSystemSchema.optional(), Name: baselineNameSchema, Description: description.optional(), ClientToken: z.string().min(1).max(64).optional(), Tags: tagListSchema.optional(), ...baselineFields }),
    conditionKeys: (i) => ({ 'aws:TagKeys': (i.Tags ?? []).map((t) => t.Key), ...Object.fromEntries((i.Tags ?? []).map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) }),
    handler: async (i, c) => {
      if (i.Tags) checkTagKeys(i.Tags.map((t) => t.Key));
      return { BaselineId: await svc(c).baselines.create(c.accountId, c.region, i) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdatePatchBaseline',
    input: z.object({ BaselineId: baselineIdSchema, Name: baselineNameSchema.optional(), Description: description.optional(), Replace: z.boolean().optional(), ...baselineFields }),
    resources: arn,
    handler: async (i, c) => {
      const { CreatedDate, ModifiedDate, ...rest } = baselineView(await svc(c).baselines.update(c.accountId, c.region, i));
      return { ...rest, CreatedDate, ModifiedDate };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeletePatchBaseline',
    input: z.object({ BaselineId: baselineIdSchema }),
    resources: arn,
    handler: async (i, c) => {
      await svc(c).baselines.delete(c.accountId, c.region, i.BaselineId);
      return { BaselineId: i.BaselineId };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetPatchBaseline',
    input: z.object({ BaselineId: baselineIdSchema }),
    resources: arn,
    handler: async (i, c) => {
      const s = svc(c).baselines;
      const b = await s.get(c.accountId, c.region, i.BaselineId);
      return { ...baselineView(b), PatchGroups: await s.groupsOf(c.accountId, c.region, b.BaselineId) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribePatchBaselines',
    input: z.object({ Filters: orchestratorFilters(10).optional(), MaxResults: z.number().int().min(1).max(100).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const filters = i.Filters ?? [];
      checkKeys(filters, ['NAME_PREFIX', 'OWNER', 'OPERATING_SYSTEM'], 'DescribePatchBaselines');
      const s = svc(c).baselines;
      const defaults = await s.defaults(c.accountId, c.region);
      const all = (await s.list(c.accountId, c.region)).filter((b) =>
        filters.every((f) => {
          const v = f.Values ?? [];
          if (v.length === 0) return true;
          if (f.Key === 'NAME_PREFIX') return v.some((p) => b.Name.startsWith(p));
          if (f.Key === 'OWNER') return v.some((o) => o === 'All' || o.toLowerCase() === b.owner.toLowerCase());
          return v.includes(b.OperatingSystem);
        }),
      );
      const p = page(all, `DescribePatchBaselines ${c.accountId} ${c.region} ${JSON.stringify(filters)}`, i.NextToken, i.MaxResults ?? 100);
      return { BaselineIdentities: p.rows.map((b) => identity(b, defaults)), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'RegisterDefaultPatchBaseline',
    input: z.object({ BaselineId: baselineIdSchema }),
    resources: arn,
    handler: async (i, c) => {
      await svc(c).baselines.registerDefault(c.accountId, c.region, i.BaselineId);
      return { BaselineId: i.BaselineId };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetDefaultPatchBaseline',
    input: z.object({ OperatingSystem: operatingSystemSchema.optional() }),
    handler: async (i, c) => {
      const os = patchOs(i.OperatingSystem);
      return { BaselineId: await svc(c).baselines.defaultId(c.accountId, c.region, os), OperatingSystem: os };
    },
  }),
];
