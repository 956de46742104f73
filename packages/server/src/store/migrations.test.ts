import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from './database.js';
import { migrate, type MigrationStep } from './migrations.js';
import { freshSchema, postgresSkipReason } from '../test-support/postgres.js';

const steps = (log: string[]): MigrationStep[] => [
  { name: '0200_b', up: async (db) => void log.push('b') },
  { name: '0100_a', up: async (db) => (log.push('a'), void (await sql`create table t_a (x integer)`.execute(db))) },
];

for (const engine of ['sqlite', 'postgres'] as const) {
  test(`migrations on ${engine}: applied once each, in name order, later steps added later, a failing step leaves nothing`, { skip: engine === 'postgres' ? ((await postgresSkipReason()) ?? false) : false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-mig-'));
    const schema = engine === 'postgres' ? await freshSchema() : undefined;
    const open = () => openDatabase(schema ? { url: schema.url } : { sqlitePath: join(dir, 'db') });
    try {
      const log: string[] = [];
      let db = await open();
      await migrate(db, steps(log));
      await migrate(db, steps(log));
      assert.deepEqual(log, ['a', 'b']);
      await db.close();
      db = await open();
      const more = [...steps(log), { name: '0150_c', up: async () => void log.push('c') }];
      await migrate(db, more);
      assert.deepEqual(log, ['a', 'b', 'c']);
      const failing = [...more, { name: '0300_d', up: async (k: Parameters<MigrationStep['up']>[0]) => {
        await sql`create table t_d (x integer)`.execute(k);
        throw new Error('boom');
      } }, { name: '0301_e', up: async () => void log.push('e') }];
      await assert.rejects(migrate(db, failing), /database migration 0300_d failed: boom/);
      const tables = engine === 'sqlite'
        ? await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 't_d'`.execute(db.db)
        : await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name = 't_d'`.execute(db.db);
      assert.equal(Number(tables.rows[0]!.n), 0, 'the failed step left no table');
      assert.ok(!log.includes('e'));
      await assert.rejects(migrate(db, [{ name: 'x', up: async () => {} }, { name: 'x', up: async () => {} }]), /duplicate migration step x/);
      await db.close();
    } finally {
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
