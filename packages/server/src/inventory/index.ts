import { z } from 'zod';
import { ServiceSlot, type Capability } from '../protocol/capability.js';
import type { CallContext, Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { instanceArn, nodeService } from '../nodes/index.js';
import { InventoryService, type Aggregator, type InventoryFilter, type InventoryItemInput } from './service.js';
import { inventoryMigrations } from './tables.js';
import { ResourceDataSync, syncMigrations, type S3Destination, type SyncRow, type SyncSource } from './sync.js';
import { syncSink } from './sync-sinks.js';

export { InventoryService, type InventoryItemInput } from './service.js';
export { compareVersions } from './versions.js';

const slot = new ServiceSlot<InventoryService>('inventory');
const syncSlot = new ServiceSlot<ResourceDataSync>('resource data sync');
/** The inventory service; the nodes capability calls `put` for what agents report over their channel. */
export const inventoryService = (core: Core): InventoryService => slot.get(core);

const typeName = z.string().min(1).max(100).regex(/^(AWS|Custom):.*$/);
const instanceId = z.string().regex(/(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/);
const filter = z.object({
  Key: z.string().min(1).max(200),
  Values: z.array(z.string()).min(1).max(40),
  Type: z.enum(['Equal', 'NotEqual', 'BeginWith', 'LessThan', 'GreaterThan', 'Exists']).optional(),
});
const item = z.object({
  TypeName: typeName,
  SchemaVersion: z.string().regex(/^([0-9]{1,6})(\.[0-9]{1,6})$/),
  CaptureTime: z.string().regex(/^(20)[0-9][0-9]-(0[1-9]|1[012])-([12][0-9]|3[01]|0[1-9])(T)(2[0-3]|[0-1][0-9])(:[0-5][0-9])(:[0-5][0-9])(Z)$/),
  ContentHash: z.string().max(256).optional(),
  Content: z.array(z.record(z.string().min(1).max(64), z.string().max(4096))).max(10000).optional(),
  Context: z.record(z.string().min(1).max(64), z.string().max(4096)).optional(),
});
const aggregator: z.ZodType<Aggregator> = z.lazy(() =>
  z.object({
    Expression: z.string().min(1).max(1000).optional(),
    Aggregators: z.array(aggregator).min(1).max(10).optional(),
    Groups: z.array(z.object({ Name: z.string().min(1).max(200), Filters: z.array(filter).min(1).max(5) })).min(1).max(15).optional(),
  }),
);

const offsetOf = (token: string | undefined): number => {
  if (token === undefined) return 0;
  const n = Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(n) || n < 0) throw new AwsError('InvalidNextToken', 'The NextToken is not valid.', { messageMember: 'Message' });
  return n;
};
const tokenOf = (n: number) => Buffer.from(String(n)).toString('base64url');
function page<T>(rows: T[], token: string | undefined, max: number | undefined, dflt = 50): { rows: T[]; NextToken?: string } {
  const off = offsetOf(token);
  const limit = max ?? dflt;
  return { rows: rows.slice(off, off + limit), ...(rows.length > off + limit ? { NextToken: tokenOf(off + limit) } : {}) };
}

const svc = (c: CallContext) => inventoryService(c.core);

async function getInventory(c: CallContext, i: { Filters?: InventoryFilter[]; Aggregators?: Aggregator[]; ResultAttributes?: { TypeName: string }[]; MaxResults?: number; NextToken?: string }) {
  const s = svc(c);
  const ids = await s.matchingInstances(c.accountId, c.region, i.Filters);
  if (i.Aggregators?.length) {
    const entities = [];
    for (const a of i.Aggregators) {
      if (a.Aggregators) throw new AwsError('InvalidAggregatorException', 'Nested aggregators are not supported by Capstan yet.', { messageMember: 'Message' });
      if (!a.Expression) throw new AwsError('InvalidAggregatorException', 'An aggregator needs an Expression.', { messageMember: 'Message' });
      const agg = await s.aggregate(c.accountId, c.region, ids, a.Expression, i.Filters);
      const content = a.Groups
        ? await Promise.all(a.Groups.map(async (g) => ({ Name: g.Name, Count: String(await s.groupCount(c.accountId, c.region, ids, g.Filters)) })))
        : agg.counts.map(([value, n]) => ({ [agg.attr]: value, Count: String(n) }));
      entities.push({ Data: { [agg.type]: { TypeName: agg.type, SchemaVersion: agg.version, Content: content } } });
    }
    return { Entities: entities };
  }
  const schemas = await s.schemas(c.accountId, c.region);
  const types = i.ResultAttributes?.length ? i.ResultAttributes.map((r) => r.TypeName) : ['AWS:InstanceInformation'];
  for (const t of types) if (!schemas.some((x) => x.typeName === t)) throw new AwsError('InvalidResultAttributeException', `The result attribute ${t} is not a known inventory type.`, { messageMember: 'Message' });
  const p = page(ids, i.NextToken, i.MaxResults);
  const items = await s.items(c.accountId, c.region, p.rows, types);
  return {
    Entities: p.rows.map((id) => ({
      Id: id,
      Data: Object.fromEntries(
        [...(items.get(id) ?? new Map()).values()].map(({ item, content }) => [item.type_name, { TypeName: item.type_name, SchemaVersion: item.schema_version, CaptureTime: item.capture_time, ContentHash: item.content_hash, Content: content }]),
      ),
    })),
    ...(p.NextToken ? { NextToken: p.NextToken } : {}),
  };
}

const deletionView = (r: { deletion_id: string; type_name: string; started_at: number; status: string; summary: string; last_status_message: string; updated_at: number }) => ({
  DeletionId: r.deletion_id,
  TypeName: r.type_name,
  DeletionStartTime: new Date(r.started_at),
  LastStatus: r.status,
  LastStatusMessage: r.last_status_message,
  DeletionSummary: JSON.parse(r.summary) as unknown,
  LastStatusUpdateTime: new Date(r.updated_at),
});

const syncName = z.string().min(1).max(64);
const syncType = z.string().min(1).max(64);
const syncSource = z.object({
  SourceType: z.string().min(1).max(64),
  SourceRegions: z.array(z.string().min(1).max(64)),
  IncludeFutureRegions: z.boolean().optional(),
  EnableAllOpsDataSources: z.boolean().optional(),
  AwsOrganizationsSource: z.unknown().optional(),
});
const syncView = (r: SyncRow) => ({
  SyncName: r.sync_name,
  SyncType: r.sync_type,
  ...(r.destination ? { S3Destination: JSON.parse(r.destination) as unknown } : {}),
  ...(r.source ? { SyncSource: JSON.parse(r.source) as unknown } : {}),
  SyncCreatedTime: new Date(r.created_at),
  SyncLastModifiedTime: new Date(r.modified_at),
  ...(r.last_sync_at !== null ? { LastSyncTime: new Date(r.last_sync_at) } : {}),
  ...(r.last_success_at !== null ? { LastSuccessfulSyncTime: new Date(r.last_success_at) } : {}),
  LastStatus: r.last_status,
  ...(r.last_message ? { LastSyncStatusMessage: r.last_message } : {}),
});

const operations = [
  defineOperation({
    service: SSM,
    name: 'CreateResourceDataSync',
    input: z.object({
      SyncName: syncName,
      SyncType: syncType.optional(),
      S3Destination: z.object({ BucketName: z.string().min(1).max(2048), Prefix: z.string().min(1).max(256).optional(), SyncFormat: z.string(), Region: z.string().min(1).max(64), AWSKMSKeyARN: z.string().optional() }).optional(),
      SyncSource: syncSource.optional(),
    }),
    handler: async (i, c) => {
      await syncSlot.get(c.core).create(c.accountId, c.region, i.SyncName, i.SyncType ?? 'SyncToDestination', i.S3Destination as S3Destination | undefined, i.SyncSource as SyncSource | undefined);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateResourceDataSync',
    input: z.object({ SyncName: syncName, SyncType: syncType, SyncSource: syncSource }),
    handler: async (i, c) => {
      await syncSlot.get(c.core).update(c.accountId, c.region, i.SyncName, i.SyncType, i.SyncSource as SyncSource);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListResourceDataSync',
    input: z.object({ SyncType: z.string().min(1).max(64).optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const p = page(await syncSlot.get(c.core).list(c.accountId, c.region, i.SyncType), i.NextToken, i.MaxResults);
      return { ResourceDataSyncItems: p.rows.map(syncView), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteResourceDataSync',
    input: z.object({ SyncName: syncName, SyncType: z.string().min(1).max(64).optional() }),
    handler: async (i, c) => {
      await syncSlot.get(c.core).delete(c.accountId, c.region, i.SyncName, i.SyncType);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'PutInventory',
    input: z.object({ InstanceId: instanceId, Items: z.array(item).min(1).max(30) }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      await svc(c).put(c.accountId, c.region, i.InstanceId, i.Items as InventoryItemInput[]);
      return { Message: 'Inventory items were accepted.' };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListInventoryEntries',
    input: z.object({ InstanceId: instanceId, TypeName: typeName, Filters: z.array(filter).min(1).max(5).optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      const { item: it, entries } = await svc(c).listEntries(c.accountId, c.region, i.InstanceId, i.TypeName, i.Filters);
      const p = page(entries, i.NextToken, i.MaxResults);
      return {
        TypeName: i.TypeName,
        InstanceId: i.InstanceId,
        ...(it ? { SchemaVersion: it.schema_version, CaptureTime: it.capture_time } : {}),
        Entries: p.rows,
        ...(p.NextToken ? { NextToken: p.NextToken } : {}),
      };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetInventorySchema',
    input: z.object({ TypeName: typeName.optional(), Aggregator: z.boolean().optional(), SubType: z.boolean().optional(), MaxResults: z.number().int().min(50).max(200).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      let schemas = await svc(c).schemas(c.accountId, c.region);
      if (i.TypeName !== undefined) {
        schemas = schemas.filter((s) => s.typeName === i.TypeName);
        if (schemas.length === 0) throw new AwsError('InvalidTypeNameException', `The type name ${i.TypeName} is not valid.`, { messageMember: 'Message' });
      }
      const p = page(schemas, i.NextToken, i.MaxResults, 200);
      return { Schemas: p.rows.map((s) => ({ TypeName: s.typeName, Version: s.version, Attributes: s.attributes })), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetInventory',
    input: z.object({
      Filters: z.array(filter).min(1).max(5).optional(),
      Aggregators: z.array(aggregator).min(1).max(10).optional(),
      ResultAttributes: z.array(z.object({ TypeName: typeName })).min(1).max(1).optional(),
      MaxResults: z.number().int().min(1).max(50).optional(),
      NextToken: z.string().optional(),
    }),
    handler: (i, c) => getInventory(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteInventory',
    input: z.object({ TypeName: typeName, SchemaDeleteOption: z.string().optional(), DryRun: z.boolean().optional(), ClientToken: z.string().optional() }),
    handler: async (i, c) => {
      const opt = i.SchemaDeleteOption;
      if (opt !== undefined && opt !== 'DisableSchema' && opt !== 'DeleteSchema') throw new AwsError('InvalidOptionException', `The option ${opt} is not valid; use DisableSchema or DeleteSchema.`, { messageMember: 'Message' });
      const r = await svc(c).delete(c.accountId, c.region, i.TypeName, opt, i.DryRun ?? false);
      return { DeletionId: r.deletion_id, TypeName: r.type_name, DeletionSummary: JSON.parse(r.summary) as unknown };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeInventoryDeletions',
    input: z.object({ DeletionId: z.string().optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const p = page(await svc(c).deletions(c.accountId, c.region, i.DeletionId), i.NextToken, i.MaxResults);
      return { InventoryDeletions: p.rows.map(deletionView), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
];

export const inventoryCapability: Capability = {
  name: 'inventory',
  migrations: [...inventoryMigrations, ...syncMigrations],
  operations,
  start(core, options) {
    const inventory = new InventoryService(core);
    const sync = new ResourceDataSync(core, inventory, syncSink(options.s3));
    inventory.onReported = (account, region, id, types) => sync.reported(account, region, id, types);
    // What agents report over their control channel.
    nodeService(core).onInventory((account, region, id, items) => inventory.report(account, region, id, items));
    slot.set(core, inventory);
    syncSlot.set(core, sync);
  },
};
