import { z } from 'zod';
import type { CallContext } from '../../protocol/context.js';
import { AwsError } from '../../protocol/errors.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { checkTagKeys, tagListSchema } from '../../tagging/index.js';
import { invalidParameter, opsItemNotFound } from '../errors.js';
import { checkFilters, matches, type OpsItemFilter } from '../filters.js';
import { opsItemArn, opsItemSummary, opsItemView } from '../model.js';
import { page } from '../page.js';
import { opsItems } from '../slot.js';
import { date, maxResults, notifications, opsItemId, operationalData, relatedOpsItems, text } from './shapes.js';

const who = (c: CallContext) => ({ accountId: c.accountId, region: c.region, arn: c.principal.arn });
const arnOf = (c: CallContext, id: string) => opsItemArn(c.region, c.accountId, id);

function checkArn(c: CallContext, id: string, arn: string | undefined): void {
  if (arn !== undefined && arn !== arnOf(c, id)) throw invalidParameter(['OpsItemArn'], `OpsItemArn ${arn} is not the ARN of OpsItem ${id} (${arnOf(c, id)}).`);
}

const times = { ActualStartTime: date.optional(), ActualEndTime: date.optional(), PlannedStartTime: date.optional(), PlannedEndTime: date.optional() };
const fields = {
  Description: z.string().min(1).max(2048).refine((s) => /\S/.test(s), { message: 'must not be blank' }),
  OperationalData: operationalData.optional(),
  Notifications: notifications.optional(),
  Priority: z.number().int().min(1).max(5).optional(),
  RelatedOpsItems: relatedOpsItems.optional(),
  Title: text(1024),
  Category: text(64).optional(),
  Severity: text(64).optional(),
  ...times,
};

const itemFilter = z.object({ Key: z.string().min(1), Values: z.array(z.string()), Operator: z.string().min(1) });
const eventFilter = z.object({ Key: z.literal('OpsItemId'), Values: z.array(z.string()), Operator: z.literal('Equal') });
const relatedFilter = z.object({ Key: z.enum(['ResourceType', 'AssociationId', 'ResourceUri']), Values: z.array(z.string()), Operator: z.literal('Equal') });

