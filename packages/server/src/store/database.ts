import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { existsSync, writeFileSync } from 'node:fs';

export type Engine = 'sqlite' | 'postgres';

/**
 * One handle on the store. Capabilities never see the engine-specific driver:
 * each narrows `db` to its own tables with `db.withTables<...>()`.
 */
export interface Database {
  readonly engine: Engine;
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  readonly db: Kysely<{}>;
  /** The file of an SQLite store, for work that opens its own connection (the audit writer). */
  readonly sqlitePath?: string;
  /** The PostgreSQL URL, for work that needs a connection of its own (the cluster bus's LISTEN). */
  readonly url?: string;
  close(): Promise<void>;
}

/**
 * Any store handle or transaction, whatever tables its owner knows, so work of one part (a
 * scheduler job, an event) can join the transaction of the change that causes it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = { withTables<T extends Record<string, Record<string, any>>>(): Kysely<any> };

export interface DatabaseOptions {
  /** `postgres://…` selects PostgreSQL; otherwise `sqlitePath` is used. */
  url?: string;
  sqlitePath?: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** The schema a PostgreSQL session works in (its search_path's first), as Capstan's tables live there. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function currentSchema(db: Kysely<any>): Promise<string> {
  return (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url && /^postgres(ql)?:\/\//.test(options.url)) return openPostgres(options.url, options.maxConnections ?? 10);
  if (!options.sqlitePath) throw new Error('openDatabase needs a PostgreSQL URL or a SQLite path');
  return openSqlite(options.sqlitePath);
}

function openSqlite(path: string): Database {
  // SQLite gives its -wal and -shm files the mode of the database file: create it private.
  if (path !== ':memory:' && !existsSync(path)) writeFileSync(path, '', { mode: 0o600 });
  const native = new BetterSqlite3(path);
  // WAL lets readers proceed while the single writer commits; NORMAL sync is durable in WAL mode
  // against process crashes, which is the failure Capstan must survive without losing work.
  native.pragma('journal_mode = WAL');
  native.pragma('synchronous = NORMAL');
  native.pragma('foreign_keys = ON');
  native.pragma('busy_timeout = 5000');
  const db = new Kysely<{}>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(native) }) });
  return { engine: 'sqlite', db, ...(path !== ':memory:' ? { sqlitePath: path } : {}), close: () => db.destroy() };
}

/**
 * Kysely prepares every query afresh; with better-sqlite3 preparing costs as much as running.
 * Statements are kept by their SQL text (queries are parameterised, so the set is small and
 * fixed), and the oldest are dropped past a bound.
 */
function withStatementCache(native: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = native.prepare(source);
      if (cache.size >= 500) cache.delete(cache.keys().next().value!);
      cache.set(source, stmt);
    }
    return stmt;
  };
  return new Proxy(native, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Transactions take SQLite's write lock when they begin. A deferred transaction that reads and
 * then writes fails with SQLITE_BUSY_SNAPSHOT when another connection (the audit writer, the
 * CLI) committed in between; an immediate one waits its turn instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  /**
   * Kysely's own lock wakes every waiter whenever the one connection is released, and all but
   * one wait again: with thousands of queries waiting (a command's replies from a whole fleet)
   * each hand-off costs as much as the queue is long. Waiters here are handed the connection one
   * by one, in order, so the base lock is never contended.
   */
  private readonly waiting: (() => void)[] = [];
  private held = false;

  override async acquireConnection(): Promise<DatabaseConnection> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.held = true;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(settings);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

async function openPostgres(url: string, max: number): Promise<Database> {
  // Times and counters are stored as BIGINT; read them back as numbers rather than strings.
  // Per-pool type parsers keep this from leaking into other pg users in the same process.
  const types = {
    getTypeParser: (oid: number, format?: string) => {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  };
  const pool = new pg.Pool({ connectionString: url, max, types: types as pg.CustomTypesConfig });
  const db = new Kysely<{}>({ dialect: new PostgresDialect({ pool }) });
  await sql`select 1`.execute(db);
  return { engine: 'postgres', db, url, close: () => db.destroy() };
}
