import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM_CONTACTS, SSM_INCIDENTS } from '../protocol/services.js';
import { contactsNotFound, contactsValidation, incidentNotFound, incidentValidation } from './errors.js';
import type { IncidentTables } from './tables.js';

type Table = 'im_contacts' | 'im_rotations' | 'im_response_plans';
const MAX_TAGS = 50;

/** The table that holds the tags of what `arn` names: contacts and escalation plans, rotations, response plans. */
function tableOf(arn: string): Table | undefined {
  if (/^arn:aws[\w-]*:ssm-contacts:[^:]*:\d{12}:contact\//.test(arn)) return 'im_contacts';
  if (/^arn:aws[\w-]*:ssm-contacts:[^:]*:\d{12}:rotation\//.test(arn)) return 'im_rotations';
  if (/^arn:aws[\w-]*:ssm-incidents::\d{12}:response-plan\//.test(arn)) return 'im_response_plans';
  return undefined;
}

const db = (c: CallContext) => c.core.database.db.withTables<IncidentTables>() as Kysely<IncidentTables>;

async function read(c: CallContext, arn: string, missing: () => Error): Promise<{ table: Table; tags: Record<string, string> }> {
  const table = tableOf(arn);
  if (!table) throw missing();
  const row = await db(c).selectFrom(table).select('tags').where('account_id', '=', c.accountId).where('region', '=', c.region).where('arn', '=', arn).executeTakeFirst();
  if (!row) throw missing();
  return { table, tags: JSON.parse(row.tags) as Record<string, string> };
}

async function write(c: CallContext, table: Table, arn: string, tags: Record<string, string>, tooMany: (m: string) => Error): Promise<void> {
  if (Object.keys(tags).length > MAX_TAGS) throw tooMany(`A resource can have at most ${MAX_TAGS} tags.`);
  await db(c).updateTable(table).set({ tags: JSON.stringify(tags) }).where('account_id', '=', c.accountId).where('region', '=', c.region).where('arn', '=', arn).execute();
}

const key = z.string().min(1).max(128).regex(/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
const value = z.string().max(256).regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
const contactsMissing = (arn: string) => () => contactsNotFound(`Resource ${arn} does not exist or cannot be tagged.`, 'CONTACT', arn);
const incidentsMissing = (arn: string) => () => incidentNotFound(`Resource ${arn} does not exist or cannot be tagged.`, 'RESPONSE_PLAN', arn);

export const tagOperations = [
  defineOperation({
    service: SSM_CONTACTS,
    name: 'TagResource',
    input: z.object({ ResourceARN: z.string().min(1).max(2048), Tags: z.array(z.object({ Key: key, Value: value })).max(50) }),
    resources: (i) => [i.ResourceARN],
    conditionKeys: (i) => ({ 'aws:TagKeys': i.Tags.map((t) => t.Key), ...Object.fromEntries(i.Tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) }),
    handler: async (i, c) => {
      const { table, tags } = await read(c, i.ResourceARN, contactsMissing(i.ResourceARN));
      await write(c, table, i.ResourceARN, { ...tags, ...Object.fromEntries(i.Tags.map((t) => [t.Key, t.Value])) }, contactsValidation);
      return {};
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'UntagResource',
    input: z.object({ ResourceARN: z.string().min(1).max(2048), TagKeys: z.array(key).max(50) }),
    resources: (i) => [i.ResourceARN],
    conditionKeys: (i) => ({ 'aws:TagKeys': i.TagKeys }),
    handler: async (i, c) => {
      const { table, tags } = await read(c, i.ResourceARN, contactsMissing(i.ResourceARN));
      for (const k of i.TagKeys) delete tags[k];
      await write(c, table, i.ResourceARN, tags, contactsValidation);
      return {};
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListTagsForResource',
    input: z.object({ ResourceARN: z.string().min(1).max(2048) }),
    resources: (i) => [i.ResourceARN],
    handler: async (i, c) => ({ Tags: Object.entries((await read(c, i.ResourceARN, contactsMissing(i.ResourceARN))).tags).map(([Key, Value]) => ({ Key, Value })) }),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'TagResource',
    http: { method: 'POST', path: '/tags/{resourceArn}', successStatus: 204 },
    input: z.object({ resourceArn: z.string().min(1).max(1000), tags: z.record(key, value) }),
    resources: (i) => [i.resourceArn],
    conditionKeys: (i) => ({ 'aws:TagKeys': Object.keys(i.tags), ...Object.fromEntries(Object.entries(i.tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])) }),
    handler: async (i, c) => {
      const { table, tags } = await read(c, i.resourceArn, incidentsMissing(i.resourceArn));
      await write(c, table, i.resourceArn, { ...tags, ...i.tags }, incidentValidation);
      return {};
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UntagResource',
    http: { method: 'DELETE', path: '/tags/{resourceArn}', query: { tagKeys: 'tagKeys' }, successStatus: 204 },
    input: z.object({ resourceArn: z.string().min(1).max(1000), tagKeys: z.union([key, z.array(key).max(50)]) }),
    resources: (i) => [i.resourceArn],
    conditionKeys: (i) => ({ 'aws:TagKeys': ([] as string[]).concat(i.tagKeys) }),
    handler: async (i, c) => {
      const { table, tags } = await read(c, i.resourceArn, incidentsMissing(i.resourceArn));
      for (const k of ([] as string[]).concat(i.tagKeys)) delete tags[k];
      await write(c, table, i.resourceArn, tags, incidentValidation);
      return {};
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'ListTagsForResource',
    http: { method: 'GET', path: '/tags/{resourceArn}' },
    input: z.object({ resourceArn: z.string().min(1).max(1000) }),
    resources: (i) => [i.resourceArn],
    handler: async (i, c) => ({ tags: (await read(c, i.resourceArn, incidentsMissing(i.resourceArn))).tags }),
  }),
];
