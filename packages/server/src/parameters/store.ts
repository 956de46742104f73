import type { Kysely } from 'kysely';
import type { Engine } from '../store/database.js';
import { TIER_FULL_SQLSTATE, type ParameterRow, type ParameterTables, type VersionFields, type VersionRow } from './tables.js';

export type ParameterDb = Kysely<ParameterTables>;

const key = (db: ParameterDb, table: 'parameters' | 'parameter_versions', account: string, region: string, name: string) =>
  db.selectFrom(table).where('account_id', '=', account).where('region', '=', region).where('name', '=', name);

export interface Scope {
  /** Names under this path at any depth (`/a` → `/a/…`). */
  under?: string;
  /** Names directly in this path (`/a` → `/a/x`, not `/a/x/y`). */
  inPath?: string;
  /** Names starting with this text. */
  prefix?: string;
  /** Names strictly after this one, for keyset paging. */
  after?: string;
}

/** The smallest string greater than every string starting with `prefix`. */
const upperBound = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

interface NameBound {
  op: '>=' | '>' | '<';
  value: string;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * The range of names a scope covers, as one lower and one upper bound where they can be merged.
 * Given two lower bounds (a path and a page's last name), both engines seek the index to one
 * and filter by the other: each page then read every name before it, and paging through
 * 10,000 parameters cost as much per page as the page's depth. Bounds are merged only when
 * they are ASCII (as every valid parameter name is), where JavaScript's order is the bytes'
 * order the engines sort by; others are all kept.
 */
function nameBounds(scope: Scope): NameBound[] {
  const bounds: NameBound[] = [];
  if (scope.under !== undefined) {
    const from = scope.under === '/' ? '/' : `${scope.under}/`;
    bounds.push({ op: '>=', value: from }, { op: '<', value: upperBound(from) });
  }
  if (scope.prefix) bounds.push({ op: '>=', value: scope.prefix }, { op: '<', value: upperBound(scope.prefix) });
  if (scope.after !== undefined) bounds.push({ op: '>', value: scope.after });
  if (!bounds.every((b) => ASCII.test(b.value))) return bounds;
  let lower: NameBound | undefined;
  let upper: NameBound | undefined;
  for (const b of bounds) {
    if (b.op === '<') {
      if (upper === undefined || b.value < upper.value) upper = b;
    } else if (lower === undefined || b.value > lower.value || (b.value === lower.value && b.op === '>')) lower = b;
  }
  return [...(lower ? [lower] : []), ...(upper ? [upper] : [])];
}

/**
 * Who keeps `parameter_counts`: on PostgreSQL a deferred trigger, at commit (migration 0603);
 * on SQLite, which has one writer, the store's functions, in the transaction of the change.
 */
export type Counting = 'at-commit' | 'in-transaction';
/** The commit failed because a tier would be past its limit (counting at commit). */
export const isTierFull = (e: unknown): boolean => (e as { code?: unknown } | undefined)?.code === TIER_FULL_SQLSTATE;

export const countingOf = (engine: Engine): Counting => (engine === 'postgres' ? 'at-commit' : 'in-transaction');

/** Keeps the per-tier parameter count, in the transaction of the change; answers the new count. */
async function adjustCount(db: ParameterDb, account: string, region: string, tier: 'Standard' | 'Advanced', delta: number): Promise<number> {
  const row = await db
    .insertInto('parameter_counts')
    .values({ account_id: account, region, tier, count: delta })
    .onConflict((oc) => oc.columns(['account_id', 'region', 'tier']).doUpdateSet((eb) => ({ count: eb('parameter_counts.count', '+', delta) })))
    .returning('count')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Queries over Parameter Store's tables; every one scoped by account and region. */
export const parameterStore = {
  get: (db: ParameterDb, account: string, region: string, name: string) => key(db, 'parameters', account, region, name).selectAll().executeTakeFirst(),

  getVersion: (db: ParameterDb, account: string, region: string, name: string, version: number) =>
    key(db, 'parameter_versions', account, region, name).where('version', '=', version).selectAll().executeTakeFirst(),

  versions: (db: ParameterDb, account: string, region: string, name: string) =>
    key(db, 'parameter_versions', account, region, name).selectAll().orderBy('version').execute(),

  versionsPage: (db: ParameterDb, account: string, region: string, name: string, afterVersion: number, limit: number) =>
    key(db, 'parameter_versions', account, region, name).where('version', '>', afterVersion).selectAll().orderBy('version').limit(limit).execute(),

  /**
   * A new parameter and its first version. Counted in the transaction, it answers the tier's new
   * count: the counter's row is the one every create waits on, and its lock is held from here
   * to the commit, so this is the caller's last write, and the count already includes every
   * concurrent create that committed, which makes the limit check exact. Counted at commit
   * (PostgreSQL), both rows go in one statement (a WITH that inserts), and the commit fails
   * with TIER_FULL_SQLSTATE when the tier is full.
   */
  async create(db: ParameterDb, row: ParameterRow, version: VersionRow, counting: Counting): Promise<number | undefined> {
    if (counting === 'at-commit') {
      await db.with('parameter', (q) => q.insertInto('parameters').values(row)).insertInto('parameter_versions').values(version).execute();
      return undefined;
    }
    await db.insertInto('parameters').values(row).execute();
    await db.insertInto('parameter_versions').values(version).execute();
    return adjustCount(db, row.account_id, row.region, row.tier, 1);
  },

  /**
   * Makes `version` the current one: the parameter row takes its fields, the history gains it.
   * A change of tier is counted by the caller (`changeTier`). False when the parameter is no
   * longer at version `replacing`.
   */
  async addVersion(db: ParameterDb, account: string, region: string, name: string, fields: VersionFields, version: VersionRow, replacing: number): Promise<boolean> {
    await db.insertInto('parameter_versions').values(version).execute();
    const r = await db.updateTable('parameters').set(fields).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).where('version', '=', replacing).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /**
   * Moves a parameter's count from tier `from` to `tier` and answers `tier`'s new count, when
   * counting in the transaction (as `create`, this goes last).
   */
  async changeTier(db: ParameterDb, account: string, region: string, from: 'Standard' | 'Advanced', tier: 'Standard' | 'Advanced'): Promise<number> {
    await adjustCount(db, account, region, from, -1);
    return adjustCount(db, account, region, tier, 1);
  },

  deleteVersion: (db: ParameterDb, account: string, region: string, name: string, version: number) =>
    db.deleteFrom('parameter_versions').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).where('version', '=', version).execute(),

  async delete(db: ParameterDb, account: string, region: string, name: string, counting: Counting): Promise<boolean> {
    const gone = await db.deleteFrom('parameters').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).returning('tier').executeTakeFirst();
    await db.deleteFrom('parameter_versions').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute();
    if (gone && counting === 'in-transaction') await adjustCount(db, account, region, gone.tier, -1);
    return gone !== undefined;
  },

  setLabels: (db: ParameterDb, account: string, region: string, name: string, version: number, labels: string[]) =>
    db
      .updateTable('parameter_versions')
      .set({ labels: JSON.stringify(labels) })
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('name', '=', name)
      .where('version', '=', version)
      .execute(),

  setTags: (db: ParameterDb, account: string, region: string, name: string, tags: Record<string, string>) =>
    db.updateTable('parameters').set({ tags: JSON.stringify(tags) }).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute(),

  /** Records a policy's new status on the parameter and on the version that carries it. */
  async setPolicies(db: ParameterDb, account: string, region: string, name: string, version: number, policies: string): Promise<void> {
    await db.updateTable('parameters').set({ policies }).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).where('version', '=', version).execute();
    await db
      .updateTable('parameter_versions')
      .set({ policies })
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('name', '=', name)
      .where('version', '=', version)
      .execute();
  },

  async countInTier(db: ParameterDb, account: string, region: string, tier: 'Standard' | 'Advanced'): Promise<number> {
    const r = await db.selectFrom('parameter_counts').select('count').where('account_id', '=', account).where('region', '=', region).where('tier', '=', tier).executeTakeFirst();
    return r?.count ?? 0;
  },

  /** Parameters in name order, for listings; ranges use the primary key or the path index. */
  page(db: ParameterDb, account: string, region: string, scope: Scope, limit: number): Promise<ParameterRow[]> {
    let q = db.selectFrom('parameters').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (scope.inPath !== undefined) q = q.where('path', '=', scope.inPath);
    for (const bound of nameBounds(scope)) q = q.where('name', bound.op, bound.value);
    return q.orderBy('name').limit(limit).execute();
  },
};
