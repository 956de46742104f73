import { z } from 'zod';
import { decodeToken, encodeToken } from '../../documents/paging.js';
import { documentArnFor } from '../../documents/index.js';
import { instanceArn, targetSchema } from '../../nodes/index.js';
import type { CallContext } from '../../protocol/context.js';
import { isAwsError } from '../../protocol/errors.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { associationDoesNotExist, invalidAssociation, invalidFilterKey, validation } from '../errors.js';
import { type AssociationInput } from '../service.js';
import { associationService } from '../slot.js';
import { tables } from '../store.js';
import { associationView, descriptionView, versionView } from '../views.js';

export const associationId = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/);
const instanceId = z.string().regex(/^(i-(\w{8}|\w{17})|mi-\w{17})$/);
const CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const definition = {
  DocumentVersion: z.string().regex(/^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$/).optional(),
  Parameters: z.record(z.string(), z.array(z.string())).optional(),
  Targets: z.array(targetSchema).max(5).optional(),
  TargetMaps: z.array(z.record(z.string().min(1).max(50), z.array(z.string()).max(25))).max(300).optional(),
  ScheduleExpression: z.string().min(1).max(256).optional(),
  OutputLocation: z.object({ S3Location: z.object({ OutputS3Region: z.string().optional(), OutputS3BucketName: z.string().optional(), OutputS3KeyPrefix: z.string().optional() }).optional() }).optional(),
  AssociationName: z.string().regex(/^[a-zA-Z0-9_\-.]{3,128}$/).optional(),
  AutomationTargetParameterName: z.string().min(1).max(50).optional(),
  MaxErrors: z.string().min(1).max(7).regex(ERRORS).optional(),
  MaxConcurrency: z.string().min(1).max(7).regex(CONCURRENCY).optional(),
  ComplianceSeverity: z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNSPECIFIED']).optional(),
  SyncCompliance: z.enum(['AUTO', 'MANUAL']).optional(),
  ApplyOnlyAtCronInterval: z.boolean().optional(),
  CalendarNames: z.array(z.string()).optional(),
  TargetLocations: z.array(z.unknown()).max(100).optional(),
  ScheduleOffset: z.number().int().min(1).max(6).optional(),
  Duration: z.number().int().min(1).max(24).optional(),
  AlarmConfiguration: z.unknown().optional(),
  AssociationDispatchAssumeRole: z.string().min(1).max(512).regex(/^arn:aws(-[^:]+)?:iam::[0-9]{12}:role\/.+$/).optional(),
};
const name = z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/);
const createEntry = z.object({ Name: name, InstanceId: instanceId.optional(), ...definition });
const createInput = createEntry.extend({ Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).max(1000).optional() });

export const associationArn = (c: Pick<CallContext, 'region' | 'accountId'>, id: string) => `arn:aws:ssm:${c.region}:${c.accountId}:association/${id}`;

async function createResources(i: { Name: string; InstanceId?: string }, c: CallContext): Promise<string[]> {
  return [await documentArnFor(c, i.Name), ...(i.InstanceId ? [instanceArn(c.region, c.accountId, i.InstanceId)] : [])];
}

const FILTER_KEYS = ['InstanceId', 'Name', 'AssociationId', 'AssociationStatusName', 'LastExecutedBefore', 'LastExecutedAfter', 'AssociationName', 'ResourceGroupName'];

async function listAssociations(c: CallContext, i: { AssociationFilterList?: { key: string; value: string }[]; MaxResults?: number; NextToken?: string }) {
  let q = tables(c.core.database.db).selectFrom('associations').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region);
  for (const f of i.AssociationFilterList ?? []) {
    if (!FILTER_KEYS.includes(f.key)) throw invalidFilterKey(`${f.key} is not a ListAssociations filter key (${FILTER_KEYS.join(', ')}).`);
    const time = () => {
      const t = Date.parse(f.value);
      if (Number.isNaN(t)) throw validation(`Filter ${f.key} takes a time such as 2024-05-01T12:00:00Z, not ${f.value}.`);
      return t;
    };
    switch (f.key) {
      case 'InstanceId':
        q = q.where((eb) => eb.or([eb('instance_id', '=', f.value), eb('targets', 'like', `%${JSON.stringify(f.value).replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`)]));
        break;
      case 'Name':
        q = q.where('name', '=', f.value);
        break;
      case 'AssociationId':
        q = q.where('association_id', '=', f.value);
        break;
      case 'AssociationStatusName':
        q = q.where('status', '=', f.value);
        break;
      case 'LastExecutedBefore':
        q = q.where('last_execution_at', '<', time());
        break;
      case 'LastExecutedAfter':
        q = q.where('last_execution_at', '>', time());
        break;
      case 'AssociationName':
        q = q.where('association_name', '=', f.value);
        break;
      default:
        q = q.where('association_id', '=', '');
    }
  }
  const scope = JSON.stringify(i.AssociationFilterList ?? []);
  const offset = decodeToken(i.NextToken, scope, (a): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0) ?? 0;
  const limit = i.MaxResults ?? 50;
  const rows = await q.orderBy('created_at').orderBy('association_id').limit(limit + 1).offset(offset).execute();
  return { Associations: rows.slice(0, limit).map(associationView), ...(rows.length > limit ? { NextToken: encodeToken(scope, offset + limit) } : {}) };
}

