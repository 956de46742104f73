import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { openDatabase, type Database, type Engine } from '../store/database.js';
import { migrate } from '../store/migrations.js';
import { freshSchema, postgresSkipReason } from '../test-support/postgres.js';
import { ManualClock } from './clock.js';
import { Scheduler, type Job } from './scheduler.js';
import { schedulerMigrations, type JobRow, type SchedulerTables } from './tables.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Long enough that lease renewal (every leaseMs / 3 of real time) never fires during a test. */
const LONG_LEASE = 10 * MINUTE;

const pgSkip = await postgresSkipReason();

type EffectTables = { effects: { job_id: string; owner: string } };
async function migrateEffects(db: Database): Promise<void> {
  await db.db.schema.createTable('effects').addColumn('job_id', 'text', (c) => c.notNull()).addColumn('owner', 'text', (c) => c.notNull()).execute();
}

/**
 * One store for one test: a temp SQLite file or a fresh PostgreSQL schema. `open()` gives a new
 * handle (its own connection / pool) on the same data each time, migrated like a booting server.
 */
interface Store {
  engine: Engine;
  open(options?: { maxConnections?: number }): Promise<Database>;
}

async function withStore(engine: Engine, fn: (store: Store, clock: ManualClock) => Promise<void>): Promise<void> {
  let location: { url?: string; sqlitePath?: string };
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-scheduler-'));
    location = { sqlitePath: join(dir, 'capstan.db') };
    cleanup = () => rm(dir, { recursive: true, force: true });
  } else {
    const schema = await freshSchema();
    location = { url: schema.url };
    cleanup = schema.drop;
  }
  const handles: Database[] = [];
  const store: Store = {
    engine,
    async open(options = {}) {
      const raw = await openDatabase({ ...location, ...options });
      let closed: Promise<void> | undefined;
      const handle: Database = { engine: raw.engine, db: raw.db, close: () => (closed ??= raw.close()) };
      handles.push(handle);
      await migrate(handle, schedulerMigrations);
      return handle;
    },
  };
  try {
    await fn(store, new ManualClock());
  } finally {
    await Promise.all(handles.map((h) => h.close()));
    await cleanup();
  }
}

function tables(database: Database): Kysely<SchedulerTables> {
  return database.db.withTables<SchedulerTables>();
}

async function rows(database: Database): Promise<JobRow[]> {
  return tables(database).selectFrom('scheduler_jobs').selectAll().orderBy('created_at').orderBy('id').execute();
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with `promise`, or fails the test after `ms` of real time. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const ac = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(ms, undefined, { signal: ac.signal }).then(() => {
        throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      }),
    ]);
  } finally {
    ac.abort();
  }
}

