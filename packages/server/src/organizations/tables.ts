import type { MigrationStep } from '../store/migrations.js';

/** The server's organisation: its management account. One row at most (docs/organizations.md). */
export interface OrganizationRow {
  organization_id: string;
  management_account_id: string;
  created_at: number;
}

/** A member account; an account belongs to at most one organisation. */
export interface OrganizationMemberRow {
  account_id: string;
  organization_id: string;
  joined_at: number;
}

export type OrganizationTables = { organizations: OrganizationRow; organization_members: OrganizationMemberRow };

export const organizationMigrations: MigrationStep[] = [
  {
    name: '2250_organizations',
    async up(db) {
      await db.schema
        .createTable('organizations')
        .addColumn('organization_id', 'text', (c) => c.primaryKey())
        .addColumn('management_account_id', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('organization_members')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
