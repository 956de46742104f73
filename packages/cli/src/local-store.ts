import { join, resolve } from 'node:path';
import { ALL_MIGRATIONS, IamService, loadRootKey, migrate, openDatabase, prepareDataDir, systemClock, Throttle, type Database } from '@capstan/server';

export interface StoreOptions {
  dataDir: string;
  database?: string;
}

/**
 * Operator commands that act on the store itself (accounts, throttle limits): they need the
 * data directory or the database URL and the root key, not an API key.
 */
export async function withLocalStore<T>(opts: StoreOptions, fn: (s: { database: Database; iam: IamService; throttle: Throttle }) => Promise<T>): Promise<T> {
  const dir = resolve(opts.dataDir);
  prepareDataDir(dir);
  const env = process.env;
  const rootKey = loadRootKey(env.CAPSTAN_ROOT_KEY ? { value: env.CAPSTAN_ROOT_KEY } : { file: env.CAPSTAN_ROOT_KEY_FILE ?? join(dir, 'root.key') });
  const database = await openDatabase(opts.database ? { url: opts.database } : { sqlitePath: join(dir, 'capstan.db') });
  try {
    await migrate(database, ALL_MIGRATIONS);
    return await fn({ database, iam: new IamService(database, systemClock, rootKey), throttle: new Throttle(database, systemClock) });
  } finally {
    await database.close();
  }
}

export function withStoreOptions(cmd: import('commander').Command): import('commander').Command {
  return cmd.option('--data-dir <dir>', 'data directory of the server', 'data').option('--database <url>', 'postgres://… when the server uses PostgreSQL');
}
