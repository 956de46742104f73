import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import { incidentArn, responsePlanArn } from './arns.js';
import type { EngagementService } from './engagements.js';
import { incidentConflict, incidentNotFound, incidentValidation } from './errors.js';
import { dropPolicies, type IncidentRow, type IncidentTables, type RelatedItemRow, type ResponsePlanRow, type TimelineRow } from './tables.js';

export const ENGAGE_JOB = 'incidents.engage';
export const CHAT_JOB = 'incidents.chat';
export const RUNBOOK_JOB = 'incidents.runbook';

export interface ItemIdentifier {
  type: string;
  value: { arn?: string | undefined; url?: string | undefined; metricDefinition?: string | undefined };
}
export interface RelatedItem {
  identifier: ItemIdentifier;
  title?: string | undefined;
  generatedId?: string | undefined;
}
export interface IncidentTemplate {
  title: string;
  impact: number;
  summary?: string | undefined;
  dedupeString?: string | undefined;
  notificationTargets?: unknown[] | undefined;
  incidentTags?: Record<string, string> | undefined;
}
export interface SsmAutomationAction {
  roleArn: string;
  documentName: string;
  documentVersion?: string | undefined;
  targetAccount?: string | undefined;
  parameters?: Record<string, string[]> | undefined;
  dynamicParameters?: Record<string, { variable?: string | undefined }> | undefined;
}
export interface PlanInput {
  name: string;
  displayName?: string | undefined;
  incidentTemplate: IncidentTemplate;
  engagements?: string[] | undefined;
  chatChannel?: { empty?: object | undefined; chatbotSns?: string[] | undefined } | undefined;
  actions?: { ssmAutomation?: SsmAutomationAction | undefined }[] | undefined;
  tags?: Record<string, string> | undefined;
}

/** Who or what opened an incident, as IncidentRecordSource says it. */
export interface Opener {
  createdBy: string;
  invokedBy?: string | undefined;
  source: string;
  resourceArn?: string | undefined;
}

export const itemKey = (id: ItemIdentifier) => `${id.type} ${id.value.arn ?? id.value.url ?? id.value.metricDefinition ?? ''}`;

/** Time to acknowledge and time to resolve, in seconds, once they are known. */
export function metricsOf(r: IncidentRow): { timeToAcknowledgeSeconds?: number; timeToResolveSeconds?: number } {
  return {
    ...(r.acknowledged_at !== null ? { timeToAcknowledgeSeconds: (r.acknowledged_at - r.created_at) / 1000 } : {}),
    ...(r.resolved_at !== null ? { timeToResolveSeconds: (r.resolved_at - r.created_at) / 1000 } : {}),
  };
}

/**
 * Response plans and the incidents started from them. An incident's side effects (engaging
 * contacts, posting to chat, starting runbooks) are durable jobs written with the incident, so
 * each happens even if the server stops right after the incident is recorded.
 */
export class IncidentService {
  readonly db: Kysely<IncidentTables>;
  constructor(
    private readonly core: Core,
    private readonly engagements: EngagementService,
  ) {
    this.db = core.database.db.withTables<IncidentTables>();
  }

  async plan(account: string, region: string, arn: string, db: Kysely<IncidentTables> = this.db): Promise<ResponsePlanRow> {
    const row = await db.selectFrom('im_response_plans').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw incidentNotFound(`Response plan ${arn} does not exist.`, 'RESPONSE_PLAN', arn);
    return row;
  }

