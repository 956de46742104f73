import type { Kysely } from 'kysely';
import type { MigrationStep } from '../store/migrations.js';

/** A contact (PERSONAL) or an escalation plan (ESCALATION); `plan` is AWS's Plan as JSON. */
export interface ContactRow {
  account_id: string;
  region: string;
  arn: string;
  alias: string;
  display_name: string;
  type: string;
  plan: string;
  tags: string;
  created_at: number;
}

/** How a contact is reached. The activation code is kept only as a hash. */
export interface ChannelRow {
  account_id: string;
  region: string;
  arn: string;
  contact_arn: string;
  name: string;
  type: string;
  address: string;
  activated: number;
  activation_hash: string;
  created_at: number;
}

/** One engagement of a contact or plan; `stage` is the stage paged last, `acknowledged_at` ends the escalation. */
export interface EngagementRow {
  account_id: string;
  region: string;
  arn: string;
  contact_arn: string;
  sender: string;
  subject: string;
  content: string;
  public_subject: string;
  public_content: string;
  incident_id: string;
  idempotency_token: string;
  stage: number;
  started_at: number;
  stopped_at: number | null;
  acknowledged_at: number | null;
}

/** One page: an engagement reaching one contact on one channel. */
export interface PageRow {
  account_id: string;
  region: string;
  arn: string;
  engagement_arn: string;
  contact_arn: string;
  channel_arn: string;
  stage: number;
  /** How the engagement reached this contact, as ListPageResolutions answers it (JSON). */
  resolution: string;
  accept_code: string;
  sent_at: number;
  delivered_at: number | null;
  read_at: number | null;
}

export interface ReceiptRow {
  page_arn: string;
  seq: number;
  channel_arn: string;
  type: string;
  info: string;
  time: number;
}

export interface ResponsePlanRow {
  account_id: string;
  region: string;
  arn: string;
  name: string;
  display_name: string;
  template: string;
  engagements: string;
  chat_channel: string;
  actions: string;
  tags: string;
  created_at: number;
}

export interface IncidentRow {
  account_id: string;
  region: string;
  arn: string;
  plan_arn: string;
  title: string;
  summary: string;
  impact: number;
  status: string;
  dedupe: string;
  /** StartIncident's clientToken: a repeated start (a retried rule firing) finds the incident the first one opened. */
  client_token: string;
  chat_channel: string;
  notification_targets: string;
  source: string;
  created_at: number;
  modified_at: number;
  modified_by: string;
  acknowledged_at: number | null;
  resolved_at: number | null;
}

export interface TimelineRow {
  incident_arn: string;
  event_id: string;
  event_time: number;
  updated_at: number;
  event_type: string;
  event_data: string;
  refs: string;
}

export interface RelatedItemRow {
  incident_arn: string;
  item_key: string;
  item_type: string;
  item_value: string;
  title: string;
  generated_id: string;
  added_at: number;
}

/** Which incident an automation execution works for, so its progress reaches the timeline. */
export interface RunbookRow {
  execution_id: string;
  incident_arn: string;
  document_name: string;
}

/** The post-incident analysis of one incident: answers to its questions and the action items raised as OpsItems. */
export interface AnalysisRow {
  incident_arn: string;
  account_id: string;
  region: string;
  questions: string;
  action_items: string;
  created_at: number;
  created_by: string;
}

/** An on-call rotation; `recurrence` is AWS's RecurrenceSettings as JSON. */
export interface RotationRow {
  account_id: string;
  region: string;
  arn: string;
  name: string;
  members: string;
  start_time: number;
  time_zone: string;
  recurrence: string;
  tags: string;
  created_at: number;
}

export interface RotationOverrideRow {
  rotation_arn: string;
  override_id: string;
  members: string;
  start_time: number;
  end_time: number;
  created_at: number;
}

/**
 * The account's replication set. Capstan keeps Incident Manager's data in its own store, whatever
 * the regions say; the record exists because tools create one before their first response plan.
 */
export interface ReplicationSetRow {
  account_id: string;
  arn: string;
  regions: string;
  deletion_protected: number;
  created_at: number;
  created_by: string;
  modified_at: number;
  modified_by: string;
}

/**
 * A resource policy: a contact's (one per contact, `policy_id` 'contact') or a response plan's
 * (any number, each with its own id). Stored and returned; access stays within the account.
 */
export interface ResourcePolicyRow {
  account_id: string;
  region: string;
  resource_arn: string;
  policy_id: string;
  document: string;
  created_at: number;
}

export type IncidentTables = {
  im_resource_policies: ResourcePolicyRow;
  im_replication_sets: ReplicationSetRow;
  im_rotations: RotationRow;
  im_rotation_overrides: RotationOverrideRow;
  im_analyses: AnalysisRow;
  im_contacts: ContactRow;
  im_channels: ChannelRow;
  im_engagements: EngagementRow;
  im_pages: PageRow;
  im_receipts: ReceiptRow;
  im_response_plans: ResponsePlanRow;
  im_incidents: IncidentRow;
  im_timeline: TimelineRow;
  im_related_items: RelatedItemRow;
  im_runbooks: RunbookRow;
};