export const itemOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CreateOpsItem',
    input: z.object({ ...fields, Source: text(128), OpsItemType: z.string().min(1).max(256).optional(), Tags: tagListSchema.max(50).optional(), AccountId: z.string().regex(/^[0-9]{12}$/).optional() }),
    conditionKeys: (i) => ({ ...(i.Tags ? { 'aws:TagKeys': i.Tags.map((t) => t.Key) } : {}), ...Object.fromEntries((i.Tags ?? []).map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) }),
    handler: async (i, c) => {
      if (i.AccountId && i.AccountId !== c.accountId) throw new AwsError('OpsItemAccessDeniedException', `OpsItems of account ${i.AccountId} cannot be created from account ${c.accountId}.`, { messageMember: 'Message' });
      checkTagKeys((i.Tags ?? []).map((t) => t.Key));
      const { id } = await opsItems(c.core).create(who(c), i);
      return { OpsItemId: id, OpsItemArn: arnOf(c, id) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetOpsItem',
    input: z.object({ OpsItemId: opsItemId, OpsItemArn: z.string().optional() }),
    resources: (i, c) => [arnOf(c, i.OpsItemId)],
    handler: async (i, c) => {
      checkArn(c, i.OpsItemId, i.OpsItemArn);
      return { OpsItem: opsItemView(await opsItems(c.core).get(c.accountId, c.region, i.OpsItemId)) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateOpsItem',
    input: z.object({
      OpsItemId: opsItemId,
      OpsItemArn: z.string().optional(),
      ...fields,
      Description: fields.Description.optional(),
      Title: fields.Title.optional(),
      OperationalDataToDelete: z.array(z.string()).optional(),
      Status: z.string().min(1).optional(),
    }),
    resources: (i, c) => [arnOf(c, i.OpsItemId)],
    handler: async (i, c) => {
      checkArn(c, i.OpsItemId, i.OpsItemArn);
      const { OpsItemId, OpsItemArn: _arn, ...u } = i;
      await opsItems(c.core).update(who(c), OpsItemId, u);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteOpsItem',
    input: z.object({ OpsItemId: opsItemId }),
    resources: (i, c) => [arnOf(c, i.OpsItemId)],
    handler: async (i, c) => {
      await opsItems(c.core).delete(who(c), i.OpsItemId);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeOpsItems',
    input: z.object({ OpsItemFilters: z.array(itemFilter).optional(), MaxResults: maxResults, NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const filters = (i.OpsItemFilters ?? []) as OpsItemFilter[];
      checkFilters(filters);
      const svc = opsItems(c.core);
      const rows = await svc.list(c.accountId, c.region);
      const needsRelated = filters.some((f) => f.Key === 'ResourceId' || f.Key === 'AutomationId');
      const related = needsRelated ? await svc.relatedOf(c.accountId, c.region) : [];
      const hits = rows.filter((r) => matches(r, filters, related.filter((x) => x.ops_item_id === r.ops_item_id)));
      const p = page(hits, ['DescribeOpsItems', c.accountId, c.region, filters], i.NextToken, i.MaxResults ?? 50);
      return { OpsItemSummaries: p.rows.map(opsItemSummary), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListOpsItemEvents',
    input: z.object({ Filters: z.array(eventFilter).optional(), MaxResults: maxResults, NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const svc = opsItems(c.core);
      const ids = i.Filters?.length ? [...new Set(i.Filters.flatMap((f) => f.Values))] : undefined;
      for (const id of ids ?? []) if (!(await svc.find(c.accountId, c.region, id))) throw opsItemNotFound(id);
      const rows = await svc.events(c.accountId, c.region, ids);
      const p = page(rows, ['ListOpsItemEvents', c.accountId, c.region, ids], i.NextToken, i.MaxResults ?? 50);
      return {
        Summaries: p.rows.map((e) => ({ OpsItemId: e.ops_item_id, EventId: e.event_id, Source: e.source, DetailType: e.detail_type, Detail: e.detail, CreatedBy: { Arn: e.created_by }, CreatedTime: new Date(Number(e.created_at)) })),
        ...(p.NextToken ? { NextToken: p.NextToken } : {}),
      };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'AssociateOpsItemRelatedItem',
    input: z.object({ OpsItemId: opsItemId, AssociationType: z.string().min(1), ResourceType: z.string().min(1), ResourceUri: z.string().min(1).max(2048) }),
    resources: (i, c) => [arnOf(c, i.OpsItemId)],
    handler: async (i, c) => {
      if (!['IsParentOf', 'RelatesTo'].includes(i.AssociationType)) throw invalidParameter(['AssociationType'], `AssociationType ${i.AssociationType} is not IsParentOf or RelatesTo.`);
      if (!/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(i.ResourceType)) throw invalidParameter(['ResourceType'], `ResourceType ${i.ResourceType} is not a resource type (AWS::SERVICE::TYPE, e.g. AWS::SSM::Document).`);
      if (!/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+/.test(i.ResourceUri)) throw invalidParameter(['ResourceUri'], `ResourceUri ${i.ResourceUri} is not an ARN.`);
      return { AssociationId: await opsItems(c.core).associate(who(c), i.OpsItemId, i) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DisassociateOpsItemRelatedItem',
    input: z.object({ OpsItemId: opsItemId, AssociationId: z.string().min(1) }),
    resources: (i, c) => [arnOf(c, i.OpsItemId)],
    handler: async (i, c) => {
      await opsItems(c.core).disassociate(who(c), i.OpsItemId, i.AssociationId);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListOpsItemRelatedItems',
    input: z.object({ OpsItemId: opsItemId.optional(), Filters: z.array(relatedFilter).optional(), MaxResults: maxResults, NextToken: z.string().optional() }),
    resources: (i, c) => [i.OpsItemId ? arnOf(c, i.OpsItemId) : '*'],
    handler: async (i, c) => {
      const svc = opsItems(c.core);
      if (i.OpsItemId) await svc.get(c.accountId, c.region, i.OpsItemId);
      const field = { ResourceType: 'resource_type', AssociationId: 'association_id', ResourceUri: 'resource_uri' } as const;
      const rows = (await svc.relatedOf(c.accountId, c.region, i.OpsItemId ? [i.OpsItemId] : undefined)).filter((r) => (i.Filters ?? []).every((f) => f.Values.includes(r[field[f.Key]])));
      const p = page(rows, ['ListOpsItemRelatedItems', c.accountId, c.region, i.OpsItemId, i.Filters], i.NextToken, i.MaxResults ?? 50);
      return {
        Summaries: p.rows.map((r) => ({
          OpsItemId: r.ops_item_id,
          AssociationId: r.association_id,
          ResourceType: r.resource_type,
          AssociationType: r.association_type,
          ResourceUri: r.resource_uri,
          CreatedBy: { Arn: r.created_by },
          CreatedTime: new Date(Number(r.created_at)),
          LastModifiedBy: { Arn: r.created_by },
          LastModifiedTime: new Date(Number(r.created_at)),
        })),
        ...(p.NextToken ? { NextToken: p.NextToken } : {}),
      };
    },
  }),
];
