import { z } from 'zod';
import { checkServiceRole } from '../iam/service-roles.js';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM_INCIDENTS } from '../protocol/services.js';
import { pageOf, seconds } from './arns.js';
import { INCIDENTS_SERVICE } from './effects.js';
import { incidentValidation } from './errors.js';
import { USER_EVENT_TYPES, type IncidentTemplate, type PlanInput } from './records.js';
import { contactsOf, incidentsOf } from './slot.js';
import type { IncidentRow, RelatedItemRow, ResponsePlanRow, TimelineRow } from './tables.js';

const PLAN_ARN = /^arn:aws(-cn|-us-gov)?:ssm-incidents::[0-9]{12}:response-plan\/[a-zA-Z0-9_-]{1,200}$/;
const INCIDENT_ARN = /^arn:aws(-cn|-us-gov)?:ssm-incidents::[0-9]{12}:incident-record\/[a-zA-Z0-9_-]{1,200}\/[0-9a-f-]{36}$/;
const planArn = z.string().max(1000).regex(PLAN_ARN);
const recordArn = z.string().max(1000).regex(INCIDENT_ARN);
const clientToken = z.string().max(128).optional();
const impact = z.number().int().min(1).max(5);
const notificationTargets = z.array(z.object({ snsTopicArn: z.string().max(1000) })).max(10);
const chatChannel = z.object({ empty: z.object({}).optional(), chatbotSns: z.array(z.string().min(1).max(1000)).min(1).max(5).optional() });
const template = z.object({ title: z.string().max(200), impact, summary: z.string().max(4000).optional(), dedupeString: z.string().max(1000).optional(), notificationTargets: notificationTargets.optional(), incidentTags: z.record(z.string(), z.string()).optional() });
const ssmAutomation = z.object({
  roleArn: z.string().max(1000).regex(/^arn:aws(-cn|-us-gov)?:iam::([0-9]{12})?:role\/.+$/),
  documentName: z.string().max(128).regex(/^[a-zA-Z0-9_.:/-]{3,128}$/),
  documentVersion: z.string().max(128).optional(),
  targetAccount: z.enum(['RESPONSE_PLAN_OWNER_ACCOUNT', 'IMPACTED_ACCOUNT']).optional(),
  parameters: z.record(z.string().max(50), z.array(z.string().max(10000)).max(100)).optional(),
  dynamicParameters: z.record(z.string().max(50), z.object({ variable: z.enum(['INCIDENT_RECORD_ARN', 'INVOLVED_RESOURCES']).optional() })).optional(),
});
const actions = z.array(z.object({ ssmAutomation: ssmAutomation.optional() })).max(1);
const engagements = z.array(z.string().max(2048).regex(/^arn:aws(-cn|-us-gov)?:ssm-contacts:[a-z0-9-]*:([0-9]{12}):contact\/[a-z0-9_-]+$/)).max(5);
const identifier = z.object({ type: z.enum(['ANALYSIS', 'INCIDENT', 'METRIC', 'PARENT', 'ATTACHMENT', 'OTHER', 'AUTOMATION', 'INVOLVED_RESOURCE', 'TASK']), value: z.object({ arn: z.string().max(1000).optional(), url: z.string().max(1000).optional(), metricDefinition: z.string().max(4000).optional() }) });
const relatedItem = z.object({ identifier, title: z.string().max(200).optional(), generatedId: z.string().max(200).optional() });
const eventReferences = z.array(z.object({ resource: z.string().max(1000).optional(), relatedItemId: z.string().max(200).optional() })).max(10);
const nextToken = z.string().max(2000).optional();
const maxResults = z.number().int().min(1).max(100).optional();
const filters = z.array(z.object({ key: z.string().min(1).max(50), condition: z.object({ before: z.number().optional(), after: z.number().optional(), equals: z.object({ stringValues: z.array(z.string().max(64)).max(100).optional(), integerValues: z.array(z.number().int()).max(100).optional() }).optional() }) })).max(5);

const svc = (c: CallContext) => incidentsOf(c.core);
const page = <T>(rows: readonly T[], c: CallContext, scope: string, i: { nextToken?: string | undefined; maxResults?: number | undefined }) => pageOf(rows, i.nextToken, i.maxResults ?? 100, `${c.accountId}/${c.region}/${scope}`, incidentValidation);
const json = <T>(s: string) => JSON.parse(s) as T;