function suite(engine: Engine): void {
  const run = (fn: (store: Store, clock: ManualClock) => Promise<void>) => () => withStore(engine, fn);

  it('does not run a job before its due time, runs it once when due, then it is gone', run(async (store, clock) => {
    const db = await store.open();
    const scheduler = new Scheduler(db, clock);
    const ran: Job[] = [];
    scheduler.handle('ping', async (job) => void ran.push(job));

    const id = await scheduler.enqueue({ kind: 'ping', dueAt: clock.now() + MINUTE });
    assert.notEqual(id, '');
    assert.equal(await scheduler.tick(), 0);
    clock.advance(MINUTE - 1);
    assert.equal(await scheduler.tick(), 0, 'one millisecond early');
    assert.equal(ran.length, 0);

    clock.advance(1);
    assert.equal(await scheduler.tick(), 1);
    assert.deepEqual(ran.map((j) => j.id), [id]);
    assert.equal(await scheduler.pendingCount(), 0);

    clock.advance(HOUR);
    assert.equal(await scheduler.tick(), 0, 'a finished job never runs again');
    assert.equal(ran.length, 1);
  }));

  it('round-trips the payload and reports attempt 1 on the first run', run(async (store, clock) => {
    const db = await store.open();
    const scheduler = new Scheduler(db, clock);
    const ran: Job[] = [];
    scheduler.handle('carry', async (job) => void ran.push(job));

    const payload = { instance: 'mi-0123456789abcdef0', n: 42, ratio: 0.5, ok: true, none: null, list: [1, 'two', { three: [3] }], text: 'ünïcödé "quoted" \n' };
    const dueAt = clock.now() + 5 * SECOND;
    const id = await scheduler.enqueue({ kind: 'carry', payload, dueAt });
    const bare = await scheduler.enqueue({ kind: 'carry', dueAt });
    clock.advance(5 * SECOND);
    assert.equal(await scheduler.tick(), 2);

    const job = ran.find((j) => j.id === id);
    assert.ok(job);
    const { settle, ...fields } = job;
    assert.equal(typeof settle, 'function');
    assert.deepEqual(fields, { id, kind: 'carry', payload, dueAt, attempt: 1 });
    assert.deepEqual(ran.find((j) => j.id === bare)?.payload, null, 'a job without payload carries null');
  }));

  it('keeps one job per (kind, dedupe key) until it has run', run(async (store, clock) => {
    const db = await store.open();
    const scheduler = new Scheduler(db, clock);
    const ran: Job[] = [];
    scheduler.handle('sync', async (job) => void ran.push(job));
    scheduler.handle('other', async (job) => void ran.push(job));

    const first = await scheduler.enqueue({ kind: 'sync', dedupeKey: 'mi-1', payload: 1, dueAt: clock.now() });
    const second = await scheduler.enqueue({ kind: 'sync', dedupeKey: 'mi-1', payload: 2, dueAt: clock.now() });
    assert.notEqual(first, '');
    assert.equal(second, '', 'the duplicate was not written');
    assert.equal(await scheduler.pendingCount(), 1);
    // The key is scoped to the kind, and jobs without a key never collide.
    assert.notEqual(await scheduler.enqueue({ kind: 'other', dedupeKey: 'mi-1', dueAt: clock.now() }), '');
    assert.notEqual(await scheduler.enqueue({ kind: 'sync', dueAt: clock.now() }), '');
    assert.notEqual(await scheduler.enqueue({ kind: 'sync', dueAt: clock.now() }), '');
    assert.equal(await scheduler.pendingCount(), 4);

    assert.equal(await scheduler.tick(), 4);
    const keyed = ran.filter((j) => j.kind === 'sync' && j.payload !== null);
    assert.deepEqual(keyed.map((j) => [j.id, j.payload]), [[first, 1]], 'only the first enqueue ran');

    const again = await scheduler.enqueue({ kind: 'sync', dedupeKey: 'mi-1', payload: 3, dueAt: clock.now() });
    assert.notEqual(again, '', 'after it ran the key is free again');
    assert.notEqual(again, first);
    assert.equal(await scheduler.tick(), 1);
    assert.deepEqual(ran.at(-1)?.payload, 3);
    assert.equal(await scheduler.pendingCount(), 0);
  }));

  it("enqueues inside the caller's transaction: rollback leaves no job, commit does", run(async (store, clock) => {
    const db = await store.open();
    const scheduler = new Scheduler(db, clock);
    const ran: Job[] = [];
    scheduler.handle('after-change', async (job) => void ran.push(job));

    await assert.rejects(
      tables(db).transaction().execute(async (trx) => {
        const id = await scheduler.enqueue({ kind: 'after-change', payload: 'rolled back', dueAt: clock.now() }, trx);
        assert.notEqual(id, '');
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    assert.equal(await scheduler.pendingCount(), 0);
    assert.equal(await scheduler.tick(), 0);

    const id = await tables(db).transaction().execute((trx) => scheduler.enqueue({ kind: 'after-change', payload: 'committed', dueAt: clock.now() }, trx));
    assert.equal(await scheduler.pendingCount(), 1);
    assert.equal(await scheduler.tick(), 1);
    assert.deepEqual(ran.map((j) => [j.id, j.payload]), [[id, 'committed']]);
  }));

  it('retries a failing handler with backoff and drops the job after max attempts', run(async (store, clock) => {
    const db = await store.open();
    const scheduler = new Scheduler(db, clock);
    const attempts: number[] = [];
    scheduler.handle('flaky', async (job) => {
      attempts.push(job.attempt);
      throw new Error(`boom ${job.attempt}`);
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const id = await scheduler.enqueue({ kind: 'flaky', dueAt: clock.now(), maxAttempts: 3 });
      assert.equal(await scheduler.tick(), 1);
      assert.deepEqual(attempts, [1]);
      const [afterFirst] = await rows(db);
      assert.equal(afterFirst?.id, id);
      assert.equal(afterFirst?.last_error, 'boom 1');
      assert.equal(afterFirst?.lease_owner, null, 'a failed attempt gives up its lease');
      assert.equal(afterFirst?.due_at, clock.now() + 2 * SECOND);

      // Backoff after attempt 1 is 2 s, after attempt 2 it is 4 s.
      assert.equal(await scheduler.tick(), 0, 'not retried at once');
      clock.advance(2 * SECOND - 1);
      assert.equal(await scheduler.tick(), 0, 'not retried before the backoff elapses');
      clock.advance(1);
      assert.equal(await scheduler.tick(), 1);
      assert.deepEqual(attempts, [1, 2]);

      clock.advance(4 * SECOND - 1);
      assert.equal(await scheduler.tick(), 0);
      clock.advance(1);
      assert.equal(await scheduler.tick(), 1);
      assert.deepEqual(attempts, [1, 2, 3]);

      assert.equal(await scheduler.pendingCount(), 0, 'dropped after its last attempt');
      clock.advance(HOUR);
      assert.equal(await scheduler.tick(), 0);
      assert.deepEqual(attempts, [1, 2, 3]);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(warnings.some((w) => w.includes(id) && w.includes('boom 3')), `warned about the dropped job: ${JSON.stringify(warnings)}`);
    } finally {
      process.off('warning', onWarning);
    }
  }));

  it('runs jobs exactly once, late, after a restart on the same database', run(async (store, clock) => {
    const before = await store.open();
    const first = new Scheduler(before, clock);
    first.handle('durable', async () => assert.fail('nothing is due before the restart'));
    const dueAt = clock.now() + HOUR;
    const ids = [
      await first.enqueue({ kind: 'durable', payload: 'a', dueAt }),
      await first.enqueue({ kind: 'durable', payload: 'b', dueAt: dueAt + 1 }),
      await first.enqueue({ kind: 'durable', payload: 'c', dueAt, dedupeKey: 'c' }),
    ];
    assert.equal(await first.tick(), 0);
    await before.close();

    const after = await store.open();
    const second = new Scheduler(after, clock);
    const runs = new Map<string, number>();
    second.handle('durable', async (job) => {
      assert.ok(job.dueAt < clock.now(), 'it runs late');
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
    });
    assert.equal(await second.pendingCount(), 3, 'the jobs survived the restart');
    clock.advance(2 * HOUR);
    assert.equal(await second.tick(), 3);
    assert.deepEqual([...runs.keys()].sort(), [...ids].sort());
    assert.ok([...runs.values()].every((n) => n === 1));
    assert.equal(await second.tick(), 0);
    assert.equal(await second.pendingCount(), 0);
  }));

  it('after a crash, a restarted SQLite server runs the jobs the dead process had leased at once; PostgreSQL replicas wait for the lease', run(async (store, clock) => {
    const dbA = await store.open();
    const crashed = new Scheduler(dbA, clock, { owner: 'crashed', leaseMs: LONG_LEASE });
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    crashed.handle('work', () => hung);
    await crashed.enqueue({ kind: 'work', dueAt: clock.now() });
    const claimed = crashed.tick();
    await sleep(50);
    const dbB = await store.open();
    const restarted = new Scheduler(dbB, clock, { owner: 'restarted', leaseMs: LONG_LEASE, pollMs: 10 });
    const ran: string[] = [];
    restarted.handle('work', async (job) => void ran.push(job.id));
    restarted.start();
    await sleep(300);
    await restarted.stop();
    release();
    await claimed;
    assert.equal(ran.length, store.engine === 'sqlite' ? 1 : 0);
    await dbA.close();
    await dbB.close();
  }));

  it('a settling handler has its effect once: a stale run that lost its lease rolls back with LeaseLost', run(async (store, clock) => {
    const dbA = await store.open();
    const dbB = await store.open();
    await migrateEffects(dbA);
    const a = new Scheduler(dbA, clock, { owner: 'replica-a', leaseMs: LONG_LEASE });
    const b = new Scheduler(dbB, clock, { owner: 'replica-b', leaseMs: LONG_LEASE });
    const aStarted = deferred();
    const aGate = deferred();
    const effect = (db: Database, owner: string) => async (job: Job) => {
      if (owner === 'replica-a') {
        aStarted.resolve();
        await aGate.promise; // A stalls past its lease before it writes anything.
      }
      await db.db.withTables<EffectTables>().transaction().execute(async (trx) => {
        await trx.insertInto('effects').values({ job_id: job.id, owner }).execute();
        await job.settle(trx);
      });
    };
    a.handle('once', effect(dbA, 'replica-a'));
    b.handle('once', effect(dbB, 'replica-b'));
    await a.enqueue({ kind: 'once', dueAt: clock.now() });
    const aTick = a.tick();
    await within(aStarted.promise, 5_000, 'A to start the job');
    clock.advance(LONG_LEASE + 1);
    assert.equal(await b.tick(), 1, 'B takes the job over and settles it');
    aGate.resolve();
    assert.equal(await within(aTick, 5_000, "A's stale run"), 1);
    const done = await dbB.db.withTables<EffectTables>().selectFrom('effects').selectAll().execute();
    assert.deepEqual(done.map((r) => r.owner), ['replica-b'], "A's effect was rolled back with its settle");
    assert.equal(await b.pendingCount(), 0, 'the job is gone, and the stale run did not put it back for a retry');
  }));

  it('lets another replica take over a job whose lease expired; the stale run changes nothing', run(async (store, clock) => {
    const dbA = await store.open();
    const dbB = await store.open();
    const a = new Scheduler(dbA, clock, { owner: 'replica-a', leaseMs: LONG_LEASE });
    const b = new Scheduler(dbB, clock, { owner: 'replica-b', leaseMs: LONG_LEASE });
    const aStarted = deferred<Job>();
    const aGate = deferred();
    const runsA: Job[] = [];
    const runsB: Job[] = [];
    a.handle('work', async (job) => {
      runsA.push(job);
      aStarted.resolve(job);
      await aGate.promise; // A hangs: as far as the others can tell, it died mid-job.
    });
    b.handle('work', async (job) => void runsB.push(job));

    const id = await a.enqueue({ kind: 'work', payload: { n: 1 }, dueAt: clock.now(), dedupeKey: 'k' });
    const aTick = a.tick();
    const jobA = await within(aStarted.promise, 5_000, 'A to start the job');
    assert.equal(jobA.attempt, 1);
    const [claimed] = await rows(dbB);
    assert.equal(claimed?.lease_owner, 'replica-a');
    assert.equal(claimed?.lease_expires_at, clock.now() + LONG_LEASE);

    assert.equal(await b.tick(), 0, 'B leaves a job under a live lease alone');
    clock.advance(LONG_LEASE);
    assert.equal(await b.tick(), 0, 'the lease lasts up to its expiry');
    clock.advance(1);
    assert.equal(await b.tick(), 1, 'B takes the job over');
    assert.deepEqual(runsB.map((j) => [j.id, j.payload, j.attempt]), [[id, { n: 1 }, 2]]);
    assert.equal(await b.pendingCount(), 0);

    // The same key is enqueued again before A's stale run comes back.
    const next = await b.enqueue({ kind: 'work', payload: { n: 2 }, dueAt: clock.now() + HOUR, dedupeKey: 'k' });
    assert.notEqual(next, '');
    aGate.resolve();
    assert.equal(await within(aTick, 5_000, "A's stale run"), 1);
    const left = await rows(dbB);
    assert.deepEqual(left.map((r) => [r.id, r.lease_owner, r.attempts]), [[next, null, 0]], "A's completion touched nothing");

    clock.advance(HOUR);
    assert.equal(await b.tick(), 1);
    assert.equal(await a.tick(), 0);
    assert.equal(await b.tick(), 0);
    assert.deepEqual(runsA.map((j) => j.id), [id], 'A never re-ran anything');
    assert.deepEqual(runsB.map((j) => j.id), [id, next]);
  }));

  it("does not let a stale replica's failure on its last attempt drop a job another replica holds", run(async (store, clock) => {
    const dbA = await store.open();
    const dbB = await store.open();
    const a = new Scheduler(dbA, clock, { owner: 'replica-a', leaseMs: LONG_LEASE });
    const b = new Scheduler(dbB, clock, { owner: 'replica-b', leaseMs: LONG_LEASE });
    const aStarted = deferred();
    const aGate = deferred();
    const bStarted = deferred();
    const bGate = deferred();
    const attemptsA: number[] = [];
    const attemptsB: number[] = [];
    a.handle('work', async (job) => {
      attemptsA.push(job.attempt);
      if (job.attempt === 1) throw new Error('first attempt fails');
      aStarted.resolve();
      await aGate.promise;
      throw new Error('stale failure');
    });
    b.handle('work', async (job) => {
      attemptsB.push(job.attempt);
      bStarted.resolve();
      await bGate.promise;
    });

    const id = await a.enqueue({ kind: 'work', dueAt: clock.now(), maxAttempts: 2 });
    assert.equal(await a.tick(), 1);
    clock.advance(2 * SECOND);
    const aTick = a.tick(); // attempt 2, the last one: A hangs on it
    await within(aStarted.promise, 5_000, 'A to start its last attempt');
    clock.advance(LONG_LEASE + 1);
    const bTick = b.tick();
    await within(bStarted.promise, 5_000, 'B to take the job over');
    assert.deepEqual(attemptsB, [3]);

    aGate.resolve();
    assert.equal(await within(aTick, 5_000, "A's stale failure"), 1);
    const held = await rows(dbB);
    assert.deepEqual(held.map((r) => [r.id, r.lease_owner]), [[id, 'replica-b']], 'B still holds the job');

    bGate.resolve();
    assert.equal(await within(bTick, 5_000, 'B to finish'), 1);
    assert.equal(await b.pendingCount(), 0);
    assert.deepEqual(attemptsA, [1, 2]);
  }));

  it('claims only the kinds a scheduler has handlers for', run(async (store, clock) => {
    const db = await store.open();
    const alpha = new Scheduler(db, clock, { owner: 'alpha' });
    const beta = new Scheduler(db, clock, { owner: 'beta' });
    const none = new Scheduler(db, clock, { owner: 'none' });
    const ran: string[] = [];
    alpha.handle('alpha', async (job) => void ran.push(`alpha:${job.kind}`));
    beta.handle('beta', async (job) => void ran.push(`beta:${job.kind}`));

    await alpha.enqueue({ kind: 'alpha', dueAt: clock.now() });
    const betaId = await alpha.enqueue({ kind: 'beta', dueAt: clock.now() });
    await alpha.enqueue({ kind: 'gamma', dueAt: clock.now() });

    assert.equal(await none.tick(), 0, 'a scheduler without handlers claims nothing');
    assert.equal(await alpha.tick(), 1);
    assert.deepEqual(ran, ['alpha:alpha']);
    const untouched = (await rows(db)).filter((r) => r.kind !== 'alpha').sort((x, y) => x.kind.localeCompare(y.kind));
    assert.deepEqual(untouched.map((r) => [r.kind, r.lease_owner, r.attempts]), [['beta', null, 0], ['gamma', null, 0]], 'other kinds are not claimed and keep their attempts');

    assert.equal(await beta.tick(), 1);
    assert.deepEqual(ran, ['alpha:alpha', 'beta:beta']);
    assert.ok(!(await rows(db)).some((r) => r.id === betaId));
    clock.advance(HOUR);
    assert.equal(await alpha.tick(), 0);
    assert.equal(await beta.tick(), 0);
    assert.deepEqual((await rows(db)).map((r) => r.kind), ['gamma'], 'a kind nobody handles stays pending');
  }));

  it('runs a due job by itself once started', run(async (store, clock) => {
    const db = await store.open();
    const scheduler = new Scheduler(db, clock, { pollMs: 5 });
    const ran = deferred<Job>();
    let runs = 0;
    scheduler.handle('loop', async (job) => {
      runs += 1;
      ran.resolve(job);
    });
    const id = await scheduler.enqueue({ kind: 'loop', dueAt: clock.now() + MINUTE });
    scheduler.start();
    try {
      await sleep(50); // several polls
      assert.equal(runs, 0, 'the loop does not run it early');
      clock.advance(MINUTE);
      const job = await within(ran.promise, 5_000, 'the loop to run the job');
      assert.equal(job.id, id);
    } finally {
      await scheduler.stop();
    }
    assert.equal(runs, 1);
    assert.equal(await scheduler.pendingCount(), 0);
  }));
}

describe('Scheduler on SQLite', () => suite('sqlite'));

describe('Scheduler on PostgreSQL', { skip: pgSkip }, () => {
  suite('postgres');

  for (const replicas of [2, 4]) {
    it(`runs 600 jobs exactly once across ${replicas} replicas ticking concurrently`, () =>
      withStore('postgres', async (store, clock) => {
        const jobs = 600;
        const databases: Database[] = [];
        for (let i = 0; i < replicas; i++) databases.push(await store.open({ maxConnections: 4 }));
        const executions = new Map<string, number>();
        const byReplica = new Array<number>(replicas).fill(0);
        const attempts = new Set<number>();
        const schedulers = databases.map((db, i) => {
          const s = new Scheduler(db, clock, { owner: `replica-${i}`, batch: 10, leaseMs: LONG_LEASE });
          s.handle('bulk', async (job) => {
            executions.set(job.id, (executions.get(job.id) ?? 0) + 1);
            byReplica[i] += 1;
            attempts.add(job.attempt);
            await new Promise((resolve) => setImmediate(resolve)); // let the other replicas interleave
          });
          return s;
        });

        const enqueuer = schedulers[0]!;
        const ids: string[] = [];
        for (let start = 0; start < jobs; start += 50) {
          const chunk = Array.from({ length: Math.min(50, jobs - start) }, (_, k) =>
            enqueuer.enqueue({ kind: 'bulk', payload: start + k, dueAt: clock.now() + ((start + k) % 7) }),
          );
          ids.push(...(await Promise.all(chunk)));
        }
        assert.equal(new Set(ids).size, jobs);
        clock.advance(MINUTE);

        const deadline = Date.now() + 20_000;
        await Promise.all(
          schedulers.map(async (s) => {
            for (;;) {
              assert.ok(Date.now() < deadline, 'replicas did not drain the jobs in time');
              if ((await s.tick()) === 0 && (await s.pendingCount()) === 0) return;
            }
          }),
        );

        const duplicates = [...executions].filter(([, n]) => n !== 1);
        const missing = ids.filter((id) => !executions.has(id));
        assert.deepEqual(duplicates, [], 'no job ran twice');
        assert.deepEqual(missing, [], 'no job was left out');
        assert.equal(executions.size, jobs);
        assert.deepEqual([...attempts], [1], 'no job was claimed twice');
        assert.equal(byReplica.reduce((x, y) => x + y, 0), jobs);
        assert.ok(byReplica.filter((n) => n > 0).length >= 2, `the work was shared: ${byReplica.join(', ')}`);
      }));
  }
});
