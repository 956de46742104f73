import type { MigrationStep } from '../store/migrations.js';

/** A baseline an account created (the predefined ones live in code: predefined.ts). */
export interface PatchBaselineRow {
  account_id: string;
  region: string;
  baseline_id: string;
  name: string;
  operating_system: string;
  description: string;
  /** JSON of the baseline's rules (BaselineBody without Name, Description, OperatingSystem). */
  body: string;
  /** JSON object of tags. */
  tags: string;
  client_token: string;
  request_hash: string;
  created_at: number;
  modified_at: number;
}

/** The account's default baseline for a system, when it registered one (else the predefined one). */
export interface PatchDefaultRow {
  account_id: string;
  region: string;
  operating_system: string;
  baseline_id: string;
}

/** A patch group mapped to a baseline: one baseline per group and operating system. */
export interface PatchGroupRow {
  account_id: string;
  region: string;
  patch_group: string;
  operating_system: string;
  baseline_id: string;
}

/** A node's InstancePatchState as its last report gave it (replaced whole by the next). */
export interface PatchStateRow {
  account_id: string;
  region: string;
  instance_id: string;
  patch_group: string;
  baseline_id: string;
  command_id: string;
  /** JSON PatchSummary. */
  summary: string;
  installed_count: number;
  installed_other_count: number;
  installed_pending_reboot_count: number;
  installed_rejected_count: number;
  missing_count: number;
  failed_count: number;
  not_applicable_count: number;
  critical_non_compliant_count: number;
  security_non_compliant_count: number;
  other_non_compliant_count: number;
  operation_end_time: number;
  reported_at: number;
}

/** One patch of a node's last report (AWS's PatchComplianceData and the package facts). */
export interface InstancePatchRow {
  account_id: string;
  region: string;
  instance_id: string;
  seq: number;
  kb_id: string;
  state: string;
  classification: string;
  severity: string;
  /** JSON PatchRecord. */
  data: string;
}

/** Capstan's patch catalogue: every package version some node reported, by product. */
export interface PatchCatalogRow {
  account_id: string;
  region: string;
  operating_system: string;
  product: string;
  name: string;
  arch: string;
  version: string;
  classification: string;
  severity: string;
  /** JSON PatchRecord without the node's state. */
  data: string;
  release_date: number | null;
  updated_at: number;
}

/** A snapshot GetDeployablePatchSnapshotForInstance made, downloadable once its token is shown. */
export interface PatchSnapshotRow {
  token_hash: string;
  account_id: string;
  region: string;
  instance_id: string;
  snapshot_id: string;
  /** JSON PatchBaselineSnapshot. */
  body: string;
  expires_at: number;
}

export type PatchingTables = {
  patch_baselines: PatchBaselineRow;
  patch_defaults: PatchDefaultRow;
  patch_groups: PatchGroupRow;
  patch_states: PatchStateRow;
  instance_patches: InstancePatchRow;
  patch_catalog: PatchCatalogRow;
  patch_snapshots: PatchSnapshotRow;
};

const COUNTS = ['installed_count', 'installed_other_count', 'installed_pending_reboot_count', 'installed_rejected_count', 'missing_count', 'failed_count', 'not_applicable_count', 'critical_non_compliant_count', 'security_non_compliant_count', 'other_non_compliant_count'] as const;

export const patchingMigrations: MigrationStep[] = [
  {
    name: '1700_patching',
    async up(db) {
      await db.schema
        .createTable('patch_baselines')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('baseline_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('operating_system', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('client_token', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('patch_baselines_pk', ['account_id', 'region', 'baseline_id'])
        .execute();
      await db.schema
        .createTable('patch_defaults')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('operating_system', 'text', (c) => c.notNull())
        .addColumn('baseline_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('patch_defaults_pk', ['account_id', 'region', 'operating_system'])
        .execute();
      await db.schema
        .createTable('patch_groups')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('patch_group', 'text', (c) => c.notNull())
        .addColumn('operating_system', 'text', (c) => c.notNull())
        .addColumn('baseline_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('patch_groups_pk', ['account_id', 'region', 'patch_group', 'operating_system'])
        .execute();
      let states = db.schema
        .createTable('patch_states')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('patch_group', 'text', (c) => c.notNull())
        .addColumn('baseline_id', 'text', (c) => c.notNull())
        .addColumn('command_id', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull());
      for (const k of COUNTS) states = states.addColumn(k, 'integer', (c) => c.notNull());
      await states
        .addColumn('operation_end_time', 'bigint', (c) => c.notNull())
        .addColumn('reported_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('patch_states_pk', ['account_id', 'region', 'instance_id'])
        .execute();
      await db.schema.createIndex('patch_states_group').on('patch_states').columns(['account_id', 'region', 'patch_group']).execute();
      await db.schema
        .createTable('instance_patches')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('kb_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('classification', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('instance_patches_pk', ['account_id', 'region', 'instance_id', 'seq'])
        .execute();
      await db.schema
        .createTable('patch_catalog')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('operating_system', 'text', (c) => c.notNull())
        .addColumn('product', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('arch', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('classification', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('release_date', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('patch_catalog_pk', ['account_id', 'region', 'operating_system', 'product', 'name', 'arch', 'version'])
        .execute();
      await db.schema
        .createTable('patch_snapshots')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
