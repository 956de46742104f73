import { sql } from 'kysely';
import type { MigrationStep } from '../store/migrations.js';
import type { NodeHealthColumns } from './health-tables.js';

export interface ActivationRow {
  account_id: string;
  region: string;
  activation_id: string;
  /** SHA-256 of the code: the code is a password and is shown once. */
  code_hash: string;
  description: string;
  default_instance_name: string;
  iam_role: string;
  registration_limit: number;
  registrations_count: number;
  expires_at: number;
  created_at: number;
  /** JSON object of tags. */
  tags: string;
}

export interface InstanceRow extends NodeHealthColumns {
  account_id: string;
  region: string;
  instance_id: string;
  activation_id: string;
  iam_role: string;
  name: string;
  /** Ed25519 public key, base64 SPKI DER, that signs the agent's channel challenges. */
  public_key: string;
  registered_at: number;
  /** 1 while an agent holds the channel open on some replica. */
  connected: number;
  last_ping_at: number | null;
  agent_version: string;
  platform_type: string;
  platform_name: string;
  platform_version: string;
  ip_address: string;
  computer_name: string;
  tags: string;
  /** As the agent reports them in its hello (columns of 0850_node_listing). */
  architecture: string;
  kernel: string;
}

/** Work for a node: a row until the agent acknowledges it (docs/agent-protocol.md, "Jobs"). */
export interface NodeJobRow {
  instance_id: string;
  job_id: string;
  kind: string;
  payload_id: string;
  /** Send order on the channel: a cancel always follows the job it cancels. */
  seq: number;
  created_at: number;
}

/** A job's payload, sealed under the root key: it may hold resolved secure parameters. Shared by a command's jobs. */
export interface NodeJobPayloadRow {
  payload_id: string;
  sealed: string;
  created_at: number;
}

export type NodeTables = { activations: ActivationRow; managed_instances: InstanceRow; node_jobs: NodeJobRow; node_job_payloads: NodeJobPayloadRow };

export const nodeMigrations: MigrationStep[] = [
  {
    name: '0800_nodes',
    async up(db) {
      await db.schema
        .createTable('activations')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('activation_id', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('default_instance_name', 'text', (c) => c.notNull())
        .addColumn('iam_role', 'text', (c) => c.notNull())
        .addColumn('registration_limit', 'integer', (c) => c.notNull())
        .addColumn('registrations_count', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('activations_pk', ['account_id', 'region', 'activation_id'])
        .execute();
      // Registration names the activation only, not its account.
      await db.schema.createIndex('activations_by_id').on('activations').column('activation_id').unique().execute();
      await db.schema
        .createTable('managed_instances')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('activation_id', 'text', (c) => c.notNull())
        .addColumn('iam_role', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('connected', 'integer', (c) => c.notNull())
        .addColumn('last_ping_at', 'bigint')
        .addColumn('agent_version', 'text', (c) => c.notNull())
        .addColumn('platform_type', 'text', (c) => c.notNull())
        .addColumn('platform_name', 'text', (c) => c.notNull())
        .addColumn('platform_version', 'text', (c) => c.notNull())
        .addColumn('ip_address', 'text', (c) => c.notNull())
        .addColumn('computer_name', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('managed_instances_pk', ['account_id', 'region', 'instance_id'])
        .execute();
      // The channel's hello names the instance only.
      await db.schema.createIndex('managed_instances_by_id').on('managed_instances').column('instance_id').unique().execute();
    },
  },
  {
    name: '0810_node_jobs',
    async up(db) {
      await db.schema
        .createTable('node_jobs')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('node_jobs_pk', ['instance_id', 'job_id'])
        .execute();
      await db.schema.createIndex('node_jobs_by_payload').on('node_jobs').column('payload_id').execute();
      await db.schema
        .createTable('node_job_payloads')
        .addColumn('payload_id', 'text', (c) => c.primaryKey())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    // DescribeInstanceInformation / DescribeInstanceProperties filter and page in SQL (listing.ts);
    // the agent's hello also reports the CPU architecture and kernel.
    name: '0850_node_listing',
    async up(db, engine) {
      await db.schema.alterTable('managed_instances').addColumn('architecture', 'text', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('managed_instances').addColumn('kernel', 'text', (c) => c.notNull().defaultTo('')).execute();
      // The ActivationIds filter, and whether an activation id is known to any node.
      await db.schema.createIndex('managed_instances_by_activation').on('managed_instances').columns(['account_id', 'region', 'activation_id', 'instance_id']).execute();
      // tag:<key> and tag-key filters test containment and key existence on the tags; PostgreSQL
      // answers those from a GIN index (pings never touch the tags, so their updates stay HOT).
      if (engine === 'postgres') await sql`create index managed_instances_tags on managed_instances using gin ((tags::jsonb))`.execute(db);
    },
  },
];
