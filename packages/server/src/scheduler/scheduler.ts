import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AnyDb, Database } from '../store/database.js';
import type { Clock } from './clock.js';
import type { JobRow, SchedulerTables } from './tables.js';

export interface JobSpec {
  kind: string;
  payload?: unknown;
  /** When it may run, in clock milliseconds. */
  dueAt: number;
  /** Enqueueing again with the same (kind, key) while one is pending does nothing. */
  dedupeKey?: string;
  maxAttempts?: number;
}

export interface Job {
  id: string;
  kind: string;
  payload: unknown;
  dueAt: number;
  attempt: number;
  /**
   * Ends the job inside the handler's own transaction, so the job's effect and its end commit
   * together: if the lease was lost meanwhile (this replica stalled past it and another took
   * the job over) it throws LeaseLost and the transaction rolls back. A handler that settles
   * has its effect once, however many replicas ran it.
   */
  settle(db: AnyDb): Promise<void>;
}

/** The job is no longer this replica's: another replica took it over after the lease ran out. */
export class LeaseLost extends Error {}

export type JobHandler = (job: Job) => Promise<void>;


export interface SchedulerOptions {
  /** Identifies this process in leases. */
  owner?: string;
  leaseMs?: number;
  pollMs?: number;
  batch?: number;
}

/**
 * Durable jobs with a due time, a lease and retries. A job is a row written in the same
 * transaction as the state change that needs it; any replica may claim it once it is due.
 * A claim takes a lease; a replica that dies mid-job loses it when the lease expires and
 * another replica takes the job over. A finished job is deleted; a failed one is retried with
 * backoff until its attempts run out.
 */
