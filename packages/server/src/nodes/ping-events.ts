import { sql, type Kysely } from 'kysely';
import type { DomainEvent } from '../events/log.js';
import type { Job } from '../scheduler/scheduler.js';
import type { AnyDb } from '../store/database.js';
import type { MigrationStep } from '../store/migrations.js';
import { instanceArn } from './operations.js';
import type { NodeService } from './service.js';
import type { InstanceRow } from './tables.js';

/**
 * AWS has no event for a managed node's ping status; Capstan's is named so it cannot be taken
 * for one of AWS's, under the source of the SSM events (docs/event-rules.md).
 */
export const NODE_STATUS_EVENT = 'Capstan Managed Node Status-change Notification';
const SWEEP_JOB = 'nodes.ping-status-sweep';
const BATCH = 500;

type Reported = '' | 'Online' | 'ConnectionLost' | 'Inactive';
type Row = InstanceRow & { ping_event_status: Reported };
type Tables = { managed_instances: Row };

/** The status the node's last status event announced ('' before its first). */
export const pingEventMigrations: MigrationStep[] = [
  {
    name: '0870_node_ping_events',
    async up(db) {
      await sql`ALTER TABLE managed_instances ADD COLUMN ping_event_status text NOT NULL DEFAULT ''`.execute(db);
      // Pings never change this column, so indexing it costs their updates nothing (they stay HOT on PostgreSQL).
      await sql`CREATE INDEX managed_instances_by_ping_event ON managed_instances (ping_event_status)`.execute(db);
    },
  },
];

/**
 * Ping status is computed from the last ping whenever it is read (NodeService.pingStatus), so
 * nothing changes in the store when a node goes quiet. Events need a change: the node's row
 * keeps the status its last event announced, and a durable sweep compares it with the computed
 * one. Each transition is claimed by a conditional update in the transaction of its event, so
 * it is announced once, whichever replica notices it first.
 */
export class PingEvents {
  private readonly db: Kysely<Tables>;
  private readonly everyMs: number;
  /**
   * While this process has run for less than two ping intervals it announces no losses: after a
   * restart every node's row says it is gone (a shutdown closed the channels; a crash left pings
   * old), and the agents are still dialling back. Time the server was down is not time a node was
   * lost, and a fleet-wide ConnectionLost would fire every rule on it at once.
   */
  private readonly startedAt: number;

  constructor(private readonly nodes: NodeService) {
    this.db = nodes.core.database.db.withTables<Tables>();
    this.everyMs = Math.max(1_000, nodes.pingMs);
    this.startedAt = nodes.core.clock.now();
    nodes.core.scheduler.handle(SWEEP_JOB, (job) => this.sweep(job));
  }

  /** The sweep survives restarts as a job; this starts it on a fresh store (or after it gave up). */
  async start(): Promise<void> {
    await this.nodes.core.scheduler.enqueue({ kind: SWEEP_JOB, dedupeKey: SWEEP_JOB, dueAt: this.nodes.core.clock.now() + this.everyMs, maxAttempts: 1_000_000 });
  }

  /**
   * A hello was verified: the node's row takes the agent's facts and, if it was not Online, the
   * Online event goes with them; `also` writes more of the hello in the same transaction.
   */
  async connected(instanceId: string, set: Partial<InstanceRow>, also?: (trx: AnyDb) => Promise<unknown>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('managed_instances').set(set).where('instance_id', '=', instanceId).execute();
      await also?.(trx);
      const row = await trx.selectFrom('managed_instances').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
      if (row && row.ping_event_status !== 'Online') await this.announce(trx, [row], 'Online');
    });
  }

  private async sweep(job: Job): Promise<void> {
    const now = this.nodes.core.clock.now();
    const { onlineSince, inactiveBefore } = this.nodes.pingCutoffs(now);
    await this.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      const settling = now - this.startedAt < 2 * this.nodes.pingMs;
      const lost = settling
        ? []
        : await trx
            .selectFrom('managed_instances')
            .selectAll()
            .where('ping_event_status', '=', 'Online')
            .where((eb) => eb.or([eb('connected', '=', 0), eb('last_ping_at', 'is', null), eb('last_ping_at', '<', onlineSince)]))
            .limit(BATCH)
            .execute();
      // A node whose pings resumed on the same channel never sends another hello.
      const back = await trx
        .selectFrom('managed_instances')
        .selectAll()
        .where('ping_event_status', 'in', ['ConnectionLost', 'Inactive'])
        .where('connected', '=', 1)
        .where('last_ping_at', '>=', onlineSince)
        .limit(BATCH)
        .execute();
      const gone = await trx
        .selectFrom('managed_instances')
        .selectAll()
        .where('ping_event_status', '=', 'ConnectionLost')
        .where(sql<boolean>`coalesce(last_ping_at, registered_at) < ${inactiveBefore}`)
        .limit(BATCH)
        .execute();
      await this.announce(trx, lost, 'ConnectionLost');
      await this.announce(trx, back, 'Online');
      await this.announce(trx, gone, 'Inactive');
      const full = lost.length === BATCH || back.length === BATCH || gone.length === BATCH;
      // A full batch leaves more to do: the next sweep is due at once.
      await this.nodes.core.scheduler.enqueue({ kind: SWEEP_JOB, dedupeKey: SWEEP_JOB, dueAt: full ? now : now + this.everyMs, maxAttempts: 1_000_000 }, trx);
    });
  }

  /** Moves each row to `status` unless another transaction already did, and writes an event for each it moved. */
  private async announce(trx: AnyDb, rows: readonly Row[], status: Exclude<Reported, ''>): Promise<void> {
    const db = trx.withTables<Tables>();
    const events: DomainEvent[] = [];
    for (const r of rows) {
      const moved = await db
        .updateTable('managed_instances')
        .set({ ping_event_status: status })
        .where('instance_id', '=', r.instance_id)
        .where('ping_event_status', '=', r.ping_event_status)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 1) events.push(statusEvent(r, status));
    }
    await this.nodes.core.events.appendAll(events, trx);
  }
}

function statusEvent(r: Row, status: Exclude<Reported, ''>): DomainEvent {
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    accountId: r.account_id,
    region: r.region,
    source: 'aws.ssm',
    detailType: NODE_STATUS_EVENT,
    resources: [instanceArn(r.region, r.account_id, r.instance_id)],
    detail: {
      'instance-id': r.instance_id,
      'ping-status': status,
      ...(r.ping_event_status ? { 'previous-ping-status': r.ping_event_status } : {}),
      'last-ping-date-time': iso(r.last_ping_at),
      'computer-name': r.computer_name,
      'ip-address': r.ip_address,
      'platform-type': r.platform_type,
      'agent-version': r.agent_version,
    },
  };
}
