import type { KeyObject } from 'node:crypto';
import type { Core } from '../protocol/context.js';
import type { SchedulerTables } from '../scheduler/tables.js';
import { aliasArn, keyArn, parseKeyReference, UUID } from './arn.js';
import { LruMap, TtlCache } from './cache.js';
import { unsealMaterial, type MaterialRef } from './crypto.js';
import { aliasNotFound, invalidKeyId, keyDisabled, keyNotFound, keyPendingDeletion } from './errors.js';
import { kmsStore, type KmsDb } from './store.js';
import type { KeyRow, KmsTables } from './tables.js';

/** How long another replica's change to a key may go unseen here; this process sees its own at once. */
export const STATE_TTL_MS = 1_000;

export interface FindOptions {
  /** Operations that manage a key take only its id or ARN; cryptographic ones also take aliases. */
  aliases: boolean;
}

const scope = (account: string, region: string, name: string) => `${account}\u0000${region}\u0000${name}`;

/**
 * Finds keys and their material, with the caches the hot path needs: key rows and alias targets
 * for at most a second, unsealed material for as long as the key lives (it never changes).
 */
export class Keyring {
  readonly db: KmsDb;
  private readonly keys: TtlCache<KeyRow>;
  private readonly aliases: TtlCache<string>;
  private readonly materials = new LruMap<KeyObject>(100_000);
  /** Bumped by every invalidation, so a read that raced a write does not cache what it saw. */
  private generation = 0;

  constructor(readonly core: Core) {
    this.db = core.database.db.withTables<KmsTables & SchedulerTables>();
    this.keys = new TtlCache(core.clock, STATE_TTL_MS);
    this.aliases = new TtlCache(core.clock, STATE_TTL_MS);
  }

  /** Runs `fn` in a transaction, then forgets what this process cached about the key. */
  async write<T>(account: string, region: string, keyId: string, fn: (trx: KmsDb) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute(fn);
    } finally {
      this.forgetKey(account, region, keyId);
    }
  }

  forgetKey(account: string, region: string, keyId: string): void {
    this.generation++;
    this.keys.delete(scope(account, region, keyId));
  }

  forgetAlias(account: string, region: string, aliasName: string): void {
    this.generation++;
    this.aliases.delete(scope(account, region, aliasName));
  }

  /** After a key is deleted: its material, its row and every alias target this process remembers. */
  forgetDeletedKey(account: string, region: string, keyId: string): void {
    this.forgetKey(account, region, keyId);
    this.aliases.clear();
    this.materials.deletePrefix(scope(account, region, keyId) + '\u0000');
  }

  async load(account: string, region: string, keyId: string): Promise<KeyRow | undefined> {
    const k = scope(account, region, keyId);
    const hit = this.keys.get(k);
    if (hit) return hit;
    const seen = this.generation;
    const row = await kmsStore.getKey(this.db, account, region, keyId);
    if (row && seen === this.generation) this.keys.set(k, row);
    return row;
  }

  async aliasTarget(account: string, region: string, aliasName: string): Promise<string | undefined> {
    const k = scope(account, region, aliasName);
    const hit = this.aliases.get(k);
    if (hit) return hit;
    const seen = this.generation;
    const row = await kmsStore.getAlias(this.db, account, region, aliasName);
    if (row && seen === this.generation) this.aliases.set(k, row.key_id);
    return row?.key_id;
  }

  /** The key a KeyId names in the caller's account and region; the AWS NotFoundException otherwise. */
  async find(account: string, region: string, given: string, options: FindOptions): Promise<KeyRow> {
    const ref = parseKeyReference(given, account, region);
    if (ref.kind === 'alias') {
      if (!options.aliases) throw invalidKeyId(given);
      const arn = aliasArn(ref.account, ref.region, ref.aliasName);
      if (ref.account !== account || ref.region !== region) throw aliasNotFound(arn);
      const keyId = await this.aliasTarget(account, region, ref.aliasName);
      const row = keyId === undefined ? undefined : await this.load(account, region, keyId);
      if (!row) throw aliasNotFound(arn);
      return row;
    }
    if (!UUID.test(ref.keyId)) throw invalidKeyId(given);
    if (ref.account !== account || ref.region !== region) throw keyNotFound(given);
    const row = await this.load(account, region, ref.keyId);
    if (!row) throw keyNotFound(keyArn(account, region, ref.keyId));
    return row;
  }

  /** Unsealed material of one version; undefined when the key or the version does not exist. */
  async material(ref: MaterialRef): Promise<KeyObject | undefined> {
    const k = scope(ref.account, ref.region, ref.keyId) + '\u0000' + ref.version;
    const hit = this.materials.get(k);
    if (hit) return hit;
    const row = await kmsStore.getMaterial(this.db, ref.account, ref.region, ref.keyId, ref.version);
    if (!row) return undefined;
    const key = unsealMaterial(this.core.rootKey, ref, row.material_sealed);
    this.materials.set(k, key);
    return key;
  }
}

export const arnOf = (row: KeyRow) => keyArn(row.account_id, row.region, row.key_id);

/** Cryptographic operations need an enabled key; the errors are the ones KMS gives per state. */
export function assertUsable(row: KeyRow): void {
  if (row.state === 'Disabled') throw keyDisabled(arnOf(row));
  if (row.state === 'PendingDeletion') throw keyPendingDeletion(arnOf(row));
}
