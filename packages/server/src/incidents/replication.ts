import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM_INCIDENTS } from '../protocol/services.js';
import { seconds } from './arns.js';
import { incidentConflict, incidentNotFound, incidentValidation } from './errors.js';
import type { IncidentTables, ReplicationSetRow } from './tables.js';

const REPLICATION_ARN = /^arn:aws(-cn|-us-gov)?:ssm-incidents::[0-9]{12}:replication-set\/[0-9a-f-]{36}$/;
const arn = z.string().max(1000).regex(REPLICATION_ARN);
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const regionName = z.string().max(20).regex(REGION);
const sseKmsKeyId = z.string().max(2048).optional();
const regions = z.record(regionName, z.object({ sseKmsKeyId }));
/** AWS's RegionMapInput holds at most three regions. */
const MAX_REGIONS = 3;
const updateAction = z.object({ addRegionAction: z.object({ regionName, sseKmsKeyId }).optional(), deleteRegionAction: z.object({ regionName }).optional() });

const db = (c: CallContext) => c.core.database.db.withTables<IncidentTables>() as Kysely<IncidentTables>;

async function find(c: CallContext, id: string, from: Kysely<IncidentTables> = db(c)): Promise<ReplicationSetRow> {
  const row = await from.selectFrom('im_replication_sets').selectAll().where('account_id', '=', c.accountId).where('arn', '=', id).executeTakeFirst();
  if (!row) throw incidentNotFound(`Replication set ${id} does not exist.`, 'REPLICATION_SET', id);
  return row;
}

function out(r: ReplicationSetRow) {
  const map = JSON.parse(r.regions) as Record<string, { sseKmsKeyId?: string }>;
  return {
    arn: r.arn,
    regionMap: Object.fromEntries(Object.entries(map).map(([region, v]) => [region, { sseKmsKeyId: v.sseKmsKeyId ?? 'DefaultKey', status: 'ACTIVE', statusUpdateDateTime: seconds(r.modified_at) }])),
    status: 'ACTIVE',
    deletionProtected: Boolean(r.deletion_protected),
    createdTime: seconds(r.created_at),
    createdBy: r.created_by,
    lastModifiedTime: seconds(r.modified_at),
    lastModifiedBy: r.modified_by,
  };
}

/** The replication set as tools expect to find it: one per account, ACTIVE as soon as it exists. */
export const replicationOperations = [
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'CreateReplicationSet',
    http: { method: 'POST', path: '/createReplicationSet', successStatus: 201 },
    input: z.object({ regions, clientToken: z.string().max(128).optional(), tags: z.record(z.string(), z.string()).optional() }),
    handler: async (i, c) => {
      if (Object.keys(i.regions).length === 0) throw incidentValidation('regions must name at least one region.');
      if (Object.keys(i.regions).length > MAX_REGIONS) throw incidentValidation(`regions names ${Object.keys(i.regions).length} regions; a replication set has at most ${MAX_REGIONS}.`);
      return db(c).transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('im_replication_sets').select('arn').where('account_id', '=', c.accountId).executeTakeFirst();
        if (existing) throw incidentConflict(`Account ${c.accountId} already has a replication set, ${existing.arn}.`, 'REPLICATION_SET', existing.arn);
        const row: ReplicationSetRow = { account_id: c.accountId, arn: `arn:aws:ssm-incidents::${c.accountId}:replication-set/${randomUUID()}`, regions: JSON.stringify(i.regions), deletion_protected: 0, created_at: c.now, created_by: c.principal.arn, modified_at: c.now, modified_by: c.principal.arn };
        await trx.insertInto('im_replication_sets').values(row).execute();
        return { arn: row.arn };
      });
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'GetReplicationSet',
    http: { method: 'GET', path: '/getReplicationSet', query: { arn: 'arn' } },
    input: z.object({ arn }),
    resources: (i) => [i.arn],
    handler: async (i, c) => ({ replicationSet: out(await find(c, i.arn)) }),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'ListReplicationSets',
    http: { method: 'POST', path: '/listReplicationSets' },
    input: z.object({ maxResults: z.number().int().min(1).max(100).optional(), nextToken: z.string().max(2000).optional() }),
    handler: async (_i, c) => ({ replicationSetArns: (await db(c).selectFrom('im_replication_sets').select('arn').where('account_id', '=', c.accountId).execute()).map((r) => r.arn) }),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UpdateReplicationSet',
    http: { method: 'POST', path: '/updateReplicationSet', successStatus: 204 },
    input: z.object({ arn, actions: z.array(updateAction).min(1).max(1), clientToken: z.string().max(128).optional() }),
    resources: (i) => [i.arn],
    handler: async (i, c) => {
      const action = i.actions[0]!;
      if (Boolean(action.addRegionAction) === Boolean(action.deleteRegionAction)) throw incidentValidation('Each action is exactly one of addRegionAction and deleteRegionAction.');
      return db(c).transaction().execute(async (trx) => {
        const row = await find(c, i.arn, trx);
        const map = JSON.parse(row.regions) as Record<string, { sseKmsKeyId?: string }>;
        if (action.addRegionAction) {
          const { regionName: name, sseKmsKeyId: key } = action.addRegionAction;
          if (map[name]) throw incidentConflict(`Region ${name} is already in replication set ${i.arn}.`, 'REPLICATION_SET', i.arn);
          if (Object.keys(map).length >= MAX_REGIONS) throw incidentValidation(`Replication set ${i.arn} already has ${MAX_REGIONS} regions, the most it can have.`);
          map[name] = key ? { sseKmsKeyId: key } : {};
        } else {
          const name = action.deleteRegionAction!.regionName;
          if (!map[name]) throw incidentValidation(`Region ${name} is not in replication set ${i.arn}.`);
          if (Object.keys(map).length === 1) throw incidentValidation(`Region ${name} is the replication set's only region; delete the replication set instead (DeleteReplicationSet).`);
          delete map[name];
        }
        await trx.updateTable('im_replication_sets').set({ regions: JSON.stringify(map), modified_at: c.now, modified_by: c.principal.arn }).where('account_id', '=', c.accountId).where('arn', '=', i.arn).execute();
        return {};
      });
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UpdateDeletionProtection',
    http: { method: 'POST', path: '/updateDeletionProtection', successStatus: 204 },
    input: z.object({ arn, deletionProtected: z.boolean(), clientToken: z.string().max(128).optional() }),
    resources: (i) => [i.arn],
    handler: async (i, c) => {
      await find(c, i.arn);
      await db(c).updateTable('im_replication_sets').set({ deletion_protected: i.deletionProtected ? 1 : 0, modified_at: c.now, modified_by: c.principal.arn }).where('account_id', '=', c.accountId).where('arn', '=', i.arn).execute();
      return {};
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'DeleteReplicationSet',
    http: { method: 'POST', path: '/deleteReplicationSet', query: { arn: 'arn' }, successStatus: 204 },
    input: z.object({ arn }),
    resources: (i) => [i.arn],
    handler: async (i, c) => {
      const r = await find(c, i.arn);
      if (r.deletion_protected) throw incidentValidation(`Replication set ${i.arn} is protected from deletion; turn it off with UpdateDeletionProtection first.`);
      await db(c).deleteFrom('im_replication_sets').where('account_id', '=', c.accountId).where('arn', '=', i.arn).execute();
      return {};
    },
  }),
];
