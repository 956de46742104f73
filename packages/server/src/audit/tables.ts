import { sql, type CreateTableBuilder } from 'kysely';
import type { MigrationStep } from '../store/migrations.js';

export interface AuditEventRow {
  event_id: string;
  request_id: string;
  /** '' when the caller could not be identified (unknown access key, no signature). */
  account_id: string;
  region: string;
  event_time: number;
  event_source: string;
  event_name: string;
  read_only: number;
  principal_arn: string;
  principal_id: string;
  principal_type: string;
  username: string;
  access_key_id: string;
  source_ip: string;
  user_agent: string;
  error_code: string | null;
  error_message: string | null;
  /** JSON, with secrets replaced before it is built. */
  request_parameters: string;
  /** JSON list of { type, name }: what the call touched, as LookupEvents shows it. */
  resources: string;
}

/** One row per resource of a call, only to find calls by resource; the event carries its own list. */
export interface AuditResourceRow {
  event_id: string;
  account_id: string;
  event_time: number;
  resource_type: string;
  resource_name: string;
}

export type AuditTables = {
  audit_events: AuditEventRow;
  audit_resources: AuditResourceRow;
};

/**
 * The trail is written at the API's own rate, so each table is one B-tree: the primary key is
 * how it is read (an account's events, newest first; a resource's calls), and SQLite stores the
 * rows in it (WITHOUT ROWID). Event ids are time-ordered UUIDs, so an EventId lookup finds its
 * time without an index of its own.
 */
export const auditMigrations: MigrationStep[] = [
  {
    name: '0200_audit_events',
    async up(db, engine) {
      const clustered = <B extends CreateTableBuilder<string, string>>(b: B): CreateTableBuilder<string, string> => (engine === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b);
      await clustered(
        db.schema
          .createTable('audit_events')
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('event_time', 'bigint', (c) => c.notNull())
          .addColumn('event_source', 'text', (c) => c.notNull())
          .addColumn('event_name', 'text', (c) => c.notNull())
          .addColumn('read_only', 'integer', (c) => c.notNull())
          .addColumn('principal_arn', 'text', (c) => c.notNull())
          .addColumn('principal_id', 'text', (c) => c.notNull())
          .addColumn('principal_type', 'text', (c) => c.notNull())
          .addColumn('username', 'text', (c) => c.notNull())
          .addColumn('access_key_id', 'text', (c) => c.notNull())
          .addColumn('source_ip', 'text', (c) => c.notNull())
          .addColumn('user_agent', 'text', (c) => c.notNull())
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('request_parameters', 'text', (c) => c.notNull())
          .addColumn('resources', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('audit_events_pk', ['account_id', 'region', 'event_time', 'event_id']),
      ).execute();
      await clustered(
        db.schema
          .createTable('audit_resources')
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('event_time', 'bigint', (c) => c.notNull())
          .addColumn('resource_type', 'text', (c) => c.notNull())
          .addColumn('resource_name', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('audit_resources_pk', ['account_id', 'resource_name', 'event_time', 'event_id']),
      ).execute();
    },
  },
];
