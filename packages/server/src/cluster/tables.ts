import type { MigrationStep } from '../store/migrations.js';

/** A server process sharing the store: where it is reached, and when it last said it was alive. */
export interface ReplicaRow {
  replica_id: string;
  /** The URL clients and agents reach this replica at directly (its advertised URL). */
  url: string;
  started_at: number;
  heartbeat_at: number;
}

/** A bus message too large for a PostgreSQL notification, kept until its readers have had it. */
export interface ClusterMessageRow {
  id: string;
  body: string;
  created_at: number;
}

export type ClusterTables = {
  cluster_replicas: ReplicaRow;
  cluster_messages: ClusterMessageRow;
};

export const clusterMigrations: MigrationStep[] = [
  {
    name: '0060_cluster',
    async up(db) {
      await db.schema
        .createTable('cluster_replicas')
        .addColumn('replica_id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('cluster_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
