import type { Kysely } from 'kysely';
import type { SchedulerTables } from '../scheduler/tables.js';
import type { AliasRow, KeyRow, KmsTables, MaterialRow } from './tables.js';

/** KMS's tables, plus the scheduler's so jobs are written in the transaction of the change. */
export type KmsDb = Kysely<KmsTables & SchedulerTables>;

/** Queries over KMS's own tables; every one is scoped by account and region. */
export const kmsStore = {
  getKey: (db: KmsDb, account: string, region: string, keyId: string) =>
    db.selectFrom('kms_keys').selectAll().where('account_id', '=', account).where('region', '=', region).where('key_id', '=', keyId).executeTakeFirst(),
  /** Keys after `afterKeyId` in key id order; one more than `limit` tells whether there are more. */
  listKeys: (db: KmsDb, account: string, region: string, afterKeyId: string | undefined, limit: number) => {
    let q = db.selectFrom('kms_keys').select(['key_id']).where('account_id', '=', account).where('region', '=', region);
    if (afterKeyId !== undefined) q = q.where('key_id', '>', afterKeyId);
    return q.orderBy('key_id').limit(limit + 1).execute();
  },
  insertKey: (db: KmsDb, row: KeyRow) => db.insertInto('kms_keys').values(row).execute(),
  updateKey: (db: KmsDb, account: string, region: string, keyId: string, set: Partial<Omit<KeyRow, 'account_id' | 'region' | 'key_id'>>) =>
    db.updateTable('kms_keys').set(set).where('account_id', '=', account).where('region', '=', region).where('key_id', '=', keyId).execute(),
  async deleteKey(db: KmsDb, account: string, region: string, keyId: string): Promise<void> {
    await db.deleteFrom('kms_aliases').where('account_id', '=', account).where('region', '=', region).where('key_id', '=', keyId).execute();
    await db.deleteFrom('kms_key_material').where('account_id', '=', account).where('region', '=', region).where('key_id', '=', keyId).execute();
    await db.deleteFrom('kms_keys').where('account_id', '=', account).where('region', '=', region).where('key_id', '=', keyId).execute();
  },

  getMaterial: (db: KmsDb, account: string, region: string, keyId: string, version: number) =>
    db
      .selectFrom('kms_key_material')
      .selectAll()
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('key_id', '=', keyId)
      .where('version', '=', version)
      .executeTakeFirst(),
  listMaterial: (db: KmsDb, account: string, region: string, keyId: string) =>
    db
      .selectFrom('kms_key_material')
      .select(['version', 'created_at', 'rotation_type'])
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('key_id', '=', keyId)
      .orderBy('version')
      .execute(),
  insertMaterial: (db: KmsDb, row: MaterialRow) => db.insertInto('kms_key_material').values(row).execute(),

  getAlias: (db: KmsDb, account: string, region: string, aliasName: string) =>
    db.selectFrom('kms_aliases').selectAll().where('account_id', '=', account).where('region', '=', region).where('alias_name', '=', aliasName).executeTakeFirst(),
  listAliases: (db: KmsDb, account: string, region: string, keyId: string | undefined, afterName: string | undefined, limit: number) => {
    let q = db.selectFrom('kms_aliases').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (keyId !== undefined) q = q.where('key_id', '=', keyId);
    if (afterName !== undefined) q = q.where('alias_name', '>', afterName);
    return q.orderBy('alias_name').limit(limit + 1).execute();
  },
  /** False when the name is taken: the insert does nothing rather than failing the transaction. */
  async insertAlias(db: KmsDb, row: AliasRow): Promise<boolean> {
    const res = await db.insertInto('kms_aliases').values(row).onConflict((oc) => oc.columns(['account_id', 'region', 'alias_name']).doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  },
  deleteAlias: (db: KmsDb, account: string, region: string, aliasName: string) =>
    db.deleteFrom('kms_aliases').where('account_id', '=', account).where('region', '=', region).where('alias_name', '=', aliasName).executeTakeFirst(),
};