/** Drops a resource's policies with the resource, in the transaction that deletes it. */
export async function dropPolicies(trx: Kysely<IncidentTables>, account: string, region: string, resource: string): Promise<void> {
  await trx.deleteFrom('im_resource_policies').where('account_id', '=', account).where('region', '=', region).where('resource_arn', '=', resource).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKysely = Kysely<any>;

async function scoped(db: AnyKysely, table: string, columns: [string, 'text' | 'bigint' | 'integer', boolean][], key: string[]): Promise<void> {
  let t = db.schema.createTable(table);
  for (const [name, type, nullable] of columns) t = t.addColumn(name, type, (c) => (nullable ? c : c.notNull()));
  await t.addPrimaryKeyConstraint(`${table}_pk`, key as never).execute();
}

export const incidentMigrations: MigrationStep[] = [
  {
    name: '2100_incident_manager',
    async up(db) {
      const T = (n: string): [string, 'text', boolean] => [n, 'text', false];
      const B = (n: string, nullable = false): [string, 'bigint', boolean] => [n, 'bigint', nullable];
      const I = (n: string): [string, 'integer', boolean] => [n, 'integer', false];
      await scoped(db, 'im_contacts', [T('account_id'), T('region'), T('arn'), T('alias'), T('display_name'), T('type'), T('plan'), T('tags'), B('created_at')], ['account_id', 'region', 'arn']);
      await scoped(db, 'im_channels', [T('account_id'), T('region'), T('arn'), T('contact_arn'), T('name'), T('type'), T('address'), I('activated'), T('activation_hash'), B('created_at')], ['account_id', 'region', 'arn']);
      await scoped(
        db,
        'im_engagements',
        [T('account_id'), T('region'), T('arn'), T('contact_arn'), T('sender'), T('subject'), T('content'), T('public_subject'), T('public_content'), T('incident_id'), T('idempotency_token'), I('stage'), B('started_at'), B('stopped_at', true), B('acknowledged_at', true)],
        ['account_id', 'region', 'arn'],
      );
      await scoped(db, 'im_pages', [T('account_id'), T('region'), T('arn'), T('engagement_arn'), T('contact_arn'), T('channel_arn'), I('stage'), T('accept_code'), B('sent_at'), B('delivered_at', true), B('read_at', true)], ['account_id', 'region', 'arn']);
      await db.schema.createIndex('im_pages_engagement').on('im_pages').columns(['engagement_arn']).execute();
      await scoped(db, 'im_receipts', [T('page_arn'), I('seq'), T('channel_arn'), T('type'), T('info'), B('time')], ['page_arn', 'seq']);
      await scoped(db, 'im_response_plans', [T('account_id'), T('region'), T('arn'), T('name'), T('display_name'), T('template'), T('engagements'), T('chat_channel'), T('actions'), T('tags'), B('created_at')], ['account_id', 'region', 'arn']);
      await scoped(
        db,
        'im_incidents',
        [T('account_id'), T('region'), T('arn'), T('plan_arn'), T('title'), T('summary'), I('impact'), T('status'), T('dedupe'), T('client_token'), T('chat_channel'), T('notification_targets'), T('source'), B('created_at'), B('modified_at'), T('modified_by'), B('acknowledged_at', true), B('resolved_at', true)],
        ['account_id', 'region', 'arn'],
      );
      await scoped(db, 'im_timeline', [T('incident_arn'), T('event_id'), B('event_time'), B('updated_at'), T('event_type'), T('event_data'), T('refs')], ['incident_arn', 'event_id']);
      await scoped(db, 'im_related_items', [T('incident_arn'), T('item_key'), T('item_type'), T('item_value'), T('title'), T('generated_id'), B('added_at')], ['incident_arn', 'item_key']);
      await scoped(db, 'im_analyses', [T('incident_arn'), T('account_id'), T('region'), T('questions'), T('action_items'), B('created_at'), T('created_by')], ['incident_arn']);
      await scoped(db, 'im_runbooks', [T('execution_id'), T('incident_arn'), T('document_name')], ['execution_id']);
    },
  },
  {
    name: '2101_incident_rotations',
    async up(db) {
      const T = (n: string): [string, 'text', boolean] => [n, 'text', false];
      const B = (n: string): [string, 'bigint', boolean] => [n, 'bigint', false];
      await scoped(db, 'im_rotations', [T('account_id'), T('region'), T('arn'), T('name'), T('members'), B('start_time'), T('time_zone'), T('recurrence'), T('tags'), B('created_at')], ['account_id', 'region', 'arn']);
      await scoped(db, 'im_replication_sets', [T('account_id'), T('arn'), T('regions'), B('deletion_protected'), B('created_at'), T('created_by'), B('modified_at'), T('modified_by')], ['account_id']);
      await scoped(db, 'im_rotation_overrides', [T('rotation_arn'), T('override_id'), T('members'), B('start_time'), B('end_time'), B('created_at')], ['rotation_arn', 'override_id']);
    },
  },
  {
    name: '2102_incident_policies',
    async up(db) {
      const T = (n: string): [string, 'text', boolean] => [n, 'text', false];
      await scoped(db, 'im_resource_policies', [T('account_id'), T('region'), T('resource_arn'), T('policy_id'), T('document'), ['created_at', 'bigint', false]], ['account_id', 'region', 'resource_arn', 'policy_id']);
      await db.schema.alterTable('im_pages').addColumn('resolution', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    },
  },
];
