import type { Kysely } from 'kysely';
import type { AnyDb } from '../store/database.js';
import type { MigrationStep } from '../store/migrations.js';

/**
 * A link a node's job carries to fetch one package file: the token is the credential (only its
 * hash is kept), good for that node and that file until it expires.
 */
export interface PackageDownloadRow {
  token_hash: string;
  account_id: string;
  region: string;
  instance_id: string;
  sha256: string;
  expires_at: number;
}

export type DistributorTables = {
  package_downloads: PackageDownloadRow;
};

export const tablesOf = (db: AnyDb): Kysely<DistributorTables> => db.withTables<DistributorTables>();

export const distributorMigrations: MigrationStep[] = [
  {
    name: '1850_distributor',
    async up(db) {
      await db.schema
        .createTable('package_downloads')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('package_downloads_expiry').on('package_downloads').column('expires_at').execute();
    },
  },
];
