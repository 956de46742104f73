import type { Kysely } from 'kysely';
import type { ParameterRow, ParameterTables, VersionFields, VersionRow } from './tables.js';

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

/** Keeps the per-tier parameter count, in the transaction of the change. */
async function adjustCount(db: ParameterDb, account: string, region: string, tier: 'Standard' | 'Advanced', delta: number): Promise<void> {
  await db
    .insertInto('parameter_counts')
    .values({ account_id: account, region, tier, count: delta })
    .onConflict((oc) => oc.columns(['account_id', 'region', 'tier']).doUpdateSet((eb) => ({ count: eb('parameter_counts.count', '+', delta) })))
    .execute();
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

  async insert(db: ParameterDb, row: ParameterRow, version: VersionRow): Promise<void> {
    await db.insertInto('parameters').values(row).execute();
    await db.insertInto('parameter_versions').values(version).execute();
    await adjustCount(db, row.account_id, row.region, row.tier, 1);
  },

  /** Makes `version` the current one: the parameter row takes its fields, the history gains it. */
  async addVersion(db: ParameterDb, account: string, region: string, name: string, fields: VersionFields, version: VersionRow, previousTier: VersionFields['tier']): Promise<void> {
    await db.insertInto('parameter_versions').values(version).execute();
    if (previousTier !== fields.tier) {
      await adjustCount(db, account, region, previousTier, -1);
      await adjustCount(db, account, region, fields.tier, 1);
    }
    await db.updateTable('parameters').set(fields).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute();
  },

  deleteVersion: (db: ParameterDb, account: string, region: string, name: string, version: number) =>
    db.deleteFrom('parameter_versions').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).where('version', '=', version).execute(),

  async delete(db: ParameterDb, account: string, region: string, name: string): Promise<boolean> {
    const gone = await db.deleteFrom('parameters').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).returning('tier').executeTakeFirst();
    await db.deleteFrom('parameter_versions').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute();
    if (gone) await adjustCount(db, account, region, gone.tier, -1);
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
    if (scope.under !== undefined) {
      const from = scope.under === '/' ? '/' : `${scope.under}/`;
      q = q.where('name', '>=', from).where('name', '<', upperBound(from));
    }
    if (scope.prefix) q = q.where('name', '>=', scope.prefix).where('name', '<', upperBound(scope.prefix));
    if (scope.after !== undefined) q = q.where('name', '>', scope.after);
    return q.orderBy('name').limit(limit).execute();
  },
};
