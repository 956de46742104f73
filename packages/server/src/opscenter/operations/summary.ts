import { z } from 'zod';
import { AwsError } from '../../protocol/errors.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { page } from '../page.js';
import { opsItems } from '../slot.js';
import { aggregate, checkTypes, filterRows, itemEntities, type OpsAggregator } from '../summary.js';

const filter = z.object({ Key: z.string().min(1).max(200), Values: z.array(z.string()).min(1).max(40), Type: z.enum(['Equal', 'NotEqual', 'BeginWith', 'LessThan', 'GreaterThan', 'Exists']).optional() });
const aggregator: z.ZodType<OpsAggregator> = z.lazy(() =>
  z.object({
    AggregatorType: z.string().min(1).max(20).optional(),
    TypeName: z.string().min(1).max(100).optional(),
    AttributeName: z.string().min(1).max(128).optional(),
    Values: z.record(z.string(), z.string()).optional(),
    Filters: z.array(filter).min(1).max(5).optional(),
    Aggregators: z.array(aggregator).min(1).max(12).optional(),
  }),
);

export const summaryOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'GetOpsSummary',
    input: z.object({
      SyncName: z.string().min(1).max(64).optional(),
      Filters: z.array(filter).min(1).max(5).optional(),
      Aggregators: z.array(aggregator).min(1).max(12).optional(),
      ResultAttributes: z.array(z.object({ TypeName: z.string().min(1).max(100) })).min(1).optional(),
      MaxResults: z.number().int().min(1).max(50).optional(),
      NextToken: z.string().optional(),
    }),
    handler: async (i, c) => {
      // OpsItems live in this server; Capstan keeps no OpsData syncs to read from instead.
      if (i.SyncName) throw new AwsError('ResourceDataSyncNotFoundException', `There is no OpsData resource data sync ${i.SyncName}.`, { messageMember: 'Message', fields: { SyncName: i.SyncName } });
      checkTypes(i.ResultAttributes);
      const rows = filterRows(await opsItems(c.core).list(c.accountId, c.region), i.Filters);
      const entities = i.Aggregators?.length ? aggregate(rows, i.Aggregators, c.now) : itemEntities(rows);
      const p = page(entities, ['GetOpsSummary', c.accountId, c.region, i.Filters, i.Aggregators], i.NextToken, i.MaxResults ?? 50);
      return { Entities: p.rows, ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
];
