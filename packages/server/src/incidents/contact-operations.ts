import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM_CONTACTS } from '../protocol/services.js';
import { contactArn, pageOf, seconds } from './arns.js';
import { contactsValidation } from './errors.js';
import type { ResolutionStep } from './engagements.js';
import { contactsOf } from './slot.js';
import type { ChannelRow, ContactRow, EngagementRow, PageRow } from './tables.js';

const ARN = /^arn:(aws|aws-cn|aws-us-gov):ssm-contacts:[-\w+=/,.@]*:[0-9]+:([\w+=/,.@:-]+)*$/;
const contactId = z.string().min(1).max(2048).regex(/^(arn:(aws|aws-cn|aws-us-gov):ssm-contacts:[-\w+=/,.@]*:[0-9]+:contact\/[a-z0-9_-]+|[a-z0-9_-]{1,255})$/);
const arn = z.string().min(1).max(2048).regex(ARN);
const stage = z.object({
  DurationInMinutes: z.number().int().min(0).max(30),
  Targets: z
    .array(z.object({ ChannelTargetInfo: z.object({ ContactChannelId: arn, RetryIntervalInMinutes: z.number().int().min(0).max(60).optional() }).optional(), ContactTargetInfo: z.object({ ContactId: arn.optional(), IsEssential: z.boolean() }).optional() }))
    .max(100),
});
const plan = z.object({ Stages: z.array(stage).max(100).optional(), RotationIds: z.array(z.string()).max(25).optional() });
const tags = z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().min(1).max(256) })).max(50);
const maxResults = z.number().int().min(0).max(1024).optional();
const nextToken = z.string().max(2000).optional();
const token = z.string().max(2048).regex(/^[^\s]*$/).optional();
const message = (max: number) => z.string().min(1).max(max);

const svc = (c: CallContext) => contactsOf(c.core);
const page = <T>(rows: readonly T[], c: CallContext, scope: string, i: { NextToken?: string | undefined; MaxResults?: number | undefined }) => pageOf(rows, i.NextToken, i.MaxResults || 100, `${c.accountId}/${c.region}/${scope}`, contactsValidation);

const contactOut = (r: ContactRow) => ({ ContactArn: r.arn, Alias: r.alias, ...(r.display_name ? { DisplayName: r.display_name } : {}), Type: r.type });
const channelOut = (r: ChannelRow) => ({ ContactChannelArn: r.arn, ContactArn: r.contact_arn, Name: r.name, Type: r.type, DeliveryAddress: { SimpleAddress: r.address }, ActivationStatus: r.activated ? 'ACTIVATED' : 'NOT_ACTIVATED' });
const engagementOut = (e: EngagementRow) => ({ EngagementArn: e.arn, ContactArn: e.contact_arn, Sender: e.sender, ...(e.incident_id ? { IncidentId: e.incident_id } : {}), StartTime: seconds(e.started_at), ...(e.stopped_at !== null ? { StopTime: seconds(e.stopped_at) } : {}) });
const pageOut = (p: PageRow, e: EngagementRow) => ({
  PageArn: p.arn,
  EngagementArn: p.engagement_arn,
  ContactArn: p.contact_arn,
  Sender: e.sender,
  ...(e.incident_id ? { IncidentId: e.incident_id } : {}),
  SentTime: seconds(p.sent_at),
  ...(p.delivered_at !== null ? { DeliveryTime: seconds(p.delivered_at) } : {}),
  ...(p.read_at !== null ? { ReadTime: seconds(p.read_at) } : {}),
});
const contactResource = (c: CallContext, id: string) => [id.startsWith('arn:') ? id : contactArn(c.region, c.accountId, id)];

