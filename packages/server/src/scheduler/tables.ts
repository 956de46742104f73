import type { MigrationStep } from '../store/migrations.js';

export interface JobRow {
  id: string;
  kind: string;
  /** Optional dedupe key: at most one live job per (kind, key). */
  dedupe_key: string | null;
  payload: string;
  due_at: number;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
}

export type SchedulerTables = {
  scheduler_jobs: JobRow;
};

export const schedulerMigrations: MigrationStep[] = [
  {
    name: '0400_scheduler_jobs',
    async up(db) {
      await db.schema
        .createTable('scheduler_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('scheduler_jobs_dedupe', ['kind', 'dedupe_key'])
        .execute();
      await db.schema.createIndex('scheduler_jobs_due').on('scheduler_jobs').columns(['due_at']).execute();
    },
  },
];
