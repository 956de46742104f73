import type { Kysely } from 'kysely';
import { createChangeNotice } from '../cluster/change-notice.js';
import { RULE_CHANGED_TOPIC } from './patterned.js';
import type { AnyDb } from '../store/database.js';
import type { MigrationStep } from '../store/migrations.js';

/** A rule of the account's default event bus (the only bus Capstan has). */
export interface RuleRow {
  account_id: string;
  region: string;
  name: string;
  arn: string;
  /** The pattern as the caller wrote it; '' for a schedule-only rule. */
  event_pattern: string;
  schedule_expression: string;
  state: string;
  description: string;
  role_arn: string;
  /** JSON object. */
  tags: string;
  created_at: number;
  updated_at: number;
}

export interface TargetRow {
  account_id: string;
  region: string;
  rule_name: string;
  target_id: string;
  arn: string;
  /** The Target structure as accepted (JSON): what ListTargetsByRule echoes and a firing snapshots. */
  target: string;
  created_at: number;
}

export interface ConnectionRow {
  account_id: string;
  region: string;
  name: string;
  arn: string;
  description: string;
  authorization_type: string;
  state: string;
  /** AuthParameters less every secret (JSON): what DescribeConnection shows. */
  auth_public: string;
  /** The whole AuthParameters, sealed under the root key and bound to the connection's ARN. */
  auth_sealed: string;
  created_at: number;
  updated_at: number;
  authorized_at: number;
}

export interface ApiDestinationRow {
  account_id: string;
  region: string;
  name: string;
  arn: string;
  description: string;
  connection_arn: string;
  endpoint: string;
  http_method: string;
  rate_limit: number | null;
  state: string;
  created_at: number;
  updated_at: number;
}

/** One target's handling of one event: made with the event, finished by its job. */
export interface FiringRow {
  firing_id: string;
  account_id: string;
  region: string;
  rule_name: string;
  rule_arn: string;
  target_id: string;
  target_arn: string;
  /** The target as it was when the event matched (JSON). */
  target: string;
  event_id: string;
  event_source: string;
  event_detail_type: string;
  /** The event in EventBridge's shape (JSON). */
  event: string;
  created_at: number;
  /** PENDING, SUCCEEDED or FAILED. */
  status: string;
  attempts: number;
  finished_at: number | null;
  execution_id: string;
  command_id: string;
  http_status: number | null;
  error_code: string;
  error_message: string;
}

export type RuleTables = {
  event_rules: RuleRow;
  event_targets: TargetRow;
  event_connections: ConnectionRow;
  event_api_destinations: ApiDestinationRow;
  event_rule_firings: FiringRow;
};

export const ruleTables = (db: AnyDb): Kysely<RuleTables> => db.withTables<RuleTables>();

export const ruleMigrations: MigrationStep[] = [
  {
    name: '1300_event_rules',
    async up(db) {
      await db.schema
        .createTable('event_rules')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('arn', 'text', (c) => c.notNull())
        .addColumn('event_pattern', 'text', (c) => c.notNull())
        .addColumn('schedule_expression', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('role_arn', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_rules_pk', ['account_id', 'region', 'name'])
        .execute();
      await db.schema
        .createTable('event_targets')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('rule_name', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('arn', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_targets_pk', ['account_id', 'region', 'rule_name', 'target_id'])
        .execute();
      // ListRuleNamesByTarget.
      await db.schema.createIndex('event_targets_by_arn').on('event_targets').columns(['arn', 'account_id', 'region']).execute();
      await db.schema
        .createTable('event_connections')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('arn', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('authorization_type', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('auth_public', 'text', (c) => c.notNull())
        .addColumn('auth_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('authorized_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_connections_pk', ['account_id', 'region', 'name'])
        .execute();
      await db.schema
        .createTable('event_api_destinations')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('arn', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('connection_arn', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('http_method', 'text', (c) => c.notNull())
        .addColumn('rate_limit', 'integer')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_api_destinations_pk', ['account_id', 'region', 'name'])
        .execute();
      await db.schema
        .createTable('event_rule_firings')
        .addColumn('firing_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('rule_name', 'text', (c) => c.notNull())
        .addColumn('rule_arn', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('target_arn', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event_source', 'text', (c) => c.notNull())
        .addColumn('event_detail_type', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('command_id', 'text', (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('error_code', 'text', (c) => c.notNull())
        .addColumn('error_message', 'text', (c) => c.notNull())
        .execute();
      // One firing per event and target, however often the event is looked at.
      await db.schema.createIndex('event_rule_firings_once').on('event_rule_firings').columns(['event_id', 'rule_arn', 'target_id']).unique().execute();
      await db.schema.createIndex('event_rule_firings_by_time').on('event_rule_firings').columns(['account_id', 'region', 'created_at']).execute();
      await db.schema.createIndex('event_rule_firings_by_rule').on('event_rule_firings').columns(['account_id', 'region', 'rule_name', 'created_at']).execute();
    },
  },
  {
    // Replicas keep each account's patterned rules in memory (patterned.ts) and hear of every committed change.
    name: '1301_event_rule_change_notice',
    async up(db, engine) {
      if (engine !== 'postgres') return;
      await createChangeNotice(db, { fn: 'capstan_event_rule_changed', trigger: 'event_rules_changed', table: 'event_rules', topic: RULE_CHANGED_TOPIC, fields: { a: 'account_id', r: 'region' } });
    },
  },
];
