import type { Kysely } from 'kysely';
import type { Clock } from '../scheduler/clock.js';
import type { Database } from '../store/database.js';
import type { ClusterTables } from './tables.js';

export interface ReplicaOptions {
  /** How often this replica says it is alive. */
  heartbeatMs?: number;
  /** A replica silent this long is dead: its channels, sessions and leases are someone else's business. */
  deadAfterMs?: number;
}

/**
 * The replicas sharing the store. Each writes a heartbeat; a replica whose heartbeat stops
 * (killed, frozen, cut off) is declared dead by the others, which clean up what it held: the
 * nodes whose channels it had, the sessions it relayed. Clean-up is a set of conditional
 * updates, so every replica may run it and it happens once. A replica that restarts with the
 * store of a crashed one (SQLite) finds the crashed one dead at its first beat.
 */
export class Replicas {
  private readonly db: Kysely<ClusterTables>;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly deadHandlers: ((replicaIds: string[]) => Promise<void>)[] = [];
  private readonly reported = new Set<string>();
  private urls = new Map<string, { url: string; heartbeatAt: number }>();
  private urlsReadAt = -Infinity;
  private beating: Promise<void> = Promise.resolve();
  onBeat: () => Promise<void> = async () => undefined;

  constructor(
    database: Database,
    private readonly clock: Clock,
    readonly id: string,
    private readonly url: () => string,
    options: ReplicaOptions = {},
  ) {
    this.db = database.db.withTables<ClusterTables>();
    this.heartbeatMs = options.heartbeatMs ?? 2_000;
    this.deadAfterMs = options.deadAfterMs ?? 10_000;
  }

  /** Handlers clean up after replicas found dead; each dead replica is reported once per process. */
  onDead(handler: (replicaIds: string[]) => Promise<void>): void {
    this.deadHandlers.push(handler);
  }

  async start(): Promise<void> {
    const now = this.clock.now();
    await this.db
      .insertInto('cluster_replicas')
      .values({ replica_id: this.id, url: this.url(), started_at: now, heartbeat_at: now })
      .onConflict((oc) => oc.column('replica_id').doUpdateSet({ url: this.url(), heartbeat_at: now }))
      .execute();
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref();
    await this.beat();
  }

  /** A replica that stops on purpose leaves: the others need not wait for its heartbeat to lapse. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    await this.db.deleteFrom('cluster_replicas').where('replica_id', '=', this.id).execute().catch(() => undefined);
  }

  /** One heartbeat, then clean-up after the dead; tests call it after moving the clock. */
  beat(): Promise<void> {
    this.beating = this.beating.then(() => this.beatOnce()).catch((e: unknown) => process.emitWarning(`replica heartbeat failed: ${(e as Error).message}`));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const now = this.clock.now();
    await this.db.updateTable('cluster_replicas').set({ heartbeat_at: now, url: this.url() }).where('replica_id', '=', this.id).execute();
    const dead = await this.db.selectFrom('cluster_replicas').select('replica_id').where('replica_id', '!=', this.id).where('heartbeat_at', '<', now - this.deadAfterMs).execute();
    const fresh = dead.map((r) => r.replica_id).filter((id) => !this.reported.has(id));
    if (fresh.length) {
      // Each clean-up on its own: one that fails (and is tried again next beat) holds up no other.
      let failed = false;
      for (const f of this.deadHandlers) {
        try {
          await f(fresh);
        } catch (e) {
          failed = true;
          process.emitWarning(`clean-up after dead replicas ${fresh.join(', ')} failed: ${(e as Error).message}`);
        }
      }
      if (!failed) for (const id of fresh) this.reported.add(id);
    }
    await this.db.deleteFrom('cluster_replicas').where('heartbeat_at', '<', now - Math.max(this.deadAfterMs * 30, 10 * 60_000)).execute();
    await this.onBeat();
  }

  /** The replica's advertised URL while it is alive; undefined for a dead or unknown replica. */
  async liveUrl(replicaId: string): Promise<string | undefined> {
    if (replicaId === this.id) return this.url();
    const now = this.clock.now();
    let hit = this.urls.get(replicaId);
    if (!hit || now - this.urlsReadAt > this.heartbeatMs) {
      const rows = await this.db.selectFrom('cluster_replicas').select(['replica_id', 'url', 'heartbeat_at']).execute();
      this.urls = new Map(rows.map((r) => [r.replica_id, { url: r.url, heartbeatAt: r.heartbeat_at }]));
      this.urlsReadAt = now;
      hit = this.urls.get(replicaId);
    }
    return hit && now - hit.heartbeatAt <= this.deadAfterMs ? hit.url : undefined;
  }
}