const planOut = (p: ResponsePlanRow) => {
  const chat = json<unknown>(p.chat_channel);
  const acts = json<unknown[]>(p.actions);
  const eng = json<string[]>(p.engagements);
  return { arn: p.arn, name: p.name, ...(p.display_name ? { displayName: p.display_name } : {}), incidentTemplate: json<IncidentTemplate>(p.template), ...(chat ? { chatChannel: chat } : {}), ...(eng.length ? { engagements: eng } : {}), ...(acts.length ? { actions: acts } : {}) };
};
const sourceOut = (r: IncidentRow) => json<Record<string, string>>(r.source);
const recordOut = async (c: CallContext, r: IncidentRow) => {
  const runbooks = await svc(c).db.selectFrom('im_runbooks').select('execution_id').where('incident_arn', '=', r.arn).execute();
  return {
    arn: r.arn,
    title: r.title,
    ...(r.summary ? { summary: r.summary } : {}),
    status: r.status,
    impact: r.impact,
    creationTime: seconds(r.created_at),
    ...(r.resolved_at !== null ? { resolvedTime: seconds(r.resolved_at) } : {}),
    lastModifiedTime: seconds(r.modified_at),
    lastModifiedBy: r.modified_by,
    automationExecutions: runbooks.map((x) => ({ ssmExecutionArn: `arn:aws:ssm:${r.region}:${r.account_id}:automation-execution/${x.execution_id}` })),
    incidentRecordSource: sourceOut(r),
    dedupeString: r.dedupe,
    ...(json<unknown>(r.chat_channel) ? { chatChannel: json<unknown>(r.chat_channel) } : {}),
    notificationTargets: json<unknown[]>(r.notification_targets),
  };
};
const eventOut = (e: TimelineRow) => ({ incidentRecordArn: e.incident_arn, eventId: e.event_id, eventTime: seconds(e.event_time), eventUpdatedTime: seconds(e.updated_at), eventType: e.event_type, eventReferences: json<unknown[]>(e.refs) });
const itemOut = (r: RelatedItemRow) => ({ identifier: { type: r.item_type, value: json<unknown>(r.item_value) }, ...(r.title ? { title: r.title } : {}), ...(r.generated_id ? { generatedId: r.generated_id } : {}) });

/** Chat channels are Slack-compatible incoming webhooks (http or https URLs) in Capstan; SNS topics have nothing to deliver to. */
function checkChat(chat: { chatbotSns?: string[] | undefined } | undefined): void {
  for (const url of chat?.chatbotSns ?? []) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw incidentValidation(`chatChannel.chatbotSns: ${url} is not a chat webhook URL; Capstan posts to Slack-compatible incoming webhooks (https://…).`);
  }
}

/** Every contact engaged and every runbook role must exist and be usable when the plan is written. */
async function checkPlan(c: CallContext, i: { engagements?: string[] | undefined; actions?: PlanInput['actions']; chatChannel?: PlanInput['chatChannel'] }): Promise<void> {
  checkChat(i.chatChannel);
  for (const arn of i.engagements ?? []) {
    await contactsOf(c.core).contacts.contact(c.accountId, c.region, arn).catch(() => {
      throw incidentValidation(`engagements: contact ${arn} does not exist in this account and region.`);
    });
  }
  for (const a of i.actions ?? []) {
    if (!a.ssmAutomation) throw incidentValidation('actions: each action is an ssmAutomation.');
    const check = await checkServiceRole(c.core, a.ssmAutomation.roleArn, c.accountId, INCIDENTS_SERVICE, 'a response plan', { 'aws:SourceAccount': c.accountId });
    if (!check.ok) throw incidentValidation(`actions.ssmAutomation.roleArn: ${check.reason}`);
    await c.authorize('iam:PassRole', [a.ssmAutomation.roleArn]);
  }
}

function matches(r: IncidentRow, f: z.infer<typeof filters>[number]): boolean {
  const at = f.key === 'creationTime' ? r.created_at : f.key === 'resolvedTime' ? r.resolved_at : undefined;
  if (f.condition.before !== undefined) return at !== undefined && at !== null && at < f.condition.before * 1000;
  if (f.condition.after !== undefined) return at !== undefined && at !== null && at > f.condition.after * 1000;
  const values: (string | number)[] = [...(f.condition.equals?.stringValues ?? []), ...(f.condition.equals?.integerValues ?? [])];
  const v = f.key === 'status' ? r.status : f.key === 'impact' ? r.impact : f.key === 'createdBy' ? sourceOut(r).createdBy : undefined;
  return values.some((x) => String(x) === String(v));
}

