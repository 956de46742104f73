import { randomUUID } from 'node:crypto';
import type { Clock } from '../scheduler/clock.js';
import type { Database } from '../store/database.js';
import { PostgresBus, SoloBus, type ClusterBus } from './bus.js';
import { Replicas, type ReplicaOptions } from './replicas.js';

export { clusterMigrations } from './tables.js';
export type { ClusterBus, BusHandler } from './bus.js';
export type { Replicas } from './replicas.js';

/** This process among the replicas that share the store. */
export interface Cluster {
  /** Names this process in leases, channel ownership and the bus. */
  readonly replicaId: string;
  readonly bus: ClusterBus;
  readonly replicas: Replicas;
  /** Whether other processes may share the store (PostgreSQL). */
  readonly shared: boolean;
}

export function createCluster(database: Database, clock: Clock, url: () => string, options: ReplicaOptions = {}): Cluster {
  const replicaId = randomUUID();
  const shared = database.engine === 'postgres';
  const bus = shared ? new PostgresBus(database, clock, replicaId) : new SoloBus();
  const replicas = new Replicas(database, clock, replicaId, url, options);
  if (bus instanceof PostgresBus) {
    // Large bus messages are read within moments; a sweep every 30 heartbeats keeps the table small.
    let beats = 0;
    replicas.onBeat = async () => {
      if (++beats % 30 === 0) await bus.prune();
    };
  }
  return { replicaId, bus, replicas, shared };
}
