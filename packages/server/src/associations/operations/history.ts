import { z } from 'zod';
import { decodeToken, encodeToken } from '../../documents/paging.js';
import { instanceArn } from '../../nodes/index.js';
import type { CallContext } from '../../protocol/context.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { associationExecutionDoesNotExist, invalidFilterKey, validation } from '../errors.js';
import { nodesOf } from '../service.js';
import { associationService } from '../slot.js';
import { tables } from '../store.js';
import { descriptionView, executionView, targetView } from '../views.js';
import { resolveDocument } from '../../documents/index.js';
import { associationArn, associationId } from './associations.js';

const instanceId = z.string().regex(/^(i-(\w{8}|\w{17})|mi-\w{17})$/);
const page = { MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() };

function paged<T>(rows: T[], scope: string, i: { MaxResults?: number; NextToken?: string }): { items: T[]; NextToken?: string } {
  const offset = decodeToken(i.NextToken, scope, (a): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0) ?? 0;
  const limit = i.MaxResults ?? 50;
  return { items: rows.slice(offset, offset + limit), ...(offset + limit < rows.length ? { NextToken: encodeToken(scope, offset + limit) } : {}) };
}

async function executions(c: CallContext, i: { AssociationId: string; Filters?: { Key: string; Value: string; Type: string }[]; MaxResults?: number; NextToken?: string }) {
  await associationService(c.core).get(c, i.AssociationId);
  let rows = await tables(c.core.database.db).selectFrom('association_executions').selectAll().where('association_id', '=', i.AssociationId).orderBy('created_at', 'desc').orderBy('execution_id').execute();
  for (const f of i.Filters ?? []) {
    if (!['ExecutionId', 'Status', 'CreatedTime'].includes(f.Key)) throw invalidFilterKey(`${f.Key} is not a DescribeAssociationExecutions filter key (ExecutionId, Status, CreatedTime).`);
    if (f.Key === 'CreatedTime') {
      const t = Date.parse(f.Value);
      if (Number.isNaN(t)) throw validation(`CreatedTime takes a time such as 2024-05-01T12:00:00Z, not ${f.Value}.`);
      rows = rows.filter((r) => (f.Type === 'LESS_THAN' ? r.created_at < t : f.Type === 'GREATER_THAN' ? r.created_at > t : r.created_at === t));
    } else {
      if (f.Type !== 'EQUAL') throw validation(`${f.Key} filters compare with EQUAL only.`);
      rows = rows.filter((r) => (f.Key === 'ExecutionId' ? r.execution_id : r.status) === f.Value);
    }
  }
  const { items, NextToken } = paged(rows, `${i.AssociationId}|${JSON.stringify(i.Filters ?? [])}`, i);
  return { AssociationExecutions: items.map(executionView), ...(NextToken ? { NextToken } : {}) };
}

async function executionTargets(c: CallContext, i: { AssociationId: string; ExecutionId: string; Filters?: { Key: string; Value: string }[]; MaxResults?: number; NextToken?: string }) {
  await associationService(c.core).get(c, i.AssociationId);
  const db = tables(c.core.database.db);
  const e = await db.selectFrom('association_executions').selectAll().where('association_id', '=', i.AssociationId).where('execution_id', '=', i.ExecutionId).executeTakeFirst();
  if (!e) throw associationExecutionDoesNotExist(`Association ${i.AssociationId} has no execution ${i.ExecutionId}.`);
  let rows = await db.selectFrom('association_execution_targets').selectAll().where('execution_id', '=', e.execution_id).orderBy('resource_id').execute();
  for (const f of i.Filters ?? []) {
    if (!['Status', 'ResourceId', 'ResourceType'].includes(f.Key)) throw invalidFilterKey(`${f.Key} is not a DescribeAssociationExecutionTargets filter key (Status, ResourceId, ResourceType).`);
    rows = rows.filter((r) => (f.Key === 'Status' ? r.status : f.Key === 'ResourceId' ? r.resource_id : r.resource_type) === f.Value);
  }
  const { items, NextToken } = paged(rows, `${i.ExecutionId}|${JSON.stringify(i.Filters ?? [])}`, i);
  return { AssociationExecutionTargets: items.map((t) => targetView(e, t)), ...(NextToken ? { NextToken } : {}) };
}

