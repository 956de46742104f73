import { Migrator, sql, type Migration, type MigrationProvider, type Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * A migration step contributed by a capability. Names sort globally, so each capability
 * takes a prefix (`0100_iam_…`, `0200_audit_…`) and new steps are only ever appended.
 */
export interface MigrationStep {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, engine: Database['engine']): Promise<void>;
}

export async function migrate(database: Database, steps: readonly MigrationStep[]): Promise<void> {
  const names = new Set<string>();
  for (const s of steps) {
    if (names.has(s.name)) throw new Error(`duplicate migration step ${s.name}`);
    names.add(s.name);
  }
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const s of steps) out[s.name] = { up: (db) => s.up(db, database.engine) };
      return out;
    },
  };
  // Kysely looks for its bookkeeping tables across every schema it can see; pin them to ours so
  // two Capstan installations in one PostgreSQL database (different schemas) never mix.
  const schema =
    database.engine === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(database.db)).rows[0]?.s : undefined;
  const migrator = new Migrator({
    db: database.db,
    provider,
    migrationTableName: 'capstan_migrations',
    migrationLockTableName: 'capstan_migrations_lock',
    // Each capability numbers its own steps (0100_iam_…, 0600_parameters_…), so a later step of
    // an early capability sorts before steps already applied; that is expected, not corruption.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}