/** DescribeAssociation / DeleteAssociation name an association by id, or by the deprecated Name + InstanceId. */
async function locate(c: CallContext, i: { AssociationId?: string; Name?: string; InstanceId?: string }) {
  const svc = associationService(c.core);
  if (i.AssociationId) return svc.get(c, i.AssociationId);
  if (i.Name && i.InstanceId) return svc.byNameAndInstance(c, i.Name, i.InstanceId);
  throw associationDoesNotExist('Give AssociationId (or the deprecated Name and InstanceId).');
}

export const associationOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CreateAssociation',
    input: createInput,
    sensitive: ['Parameters'],
    resources: createResources,
    handler: async (i, c) => ({ AssociationDescription: descriptionView(await associationService(c.core).create(c, i as AssociationInput)) }),
  }),
  defineOperation({
    service: SSM,
    name: 'CreateAssociationBatch',
    input: z.object({ Entries: z.array(createEntry).min(1).max(10), AssociationDispatchAssumeRole: definition.AssociationDispatchAssumeRole }),
    sensitive: ['Entries'],
    handler: async (i, c) => {
      const Successful = [];
      const Failed = [];
      for (const entry of i.Entries) {
        try {
          for (const arn of await createResources(entry, c)) await c.authorize('ssm:CreateAssociation', [arn]);
          Successful.push(descriptionView(await associationService(c.core).create(c, entry as AssociationInput, i.AssociationDispatchAssumeRole)));
        } catch (err) {
          if (!isAwsError(err)) throw err;
          Failed.push({ Entry: entry, Message: err.message, Fault: 'Client' });
        }
      }
      return { Successful, Failed };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeAssociation',
    input: z.object({ Name: name.optional(), InstanceId: instanceId.optional(), AssociationId: associationId.optional(), AssociationVersion: z.string().regex(/^([$]LATEST|[1-9][0-9]*)$/).optional() }),
    resources: (i, c) => (i.AssociationId ? [associationArn(c, i.AssociationId)] : ['*']),
    handler: async (i, c) => {
      const row = await locate(c, i);
      if (!i.AssociationVersion || i.AssociationVersion === '$LATEST' || Number(i.AssociationVersion) === row.association_version) return { AssociationDescription: descriptionView(row) };
      const v = await tables(c.core.database.db).selectFrom('association_versions').selectAll().where('association_id', '=', row.association_id).where('version', '=', Number(i.AssociationVersion)).executeTakeFirst();
      if (!v) throw associationDoesNotExist(`Association ${row.association_id} has no version ${i.AssociationVersion}.`);
      return { AssociationDescription: { ...descriptionView({ ...row, ...(JSON.parse(v.snapshot) as object), association_version: v.version }) } };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateAssociation',
    input: z.object({ AssociationId: associationId, Name: name.optional(), AssociationVersion: z.string().regex(/^([$]LATEST|[1-9][0-9]*)$/).optional(), ...definition }),
    sensitive: ['Parameters'],
    resources: async (i, c) => [associationArn(c, i.AssociationId), ...(i.Name ? [await documentArnFor(c, i.Name)] : [])],
    handler: async (i, c) => ({ AssociationDescription: descriptionView(await associationService(c.core).update(c, i as AssociationInput & { AssociationId: string })) }),
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteAssociation',
    input: z.object({ Name: name.optional(), InstanceId: instanceId.optional(), AssociationId: associationId.optional() }),
    resources: (i, c) => (i.AssociationId ? [associationArn(c, i.AssociationId)] : ['*']),
    handler: async (i, c) => {
      const row = await locate(c, i);
      await associationService(c.core).delete(c, row.association_id);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListAssociations',
    input: z.object({ AssociationFilterList: z.array(z.object({ key: z.string(), value: z.string().min(1) })).min(1).optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    handler: (i, c) => listAssociations(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'ListAssociationVersions',
    input: z.object({ AssociationId: associationId, MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => [associationArn(c, i.AssociationId)],
    handler: async (i, c) => {
      const row = await associationService(c.core).get(c, i.AssociationId);
      const scope = row.association_id;
      const offset = decodeToken(i.NextToken, scope, (a): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0) ?? 0;
      const limit = i.MaxResults ?? 50;
      const rows = await tables(c.core.database.db).selectFrom('association_versions').selectAll().where('association_id', '=', row.association_id).orderBy('version').limit(limit + 1).offset(offset).execute();
      return { AssociationVersions: rows.slice(0, limit).map((v) => versionView(row.association_id, v)), ...(rows.length > limit ? { NextToken: encodeToken(scope, offset + limit) } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'StartAssociationsOnce',
    input: z.object({ AssociationIds: z.array(associationId).min(1).max(10) }),
    resources: (i, c) => i.AssociationIds.map((id) => associationArn(c, id)),
    handler: async (i, c) => {
      try {
        await associationService(c.core).startOnce(c, i.AssociationIds);
      } catch (err) {
        // AWS names a missing id in StartAssociationsOnce InvalidAssociation.
        if (isAwsError(err) && err.code === 'AssociationDoesNotExist') throw invalidAssociation(err.message);
        throw err;
      }
      return {};
    },
  }),
];
