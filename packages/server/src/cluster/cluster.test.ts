import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startTestServer } from '../test-support/server.js';
import { ManualClock } from '../scheduler/clock.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrations.js';
import { freshSchema, postgresSkipReason } from '../test-support/postgres.js';
import { createCluster, clusterMigrations, type Cluster } from './index.js';

const skip = await postgresSkipReason();

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the cluster on PostgreSQL', { skip: skip ?? false }, () => {
  const opened: { db: Database; cluster: Cluster }[] = [];
  const schemas: Awaited<ReturnType<typeof freshSchema>>[] = [];
  const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));

  /** A replica's share of the cluster: its own pool and bus on the schema. */
  async function replica(url: string, url2 = 'http://127.0.0.1:1'): Promise<Cluster> {
    const db = await openDatabase({ url, maxConnections: 2 });
    await migrate(db, clusterMigrations);
    const cluster = createCluster(db, clock, () => url2, { heartbeatMs: 60_000, deadAfterMs: 10_000 });
    opened.push({ db, cluster });
    await cluster.bus.start();
    return cluster;
  }

  after(async () => {
    for (const o of opened) {
      await o.cluster.bus.stop();
      await o.cluster.replicas.stop();
      await o.db.close();
    }
    for (const s of schemas) await s.drop();
  });

  test('a message reaches every other replica, not its sender; one past a notification’s size goes through the store', async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    const [a, b, c] = [await replica(schema.url), await replica(schema.url), await replica(schema.url)];
    const got: Record<string, unknown[]> = { a: [], b: [], c: [] };
    a.bus.subscribe('t', (m) => got.a!.push(m));
    b.bus.subscribe('t', (m, from) => got.b!.push({ m, from }));
    c.bus.subscribe('t', (m) => got.c!.push(m));
    await a.bus.publish('t', { n: 1 });
    const big = 'x'.repeat(20_000);
    await a.bus.publish('t', { big });
    await until('both messages at b and c', () => (got.b!.length === 2 && got.c!.length === 2 ? true : undefined));
    assert.deepEqual(got.b, [{ m: { n: 1 }, from: a.replicaId }, { m: { big }, from: a.replicaId }]);
    assert.deepEqual(got.c, [{ n: 1 }, { big }]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got.a, [], 'the sender does not hear itself');
  });

  test('a message published in a transaction arrives when it commits, and never when it rolls back', async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    const a = await replica(schema.url);
    const b = await replica(schema.url);
    const got: unknown[] = [];
    b.bus.subscribe('tx', (m) => got.push(m));
    const db = opened.find((o) => o.cluster === a)!.db;
    await db.db.transaction().execute(async (trx) => {
      await a.bus.publish('tx', 'committed', trx);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(got, [], 'nothing is heard before the commit');
    });
    await db.db
      .transaction()
      .execute(async (trx) => {
        await a.bus.publish('tx', 'rolled back', trx);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await until('the committed message', () => (got.length ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(got, ['committed']);
  });

  test('the bus reconnects after its connection is cut, and asks its users to look for what they missed', async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    const a = await replica(schema.url);
    const b = await replica(schema.url);
    let resyncs = 0;
    b.bus.onResync(() => resyncs++);
    const got: unknown[] = [];
    b.bus.subscribe('after', (m) => got.push(m));
    const db = opened.find((o) => o.cluster === a)!.db;
    // Only this schema's listeners: other tests on the same database keep theirs.
    const cut = await sql<{ n: number }>`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'capstan-bus' and query = 'listen "capstan:' || current_schema() || '"'`.execute(db.db);
    assert.ok(cut.rows[0]!.n >= 2, 'both listeners were cut');
    await until('a resync', () => (resyncs > 0 ? true : undefined));
    await a.bus.publish('after', 'heard again');
    await until('a message after the reconnect', () => (got.length ? true : undefined));
  });

  test('a replica whose heartbeat stops is reported dead once, and its URL is no longer live; one that stops on purpose leaves', async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    const a = await replica(schema.url, 'http://127.0.0.1:1001');
    const b = await replica(schema.url, 'http://127.0.0.1:1002');
    const c = await replica(schema.url, 'http://127.0.0.1:1003');
    const dead: string[][] = [];
    a.replicas.onDead(async (ids) => void dead.push(ids));
    await a.replicas.start();
    await b.replicas.start();
    await c.replicas.start();
    assert.equal(await a.replicas.liveUrl(b.replicaId), 'http://127.0.0.1:1002');
    clock.advance(8_000);
    await a.replicas.beat();
    await c.replicas.beat();
    assert.deepEqual(dead, [], 'b is late, not yet dead');
    clock.advance(3_000);
    await a.replicas.beat();
    assert.deepEqual(dead, [[b.replicaId]], 'b has been silent for longer than deadAfterMs');
    await a.replicas.beat();
    assert.deepEqual(dead, [[b.replicaId]], 'reported once');
    clock.advance(3_000);
    assert.equal(await a.replicas.liveUrl(b.replicaId), undefined);
    assert.equal(await a.replicas.liveUrl(a.replicaId), 'http://127.0.0.1:1001', 'a replica is always alive to itself');
    await c.replicas.stop();
    const rows = await opened[0]!.db.db.withTables<{ cluster_replicas: { replica_id: string } }>().selectFrom('cluster_replicas').select('replica_id').execute();
    assert.ok(!rows.some((r) => r.replica_id === c.replicaId), 'c left the table when it stopped');
  });
});

describe('IAM changes across replicas', { skip: skip ?? false }, () => {
  test('a deleted access key stops working on another replica at once, not when its credential cache expires', async () => {
    const schema = await freshSchema();
    const rootKey = { value: randomBytes(32).toString('base64') };
    // An hour-long cache: only the bus can make the other replica forget the key in time.
    const a = await startTestServer({ databaseUrl: schema.url, rootKey, credentialTtlMs: 3_600_000 });
    const b = await startTestServer({ databaseUrl: schema.url, rootKey, credentialTtlMs: 3_600_000 });
    try {
      const iam = new IAMClient({ ...a.clientConfig(), region: 'us-east-1' });
      await iam.send(new CreateUserCommand({ UserName: 'leaver' }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'leaver' }))).AccessKey!;
      const creds = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
      const onB = new STSClient(b.clientConfig({ credentials: creds }));
      assert.match((await onB.send(new GetCallerIdentityCommand({}))).Arn ?? '', /user\/leaver$/, 'B knows (and caches) the key');
      await iam.send(new DeleteAccessKeyCommand({ UserName: 'leaver', AccessKeyId: creds.accessKeyId }));
      await until('B to refuse the deleted key', async () => {
        try {
          await onB.send(new GetCallerIdentityCommand({}));
          return undefined;
        } catch (e) {
          return (e as Error).name === 'InvalidClientTokenId' ? true : undefined;
        }
      });
      iam.destroy();
      onB.destroy();
    } finally {
      await a.server.close();
      await b.server.close();
      await schema.drop();
    }
  });
});
