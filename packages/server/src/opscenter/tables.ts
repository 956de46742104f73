import type { Kysely } from 'kysely';
import type { AnyDb } from '../store/database.js';
import type { MigrationStep } from '../store/migrations.js';

/** One OpsItem; JSON columns hold the AWS shapes as given, times are clock milliseconds. */
export interface OpsItemRow {
  account_id: string;
  region: string;
  ops_item_id: string;
  ops_item_type: string;
  title: string;
  description: string;
  source: string;
  status: string;
  priority: number | null;
  severity: string;
  category: string;
  /** JSON Map<string, {Value, Type}>. */
  operational_data: string;
  /** JSON [{Arn}]. */
  notifications: string;
  /** JSON [{OpsItemId}]. */
  related_ops_items: string;
  /** The `/aws/dedup` string while it may still absorb repeats, '' otherwise. */
  dedup: string;
  /** How many creations the dedup string folded into this item, itself included. */
  occurrences: number;
  created_by: string;
  created_at: number;
  modified_by: string;
  modified_at: number;
  version: string;
  planned_start: number | null;
  planned_end: number | null;
  actual_start: number | null;
  actual_end: number | null;
  /** JSON object. */
  tags: string;
}

/** What happened to an OpsItem (ListOpsItemEvents): its changes and the Capstan events that raised it. */
export interface OpsItemEventRow {
  account_id: string;
  region: string;
  ops_item_id: string;
  event_id: string;
  source: string;
  detail_type: string;
  /** JSON object. */
  detail: string;
  created_by: string;
  created_at: number;
}

export interface OpsItemRelatedRow {
  account_id: string;
  region: string;
  ops_item_id: string;
  association_id: string;
  association_type: string;
  resource_type: string;
  resource_uri: string;
  created_by: string;
  created_at: number;
}

export interface OpsMetadataRow {
  account_id: string;
  region: string;
  resource_id: string;
  arn: string;
  /** JSON Map<string, {Value}>. */
  metadata: string;
  tags: string;
  created_at: number;
  modified_at: number;
  modified_by: string;
}

/** An operator's choices for one automatic-creation rule; absent rows mean the defaults. */
export interface OpsRuleRow {
  account_id: string;
  region: string;
  rule_name: string;
  enabled: number;
  threshold_ms: number | null;
  /** JSON string[]: runbooks suggested on the items the rule creates. */
  runbooks: string;
  modified_at: number;
}

export type OpsTables = {
  ops_items: OpsItemRow;
  ops_item_events: OpsItemEventRow;
  ops_item_related: OpsItemRelatedRow;
  ops_metadata: OpsMetadataRow;
  opscenter_rules: OpsRuleRow;
};

export const opsTables = (db: AnyDb): Kysely<OpsTables> => db.withTables<OpsTables>();

export const opsMigrations: MigrationStep[] = [
  {
    name: '0960_opscenter',
    async up(db) {
      await db.schema
        .createTable('ops_items')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('ops_item_id', 'text', (c) => c.notNull())
        .addColumn('ops_item_type', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer')
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('operational_data', 'text', (c) => c.notNull())
        .addColumn('notifications', 'text', (c) => c.notNull())
        .addColumn('related_ops_items', 'text', (c) => c.notNull())
        .addColumn('dedup', 'text', (c) => c.notNull())
        .addColumn('occurrences', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_by', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('planned_start', 'bigint')
        .addColumn('planned_end', 'bigint')
        .addColumn('actual_start', 'bigint')
        .addColumn('actual_end', 'bigint')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ops_items_pk', ['account_id', 'region', 'ops_item_id'])
        .execute();
      await db.schema.createIndex('ops_items_dedup').on('ops_items').columns(['account_id', 'region', 'dedup']).execute();
      await db.schema
        .createTable('ops_item_events')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('ops_item_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('detail_type', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ops_item_events_pk', ['account_id', 'region', 'event_id'])
        .execute();
      await db.schema.createIndex('ops_item_events_item').on('ops_item_events').columns(['account_id', 'region', 'ops_item_id']).execute();
      await db.schema
        .createTable('ops_item_related')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('ops_item_id', 'text', (c) => c.notNull())
        .addColumn('association_id', 'text', (c) => c.notNull())
        .addColumn('association_type', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('resource_uri', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ops_item_related_pk', ['account_id', 'region', 'association_id'])
        .addUniqueConstraint('ops_item_related_uri', ['account_id', 'region', 'ops_item_id', 'resource_uri'])
        .execute();
      await db.schema
        .createTable('ops_metadata')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('arn', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ops_metadata_pk', ['account_id', 'region', 'arn'])
        .execute();
      await db.schema
        .createTable('opscenter_rules')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('rule_name', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('threshold_ms', 'bigint')
        .addColumn('runbooks', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('opscenter_rules_pk', ['account_id', 'region', 'rule_name'])
        .execute();
    },
  },
];