export const historyOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'DescribeAssociationExecutions',
    input: z.object({ AssociationId: associationId, Filters: z.array(z.object({ Key: z.string(), Value: z.string().min(1), Type: z.enum(['EQUAL', 'LESS_THAN', 'GREATER_THAN']) })).min(1).optional(), ...page }),
    resources: (i, c) => [associationArn(c, i.AssociationId)],
    handler: (i, c) => executions(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeAssociationExecutionTargets',
    input: z.object({ AssociationId: associationId, ExecutionId: associationId, Filters: z.array(z.object({ Key: z.string(), Value: z.string().min(1) })).min(1).optional(), ...page }),
    resources: (i, c) => [associationArn(c, i.AssociationId)],
    handler: (i, c) => executionTargets(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeInstanceAssociationsStatus',
    input: z.object({ InstanceId: instanceId, ...page }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      const db = tables(c.core.database.db);
      const runs = await db.selectFrom('association_nodes').selectAll().where('instance_id', '=', i.InstanceId).orderBy('association_id').execute();
      const infos = [];
      for (const n of runs) {
        const a = await db.selectFrom('associations').selectAll().where('association_id', '=', n.association_id).executeTakeFirst();
        if (!a || a.account_id !== c.accountId || a.region !== c.region) continue;
        const t = await db.selectFrom('association_execution_targets').selectAll().where('execution_id', '=', n.execution_id).where('resource_id', '=', i.InstanceId).executeTakeFirst();
        infos.push({
          AssociationId: a.association_id,
          Name: a.name,
          DocumentVersion: a.document_version || '$DEFAULT',
          AssociationVersion: String(n.association_version),
          InstanceId: i.InstanceId,
          ExecutionDate: new Date(t?.updated_at ?? n.at),
          Status: t?.status ?? 'Pending',
          DetailedStatus: t?.detailed_status ?? 'Pending',
          ExecutionSummary: t?.summary ?? '',
          ...(t?.error_code ? { ErrorCode: t.error_code } : {}),
          ...(a.association_name ? { AssociationName: a.association_name } : {}),
        });
      }
      const { items, NextToken } = paged(infos, `status|${i.InstanceId}`, i);
      return { InstanceAssociationStatusInfos: items, ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeEffectiveInstanceAssociations',
    input: z.object({ InstanceId: instanceId, ...page }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      const rows = await tables(c.core.database.db).selectFrom('associations').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region).where('document_type', '=', 'Command').orderBy('created_at').execute();
      const out = [];
      for (const a of rows) {
        if (!(await nodesOf(c.core, a)).includes(i.InstanceId)) continue;
        const doc = await resolveDocument(c, a.name, a.document_version || undefined).catch(() => undefined);
        out.push({ AssociationId: a.association_id, InstanceId: i.InstanceId, AssociationVersion: String(a.association_version), ...(doc ? { Content: doc.text } : {}) });
      }
      const { items, NextToken } = paged(out, `effective|${i.InstanceId}`, i);
      return { Associations: items, ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateAssociationStatus',
    input: z.object({ Name: z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/), InstanceId: instanceId, AssociationStatus: z.object({ Date: z.coerce.date(), Name: z.enum(['Pending', 'Success', 'Failed']), Message: z.string().min(1).max(1024), AdditionalInfo: z.string().max(1024).optional() }) }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      const svc = associationService(c.core);
      const row = await svc.byNameAndInstance(c, i.Name, i.InstanceId);
      await tables(c.core.database.db).updateTable('associations').set({ status: i.AssociationStatus.Name, detailed_status: i.AssociationStatus.Message, updated_at: c.now }).where('association_id', '=', row.association_id).execute();
      return { AssociationDescription: descriptionView({ ...row, status: i.AssociationStatus.Name, detailed_status: i.AssociationStatus.Message }) };
    },
  }),
];
