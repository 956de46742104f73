import type { MigrationStep } from '../store/migrations.js';

export interface ThrottleLimitRow {
  account_id: string;
  /** `<service>:<read|write>`, e.g. `ssm:read`. */
  family: string;
  rate: number;
  burst: number;
}

export type ThrottleTables = {
  throttle_limits: ThrottleLimitRow;
};

export const throttleMigrations: MigrationStep[] = [
  {
    name: '0300_throttle_limits',
    async up(db) {
      await db.schema
        .createTable('throttle_limits')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('rate', 'integer', (c) => c.notNull())
        .addColumn('burst', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('throttle_limits_pk', ['account_id', 'family'])
        .execute();
    },
  },
];
