import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrations.js';
import { freshSchema, postgresSkipReason } from '../test-support/postgres.js';
import { ChangeCounter, tables } from './store.js';
import { commandMigrations, type InvocationRow } from './tables.js';

const skip = await postgresSkipReason();

const invocation = (instance: string, change_seq: number): InvocationRow => ({
  command_id: 'c-1',
  instance_id: instance,
  account_id: '123456789012',
  region: 'us-east-1',
  seq: 0,
  instance_name: '',
  status_details: 'Pending',
  dispatched: 0,
  requested_at: 0,
  delivered_at: null,
  started_at: null,
  ended_at: null,
  response_code: -1,
  plugins: '[]',
  trace_output: '',
  final: 0,
  change_seq,
});

/**
 * Followers read a command's changes "after N": two replicas writing the same command must
 * number them in commit order, whatever their clocks say.
 */
describe('ordering a command’s changes across writers (PostgreSQL)', { skip: skip ?? false }, () => {
  const open: Database[] = [];
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    for (const d of open) await d.close();
    await drop?.();
  });

  test('a writer whose clock is an hour behind waits for the other’s transaction and numbers its changes after it', async () => {
    const schema = await freshSchema();
    drop = schema.drop;
    const a = await openDatabase({ url: schema.url, maxConnections: 2 });
    const b = await openDatabase({ url: schema.url, maxConnections: 2 });
    open.push(a, b);
    await migrate(a, commandMigrations);
    const now = Date.now();
    const ahead = new ChangeCounter(() => now, 'postgres');
    const behind = new ChangeCounter(() => now - 3_600_000, 'postgres');

    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let claimedA!: () => void;
    const aClaimed = new Promise<void>((r) => (claimedA = r));
    const events: string[] = [];
    const txA = a.db.transaction().execute(async (trx) => {
      await ahead.claim(trx, ['c-1']);
      claimedA();
      await tables(trx).insertInto('command_invocations').values(invocation('mi-a', ahead.next())).execute();
      await held;
      events.push('a commits');
    });
    await aClaimed;
    const txB = b.db.transaction().execute(async (trx) => {
      await behind.claim(trx, ['c-1']);
      events.push('b has its claim');
      const seq = behind.next();
      await tables(trx).insertInto('command_invocations').values(invocation('mi-b', seq)).execute();
      return seq;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(events, [], 'b waits while a holds the command');
    release();
    await txA;
    const seqB = await txB;
    assert.deepEqual(events, ['a commits', 'b has its claim']);
    const rows = await tables(a.db).selectFrom('command_invocations').select(['instance_id', 'change_seq']).orderBy('change_seq').execute();
    assert.deepEqual(rows.map((r) => r.instance_id), ['mi-a', 'mi-b'], 'b’s change comes after a’s although its clock is behind');
    assert.equal(Number(rows[1]!.change_seq), seqB);
  });
});