export class Scheduler {
  readonly owner: string;
  private readonly db: Kysely<SchedulerTables>;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batch: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<number> | undefined;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    options: SchedulerOptions = {},
  ) {
    this.db = database.db.withTables<SchedulerTables>();
    this.owner = options.owner ?? randomUUID();
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.batch = options.batch ?? 20;
  }

  handle(kind: string, handler: JobHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for ${kind} jobs is already registered`);
    this.handlers.set(kind, handler);
  }

  /** Writes the job with `db`, which may be the transaction (of any capability) of the change that needs it. */
  async enqueue(spec: JobSpec, db?: AnyDb): Promise<string> {
    const jobs: Kysely<SchedulerTables> = db ? db.withTables<SchedulerTables>() : this.db;
    const id = randomUUID();
    const row: JobRow = {
      id,
      kind: spec.kind,
      dedupe_key: spec.dedupeKey ?? null,
      payload: JSON.stringify(spec.payload ?? null),
      due_at: spec.dueAt,
      attempts: 0,
      max_attempts: spec.maxAttempts ?? 5,
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      created_at: this.clock.now(),
    };
    const res = await jobs.insertInto('scheduler_jobs').values(row).onConflict((oc) => oc.columns(['kind', 'dedupe_key']).doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0 ? id : '';
  }

  /**
   * Makes sure the (kind, key) job runs by `dueAt`: enqueues it, or brings a waiting one forward.
   * Returns false when the job is running right now: its handler must notice the reason itself
   * (a flag written in the same transaction it reads under lock at its end).
   */
  async wake(spec: JobSpec & { dedupeKey: string }, db?: AnyDb): Promise<boolean> {
    const jobs: Kysely<SchedulerTables> = db ? db.withTables<SchedulerTables>() : this.db;
    if (await this.enqueue(spec, db)) return true;
    const now = this.clock.now();
    const moved = await jobs
      .updateTable('scheduler_jobs')
      .set({ due_at: spec.dueAt })
      .where('kind', '=', spec.kind)
      .where('dedupe_key', '=', spec.dedupeKey)
      .where('due_at', '>', spec.dueAt)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) > 0) return true;
    const row = await jobs.selectFrom('scheduler_jobs').select(['lease_expires_at']).where('kind', '=', spec.kind).where('dedupe_key', '=', spec.dedupeKey).executeTakeFirst();
    return !row || row.lease_expires_at === null || row.lease_expires_at < now;
  }

  /** Removes the jobs of `kind` with these dedupe keys (one statement for a list). */
  async cancel(kind: string, dedupeKey: string | readonly string[], db?: AnyDb): Promise<void> {
    const jobs: Kysely<SchedulerTables> = db ? db.withTables<SchedulerTables>() : this.db;
    const q = jobs.deleteFrom('scheduler_jobs').where('kind', '=', kind);
    if (typeof dedupeKey === 'string') await q.where('dedupe_key', '=', dedupeKey).execute();
    else if (dedupeKey.length > 0) await q.where('dedupe_key', 'in', dedupeKey).execute();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // On SQLite this is the only process using the store, so a lease not ours was left by a
    // process that crashed: its jobs are free now, not when the lease would have run out.
    let released = this.database.engine === 'sqlite' ? this.releaseForeignLeases().catch(() => undefined) : Promise.resolve();
    const loop = async () => {
      await released;
      released = Promise.resolve();
      if (!this.running) return;
      try {
        // Keep draining while there is work, then wait a poll period.
        while (this.running && (await this.tick()) > 0);
      } catch (err) {
        process.emitWarning(`scheduler tick failed: ${(err as Error).message}`);
      }
      if (this.running) {
        this.timer = setTimeout(() => void loop(), this.pollMs);
        this.timer.unref();
      }
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  /** Claims the due jobs and runs them; returns how many ran. Tests call it after moving the clock. */
  tick(): Promise<number> {
    const run = (this.ticking ?? Promise.resolve(0)).then(() => this.runDue());
    this.ticking = run.catch(() => 0);
    return run;
  }

  private async runDue(): Promise<number> {
    const jobs = await this.claim();
    await Promise.all(jobs.map((job) => this.execute(job)));
    return jobs.length;
  }

  private async claim(): Promise<JobRow[]> {
    const now = this.clock.now();
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return [];
    const leaseUntil = now + this.leaseMs;
    // Look before taking the write lock: most polls find nothing, and on SQLite an idle poll
    // must not queue behind (or block) another connection's writes.
    const due = await this.db
      .selectFrom('scheduler_jobs')
      .select('id')
      .where('kind', 'in', kinds)
      .where('due_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .limit(1)
      .executeTakeFirst();
    if (!due) return [];
    return this.db.transaction().execute(async (trx) => {
      let pick = trx
        .selectFrom('scheduler_jobs')
        .select('id')
        .where('kind', 'in', kinds)
        .where('due_at', '<=', now)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
        .orderBy('due_at')
        .limit(this.batch);
      // Many replicas on PostgreSQL: skip rows another replica is claiming right now.
      if (this.database.engine === 'postgres') pick = pick.forUpdate().skipLocked();
      const ids = (await pick.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      await trx
        .updateTable('scheduler_jobs')
        .set({ lease_owner: this.owner, lease_expires_at: leaseUntil, attempts: sql<number>`attempts + 1` })
        .where('id', 'in', ids)
        .execute();
      return trx.selectFrom('scheduler_jobs').selectAll().where('id', 'in', ids).execute();
    });
  }

  private async execute(row: JobRow): Promise<void> {
    const handler = this.handlers.get(row.kind)!;
    let settled = false;
    const job: Job = {
      id: row.id,
      kind: row.kind,
      payload: JSON.parse(row.payload) as unknown,
      dueAt: row.due_at,
      attempt: row.attempts,
      settle: async (db) => {
        const gone = await db.withTables<SchedulerTables>().deleteFrom('scheduler_jobs').where('id', '=', row.id).where('lease_owner', '=', this.owner).executeTakeFirst();
        if (Number(gone.numDeletedRows) !== 1) throw new LeaseLost(`job ${row.kind} ${row.id} was taken over by another replica`);
        settled = true;
      },
    };
    const renew = setInterval(() => void this.renewLease(row.id), Math.max(1_000, this.leaseMs / 3));
    renew.unref();
    try {
      await handler(job);
      if (!settled) await this.db.deleteFrom('scheduler_jobs').where('id', '=', row.id).where('lease_owner', '=', this.owner).execute();
    } catch (err) {
      // Lost to another replica: its run decides the job's fate.
      if (!(err instanceof LeaseLost)) await this.fail(row, err);
    } finally {
      clearInterval(renew);
    }
  }

  private async releaseForeignLeases(): Promise<void> {
    await this.db.updateTable('scheduler_jobs').set({ lease_owner: null, lease_expires_at: null }).where('lease_owner', 'is not', null).where('lease_owner', '!=', this.owner).execute();
  }

  private async renewLease(id: string): Promise<void> {
    await this.db
      .updateTable('scheduler_jobs')
      .set({ lease_expires_at: this.clock.now() + this.leaseMs })
      .where('id', '=', id)
      .where('lease_owner', '=', this.owner)
      .execute()
      .catch(() => undefined);
  }

  private async fail(row: JobRow, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    if (row.attempts >= row.max_attempts) {
      process.emitWarning(`job ${row.kind} ${row.id} failed for good after ${row.attempts} attempts: ${message}`);
      // Only while this replica still holds the lease: if it expired and another replica took the
      // job over, that replica's run decides the job's fate, not this stale one.
      await this.db.deleteFrom('scheduler_jobs').where('id', '=', row.id).where('lease_owner', '=', this.owner).execute();
      return;
    }
    const backoff = Math.min(15 * 60_000, 1_000 * 2 ** row.attempts);
    await this.db
      .updateTable('scheduler_jobs')
      .set({ due_at: this.clock.now() + backoff, lease_owner: null, lease_expires_at: null, last_error: message.slice(0, 2000) })
      .where('id', '=', row.id)
      .where('lease_owner', '=', this.owner)
      .execute();
  }

  pendingCount = async (): Promise<number> => {
    const r = await this.db.selectFrom('scheduler_jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  };
}
