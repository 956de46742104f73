import type { Kysely } from 'kysely';
import type { MigrationStep } from '../store/migrations.js';

/** A maintenance window: when it opens, for how long, and when it stops starting new tasks. */
export interface WindowRow {
  window_id: string;
  account_id: string;
  region: string;
  name: string;
  description: string;
  schedule: string;
  /** IANA zone the schedule is read in; '' is UTC. */
  schedule_timezone: string;
  schedule_offset: number | null;
  duration: number;
  cutoff: number;
  allow_unassociated_targets: number;
  enabled: number;
  /** As given (ISO-8601), '' when not set; start_at/end_at are the instants they name. */
  start_date: string;
  end_date: string;
  start_at: number | null;
  end_at: number | null;
  /** Where rate() counts its intervals from when no StartDate is given: when the schedule was last set. */
  anchor_at: number;
  client_token: string;
  request_hash: string;
  tags: string;
  created_at: number;
  updated_at: number;
}

/** Nodes registered with a window, named by Targets (InstanceIds, tag:KEY, tag-key). */
export interface TargetRow {
  window_target_id: string;
  window_id: string;
  account_id: string;
  region: string;
  resource_type: string;
  targets: string;
  owner_information: string;
  name: string;
  description: string;
  client_token: string;
  request_hash: string;
  created_at: number;
}

export interface TaskRow {
  window_task_id: string;
  window_id: string;
  account_id: string;
  region: string;
  task_arn: string;
  task_type: string;
  targets: string;
  service_role_arn: string;
  /** Deprecated TaskParameters (JSON Map name → {Values}); `{{ssm-secure:…}}` stays a reference. */
  task_parameters: string;
  invocation_parameters: string;
  priority: number;
  max_concurrency: string;
  max_errors: string;
  logging_info: string;
  name: string;
  description: string;
  cutoff_behavior: string;
  /** Who the task acts as (JSON Actor): its ServiceRoleArn, or whoever registered or last updated it. */
  actor: string;
  client_token: string;
  request_hash: string;
  created_at: number;
  updated_at: number;
}

/** One opening of a window: its tasks run by priority between start_time and cutoff_at. */
export interface ExecutionRow {
  window_execution_id: string;
  window_id: string;
  account_id: string;
  region: string;
  /** PENDING | IN_PROGRESS | SUCCESS | FAILED | TIMED_OUT | CANCELLING | CANCELLED | SKIPPED_OVERLAPPING */
  status: string;
  status_details: string;
  /** The schedule's start this execution is for; start_time is when it actually began. */
  scheduled_at: number;
  start_time: number;
  end_time: number | null;
  cutoff_at: number;
  window_end_at: number;
  cancel_requested: number;
  created_at: number;
}

/** A task as one execution ran it: the definition is copied at the start, so later edits do not change a run. */
export interface TaskExecutionRow {
  task_execution_id: string;
  window_execution_id: string;
  window_id: string;
  window_task_id: string;
  priority: number;
  task_type: string;
  task_arn: string;
  /** JSON TaskRow as it was when the execution started. */
  definition: string;
  status: string;
  status_details: string;
  start_time: number | null;
  end_time: number | null;
  /** Invocations stopped or never started because the window's time ran out. */
  cut: number;
  created_at: number;
}

/** A task on one target (or a targetless task's single run): one command, automation or webhook call. */
export interface InvocationRow {
  invocation_id: string;
  task_execution_id: string;
  window_execution_id: string;
  seq: number;
  task_type: string;
  resource_id: string;
  window_target_id: string;
  owner_information: string;
  /**
   * Chosen before anything is sent, so a repeated start finds what the first one started: the
   * command id, the automation's ClientToken, or the webhook's request id.
   */
  token: string;
  /** What AWS calls ExecutionId: the command id or automation execution id; '' until known. */
  execution_id: string;
  /** JSON of what was (or will be) sent, pseudo-parameters filled in. */
  parameters: string;
  status: string;
  status_details: string;
  start_time: number | null;
  end_time: number | null;
  attempts: number;
}

