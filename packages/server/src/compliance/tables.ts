import type { MigrationStep } from '../store/migrations.js';

/**
 * One compliance item of one type on one resource. `item_key` tells items apart: `id:` and the
 * item's Id, or `n:` and its place in the upload for an item sent without an Id.
 */
export interface ComplianceItemRow {
  account_id: string;
  region: string;
  resource_id: string;
  resource_type: string;
  compliance_type: string;
  item_key: string;
  /** The item's Id, '' when it was sent without one. */
  item_id: string;
  /** Order of the items as uploaded (a PARTIAL upload adds new items after the rest). */
  seq: number;
  title: string;
  status: string;
  severity: string;
  /** CRITICAL 5 … UNSPECIFIED 0, so severities compare and sort in SQL. */
  severity_rank: number;
  /** JSON object of the item's Details, or ''. */
  details: string;
  execution_id: string;
  execution_type: string;
  /** Epoch ms. */
  execution_time: number;
  /** JSON bytes of the item as received. */
  size: number;
}

/**
 * The compliance of one resource for one type, kept with its items so summaries are read, not
 * computed from every item: status, the severity that decides it, and counts per severity.
 */
export interface ComplianceSummaryRow {
  account_id: string;
  region: string;
  resource_id: string;
  resource_type: string;
  compliance_type: string;
  /** COMPLIANT unless an item is NON_COMPLIANT. */
  status: string;
  overall_severity: string;
  overall_rank: number;
  /** JSON { CRITICAL: n, … } of the compliant items. */
  compliant_counts: string;
  non_compliant_counts: string;
  content_hash: string;
  execution_id: string;
  execution_type: string;
  execution_time: number;
  updated_at: number;
}

export type ComplianceTables = {
  compliance_items: ComplianceItemRow;
  compliance_summaries: ComplianceSummaryRow;
};

export const complianceMigrations: MigrationStep[] = [
  {
    name: '1800_compliance',
    async up(db) {
      await db.schema
        .createTable('compliance_items')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('compliance_type', 'text', (c) => c.notNull())
        .addColumn('item_key', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('severity_rank', 'integer', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('execution_type', 'text', (c) => c.notNull())
        .addColumn('execution_time', 'bigint', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('compliance_items_pk', ['account_id', 'region', 'resource_id', 'compliance_type', 'item_key'])
        .execute();
      // Fleet-wide questions ("which nodes miss this patch") start from the type and the item.
      await db.schema.createIndex('compliance_items_by_item').on('compliance_items').columns(['account_id', 'region', 'compliance_type', 'item_id']).execute();
      await db.schema
        .createTable('compliance_summaries')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('compliance_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('overall_severity', 'text', (c) => c.notNull())
        .addColumn('overall_rank', 'integer', (c) => c.notNull())
        .addColumn('compliant_counts', 'text', (c) => c.notNull())
        .addColumn('non_compliant_counts', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('execution_type', 'text', (c) => c.notNull())
        .addColumn('execution_time', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('compliance_summaries_pk', ['account_id', 'region', 'resource_id', 'compliance_type'])
        .execute();
      await db.schema.createIndex('compliance_summaries_by_type').on('compliance_summaries').columns(['account_id', 'region', 'compliance_type', 'status']).execute();
    },
  },
];
