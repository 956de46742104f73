import { z } from 'zod';
import { defineOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { baselineIdSchema, operatingSystemSchema, patchOs, validation } from '../baseline.js';
import { baselineArn } from '../baselines.js';
import { AVAILABLE_FILTER_KEYS, candidateOf, isEffective, patchStatus, patchView } from '../catalog.js';
import { OS_RULES } from '../os.js';
import { page } from '../paging.js';
import { checkKeys, orchestratorFilters, svc } from './shared.js';

const PATCH_PROPERTIES = ['PRODUCT', 'PRODUCT_FAMILY', 'CLASSIFICATION', 'MSRC_SEVERITY', 'PRIORITY', 'SEVERITY'] as const;

export const catalogOperations = [
  defineOperation({
    service: SSM,
    name: 'DescribePatchProperties',
    input: z.object({ OperatingSystem: operatingSystemSchema, Property: z.enum(PATCH_PROPERTIES), PatchSet: z.enum(['OS', 'APPLICATION']).optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const os = patchOs(i.OperatingSystem);
      if (i.PatchSet === 'APPLICATION') throw validation(`PatchSet APPLICATION is for Windows; ${os} has only OS patches.`);
      const allowed = OS_RULES[os].keys[i.Property];
      if (!(i.Property in OS_RULES[os].keys)) throw validation(`${i.Property} is not a patch property of ${os}; use ${Object.keys(OS_RULES[os].keys).filter((k) => (PATCH_PROPERTIES as readonly string[]).includes(k)).join(', ')}.`);
      // The documented values, then those the fleet's reports added (Capstan's catalogue is what nodes saw).
      const seen = new Map<string, string>();
      if (Array.isArray(allowed)) for (const v of allowed) seen.set(v.toLowerCase(), v);
      for (const r of await svc(c).reports.catalog(c.accountId, c.region, os)) {
        const p = candidateOf(r);
        const v = i.Property === 'PRODUCT' ? p.Product : i.Property === 'CLASSIFICATION' ? p.Classification : i.Property === 'SEVERITY' ? p.Severity : p.Priority;
        if (v && !seen.has(v.toLowerCase())) seen.set(v.toLowerCase(), v);
      }
      const values = [...seen.values()].sort((a, b) => a.localeCompare(b));
      const p = page(values, `DescribePatchProperties ${c.accountId} ${c.region} ${os} ${i.Property}`, i.NextToken, i.MaxResults ?? 50);
      return { Properties: p.rows.map((Name) => ({ Name })), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeAvailablePatches',
    input: z.object({ Filters: orchestratorFilters(5).optional(), MaxResults: z.number().int().min(1).max(100).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const filters = i.Filters ?? [];
      checkKeys(filters, Object.keys(AVAILABLE_FILTER_KEYS), 'DescribeAvailablePatches');
      const rows = (await svc(c).reports.catalog(c.accountId, c.region)).filter((r) => {
        const p = candidateOf(r);
        return filters.every((f) => {
          if (!f.Values?.length) return true;
          const have = AVAILABLE_FILTER_KEYS[f.Key]!(r, p);
          return have !== undefined && f.Values.some((v) => v === '*' || v.toLowerCase() === have.toLowerCase());
        });
      });
      const p = page(rows, `DescribeAvailablePatches ${c.accountId} ${c.region} ${JSON.stringify(filters)}`, i.NextToken, i.MaxResults ?? 100);
      return { Patches: p.rows.map(patchView), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeEffectivePatchesForPatchBaseline',
    input: z.object({ BaselineId: baselineIdSchema, MaxResults: z.number().int().min(1).max(100).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => [baselineArn(c.region, c.accountId, i.BaselineId)],
    handler: async (i, c) => {
      const s = svc(c);
      const b = await s.baselines.get(c.accountId, c.region, i.BaselineId);
      const effective = [];
      for (const r of await s.reports.catalog(c.accountId, c.region, b.OperatingSystem)) {
        const st = patchStatus(b, r, c.now);
        if (!isEffective(st)) continue;
        effective.push({ Patch: patchView(r), PatchStatus: { DeploymentStatus: st.DeploymentStatus, ComplianceLevel: st.ComplianceLevel } });
      }
      const p = page(effective, `DescribeEffectivePatchesForPatchBaseline ${c.accountId} ${c.region} ${b.BaselineId}`, i.NextToken, i.MaxResults ?? 100);
      return { EffectivePatches: p.rows, ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
];
