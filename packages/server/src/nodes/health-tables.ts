import { sql } from 'kysely';
import type { MigrationStep } from '../store/migrations.js';

/** What a node's row keeps for key rotation and for diagnosing a node that is not Online. */
export interface NodeHealthColumns {
  /** A new key the agent proved it holds; the old one stays valid until the agent uses this one. */
  next_public_key: string | null;
  key_rotated_at: number | null;
  /** The last failure the agent saw on its side (reported in its next hello). */
  last_error: string;
  last_error_at: number | null;
  /** When and why the server last saw the channel close. */
  disconnected_at: number | null;
  disconnect_reason: string;
  /** The replica holding the node's control channel ('' when none does). */
  channel_replica: string;
}

export const nodeHealthMigrations: MigrationStep[] = [
  {
    name: '0830_node_health',
    async up(db) {
      await sql`ALTER TABLE managed_instances ADD COLUMN next_public_key text`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN key_rotated_at bigint`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN last_error text NOT NULL DEFAULT ''`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN last_error_at bigint`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN disconnected_at bigint`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN disconnect_reason text NOT NULL DEFAULT ''`.execute(db);
    },
  },
  {
    name: '0860_node_channel_replica',
    async up(db) {
      await sql`ALTER TABLE managed_instances ADD COLUMN channel_replica text NOT NULL DEFAULT ''`.execute(db);
      await sql`CREATE INDEX managed_instances_by_channel_replica ON managed_instances (channel_replica)`.execute(db);
    },
  },
];