export type MaintenanceTables = {
  maintenance_windows: WindowRow;
  maintenance_window_targets: TargetRow;
  maintenance_window_tasks: TaskRow;
  maintenance_window_executions: ExecutionRow;
  maintenance_window_task_executions: TaskExecutionRow;
  maintenance_window_invocations: InvocationRow;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function table(db: Kysely<any>, name: string, key: string, texts: string[], ints: string[], bigints: string[], nullableBigints: string[] = [], nullableInts: string[] = []): Promise<void> {
  let t = db.schema.createTable(name).addColumn(key, 'text', (c) => c.primaryKey());
  for (const col of texts) t = t.addColumn(col, 'text', (c) => c.notNull());
  for (const col of ints) t = t.addColumn(col, 'integer', (c) => c.notNull());
  for (const col of nullableInts) t = t.addColumn(col, 'integer');
  for (const col of bigints) t = t.addColumn(col, 'bigint', (c) => c.notNull());
  for (const col of nullableBigints) t = t.addColumn(col, 'bigint');
  await t.execute();
}

export const maintenanceMigrations: MigrationStep[] = [
  {
    name: '1500_maintenance_windows',
    async up(db) {
      await table(
        db,
        'maintenance_windows',
        'window_id',
        ['account_id', 'region', 'name', 'description', 'schedule', 'schedule_timezone', 'start_date', 'end_date', 'client_token', 'request_hash', 'tags'],
        ['duration', 'cutoff', 'allow_unassociated_targets', 'enabled'],
        ['anchor_at', 'created_at', 'updated_at'],
        ['start_at', 'end_at'],
        ['schedule_offset'],
      );
      await db.schema.createIndex('maintenance_windows_listing').on('maintenance_windows').columns(['account_id', 'region', 'created_at']).execute();
      await table(db, 'maintenance_window_targets', 'window_target_id', ['window_id', 'account_id', 'region', 'resource_type', 'targets', 'owner_information', 'name', 'description', 'client_token', 'request_hash'], [], ['created_at']);
      await db.schema.createIndex('maintenance_window_targets_window').on('maintenance_window_targets').columns(['window_id', 'created_at']).execute();
      await table(
        db,
        'maintenance_window_tasks',
        'window_task_id',
        ['window_id', 'account_id', 'region', 'task_arn', 'task_type', 'targets', 'service_role_arn', 'task_parameters', 'invocation_parameters', 'max_concurrency', 'max_errors', 'logging_info', 'name', 'description', 'cutoff_behavior', 'actor', 'client_token', 'request_hash'],
        ['priority'],
        ['created_at', 'updated_at'],
      );
      await db.schema.createIndex('maintenance_window_tasks_window').on('maintenance_window_tasks').columns(['window_id', 'priority']).execute();
      await table(db, 'maintenance_window_executions', 'window_execution_id', ['window_id', 'account_id', 'region', 'status', 'status_details'], ['cancel_requested'], ['scheduled_at', 'start_time', 'cutoff_at', 'window_end_at', 'created_at'], ['end_time']);
      await db.schema.createIndex('maintenance_window_executions_window').on('maintenance_window_executions').columns(['window_id', 'start_time']).execute();
      await table(
        db,
        'maintenance_window_task_executions',
        'task_execution_id',
        ['window_execution_id', 'window_id', 'window_task_id', 'task_type', 'task_arn', 'definition', 'status', 'status_details'],
        ['priority', 'cut'],
        ['created_at'],
        ['start_time', 'end_time'],
      );
      await db.schema.createIndex('maintenance_window_task_executions_execution').on('maintenance_window_task_executions').columns(['window_execution_id', 'priority']).execute();
      await table(
        db,
        'maintenance_window_invocations',
        'invocation_id',
        ['task_execution_id', 'window_execution_id', 'task_type', 'resource_id', 'window_target_id', 'owner_information', 'token', 'execution_id', 'parameters', 'status', 'status_details'],
        ['seq', 'attempts'],
        [],
        ['start_time', 'end_time'],
      );
      await db.schema.createIndex('maintenance_window_invocations_task').on('maintenance_window_invocations').columns(['task_execution_id', 'seq']).execute();
      await db.schema.createIndex('maintenance_window_invocations_token').on('maintenance_window_invocations').columns(['token']).execute();
    },
  },
];
