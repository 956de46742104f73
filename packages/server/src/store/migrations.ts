import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * A migration step contributed by a capability. Names sort globally, so each capability
 * takes a prefix (`0100_iam_…`, `0200_audit_…`) and new steps are only ever appended; a later
 * step of an early capability may sort before steps already applied, which is expected.
 */
export interface MigrationStep {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, engine: Database['engine']): Promise<void>;
}

type Bookkeeping = { capstan_migrations: { name: string; executed_at: number } };

/**
 * Applies the steps not yet applied, in name order, in one transaction with the record of
 * them. Written here rather than taken from Kysely's Migrator: that one finds its tables by
 * introspecting every schema of the database, which fails when another installation's schema
 * is being dropped at the same moment (as tests on one PostgreSQL do all the time).
 */
export async function migrate(database: Database, steps: readonly MigrationStep[]): Promise<void> {
  const names = new Set<string>();
  for (const s of steps) {
    if (names.has(s.name)) throw new Error(`duplicate migration step ${s.name}`);
    names.add(s.name);
  }
  const db = database.db.withTables<Bookkeeping>();
  let current = '';
  try {
    await db.transaction().execute(async (trx) => {
      // One migrating server at a time per schema (replicas may start together); SQLite's
      // transactions already begin immediate.
      if (database.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(current_schema()))`.execute(trx);
      await sql`create table if not exists capstan_migrations (name text primary key, executed_at bigint not null)`.execute(trx);
      const applied = new Set((await trx.selectFrom('capstan_migrations').select('name').execute()).map((r) => r.name));
      for (const step of [...steps].sort((a, b) => a.name.localeCompare(b.name))) {
        if (applied.has(step.name)) continue;
        current = step.name;
        await step.up(trx, database.engine);
        await trx.insertInto('capstan_migrations').values({ name: step.name, executed_at: Date.now() }).execute();
      }
    });
  } catch (e) {
    throw new Error(`database migration ${current} failed: ${(e as Error).message ?? String(e)}`);
  }
}
