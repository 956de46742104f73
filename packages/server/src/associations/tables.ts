import type { MigrationStep } from '../store/migrations.js';

/** An association as its latest version says. Every change adds a row to association_versions. */
export interface AssociationRow {
  association_id: string;
  account_id: string;
  region: string;
  /** The document's name (Command or Automation). */
  name: string;
  /** Command or Automation: what a run is. */
  document_type: string;
  /** As given: a number, `$LATEST`, `$DEFAULT`, or '' (the default version). */
  document_version: string;
  association_version: number;
  association_name: string;
  /** The deprecated single-node form (InstanceId), else ''. */
  instance_id: string;
  /** As supplied (JSON Map<string,string[]>); `{{ssm-secure:…}}` stays a reference. */
  parameters: string;
  targets: string;
  target_maps: string;
  schedule_expression: string;
  schedule_offset: number | null;
  apply_only_at_cron_interval: number;
  max_concurrency: string;
  max_errors: string;
  compliance_severity: string;
  sync_compliance: string;
  output_location: string;
  calendar_names: string;
  duration: number | null;
  automation_target_parameter_name: string;
  dispatch_role: string;
  tags: string;
  /** Who runs it (JSON Actor): the dispatch role, or whoever created or last updated it. */
  actor: string;
  created_at: number;
  updated_at: number;
  last_execution_at: number | null;
  last_success_at: number | null;
  /** Pending | Success | Failed, from the latest finished execution. */
  status: string;
  detailed_status: string;
  /** JSON Map status → count of the latest execution's targets. */
  status_counts: string;
}

export interface VersionRow {
  association_id: string;
  version: number;
  /** The association as this version had it (JSON AssociationRow minus bookkeeping). */
  snapshot: string;
  created_at: number;
}

/** One run of an association: a command (or automation) on the nodes that matched then. */
export interface ExecutionRow {
  execution_id: string;
  association_id: string;
  account_id: string;
  region: string;
  association_version: number;
  /** Pending | InProgress | Success | Failed | Skipped */
  status: string;
  detailed_status: string;
  /** Creation | Update | Schedule | Manual | NewTarget | Boot */
  trigger: string;
  /** The command (or automation execution) chosen before it is sent, so a resend finds it. */
  command_id: string;
  automation_id: string;
  /** The nodes this run was for (JSON), fixed when it is dispatched. */
  target_ids: string;
  resource_counts: string;
  created_at: number;
  ended_at: number | null;
}

/** A node's result in one execution. */
export interface ExecutionTargetRow {
  execution_id: string;
  association_id: string;
  resource_id: string;
  resource_type: string;
  status: string;
  detailed_status: string;
  error_code: string;
  output_url: string;
  summary: string;
  updated_at: number;
}

/** The latest version each node was given: a node that matches but has no row (or an older version) is new to it. */
export interface NodeRow {
  association_id: string;
  instance_id: string;
  association_version: number;
  execution_id: string;
  at: number;
}

export type AssociationTables = {
  associations: AssociationRow;
  association_versions: VersionRow;
  association_executions: ExecutionRow;
  association_execution_targets: ExecutionTargetRow;
  association_nodes: NodeRow;
};

export const associationMigrations: MigrationStep[] = [
  {
    name: '1400_associations',
    async up(db) {
      let t = db.schema.createTable('associations').addColumn('association_id', 'text', (c) => c.primaryKey());
      for (const col of ['account_id', 'region', 'name', 'document_type', 'document_version', 'association_name', 'instance_id', 'parameters', 'targets', 'target_maps', 'schedule_expression', 'max_concurrency', 'max_errors', 'compliance_severity', 'sync_compliance', 'output_location', 'calendar_names', 'automation_target_parameter_name', 'dispatch_role', 'tags', 'actor', 'status', 'detailed_status', 'status_counts'])
        t = t.addColumn(col, 'text', (c) => c.notNull());
      t = t
        .addColumn('association_version', 'integer', (c) => c.notNull())
        .addColumn('schedule_offset', 'integer')
        .addColumn('apply_only_at_cron_interval', 'integer', (c) => c.notNull())
        .addColumn('duration', 'integer')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_execution_at', 'bigint')
        .addColumn('last_success_at', 'bigint');
      await t.execute();
      await db.schema.createIndex('associations_listing').on('associations').columns(['account_id', 'region', 'created_at']).execute();
      await db.schema
        .createTable('association_versions')
        .addColumn('association_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('association_versions_pk', ['association_id', 'version'])
        .execute();
      let e = db.schema.createTable('association_executions').addColumn('execution_id', 'text', (c) => c.primaryKey());
      for (const col of ['association_id', 'account_id', 'region', 'status', 'detailed_status', 'trigger', 'command_id', 'automation_id', 'target_ids', 'resource_counts']) e = e.addColumn(col, 'text', (c) => c.notNull());
      await e
        .addColumn('association_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .execute();
      await db.schema.createIndex('association_executions_by_association').on('association_executions').columns(['association_id', 'created_at']).execute();
      let x = db.schema.createTable('association_execution_targets');
      for (const col of ['execution_id', 'association_id', 'resource_id', 'resource_type', 'status', 'detailed_status', 'error_code', 'output_url', 'summary']) x = x.addColumn(col, 'text', (c) => c.notNull());
      await x.addColumn('updated_at', 'bigint', (c) => c.notNull()).addPrimaryKeyConstraint('association_execution_targets_pk', ['execution_id', 'resource_id'] as never).execute();
      await db.schema.createIndex('association_execution_targets_node').on('association_execution_targets').columns(['resource_id']).execute();
      await db.schema
        .createTable('association_nodes')
        .addColumn('association_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('association_version', 'integer', (c) => c.notNull())
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('association_nodes_pk', ['association_id', 'instance_id'])
        .execute();
      await db.schema.createIndex('association_nodes_node').on('association_nodes').columns(['instance_id']).execute();
    },
  },
];
