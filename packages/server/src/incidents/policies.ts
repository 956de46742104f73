import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM_CONTACTS, SSM_INCIDENTS } from '../protocol/services.js';
import { pageOf } from './arns.js';
import { contactsValidation, incidentNotFound, incidentValidation } from './errors.js';
import { checkResourcePolicy } from './resource-policy.js';
import { contactsOf, incidentsOf } from './slot.js';
import { dropPolicies, type IncidentTables } from './tables.js';

/*
 * Resource policies share contacts and response plans with other accounts through AWS RAM. Capstan
 * has no RAM and answers every call from the caller's own account, so a policy is checked, stored
 * and returned, and grants nothing beyond the account: the identity policies of the caller decide.
 */

const CONTACT_POLICY = 'contact';
const contactArn = z.string().min(1).max(2048).regex(/^arn:(aws|aws-cn|aws-us-gov):ssm-contacts:[-\w+=/,.@]*:[0-9]+:([\w+=/,.@:-]+)*$/);
const incidentsArn = z.string().max(1000).regex(/^arn:aws(-cn|-us-gov)?:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12})?:.+$/);

const db = (c: CallContext) => c.core.database.db.withTables<IncidentTables>() as Kysely<IncidentTables>;
const policies = (c: CallContext, resource: string) => db(c).selectFrom('im_resource_policies').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region).where('resource_arn', '=', resource);


export const policyOperations = [
  defineOperation({
    service: SSM_CONTACTS,
    name: 'PutContactPolicy',
    input: z.object({ ContactArn: contactArn, Policy: z.string().min(1).max(395_000).regex(/\S/) }),
    resources: (i) => [i.ContactArn],
    handler: async (i, c) => {
      checkResourcePolicy(i.Policy, 'ssm-contacts', (m) => contactsValidation(`Policy: ${m}`));
      await db(c).transaction().execute(async (trx) => {
        const contact = await contactsOf(c.core).contacts.contact(c.accountId, c.region, i.ContactArn, trx);
        await dropPolicies(trx, c.accountId, c.region, contact.arn);
        await trx.insertInto('im_resource_policies').values({ account_id: c.accountId, region: c.region, resource_arn: contact.arn, policy_id: CONTACT_POLICY, document: i.Policy, created_at: c.now }).execute();
      });
      return {};
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'GetContactPolicy',
    input: z.object({ ContactArn: contactArn }),
    resources: (i) => [i.ContactArn],
    handler: async (i, c) => {
      const contact = await contactsOf(c.core).contacts.contact(c.accountId, c.region, i.ContactArn);
      const row = await policies(c, contact.arn).where('policy_id', '=', CONTACT_POLICY).executeTakeFirst();
      return { ContactArn: contact.arn, ...(row ? { Policy: row.document } : {}) };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'PutResourcePolicy',
    http: { method: 'POST', path: '/putResourcePolicy' },
    input: z.object({ resourceArn: incidentsArn, policy: z.string().max(4000) }),
    resources: (i) => [i.resourceArn],
    handler: async (i, c) => {
      checkResourcePolicy(i.policy, 'ssm-incidents', (m) => incidentValidation(`policy: ${m}`));
      const policyId = randomUUID();
      await db(c).transaction().execute(async (trx) => {
        await incidentsOf(c.core).plan(c.accountId, c.region, i.resourceArn, trx);
        await trx.insertInto('im_resource_policies').values({ account_id: c.accountId, region: c.region, resource_arn: i.resourceArn, policy_id: policyId, document: i.policy, created_at: c.now }).execute();
      });
      return { policyId };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'GetResourcePolicies',
    http: { method: 'POST', path: '/getResourcePolicies', query: { resourceArn: 'resourceArn' } },
    input: z.object({ resourceArn: incidentsArn, maxResults: z.number().int().min(1).max(100).optional(), nextToken: z.string().max(2000).optional() }),
    resources: (i) => [i.resourceArn],
    handler: async (i, c) => {
      await incidentsOf(c.core).plan(c.accountId, c.region, i.resourceArn);
      const rows = await policies(c, i.resourceArn).orderBy('created_at').orderBy('policy_id').execute();
      const p = pageOf(rows, i.nextToken, i.maxResults ?? 100, `${c.accountId}/${c.region}/policies/${i.resourceArn}`, incidentValidation);
      return { resourcePolicies: p.rows.map((r) => ({ policyId: r.policy_id, policyDocument: r.document, ramResourceShareRegion: c.region })), ...(p.NextToken ? { nextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'DeleteResourcePolicy',
    http: { method: 'POST', path: '/deleteResourcePolicy' },
    input: z.object({ resourceArn: incidentsArn, policyId: z.string().max(256) }),
    resources: (i) => [i.resourceArn],
    handler: async (i, c) => {
      await incidentsOf(c.core).plan(c.accountId, c.region, i.resourceArn);
      const gone = await db(c).deleteFrom('im_resource_policies').where('account_id', '=', c.accountId).where('region', '=', c.region).where('resource_arn', '=', i.resourceArn).where('policy_id', '=', i.policyId).where('policy_id', '!=', CONTACT_POLICY).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw incidentNotFound(`Response plan ${i.resourceArn} has no resource policy ${i.policyId}.`, 'RESOURCE_POLICY', i.policyId);
      return {};
    },
  }),
];
