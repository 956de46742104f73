import type { MigrationStep } from '../store/migrations.js';

/**
 * A resource group. A group with a query (`query_type` TAG_FILTERS_1_0) is dynamic: its members
 * are whatever the query matches when asked. A group without one is static: it holds exactly the
 * resources GroupResources put in it (resource_group_members).
 */
export interface GroupRow {
  account_id: string;
  region: string;
  name: string;
  description: string;
  /** '' for a static group. */
  query_type: string;
  /** The query as the caller wrote it (JSON text), '' for a static group. */
  query: string;
  /** AWS's GroupConfiguration list as JSON, '' when none was given. */
  configuration: string;
  criticality: number | null;
  owner: string;
  display_name: string;
  /** JSON object of the group's own tags. */
  tags: string;
  created_at: number;
}

/** One resource of a static group. */
export interface MemberRow {
  account_id: string;
  region: string;
  group_name: string;
  resource_arn: string;
  added_at: number;
}

export type GroupTables = {
  resource_groups: GroupRow;
  resource_group_members: MemberRow;
};

export const groupMigrations: MigrationStep[] = [
  {
    name: '1950_resource_groups',
    async up(db) {
      await db.schema
        .createTable('resource_groups')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('query_type', 'text', (c) => c.notNull())
        .addColumn('query', 'text', (c) => c.notNull())
        .addColumn('configuration', 'text', (c) => c.notNull())
        .addColumn('criticality', 'integer')
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('resource_groups_pk', ['account_id', 'region', 'name'])
        .execute();
      await db.schema
        .createTable('resource_group_members')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('group_name', 'text', (c) => c.notNull())
        .addColumn('resource_arn', 'text', (c) => c.notNull())
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('resource_group_members_pk', ['account_id', 'region', 'group_name', 'resource_arn'])
        .execute();
    },
  },
];
