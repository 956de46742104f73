import type { MigrationStep } from '../store/migrations.js';

/** One automation execution: the runbook it runs (fixed at start), where it is, and what it produced. */
export interface ExecutionRow {
  execution_id: string;
  account_id: string;
  region: string;
  document_name: string;
  document_version: string;
  /** The runbook's parsed content as it was at start (JSON), so edits to the document never change a running execution. */
  runbook: string;
  /** The runbook's parameter declarations (JSON). */
  declarations: string;
  mode: string;
  /** AutomationExecutionStatus. */
  status: string;
  /** Parameters as supplied, defaults added (JSON Map<string,string[]>); `{{ssm-secure:…}}` stays a reference. */
  parameters: string;
  /** Runbook outputs once it ends (JSON Map<string,string[]>). */
  outputs: string;
  /** Runbook variables as aws:updateVariable left them (JSON name → value). */
  variables: string;
  current_step: string;
  current_action: string;
  executed_by: string;
  /** Who the steps act as (JSON Actor). */
  actor: string;
  assume_role: string;
  parent_id: string | null;
  /** The step of the parent that started this one (aws:executeAutomation or a rate-control target). */
  parent_step_seq: number | null;
  target_parameter_name: string;
  targets: string;
  target_maps: string;
  max_concurrency: string;
  max_errors: string;
  /** This execution's own target value (a child of a rate-controlled parent). */
  target: string;
  resolved_targets: string;
  failure_message: string;
  /** Cancel or Complete, once StopAutomationExecution asked. */
  stop_requested: string;
  client_token: string | null;
  automation_type: string;
  automation_subtype: string;
  change_request_name: string;
  scheduled_time: number | null;
  runbooks: string;
  tags: string;
  /** Step rows written so far: the next step row's seq. */
  next_seq: number;
  /** The step row being worked on (a loop's inner step while the loop runs); null before the first and after the end. */
  current_seq: number | null;
  /** Set (under the row's lock) when something asked the execution to advance while its job may be running. */
  wake_at: number | null;
  started_at: number;
  ended_at: number | null;
}

/** One step execution. Loop iterations and rate-control targets each add rows. */
export interface StepRow {
  execution_id: string;
  seq: number;
  step_execution_id: string;
  step_name: string;
  action: string;
  /** AutomationExecutionStatus of the step. */
  status: string;
  /** The step's definition from the runbook (JSON), so the engine needs nothing else to run it. */
  definition: string;
  /** The inputs as shown (secrets masked), JSON Map<string,string>. */
  inputs: string;
  outputs: string;
  response: string;
  response_code: string;
  failure_message: string;
  failure_details: string;
  overridden_parameters: string;
  /** The action's own progress (JSON): a command id, approvals so far, a sleep's end, a loop's position. */
  state: string;
  attempt: number;
  /** Set while an action that must not run twice is starting: found set after a crash, the step fails rather than repeats. */
  starting: number;
  /** The aws:loop row this step runs inside, and its iteration. */
  parent_seq: number | null;
  iteration: number | null;
  iterator_value: string | null;
  started_at: number | null;
  ended_at: number | null;
}

export type AutomationTables = {
  automation_executions: ExecutionRow;
  automation_steps: StepRow;
};

export const automationMigrations: MigrationStep[] = [
  {
    name: '1200_automation',
    async up(db) {
      await db.schema
        .createTable('automation_executions')
        .addColumn('execution_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('document_name', 'text', (c) => c.notNull())
        .addColumn('document_version', 'text', (c) => c.notNull())
        .addColumn('runbook', 'text', (c) => c.notNull())
        .addColumn('declarations', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('variables', 'text', (c) => c.notNull())
        .addColumn('current_step', 'text', (c) => c.notNull())
        .addColumn('current_action', 'text', (c) => c.notNull())
        .addColumn('executed_by', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('assume_role', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'text')
        .addColumn('parent_step_seq', 'integer')
        .addColumn('target_parameter_name', 'text', (c) => c.notNull())
        .addColumn('targets', 'text', (c) => c.notNull())
        .addColumn('target_maps', 'text', (c) => c.notNull())
        .addColumn('max_concurrency', 'text', (c) => c.notNull())
        .addColumn('max_errors', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('resolved_targets', 'text', (c) => c.notNull())
        .addColumn('failure_message', 'text', (c) => c.notNull())
        .addColumn('stop_requested', 'text', (c) => c.notNull())
        .addColumn('client_token', 'text')
        .addColumn('automation_type', 'text', (c) => c.notNull())
        .addColumn('automation_subtype', 'text', (c) => c.notNull())
        .addColumn('change_request_name', 'text', (c) => c.notNull())
        .addColumn('scheduled_time', 'bigint')
        .addColumn('runbooks', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('next_seq', 'integer', (c) => c.notNull())
        .addColumn('current_seq', 'integer')
        .addColumn('wake_at', 'bigint')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .execute();
      await db.schema.createIndex('automation_executions_listing').on('automation_executions').columns(['account_id', 'region', 'started_at']).execute();
      await db.schema.createIndex('automation_executions_parent').on('automation_executions').columns(['parent_id']).execute();
      await db.schema.createIndex('automation_executions_token').on('automation_executions').columns(['account_id', 'region', 'client_token']).unique().execute();
      await db.schema
        .createTable('automation_steps')
        .addColumn('execution_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('step_execution_id', 'text', (c) => c.notNull())
        .addColumn('step_name', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('response_code', 'text', (c) => c.notNull())
        .addColumn('failure_message', 'text', (c) => c.notNull())
        .addColumn('failure_details', 'text', (c) => c.notNull())
        .addColumn('overridden_parameters', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('starting', 'integer', (c) => c.notNull())
        .addColumn('parent_seq', 'integer')
        .addColumn('iteration', 'integer')
        .addColumn('iterator_value', 'text')
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addPrimaryKeyConstraint('automation_steps_pk', ['execution_id', 'seq'])
        .execute();
      await db.schema.createIndex('automation_steps_id').on('automation_steps').columns(['step_execution_id']).execute();
    },
  },
];
