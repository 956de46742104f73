import type { Kysely } from 'kysely';
import type { DocumentRow, DocumentTables, ShareRow, VersionRow } from './tables.js';

export type DocumentDb = Kysely<DocumentTables>;

const doc = (db: DocumentDb, account: string, region: string, name: string) =>
  db.selectFrom('documents').where('account_id', '=', account).where('region', '=', region).where('name', '=', name);
const versionsOf = (db: DocumentDb, account: string, region: string, name: string) =>
  db.selectFrom('document_versions').where('account_id', '=', account).where('region', '=', region).where('name', '=', name);

/** A document with the fields of its default version, as listings show it. */
export interface ListedRow {
  account_id: string;
  name: string;
  document_type: string;
  default_version: number;
  created_at: number;
  tags: string;
  version_name: string | null;
  format: string;
  display_name: string | null;
  target_type: string | null;
  schema_version: string | null;
  platform_types: string;
  requires: string | null;
  author: string;
  review_status: string | null;
}

/** Where a listing page resumes: strictly after this name, or this name from a later owner. */
export interface After {
  name: string;
  owner: string;
}

/** The smallest string greater than every string starting with `prefix`. */
const upperBound = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

function listed(db: DocumentDb) {
  return db
    .selectFrom('documents as d')
    .innerJoin('document_versions as v', (j) =>
      j.onRef('v.account_id', '=', 'd.account_id').onRef('v.region', '=', 'd.region').onRef('v.name', '=', 'd.name').onRef('v.version', '=', 'd.default_version'),
    )
    .select([
      'd.account_id', 'd.name', 'd.document_type', 'd.default_version', 'd.created_at', 'd.tags', 'v.version_name', 'v.format', 'v.display_name',
      'v.target_type', 'v.schema_version', 'v.platform_types', 'v.requires', 'v.author', 'v.review_status',
    ]);
}

