import { aliasArn, parseKeyReference, SSM_MANAGED_ALIAS, SSM_MANAGED_DESCRIPTION } from './arn.js';
import { aliasExists, aliasInvalidCharacters, aliasNotFound, aliasPrefixMissing, keyPendingDeletion, reservedAlias, validation } from './errors.js';
import { arnOf, type Keyring } from './keyring.js';
import type { KeyLifecycle } from './lifecycle.js';
import { kmsStore } from './store.js';
import type { AliasRow, KeyRow } from './tables.js';

/** Names under `alias/aws/` belong to AWS managed keys. */
const RESERVED_PREFIX = 'alias/aws/';

/** Raised inside a transaction to roll it back when another caller created the managed key first. */
class LostRace extends Error {}

export class Aliases {
  constructor(
    private readonly keyring: Keyring,
    private readonly lifecycle: KeyLifecycle,
  ) {}

  async create(account: string, region: string, aliasName: string, target: KeyRow): Promise<void> {
    checkAliasName(aliasName);
    if (target.state === 'PendingDeletion') throw keyPendingDeletion(arnOf(target));
    const now = this.keyring.core.clock.now();
    const row: AliasRow = { account_id: account, region, alias_name: aliasName, key_id: target.key_id, created_at: now, updated_at: now };
    const inserted = await kmsStore.insertAlias(this.keyring.db, row);
    this.keyring.forgetAlias(account, region, aliasName);
    if (!inserted) throw aliasExists(aliasArn(account, region, aliasName));
  }

  /** The key an alias points to, for authorizing DeleteAlias on it as well. */
  async target(account: string, region: string, aliasName: string): Promise<string | undefined> {
    return (await kmsStore.getAlias(this.keyring.db, account, region, aliasName))?.key_id;
  }

  async delete(account: string, region: string, aliasName: string): Promise<void> {
    if (!aliasName.startsWith('alias/')) throw aliasPrefixMissing();
    if (aliasName.startsWith(RESERVED_PREFIX)) throw reservedAlias();
    const res = await kmsStore.deleteAlias(this.keyring.db, account, region, aliasName);
    this.keyring.forgetAlias(account, region, aliasName);
    if (Number(res.numDeletedRows) === 0) throw aliasNotFound(aliasArn(account, region, aliasName));
  }

  list(account: string, region: string, keyId: string | undefined, after: string | undefined, limit: number): Promise<AliasRow[]> {
    return kmsStore.listAliases(this.keyring.db, account, region, keyId, after, limit);
  }

  /**
   * `alias/aws/ssm` and its AWS managed key come into being the first time something names them,
   * as in AWS. Concurrent first uses (several replicas) create exactly one.
   */
  async ensureManaged(account: string, region: string, given: string): Promise<void> {
    const ref = parseKeyReference(given, account, region);
    if (ref.kind !== 'alias' || ref.aliasName !== SSM_MANAGED_ALIAS || ref.account !== account || ref.region !== region) return;
    if ((await this.keyring.aliasTarget(account, region, SSM_MANAGED_ALIAS)) !== undefined) return;
    try {
      await this.keyring.db.transaction().execute(async (trx) => {
        const key = await this.lifecycle.insert(trx, account, region, { description: SSM_MANAGED_DESCRIPTION, manager: 'AWS' });
        const now = key.created_at;
        const inserted = await kmsStore.insertAlias(trx, { account_id: account, region, alias_name: SSM_MANAGED_ALIAS, key_id: key.key_id, created_at: now, updated_at: now });
        if (!inserted) throw new LostRace();
      });
    } catch (e) {
      if (!(e instanceof LostRace)) throw e;
    }
    this.keyring.forgetAlias(account, region, SSM_MANAGED_ALIAS);
  }
}

/** What CreateAlias checks beyond the model's pattern, in the order KMS reports it. */
export function checkAliasName(name: string): void {
  if (!name.startsWith('alias/')) throw aliasPrefixMissing();
  if (name.startsWith(RESERVED_PREFIX)) throw reservedAlias();
  if (name.includes(':')) throw aliasInvalidCharacters(name);
  if (name.length === 'alias/'.length) throw validation(`${name} is not a valid alias name`);
}
