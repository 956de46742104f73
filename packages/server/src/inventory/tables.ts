import type { MigrationStep } from '../store/migrations.js';

/** One inventory type as a node last reported it (the item's envelope; entries are separate rows). */
export interface InventoryItemRow {
  account_id: string;
  region: string;
  instance_id: string;
  type_name: string;
  schema_version: string;
  capture_time: string;
  content_hash: string;
  /** JSON object of the item's Context, or ''. */
  context: string;
  /** Byte size of the item as received. */
  size: number;
  updated_at: number;
}

/**
 * One entry of an item, a row each so fleet-wide filters (`AWS:Application.Name = openssl`)
 * run on indexed columns; `name` and `version` hold the entry's Name (or Key) and Version
 * attributes when it has them, `data` the whole entry as JSON.
 */
export interface InventoryEntryRow {
  account_id: string;
  region: string;
  instance_id: string;
  type_name: string;
  seq: number;
  name: string;
  version: string;
  data: string;
}

/** A custom type's schema as first seen (attribute names), and whether DeleteInventory disabled it. */
export interface InventorySchemaRow {
  account_id: string;
  region: string;
  type_name: string;
  schema_version: string;
  attributes: string;
  disabled: number;
}

export interface InventoryDeletionRow {
  account_id: string;
  region: string;
  deletion_id: string;
  type_name: string;
  started_at: number;
  status: string;
  /** JSON: { TotalCount, RemainingCount, SummaryItems } */
  summary: string;
  last_status_message: string;
  updated_at: number;
}

export type InventoryTables = {
  inventory_items: InventoryItemRow;
  inventory_entries: InventoryEntryRow;
  inventory_schemas: InventorySchemaRow;
  inventory_deletions: InventoryDeletionRow;
};

export const inventoryMigrations: MigrationStep[] = [
  {
    name: '1600_inventory',
    async up(db) {
      await db.schema
        .createTable('inventory_items')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('type_name', 'text', (c) => c.notNull())
        .addColumn('schema_version', 'text', (c) => c.notNull())
        .addColumn('capture_time', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('context', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_items_pk', ['account_id', 'region', 'instance_id', 'type_name'])
        .execute();
      await db.schema.createIndex('inventory_items_type').on('inventory_items').columns(['account_id', 'region', 'type_name']).execute();
      await db.schema
        .createTable('inventory_entries')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('type_name', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_entries_pk', ['account_id', 'region', 'instance_id', 'type_name', 'seq'])
        .execute();
      await db.schema.createIndex('inventory_entries_name').on('inventory_entries').columns(['account_id', 'region', 'type_name', 'name']).execute();
      await db.schema
        .createTable('inventory_schemas')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('type_name', 'text', (c) => c.notNull())
        .addColumn('schema_version', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_schemas_pk', ['account_id', 'region', 'type_name'])
        .execute();
      await db.schema
        .createTable('inventory_deletions')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('deletion_id', 'text', (c) => c.notNull())
        .addColumn('type_name', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('last_status_message', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_deletions_pk', ['account_id', 'region', 'deletion_id'])
        .execute();
    },
  },
];