/** Queries over the document tables; every one scoped by account and region. */
export const documentStore = {
  get: (db: DocumentDb, account: string, region: string, name: string) => doc(db, account, region, name).selectAll().executeTakeFirst(),

  getVersion: (db: DocumentDb, account: string, region: string, name: string, version: number) =>
    versionsOf(db, account, region, name).where('version', '=', version).selectAll().executeTakeFirst(),

  getVersionByName: (db: DocumentDb, account: string, region: string, name: string, versionName: string) =>
    versionsOf(db, account, region, name).where('version_name', '=', versionName).selectAll().executeTakeFirst(),

  /** What duplicate checks need of every version. */
  versionKeys: (db: DocumentDb, account: string, region: string, name: string) =>
    versionsOf(db, account, region, name).select(['version', 'version_name', 'hash', 'target_type']).orderBy('version').execute(),

  versionsPage: (db: DocumentDb, account: string, region: string, name: string, afterVersion: number, limit: number) =>
    versionsOf(db, account, region, name).where('version', '>', afterVersion).selectAll().orderBy('version').limit(limit).execute(),

  async count(db: DocumentDb, account: string, region: string): Promise<number> {
    const r = await db.selectFrom('documents').select((eb) => eb.fn.countAll<string | number>().as('n')).where('account_id', '=', account).where('region', '=', region).executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  async insert(db: DocumentDb, row: DocumentRow, version: VersionRow): Promise<void> {
    await db.insertInto('documents').values(row).execute();
    await db.insertInto('document_versions').values(version).execute();
  },

  async addVersion(db: DocumentDb, version: VersionRow): Promise<void> {
    await db.insertInto('document_versions').values(version).execute();
    await db.updateTable('documents').set({ latest_version: version.version }).where('account_id', '=', version.account_id).where('region', '=', version.region).where('name', '=', version.name).execute();
  },

  setDefault: (db: DocumentDb, account: string, region: string, name: string, version: number) =>
    db.updateTable('documents').set({ default_version: version }).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute(),

  /** Removes one version; the latest pointer falls back to the highest one left. */
  async deleteVersion(db: DocumentDb, account: string, region: string, name: string, version: number): Promise<void> {
    await db.deleteFrom('document_versions').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).where('version', '=', version).execute();
    const top = await versionsOf(db, account, region, name).select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (top) await db.updateTable('documents').set({ latest_version: top.version }).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute();
  },

  async delete(db: DocumentDb, account: string, region: string, name: string): Promise<void> {
    for (const table of ['documents', 'document_versions', 'document_shares'] as const) {
      await db.deleteFrom(table).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute();
    }
  },

  setTags: (db: DocumentDb, account: string, region: string, name: string, tags: Record<string, string>) =>
    db.updateTable('documents').set({ tags: JSON.stringify(tags) }).where('account_id', '=', account).where('region', '=', region).where('name', '=', name).execute(),

  setReview: (db: DocumentDb, account: string, region: string, name: string, version: number, status: string, reviews: string) =>
    db
      .updateTable('document_versions')
      .set({ review_status: status, reviews })
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('name', '=', name)
      .where('version', '=', version)
      .execute(),

  reviewedVersions: (db: DocumentDb, account: string, region: string, name: string) =>
    versionsOf(db, account, region, name).where('review_status', 'is not', null).select(['version', 'review_status']).orderBy('version').execute(),

  shares: (db: DocumentDb, account: string, region: string, name: string): Promise<ShareRow[]> =>
    db.selectFrom('document_shares').selectAll().where('account_id', '=', account).where('region', '=', region).where('name', '=', name).orderBy('created_at').orderBy('shared_with').execute(),

  /** The shares that let `receiver` see a document: its own and the public one. */
  sharesFor: (db: DocumentDb, owner: string, region: string, name: string, receiver: string): Promise<ShareRow[]> =>
    db
      .selectFrom('document_shares')
      .selectAll()
      .where('account_id', '=', owner)
      .where('region', '=', region)
      .where('name', '=', name)
      .where('shared_with', 'in', [receiver, 'all'])
      .execute(),

  async share(db: DocumentDb, row: ShareRow): Promise<void> {
    await db.deleteFrom('document_shares').where('account_id', '=', row.account_id).where('region', '=', row.region).where('name', '=', row.name).where('shared_with', '=', row.shared_with).execute();
    await db.insertInto('document_shares').values(row).execute();
  },

  unshare: (db: DocumentDb, account: string, region: string, name: string, sharedWith: string) =>
    db.deleteFrom('document_shares').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).where('shared_with', '=', sharedWith).execute(),

  async publicCount(db: DocumentDb, account: string, region: string): Promise<number> {
    const r = await db
      .selectFrom('document_shares')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('shared_with', '=', 'all')
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  /** The account's own documents in name order, after a point, optionally under one name prefix. */
  ownPage(db: DocumentDb, account: string, region: string, after: After | undefined, prefix: string | undefined, limit: number): Promise<ListedRow[]> {
    let q = listed(db).where('d.account_id', '=', account).where('d.region', '=', region);
    if (prefix) q = q.where('d.name', '>=', prefix).where('d.name', '<', upperBound(prefix));
    if (after) q = q.where('d.name', account > after.owner ? '>=' : '>', after.name);
    return q.orderBy('d.name').limit(limit).execute();
  },

  /** Other accounts' documents shared with any of `receivers` (an account id, `all`), in (name, owner) order. */
  async sharedPage(db: DocumentDb, receiver: string, receivers: string[], region: string, after: After | undefined, prefix: string | undefined, limit: number): Promise<ListedRow[]> {
    let q = listed(db)
      .innerJoin('document_shares as s', (j) => j.onRef('s.account_id', '=', 'd.account_id').onRef('s.region', '=', 'd.region').onRef('s.name', '=', 'd.name'))
      .where('s.shared_with', 'in', receivers)
      .where('s.region', '=', region)
      .where('s.account_id', '!=', receiver);
    if (prefix) q = q.where('d.name', '>=', prefix).where('d.name', '<', upperBound(prefix));
    if (after) q = q.where((eb) => eb.or([eb('d.name', '>', after.name), eb.and([eb('d.name', '=', after.name), eb('d.account_id', '>', after.owner)])]));
    return q.distinct().orderBy('d.name').orderBy('d.account_id').limit(limit).execute();
  },
};
