import type { MigrationStep } from '../store/migrations.js';

export interface CommandRow {
  account_id: string;
  region: string;
  command_id: string;
  document_name: string;
  document_version: string;
  comment: string;
  /** The parameters as supplied (JSON): `{{ssm-secure:…}}` references, never their values. */
  parameters: string;
  /** JSON arrays as the request gave them. */
  instance_ids: string;
  targets: string;
  requested_at: number;
  expires_at: number;
  timeout_seconds: number;
  /** How long a started invocation may go without an answer before it is given up (delivery timeout + the document's step timeouts). */
  abandon_at: number;
  status: string;
  status_details: string;
  output_s3_bucket: string;
  output_s3_prefix: string;
  max_concurrency: string;
  max_errors: string;
  target_count: number;
  completed_count: number;
  error_count: number;
  delivery_timed_out_count: number;
  service_role: string;
  /** JSON or '' */
  notification_config: string;
  cloudwatch_config: string;
  cancel_requested: number;
  /** The payload every invocation's job carries (NodeJobs). */
  payload_id: string;
}

export interface InvocationRow {
  command_id: string;
  instance_id: string;
  account_id: string;
  region: string;
  /** Dispatch order under MaxConcurrency. */
  seq: number;
  instance_name: string;
  status_details: string;
  /** 1 once its job was made (it counts against MaxConcurrency until it ends). */
  dispatched: number;
  requested_at: number;
  delivered_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  response_code: number;
  /** JSON StepResult[] as last reported. */
  plugins: string;
  trace_output: string;
  /** 1 once the agent's final reply arrived: later replies for it are stale. */
  final: number;
  /** Rises with every change, so followers ask only for what changed since they last looked. */
  change_seq: number;
}

/** A stream's whole output, in pieces as the agent sent them. */
export interface OutputChunkRow {
  command_id: string;
  instance_id: string;
  step: string;
  stream: string;
  offset: number;
  data: Buffer;
  /** Order of arrival across the command, for followers. */
  seq: number;
}

export type CommandTables = { commands: CommandRow; command_invocations: InvocationRow; command_output: OutputChunkRow };

export const commandMigrations: MigrationStep[] = [
  {
    name: '0900_commands',
    async up(db, engine) {
      await db.schema
        .createTable('commands')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('command_id', 'text', (c) => c.notNull())
        .addColumn('document_name', 'text', (c) => c.notNull())
        .addColumn('document_version', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('instance_ids', 'text', (c) => c.notNull())
        .addColumn('targets', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('abandon_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_details', 'text', (c) => c.notNull())
        .addColumn('output_s3_bucket', 'text', (c) => c.notNull())
        .addColumn('output_s3_prefix', 'text', (c) => c.notNull())
        .addColumn('max_concurrency', 'text', (c) => c.notNull())
        .addColumn('max_errors', 'text', (c) => c.notNull())
        .addColumn('target_count', 'integer', (c) => c.notNull())
        .addColumn('completed_count', 'integer', (c) => c.notNull())
        .addColumn('error_count', 'integer', (c) => c.notNull())
        .addColumn('delivery_timed_out_count', 'integer', (c) => c.notNull())
        .addColumn('service_role', 'text', (c) => c.notNull())
        .addColumn('notification_config', 'text', (c) => c.notNull())
        .addColumn('cloudwatch_config', 'text', (c) => c.notNull())
        .addColumn('cancel_requested', 'integer', (c) => c.notNull())
        .addColumn('payload_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('commands_pk', ['account_id', 'region', 'command_id'])
        .execute();
      await db.schema.createIndex('commands_by_time').on('commands').columns(['account_id', 'region', 'requested_at', 'command_id']).execute();
      await db.schema.createIndex('commands_by_id').on('commands').column('command_id').unique().execute();
      await db.schema
        .createTable('command_invocations')
        .addColumn('command_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('instance_name', 'text', (c) => c.notNull())
        .addColumn('status_details', 'text', (c) => c.notNull())
        .addColumn('dispatched', 'integer', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('response_code', 'integer', (c) => c.notNull())
        .addColumn('plugins', 'text', (c) => c.notNull())
        .addColumn('trace_output', 'text', (c) => c.notNull())
        .addColumn('final', 'integer', (c) => c.notNull())
        .addColumn('change_seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('command_invocations_pk', ['command_id', 'instance_id'])
        .execute();
      await db.schema.createIndex('command_invocations_by_seq').on('command_invocations').columns(['command_id', 'dispatched', 'seq']).execute();
      await db.schema.createIndex('command_invocations_by_instance').on('command_invocations').columns(['account_id', 'region', 'instance_id', 'requested_at']).execute();
      await db.schema
        .createTable('command_output')
        .addColumn('command_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('offset', 'bigint', (c) => c.notNull())
        .addColumn('data', engine === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('command_output_pk', ['command_id', 'instance_id', 'step', 'stream', 'offset'])
        .execute();
      await db.schema.createIndex('command_output_by_seq').on('command_output').columns(['command_id', 'seq']).execute();
      await db.schema.createIndex('command_invocations_by_change').on('command_invocations').columns(['command_id', 'change_seq']).execute();
    },
  },
  {
    name: '0910_command_dispatch_sweep',
    async up(db) {
      // The dispatch sweep looks for commands with invocations still to send.
      await db.schema.createIndex('command_invocations_undispatched').on('command_invocations').columns(['dispatched', 'status_details', 'command_id']).execute();
    },
  },
];