  async createPlan(account: string, region: string, i: PlanInput): Promise<string> {
    const arn = responsePlanArn(account, i.name);
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('im_response_plans').select('arn').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
      if (existing) throw incidentConflict(`Response plan ${i.name} already exists.`, 'RESPONSE_PLAN', arn);
      await trx
        .insertInto('im_response_plans')
        .values({
          account_id: account,
          region,
          arn,
          name: i.name,
          display_name: i.displayName ?? '',
          template: JSON.stringify(i.incidentTemplate),
          engagements: JSON.stringify(i.engagements ?? []),
          chat_channel: JSON.stringify(i.chatChannel ?? null),
          actions: JSON.stringify(i.actions ?? []),
          tags: JSON.stringify(i.tags ?? {}),
          created_at: this.core.clock.now(),
        })
        .execute();
    });
    return arn;
  }

  async updatePlan(account: string, region: string, arn: string, set: Partial<Pick<ResponsePlanRow, 'display_name' | 'template' | 'engagements' | 'chat_channel' | 'actions'>>): Promise<void> {
    await this.plan(account, region, arn);
    if (Object.keys(set).length) await this.db.updateTable('im_response_plans').set(set).where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).execute();
  }

  async deletePlan(account: string, region: string, arn: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('im_response_plans').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).execute();
      await dropPolicies(trx, account, region, arn);
    });
  }

  async plans(account: string, region: string): Promise<ResponsePlanRow[]> {
    return this.db.selectFrom('im_response_plans').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('name').execute();
  }

  async incident(account: string, region: string, arn: string, db: Kysely<IncidentTables> = this.db): Promise<IncidentRow> {
    const row = await db.selectFrom('im_incidents').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw incidentNotFound(`Incident record ${arn} does not exist.`, 'INCIDENT_RECORD', arn);
    return row;
  }

  /**
   * Opens an incident from a plan, or answers the open incident with the same dedupe string;
   * returns its ARN. The plan's engagements, chat post and runbooks follow as jobs.
   */
  async start(account: string, region: string, planArnText: string, i: { title?: string | undefined; impact?: number | undefined; relatedItems?: RelatedItem[] | undefined; triggerDetails?: { source: string; triggerArn?: string | undefined; timestamp: number; rawData?: string | undefined } | undefined; clientToken?: string | undefined }, opener: Opener): Promise<{ arn: string; created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      const plan = await this.plan(account, region, planArnText, trx);
      const template = JSON.parse(plan.template) as IncidentTemplate;
      const now = this.core.clock.now();
      if (i.clientToken) {
        const same = await trx.selectFrom('im_incidents').select('arn').where('account_id', '=', account).where('region', '=', region).where('client_token', '=', i.clientToken).executeTakeFirst();
        if (same) return { arn: same.arn, created: false };
      }
      if (template.dedupeString) {
        const open = await trx.selectFrom('im_incidents').select('arn').where('account_id', '=', account).where('region', '=', region).where('dedupe', '=', template.dedupeString).where('status', '=', 'OPEN').executeTakeFirst();
        if (open) {
          await this.event(trx, open.arn, 'Trigger', { message: 'The incident was triggered again while open; no new incident was started.', source: i.triggerDetails?.source ?? opener.source }, now);
          return { arn: open.arn, created: false };
        }
      }
      const arn = incidentArn(account, plan.name);
      const row: IncidentRow = {
        account_id: account,
        region,
        arn,
        plan_arn: plan.arn,
        title: i.title ?? template.title,
        summary: template.summary ?? '',
        impact: i.impact ?? template.impact,
        status: 'OPEN',
        dedupe: template.dedupeString ?? '',
        client_token: i.clientToken ?? '',
        chat_channel: plan.chat_channel,
        notification_targets: JSON.stringify(template.notificationTargets ?? []),
        source: JSON.stringify({ ...opener, ...(i.triggerDetails?.triggerArn && !opener.resourceArn ? { resourceArn: i.triggerDetails.triggerArn } : {}) }),
        created_at: now,
        modified_at: now,
        modified_by: opener.createdBy,
        acknowledged_at: null,
        resolved_at: null,
      };
      await trx.insertInto('im_incidents').values(row).execute();
      await this.event(trx, arn, 'Incident Created', { title: row.title, impact: row.impact, responsePlan: plan.arn, source: opener.source, createdBy: opener.createdBy, ...(i.triggerDetails ? { trigger: i.triggerDetails.source } : {}) }, now);
      for (const item of i.relatedItems ?? []) await this.addItem(trx, arn, item, now);
      const jobs = (kind: string, payload: object) => this.core.scheduler.enqueue({ kind, dueAt: now, maxAttempts: 8, payload: { account, region, incident: arn, ...payload } }, trx as unknown as AnyDb);
      for (const contact of JSON.parse(plan.engagements) as string[]) await jobs(ENGAGE_JOB, { contact });
      const chat = JSON.parse(plan.chat_channel) as PlanInput['chatChannel'] | null;
      for (const url of chat?.chatbotSns ?? []) await jobs(CHAT_JOB, { url, text: `Incident opened: ${row.title} (impact ${row.impact})\n${row.summary ? `${row.summary}\n` : ''}${arn}` });
      for (const [index] of (JSON.parse(plan.actions) as PlanInput['actions'] & object).entries()) await jobs(RUNBOOK_JOB, { index });
      return { arn, created: true };
    });
  }

  async update(account: string, region: string, arn: string, who: string, u: { title?: string | undefined; summary?: string | undefined; impact?: number | undefined; status?: string | undefined; chatChannel?: unknown; notificationTargets?: unknown[] | undefined }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const r = await this.incident(account, region, arn, trx);
      const now = this.core.clock.now();
      const set: Partial<IncidentRow> = { modified_at: now, modified_by: who };
      if (u.title !== undefined) set.title = u.title;
      if (u.summary !== undefined) set.summary = u.summary;
      if (u.impact !== undefined && u.impact !== r.impact) {
        set.impact = u.impact;
        await this.event(trx, arn, 'Impact Changed', { from: r.impact, to: u.impact, by: who }, now);
      }
      if (u.chatChannel !== undefined) set.chat_channel = JSON.stringify(u.chatChannel);
      if (u.notificationTargets !== undefined) set.notification_targets = JSON.stringify(u.notificationTargets);
      if (u.status !== undefined && u.status !== r.status) {
        set.status = u.status;
        if (u.status === 'RESOLVED') {
          set.resolved_at = now;
          // Nobody is to be paged for an incident that is over.
          await this.engagements.stopForIncident(trx, account, region, arn, 'The incident was resolved.');
          await this.event(trx, arn, 'Incident Resolved', { by: who, ...metricsOf({ ...r, resolved_at: now }) }, now);
        } else {
          set.resolved_at = null;
          await this.event(trx, arn, 'Incident Reopened', { by: who }, now);
        }
      }
      await trx.updateTable('im_incidents').set(set).where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).execute();
    });
  }

  async delete(account: string, region: string, arn: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom('im_incidents').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) return;
      await trx.deleteFrom('im_timeline').where('incident_arn', '=', arn).execute();
      await trx.deleteFrom('im_related_items').where('incident_arn', '=', arn).execute();
      await this.engagements.stopForIncident(trx, account, region, arn, 'The incident record was deleted.');
    });
  }

  async incidents(account: string, region: string): Promise<IncidentRow[]> {
    return this.db.selectFrom('im_incidents').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('created_at', 'desc').orderBy('arn').execute();
  }

  /** Writes a timeline event; `id` makes a write that may be repeated (a retried job) land once. */
  async event(db: Kysely<IncidentTables>, incident: string, type: string, data: unknown, time: number, refs: unknown[] = [], id: string = randomUUID()): Promise<string> {
    const row: TimelineRow = { incident_arn: incident, event_id: id, event_time: time, updated_at: this.core.clock.now(), event_type: type, event_data: typeof data === 'string' ? data : JSON.stringify(data), refs: JSON.stringify(refs) };
    await db.insertInto('im_timeline').values(row).onConflict((oc) => oc.columns(['incident_arn', 'event_id']).doNothing()).execute();
    return id;
  }

  async timeline(incident: string, db: Kysely<IncidentTables> = this.db): Promise<TimelineRow[]> {
    return db.selectFrom('im_timeline').selectAll().where('incident_arn', '=', incident).orderBy('event_time').orderBy('event_id').execute();
  }

  async timelineEvent(incident: string, id: string, db: Kysely<IncidentTables> = this.db): Promise<TimelineRow> {
    const row = await db.selectFrom('im_timeline').selectAll().where('incident_arn', '=', incident).where('event_id', '=', id).executeTakeFirst();
    if (!row) throw incidentNotFound(`Timeline event ${id} does not exist in incident ${incident}.`, 'TIMELINE_EVENT', id);
    return row;
  }

  async updateEvent(account: string, region: string, incident: string, id: string, u: { eventTime?: number | undefined; eventType?: string | undefined; eventData?: string | undefined; eventReferences?: unknown[] | undefined }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.incident(account, region, incident, trx);
      const e = await this.timelineEvent(incident, id, trx);
      if (!USER_EVENT_TYPES.includes(e.event_type)) throw incidentValidation(`Timeline event ${id} is of type ${e.event_type}, which Incident Manager records itself; only ${USER_EVENT_TYPES.join(' and ')} events can be changed.`);
      await trx
        .updateTable('im_timeline')
        .set({
          updated_at: this.core.clock.now(),
          ...(u.eventTime !== undefined ? { event_time: u.eventTime } : {}),
          ...(u.eventType !== undefined ? { event_type: u.eventType } : {}),
          ...(u.eventData !== undefined ? { event_data: u.eventData } : {}),
          ...(u.eventReferences !== undefined ? { refs: JSON.stringify(u.eventReferences) } : {}),
        })
        .where('incident_arn', '=', incident)
        .where('event_id', '=', id)
        .execute();
    });
  }

  async deleteEvent(account: string, region: string, incident: string, id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.incident(account, region, incident, trx);
      const e = await this.timelineEvent(incident, id, trx);
      if (!USER_EVENT_TYPES.includes(e.event_type)) throw incidentValidation(`Timeline event ${id} is of type ${e.event_type}, which Incident Manager records itself; it cannot be deleted.`);
      await trx.deleteFrom('im_timeline').where('incident_arn', '=', incident).where('event_id', '=', id).execute();
    });
  }

  async addItem(db: Kysely<IncidentTables>, incident: string, item: RelatedItem, now: number): Promise<void> {
    const key = itemKey(item.identifier);
    const existing = await db.selectFrom('im_related_items').select('item_key').where('incident_arn', '=', incident).where('item_key', '=', key).executeTakeFirst();
    if (existing) throw incidentConflict(`The incident already has the related item ${key}.`, 'INCIDENT_RECORD', incident);
    const row: RelatedItemRow = { incident_arn: incident, item_key: key, item_type: item.identifier.type, item_value: JSON.stringify(item.identifier.value), title: item.title ?? '', generated_id: item.generatedId ?? '', added_at: now };
    await db.insertInto('im_related_items').values(row).execute();
  }

  async updateItems(account: string, region: string, incident: string, u: { itemToAdd?: RelatedItem | undefined; itemToRemove?: ItemIdentifier | undefined }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.incident(account, region, incident, trx);
      const now = this.core.clock.now();
      if (u.itemToAdd) await this.addItem(trx, incident, u.itemToAdd, now);
      if (u.itemToRemove) {
        const gone = await trx.deleteFrom('im_related_items').where('incident_arn', '=', incident).where('item_key', '=', itemKey(u.itemToRemove)).executeTakeFirst();
        if (Number(gone.numDeletedRows) === 0) throw incidentNotFound(`The incident has no related item ${u.itemToRemove.type} ${JSON.stringify(u.itemToRemove.value)}.`, 'INCIDENT_RECORD', incident);
      }
    });
  }

  async items(incident: string): Promise<RelatedItemRow[]> {
    return this.db.selectFrom('im_related_items').selectAll().where('incident_arn', '=', incident).orderBy('added_at').orderBy('item_key').execute();
  }
}

/** The timeline events people write; the rest are Incident Manager's own record. */
export const USER_EVENT_TYPES = ['Custom Event', 'Note'];
