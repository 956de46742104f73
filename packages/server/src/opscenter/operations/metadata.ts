import { z } from 'zod';
import type { CallContext } from '../../protocol/context.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { checkTagKeys, tagListSchema } from '../../tagging/index.js';
import { metadataInvalid } from '../errors.js';
import { opsMetadataArn } from '../metadata.js';
import { page } from '../page.js';
import { opsMetadata } from '../slot.js';

const who = (c: CallContext) => ({ accountId: c.accountId, region: c.region, arn: c.principal.arn });
const metadata = z.record(z.string().min(1).max(256), z.object({ Value: z.string().optional() }));
const arn = z.string().min(1).max(1011);
const view = (r: { resource_id: string; arn: string; modified_at: number; modified_by: string; created_at: number }) => ({
  ResourceId: r.resource_id,
  OpsMetadataArn: r.arn,
  LastModifiedDate: new Date(Number(r.modified_at)),
  LastModifiedUser: r.modified_by,
  CreationDate: new Date(Number(r.created_at)),
});

export const metadataOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CreateOpsMetadata',
    input: z.object({ ResourceId: z.string().min(1).max(1024), Metadata: metadata.optional(), Tags: tagListSchema.max(50).optional() }),
    resources: (i, c) => [opsMetadataArn(c.region, c.accountId, i.ResourceId)],
    handler: async (i, c) => {
      checkTagKeys((i.Tags ?? []).map((t) => t.Key));
      const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
      return { OpsMetadataArn: await opsMetadata(c.core).create(who(c), i.ResourceId, i.Metadata, tags) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetOpsMetadata',
    input: z.object({ OpsMetadataArn: arn, MaxResults: z.number().int().min(1).max(10).optional(), NextToken: z.string().optional() }),
    resources: (i) => [i.OpsMetadataArn],
    handler: async (i, c) => {
      const row = await opsMetadata(c.core).get(c, i.OpsMetadataArn);
      const entries = Object.entries(JSON.parse(row.metadata) as Record<string, { Value?: string }>).sort(([a], [b]) => (a < b ? -1 : 1));
      const p = page(entries, ['GetOpsMetadata', i.OpsMetadataArn], i.NextToken, i.MaxResults ?? 10);
      return { ResourceId: row.resource_id, Metadata: Object.fromEntries(p.rows), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateOpsMetadata',
    input: z.object({ OpsMetadataArn: arn, MetadataToUpdate: metadata.optional(), KeysToDelete: z.array(z.string().min(1).max(256)).min(1).max(10).optional() }),
    resources: (i) => [i.OpsMetadataArn],
    handler: async (i, c) => {
      await opsMetadata(c.core).update(who(c), i.OpsMetadataArn, i.MetadataToUpdate, i.KeysToDelete);
      return { OpsMetadataArn: i.OpsMetadataArn };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteOpsMetadata',
    input: z.object({ OpsMetadataArn: arn }),
    resources: (i) => [i.OpsMetadataArn],
    handler: async (i, c) => {
      await opsMetadata(c.core).delete(who(c), i.OpsMetadataArn);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListOpsMetadata',
    input: z.object({ Filters: z.array(z.object({ Key: z.string().min(1).max(128), Values: z.array(z.string().min(1).max(1024)).min(1).max(10) })).max(10).optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const field = { ResourceId: 'resource_id', OpsMetadataArn: 'arn' } as const;
      for (const f of i.Filters ?? []) if (!(f.Key in field)) throw metadataInvalid(`Filters key ${f.Key} is not ResourceId or OpsMetadataArn.`);
      const rows = (await opsMetadata(c.core).list(c)).filter((r) => (i.Filters ?? []).every((f) => f.Values.includes(r[field[f.Key as keyof typeof field]])));
      const p = page(rows, ['ListOpsMetadata', c.accountId, c.region, i.Filters], i.NextToken, i.MaxResults ?? 50);
      return { OpsMetadataList: p.rows.map(view), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
];