export const contactOperations = [
  defineOperation({
    service: SSM_CONTACTS,
    name: 'CreateContact',
    input: z.object({ Alias: z.string().min(1).max(255).regex(/^[a-z0-9_-]*$/), DisplayName: z.string().max(255).optional(), Type: z.enum(['PERSONAL', 'ESCALATION', 'ONCALL_SCHEDULE']), Plan: plan, Tags: tags.optional(), IdempotencyToken: token }),
    resources: (i, c) => [contactArn(c.region, c.accountId, i.Alias)],
    handler: async (i, c) => ({ ContactArn: (await svc(c).contacts.create(c.accountId, c.region, i)).arn }),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'GetContact',
    input: z.object({ ContactId: contactId }),
    resources: (i, c) => contactResource(c, i.ContactId),
    handler: async (i, c) => {
      const r = await svc(c).contacts.contact(c.accountId, c.region, i.ContactId);
      return { ...contactOut(r), Plan: JSON.parse(r.plan) as unknown };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'UpdateContact',
    input: z.object({ ContactId: contactId, DisplayName: z.string().max(255).optional(), Plan: plan.optional() }),
    resources: (i, c) => contactResource(c, i.ContactId),
    handler: async (i, c) => (await svc(c).contacts.update(c.accountId, c.region, i.ContactId, i), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'DeleteContact',
    input: z.object({ ContactId: contactId }),
    resources: (i, c) => contactResource(c, i.ContactId),
    handler: async (i, c) => (await svc(c).contacts.delete(c.accountId, c.region, i.ContactId), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListContacts',
    input: z.object({ NextToken: nextToken, MaxResults: maxResults, AliasPrefix: z.string().max(255).optional(), Type: z.enum(['PERSONAL', 'ESCALATION', 'ONCALL_SCHEDULE']).optional() }),
    handler: async (i, c) => {
      const p = page(await svc(c).contacts.list(c.accountId, c.region, i.AliasPrefix, i.Type), c, `contacts/${i.AliasPrefix ?? ''}/${i.Type ?? ''}`, i);
      return { Contacts: p.rows.map(contactOut), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'CreateContactChannel',
    input: z.object({ ContactId: contactId, Name: z.string().min(1).max(255).regex(/^[\p{L}\p{Z}\p{N}_.\-]*$/u), Type: z.enum(['SMS', 'VOICE', 'EMAIL']), DeliveryAddress: z.object({ SimpleAddress: z.string().min(1).max(320) }), DeferActivation: z.boolean().optional(), IdempotencyToken: token }),
    resources: (i, c) => contactResource(c, i.ContactId),
    handler: async (i, c) => ({ ContactChannelArn: (await svc(c).contacts.createChannel(c.accountId, c.region, { ...i, Address: i.DeliveryAddress.SimpleAddress })).arn }),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'GetContactChannel',
    input: z.object({ ContactChannelId: arn }),
    resources: (i) => [i.ContactChannelId],
    handler: async (i, c) => channelOut(await svc(c).contacts.channel(c.accountId, c.region, i.ContactChannelId)),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'UpdateContactChannel',
    input: z.object({ ContactChannelId: arn, Name: z.string().min(1).max(255).regex(/^[\p{L}\p{Z}\p{N}_.\-]*$/u).optional(), DeliveryAddress: z.object({ SimpleAddress: z.string().min(1).max(320) }).optional() }),
    resources: (i) => [i.ContactChannelId],
    handler: async (i, c) => (await svc(c).contacts.updateChannel(c.accountId, c.region, i.ContactChannelId, { Name: i.Name, Address: i.DeliveryAddress?.SimpleAddress }), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'DeleteContactChannel',
    input: z.object({ ContactChannelId: arn }),
    resources: (i) => [i.ContactChannelId],
    handler: async (i, c) => (await svc(c).contacts.deleteChannel(c.accountId, c.region, i.ContactChannelId), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListContactChannels',
    input: z.object({ ContactId: contactId, NextToken: nextToken, MaxResults: maxResults }),
    resources: (i, c) => contactResource(c, i.ContactId),
    handler: async (i, c) => {
      const contact = await svc(c).contacts.contact(c.accountId, c.region, i.ContactId);
      const p = page(await svc(c).contacts.channels(c.accountId, c.region, contact.arn), c, `channels/${contact.arn}`, i);
      return { ContactChannels: p.rows.map(channelOut), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ActivateContactChannel',
    input: z.object({ ContactChannelId: arn, ActivationCode: z.string().min(1).max(10) }),
    sensitive: ['ActivationCode'],
    resources: (i) => [i.ContactChannelId],
    handler: async (i, c) => (await svc(c).contacts.activate(c.accountId, c.region, i.ContactChannelId, i.ActivationCode), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'DeactivateContactChannel',
    input: z.object({ ContactChannelId: arn }),
    resources: (i) => [i.ContactChannelId],
    handler: async (i, c) => (await svc(c).contacts.setActivated(c.accountId, c.region, i.ContactChannelId, false), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'SendActivationCode',
    input: z.object({ ContactChannelId: arn }),
    resources: (i) => [i.ContactChannelId],
    handler: async (i, c) => (await svc(c).contacts.resendCode(c.accountId, c.region, i.ContactChannelId), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'StartEngagement',
    input: z.object({ ContactId: contactId, Sender: message(255), Subject: message(2048), Content: message(8192), PublicSubject: message(2048).optional(), PublicContent: message(8192).optional(), IncidentId: z.string().min(1).max(1024).optional(), IdempotencyToken: token }),
    resources: (i, c) => contactResource(c, i.ContactId),
    handler: async (i, c) => ({ EngagementArn: (await svc(c).engagements.start(c.accountId, c.region, i)).arn }),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'StopEngagement',
    input: z.object({ EngagementId: arn, Reason: z.string().min(1).max(255).optional() }),
    resources: (i) => [i.EngagementId],
    handler: async (i, c) => (await svc(c).engagements.stop(c.accountId, c.region, i.EngagementId, i.Reason), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'DescribeEngagement',
    input: z.object({ EngagementId: arn }),
    resources: (i) => [i.EngagementId],
    handler: async (i, c) => {
      const e = await svc(c).engagements.engagement(c.accountId, c.region, i.EngagementId);
      return { ...engagementOut(e), Subject: e.subject, Content: e.content, ...(e.public_subject ? { PublicSubject: e.public_subject } : {}), ...(e.public_content ? { PublicContent: e.public_content } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListEngagements',
    input: z.object({ NextToken: nextToken, MaxResults: maxResults, IncidentId: z.string().min(1).max(1024).optional(), TimeRangeValue: z.object({ StartTime: z.number().optional(), EndTime: z.number().optional() }).optional() }),
    handler: async (i, c) => {
      let q = svc(c).contacts.db.selectFrom('im_engagements').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region);
      if (i.IncidentId) q = q.where('incident_id', '=', i.IncidentId);
      if (i.TimeRangeValue?.StartTime !== undefined) q = q.where('started_at', '>=', i.TimeRangeValue.StartTime * 1000);
      if (i.TimeRangeValue?.EndTime !== undefined) q = q.where('started_at', '<=', i.TimeRangeValue.EndTime * 1000);
      const p = page(await q.orderBy('started_at').orderBy('arn').execute(), c, `engagements/${JSON.stringify([i.IncidentId, i.TimeRangeValue])}`, i);
      return { Engagements: p.rows.map(engagementOut), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListPagesByEngagement',
    input: z.object({ EngagementId: arn, NextToken: nextToken, MaxResults: maxResults }),
    resources: (i) => [i.EngagementId],
    handler: async (i, c) => {
      const e = await svc(c).engagements.engagement(c.accountId, c.region, i.EngagementId);
      const rows = await svc(c).contacts.db.selectFrom('im_pages').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region).where('engagement_arn', '=', e.arn).orderBy('sent_at').orderBy('stage').orderBy('arn').execute();
      const p = page(rows, c, `pages/${e.arn}`, i);
      return { Pages: p.rows.map((r) => pageOut(r, e)), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListPagesByContact',
    input: z.object({ ContactId: contactId, NextToken: nextToken, MaxResults: maxResults }),
    resources: (i, c) => contactResource(c, i.ContactId),
    handler: async (i, c) => {
      const contact = await svc(c).contacts.contact(c.accountId, c.region, i.ContactId);
      const db = svc(c).contacts.db;
      const rows = await db.selectFrom('im_pages').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region).where('contact_arn', '=', contact.arn).orderBy('sent_at').orderBy('arn').execute();
      const p = page(rows, c, `contact-pages/${contact.arn}`, i);
      const out = [];
      for (const r of p.rows) out.push(pageOut(r, await svc(c).engagements.engagement(c.accountId, c.region, r.engagement_arn)));
      return { Pages: out, ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'DescribePage',
    input: z.object({ PageId: arn }),
    resources: (i) => [i.PageId],
    handler: async (i, c) => {
      const p = await svc(c).engagements.pageRow(c.accountId, c.region, i.PageId);
      const e = await svc(c).engagements.engagement(c.accountId, c.region, p.engagement_arn);
      return { ...pageOut(p, e), Subject: e.subject, Content: e.content, ...(e.public_subject ? { PublicSubject: e.public_subject } : {}), ...(e.public_content ? { PublicContent: e.public_content } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'AcceptPage',
    input: z.object({ PageId: arn, ContactChannelId: arn.optional(), AcceptType: z.enum(['DELIVERED', 'READ']), Note: z.string().max(2048).optional(), AcceptCode: z.string().min(1).max(10), AcceptCodeValidation: z.enum(['IGNORE', 'ENFORCE']).optional() }),
    sensitive: ['AcceptCode'],
    resources: (i) => [i.PageId],
    handler: async (i, c) => (await svc(c).engagements.accept(c.accountId, c.region, i, svc(c).unsealCode), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListPageResolutions',
    input: z.object({ PageId: arn, NextToken: z.string().max(2048).regex(/^[\\/a-zA-Z0-9_+=-]*$/).optional() }),
    resources: (i) => [i.PageId],
    handler: async (i, c) => {
      const pg = await svc(c).engagements.pageRow(c.accountId, c.region, i.PageId);
      const p = page(JSON.parse(pg.resolution) as ResolutionStep[], c, `resolutions/${pg.arn}`, i);
      return { PageResolutions: p.rows, ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListPageReceipts',
    input: z.object({ PageId: arn, NextToken: nextToken, MaxResults: z.number().int().min(1).max(50).optional() }),
    resources: (i) => [i.PageId],
    handler: async (i, c) => {
      const pg = await svc(c).engagements.pageRow(c.accountId, c.region, i.PageId);
      const rows = await svc(c).contacts.db.selectFrom('im_receipts').selectAll().where('page_arn', '=', pg.arn).orderBy('seq').execute();
      const p = page(rows, c, `receipts/${pg.arn}`, i);
      return { Receipts: p.rows.map((r) => ({ ContactChannelArn: r.channel_arn, ReceiptType: r.type, ...(r.info ? { ReceiptInfo: r.info } : {}), ReceiptTime: seconds(r.time) })), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
];
