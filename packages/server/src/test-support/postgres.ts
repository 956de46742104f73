import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL that CI provides; tests skip it (saying why) only outside CI. */
export const POSTGRES_URL = process.env.CAPSTAN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    // A busy server (a loaded CI machine, all connection slots taken for a moment) is not an
    // absent one: ask a few times before deciding.
    for (let attempt = 1; ; attempt++) {
      const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } catch (e) {
        const refused = (e as { code?: string }).code === 'ECONNREFUSED';
        if (refused || attempt >= 5) return false;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  })();
  return reachable;
}

/**
 * Why a PostgreSQL test is skipped, or undefined when it should run. In CI PostgreSQL must be
 * there, so an unreachable server fails the run instead of quietly skipping.
 */
export async function postgresSkipReason(): Promise<string | undefined> {
  if (await postgresReachable()) return undefined;
  if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}, and CI needs it`);
  return `PostgreSQL is not reachable at ${POSTGRES_URL} (set CAPSTAN_TEST_POSTGRES_URL, or run in CI)`;
}

/** A fresh schema for one test, so tests on one database never see each other's rows. */
export async function freshSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