export const incidentOperations = [
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'CreateResponsePlan',
    http: { method: 'POST', path: '/createResponsePlan', successStatus: 201 },
    input: z.object({ clientToken, name: z.string().min(1).max(200).regex(/^[a-zA-Z0-9_-]*$/), displayName: z.string().max(200).optional(), incidentTemplate: template, chatChannel: chatChannel.optional(), engagements: engagements.optional(), actions: actions.optional(), integrations: z.array(z.unknown()).max(1).optional(), tags: z.record(z.string(), z.string()).optional() }),
    resources: (i, c) => [`arn:aws:ssm-incidents::${c.accountId}:response-plan/${i.name}`],
    handler: async (i, c) => {
      if (i.integrations?.length) throw incidentValidation('integrations: PagerDuty integration is not available in Capstan.');
      await checkPlan(c, i);
      return { arn: await svc(c).createPlan(c.accountId, c.region, i) };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'GetResponsePlan',
    http: { method: 'GET', path: '/getResponsePlan', query: { arn: 'arn' } },
    input: z.object({ arn: planArn }),
    resources: (i) => [i.arn],
    handler: async (i, c) => planOut(await svc(c).plan(c.accountId, c.region, i.arn)),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UpdateResponsePlan',
    http: { method: 'POST', path: '/updateResponsePlan', successStatus: 204 },
    input: z.object({ clientToken, arn: planArn, displayName: z.string().max(200).optional(), incidentTemplateTitle: z.string().max(200).optional(), incidentTemplateImpact: impact.optional(), incidentTemplateSummary: z.string().max(4000).optional(), incidentTemplateDedupeString: z.string().max(1000).optional(), incidentTemplateNotificationTargets: notificationTargets.optional(), incidentTemplateTags: z.record(z.string(), z.string()).optional(), chatChannel: chatChannel.optional(), engagements: engagements.optional(), actions: actions.optional(), integrations: z.array(z.unknown()).max(1).optional() }),
    resources: (i) => [i.arn],
    handler: async (i, c) => {
      const p = await svc(c).plan(c.accountId, c.region, i.arn);
      await checkPlan(c, i);
      const t = json<IncidentTemplate>(p.template);
      const next: IncidentTemplate = {
        ...t,
        ...(i.incidentTemplateTitle !== undefined ? { title: i.incidentTemplateTitle } : {}),
        ...(i.incidentTemplateImpact !== undefined ? { impact: i.incidentTemplateImpact } : {}),
        ...(i.incidentTemplateSummary !== undefined ? { summary: i.incidentTemplateSummary } : {}),
        ...(i.incidentTemplateDedupeString !== undefined ? { dedupeString: i.incidentTemplateDedupeString } : {}),
        ...(i.incidentTemplateNotificationTargets !== undefined ? { notificationTargets: i.incidentTemplateNotificationTargets } : {}),
        ...(i.incidentTemplateTags !== undefined ? { incidentTags: i.incidentTemplateTags } : {}),
      };
      await svc(c).updatePlan(c.accountId, c.region, i.arn, {
        template: JSON.stringify(next),
        ...(i.displayName !== undefined ? { display_name: i.displayName } : {}),
        ...(i.chatChannel !== undefined ? { chat_channel: JSON.stringify(i.chatChannel) } : {}),
        ...(i.engagements !== undefined ? { engagements: JSON.stringify(i.engagements) } : {}),
        ...(i.actions !== undefined ? { actions: JSON.stringify(i.actions) } : {}),
      });
      return {};
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'DeleteResponsePlan',
    http: { method: 'POST', path: '/deleteResponsePlan', successStatus: 204 },
    input: z.object({ arn: planArn }),
    resources: (i) => [i.arn],
    handler: async (i, c) => (await svc(c).deletePlan(c.accountId, c.region, i.arn), {}),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'ListResponsePlans',
    http: { method: 'POST', path: '/listResponsePlans' },
    input: z.object({ nextToken, maxResults }),
    handler: async (i, c) => {
      const p = page(await svc(c).plans(c.accountId, c.region), c, 'plans', i);
      return { responsePlanSummaries: p.rows.map((r) => ({ arn: r.arn, name: r.name, ...(r.display_name ? { displayName: r.display_name } : {}) })), ...(p.NextToken ? { nextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'StartIncident',
    http: { method: 'POST', path: '/startIncident' },
    input: z.object({ clientToken, responsePlanArn: planArn, title: z.string().max(200).optional(), impact: impact.optional(), triggerDetails: z.object({ source: z.string().min(1).max(50), triggerArn: z.string().max(1000).optional(), timestamp: z.number(), rawData: z.string().max(10000).optional() }).optional(), relatedItems: z.array(relatedItem).max(75).optional() }),
    resources: (i) => [i.responsePlanArn],
    handler: async (i, c) => {
      const opener = { createdBy: c.principal.arn, source: i.triggerDetails?.source ?? 'aws.ssm-incidents.custom', ...(c.userAgent.endsWith('.amazonaws.com') ? { invokedBy: c.userAgent } : {}), ...(i.triggerDetails?.triggerArn ? { resourceArn: i.triggerDetails.triggerArn } : {}) };
      const { arn } = await svc(c).start(c.accountId, c.region, i.responsePlanArn, { ...i, ...(i.triggerDetails ? { triggerDetails: { ...i.triggerDetails, timestamp: i.triggerDetails.timestamp * 1000 } } : {}) }, opener);
      return { incidentRecordArn: arn };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'GetIncidentRecord',
    http: { method: 'GET', path: '/getIncidentRecord', query: { arn: 'arn' } },
    input: z.object({ arn: recordArn }),
    resources: (i) => [i.arn],
    handler: async (i, c) => ({ incidentRecord: await recordOut(c, await svc(c).incident(c.accountId, c.region, i.arn)) }),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UpdateIncidentRecord',
    http: { method: 'POST', path: '/updateIncidentRecord', successStatus: 204 },
    input: z.object({ clientToken, arn: recordArn, title: z.string().max(200).optional(), summary: z.string().max(8000).optional(), impact: impact.optional(), status: z.enum(['OPEN', 'RESOLVED']).optional(), chatChannel: chatChannel.optional(), notificationTargets: notificationTargets.optional() }),
    resources: (i) => [i.arn],
    handler: async (i, c) => {
      checkChat(i.chatChannel);
      await svc(c).update(c.accountId, c.region, i.arn, c.principal.arn, i);
      return {};
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'DeleteIncidentRecord',
    http: { method: 'POST', path: '/deleteIncidentRecord', successStatus: 204 },
    input: z.object({ arn: recordArn }),
    resources: (i) => [i.arn],
    handler: async (i, c) => (await svc(c).delete(c.accountId, c.region, i.arn), {}),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'ListIncidentRecords',
    http: { method: 'POST', path: '/listIncidentRecords' },
    input: z.object({ filters: filters.optional(), nextToken, maxResults }),
    handler: async (i, c) => {
      for (const f of i.filters ?? []) if (!['creationTime', 'resolvedTime', 'impact', 'status', 'createdBy'].includes(f.key)) throw incidentValidation(`filters: ${f.key} is not a filter key; use creationTime, resolvedTime, impact, status or createdBy.`);
      const rows = (await svc(c).incidents(c.accountId, c.region)).filter((r) => (i.filters ?? []).every((f) => matches(r, f)));
      const p = page(rows, c, `records/${JSON.stringify(i.filters ?? [])}`, i);
      return {
        incidentRecordSummaries: p.rows.map((r) => ({ arn: r.arn, title: r.title, status: r.status, impact: r.impact, creationTime: seconds(r.created_at), ...(r.resolved_at !== null ? { resolvedTime: seconds(r.resolved_at) } : {}), incidentRecordSource: sourceOut(r) })),
        ...(p.NextToken ? { nextToken: p.NextToken } : {}),
      };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'CreateTimelineEvent',
    http: { method: 'POST', path: '/createTimelineEvent', successStatus: 201 },
    input: z.object({ clientToken, incidentRecordArn: recordArn, eventTime: z.number(), eventType: z.string().min(1).max(100), eventData: z.string().max(12000), eventReferences: eventReferences.optional() }),
    resources: (i) => [i.incidentRecordArn],
    handler: async (i, c) => {
      if (!USER_EVENT_TYPES.includes(i.eventType)) throw incidentValidation(`eventType ${i.eventType} is not one people write; use ${USER_EVENT_TYPES.join(' or ')}.`);
      await svc(c).incident(c.accountId, c.region, i.incidentRecordArn);
      const id = await svc(c).event(svc(c).db, i.incidentRecordArn, i.eventType, i.eventData, i.eventTime * 1000, i.eventReferences ?? []);
      return { incidentRecordArn: i.incidentRecordArn, eventId: id };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'GetTimelineEvent',
    http: { method: 'GET', path: '/getTimelineEvent', query: { eventId: 'eventId', incidentRecordArn: 'incidentRecordArn' } },
    input: z.object({ eventId: z.string().min(1).max(50), incidentRecordArn: recordArn }),
    resources: (i) => [i.incidentRecordArn],
    handler: async (i, c) => {
      await svc(c).incident(c.accountId, c.region, i.incidentRecordArn);
      const e = await svc(c).timelineEvent(i.incidentRecordArn, i.eventId);
      return { event: { ...eventOut(e), eventData: e.event_data } };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UpdateTimelineEvent',
    http: { method: 'POST', path: '/updateTimelineEvent', successStatus: 204 },
    input: z.object({ clientToken, incidentRecordArn: recordArn, eventId: z.string().min(1).max(50), eventTime: z.number().optional(), eventType: z.string().min(1).max(100).optional(), eventData: z.string().max(12000).optional(), eventReferences: eventReferences.optional() }),
    resources: (i) => [i.incidentRecordArn],
    handler: async (i, c) => {
      if (i.eventType !== undefined && !USER_EVENT_TYPES.includes(i.eventType)) throw incidentValidation(`eventType ${i.eventType} is not one people write; use ${USER_EVENT_TYPES.join(' or ')}.`);
      await svc(c).updateEvent(c.accountId, c.region, i.incidentRecordArn, i.eventId, { ...i, eventTime: i.eventTime === undefined ? undefined : i.eventTime * 1000 });
      return {};
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'DeleteTimelineEvent',
    http: { method: 'POST', path: '/deleteTimelineEvent', successStatus: 204 },
    input: z.object({ incidentRecordArn: recordArn, eventId: z.string().min(1).max(50) }),
    resources: (i) => [i.incidentRecordArn],
    handler: async (i, c) => (await svc(c).deleteEvent(c.accountId, c.region, i.incidentRecordArn, i.eventId), {}),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'ListTimelineEvents',
    http: { method: 'POST', path: '/listTimelineEvents' },
    input: z.object({ incidentRecordArn: recordArn, filters: filters.optional(), sortBy: z.enum(['EVENT_TIME']).optional(), sortOrder: z.enum(['ASCENDING', 'DESCENDING']).optional(), nextToken, maxResults }),
    resources: (i) => [i.incidentRecordArn],
    handler: async (i, c) => {
      for (const f of i.filters ?? []) if (!['eventTime', 'eventType'].includes(f.key)) throw incidentValidation(`filters: ${f.key} is not a timeline filter key; use eventTime or eventType.`);
      await svc(c).incident(c.accountId, c.region, i.incidentRecordArn);
      let rows = (await svc(c).timeline(i.incidentRecordArn)).filter((e) =>
        (i.filters ?? []).every((f) => {
          if (f.key === 'eventType') return (f.condition.equals?.stringValues ?? []).includes(e.event_type);
          if (f.condition.before !== undefined) return e.event_time < f.condition.before * 1000;
          if (f.condition.after !== undefined) return e.event_time > f.condition.after * 1000;
          return true;
        }),
      );
      if (i.sortOrder === 'DESCENDING') rows = rows.reverse();
      const p = page(rows, c, `timeline/${i.incidentRecordArn}/${JSON.stringify([i.filters, i.sortOrder])}`, i);
      return { eventSummaries: p.rows.map(eventOut), ...(p.NextToken ? { nextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UpdateRelatedItems',
    http: { method: 'POST', path: '/updateRelatedItems', successStatus: 204 },
    input: z.object({ clientToken, incidentRecordArn: recordArn, relatedItemsUpdate: z.object({ itemToAdd: relatedItem.optional(), itemToRemove: identifier.optional() }) }),
    resources: (i) => [i.incidentRecordArn],
    handler: async (i, c) => {
      if (Boolean(i.relatedItemsUpdate.itemToAdd) === Boolean(i.relatedItemsUpdate.itemToRemove)) throw incidentValidation('relatedItemsUpdate: give exactly one of itemToAdd and itemToRemove.');
      await svc(c).updateItems(c.accountId, c.region, i.incidentRecordArn, i.relatedItemsUpdate);
      return {};
    },
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'ListRelatedItems',
    http: { method: 'POST', path: '/listRelatedItems' },
    input: z.object({ incidentRecordArn: recordArn, nextToken, maxResults }),
    resources: (i) => [i.incidentRecordArn],
    handler: async (i, c) => {
      await svc(c).incident(c.accountId, c.region, i.incidentRecordArn);
      const p = page(await svc(c).items(i.incidentRecordArn), c, `items/${i.incidentRecordArn}`, i);
      return { relatedItems: p.rows.map(itemOut), ...(p.NextToken ? { nextToken: p.NextToken } : {}) };
    },
  }),
];
