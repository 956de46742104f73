import type { MigrationStep } from '../store/migrations.js';

/** A domain event, shaped like an EventBridge event: what happened, to what, when. */
export interface EventRow {
  id: string;
  account_id: string;
  region: string;
  time: number;
  /** e.g. `aws.ssm` */
  source: string;
  /** e.g. `Parameter Store Policy Action` */
  detail_type: string;
  /** JSON array of ARNs. */
  resources: string;
  /** JSON object. */
  detail: string;
}

export type EventTables = {
  events: EventRow;
};

export const eventMigrations: MigrationStep[] = [
  {
    name: '0050_events',
    async up(db) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('detail_type', 'text', (c) => c.notNull())
        .addColumn('resources', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_account_time').on('events').columns(['account_id', 'region', 'time']).execute();
    },
  },
  {
    // Old events are pruned across every account (EventLog.prune).
    name: '0051_events_by_time',
    async up(db) {
      await db.schema.createIndex('events_by_time').on('events').column('time').execute();
    },
  },
];
