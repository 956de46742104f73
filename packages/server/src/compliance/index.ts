import { z } from 'zod';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { instanceArn, nodeService } from '../nodes/index.js';
import type { Capability } from '../protocol/capability.js';
import type { CallContext, Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import type { ComplianceFilter } from './filters.js';
import { severitySummary, total, type Counts } from './model.js';
import { filter, paging, putInput } from './schema.js';
import { ComplianceService, type CompliancePut } from './service.js';
import { complianceSlot } from './slot.js';
import { complianceMigrations, type ComplianceItemRow, type ComplianceSummaryRow } from './tables.js';

export { ComplianceService, type ComplianceItemInput, type CompliancePut, type ComplianceListener } from './service.js';
export { COMPLIANCE_EVENT, type ComplianceChange } from './events.js';
export { recordAssociationRun, forgetAssociation, type AssociationFacts } from './association.js';

/** The compliance service: Patch Manager writes the `Patch` type through `put`, the console and others listen with `onChange`. */
export const complianceService = (core: Core): ComplianceService => complianceSlot.get(core);

const svc = (c: CallContext) => complianceSlot.get(c.core);
const isOffset = (a: unknown): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0;

/** A page of `limit` from rows fetched as `limit + 1`, and the token of the next. */
function pageOf<T>(rows: T[], offset: number, limit: number, scope: string): { rows: T[]; NextToken?: string } {
  return { rows: rows.slice(0, limit), ...(rows.length > limit ? { NextToken: encodeToken(scope, offset + limit) } : {}) };
}

const executionSummary = (r: { execution_time: number; execution_id: string; execution_type: string }) => ({
  ExecutionTime: new Date(Number(r.execution_time)),
  ...(r.execution_id ? { ExecutionId: r.execution_id } : {}),
  ...(r.execution_type ? { ExecutionType: r.execution_type } : {}),
});

const itemView = (r: ComplianceItemRow) => ({
  ComplianceType: r.compliance_type,
  ResourceType: r.resource_type,
  ResourceId: r.resource_id,
  ...(r.item_id ? { Id: r.item_id } : {}),
  ...(r.title ? { Title: r.title } : {}),
  Status: r.status,
  Severity: r.severity,
  ExecutionSummary: executionSummary(r),
  Details: r.details ? (JSON.parse(r.details) as Record<string, string>) : {},
});

const compliantSummary = (c: Counts) => ({ CompliantCount: total(c), SeveritySummary: severitySummary(c) });
const nonCompliantSummary = (c: Counts) => ({ NonCompliantCount: total(c), SeveritySummary: severitySummary(c) });

const resourceSummaryView = (r: ComplianceSummaryRow) => ({
  ComplianceType: r.compliance_type,
  ResourceType: r.resource_type,
  ResourceId: r.resource_id,
  Status: r.status,
  OverallSeverity: r.overall_severity,
  ExecutionSummary: executionSummary(r),
  CompliantSummary: compliantSummary(JSON.parse(r.compliant_counts) as Counts),
  NonCompliantSummary: nonCompliantSummary(JSON.parse(r.non_compliant_counts) as Counts),
});

const resourceIds = z.array(z.string().min(1).max(100)).min(1);

const operations = [
  defineOperation({
    service: SSM,
    name: 'PutComplianceItems',
    input: putInput,
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.ResourceId)],
    handler: async (i, c) => {
      await svc(c).put({
        accountId: c.accountId,
        region: c.region,
        resourceId: i.ResourceId,
        resourceType: i.ResourceType as CompliancePut['resourceType'],
        complianceType: i.ComplianceType,
        executionSummary: { ...i.ExecutionSummary, ExecutionTime: Math.round(i.ExecutionSummary.ExecutionTime * 1000) },
        items: i.Items,
        uploadType: i.UploadType ?? 'COMPLETE',
        ...(i.ItemContentHash !== undefined ? { itemContentHash: i.ItemContentHash } : {}),
      });
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListComplianceItems',
    input: z.object({ Filters: z.array(filter).optional(), ResourceIds: resourceIds.optional(), ResourceTypes: z.array(z.string().min(1).max(50)).min(1).optional(), ...paging }),
    resources: (i, c) => (i.ResourceIds?.length ? i.ResourceIds.map((id) => instanceArn(c.region, c.accountId, id)) : ['*']),
    handler: async (i, c) => {
      const badType = i.ResourceTypes?.find((t) => t !== 'ManagedInstance');
      if (badType !== undefined) throw new AwsError('InvalidResourceType', `The resource type ${badType} is not valid; ManagedInstance is the only one.`, { messageMember: 'Message' });
      for (const id of i.ResourceIds ?? []) {
        if (!(await nodeService(c.core).instance(c.accountId, c.region, id))) throw new AwsError('InvalidResourceId', `The resource ${id} is not a registered managed node.`, { messageMember: 'Message' });
      }
      const scope = JSON.stringify(['ListComplianceItems', i.Filters ?? [], i.ResourceIds ?? []]);
      const offset = decodeToken(i.NextToken, scope, isOffset) ?? 0;
      const limit = i.MaxResults ?? 50;
      const rows = await svc(c).listItems(c.accountId, c.region, { ...(i.ResourceIds ? { resourceIds: i.ResourceIds } : {}), ...(i.Filters ? { filters: i.Filters as ComplianceFilter[] } : {}) }, offset, limit);
      const p = pageOf(rows, offset, limit, scope);
      return { ComplianceItems: p.rows.map(itemView), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListComplianceSummaries',
    input: z.object({ Filters: z.array(filter).optional(), ...paging }),
    handler: async (i, c) => {
      const scope = JSON.stringify(['ListComplianceSummaries', i.Filters ?? []]);
      const offset = decodeToken(i.NextToken, scope, isOffset) ?? 0;
      const limit = i.MaxResults ?? 50;
      const types = await svc(c).typeSummaries(c.accountId, c.region, i.Filters as ComplianceFilter[] | undefined);
      const p = pageOf(types.slice(offset, offset + limit + 1), offset, limit, scope);
      return {
        ComplianceSummaryItems: p.rows.map((t) => ({ ComplianceType: t.type, CompliantSummary: compliantSummary(t.compliant), NonCompliantSummary: nonCompliantSummary(t.nonCompliant) })),
        ...(p.NextToken ? { NextToken: p.NextToken } : {}),
      };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListResourceComplianceSummaries',
    input: z.object({ Filters: z.array(filter).optional(), ...paging }),
    handler: async (i, c) => {
      const scope = JSON.stringify(['ListResourceComplianceSummaries', i.Filters ?? []]);
      const offset = decodeToken(i.NextToken, scope, isOffset) ?? 0;
      const limit = i.MaxResults ?? 50;
      const rows = await svc(c).listResourceSummaries(c.accountId, c.region, i.Filters as ComplianceFilter[] | undefined, offset, limit);
      const p = pageOf(rows, offset, limit, scope);
      return { ResourceComplianceSummaryItems: p.rows.map(resourceSummaryView), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
];

export const complianceCapability: Capability = {
  name: 'compliance',
  migrations: complianceMigrations,
  operations,
  start(core) {
    const service = new ComplianceService(core);
    complianceSlot.set(core, service);
    nodeService(core).onDeregister.push((account, region, id) => service.forgetResource(account, region, id));
  },
};
