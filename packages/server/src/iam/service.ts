import type { Kysely } from 'kysely';
import { seal } from '../crypto/seal.js';
import type { Clock } from '../scheduler/clock.js';
import type { Database } from '../store/database.js';
import { accountRootArn, parseEntityArn, policyArn, roleArn, userArn } from './arn.js';
import { deleteConflict, entityAlreadyExists, invalidInput, limitExceeded, malformedPolicyDocument, noSuchEntity } from './errors.js';
import { newAccountId, newSecretAccessKey, uniqueId } from './ids.js';
import { LoginProfiles } from './login-profiles.js';
import { MANAGED_POLICIES, MalformedPolicyDocumentError, managedPolicyByArn, parsePolicyDocument } from './policy/index.js';
import { iamStore, type IamDb } from './store.js';
import type { AccessKeyRow, IamTables, ManagedPolicyRow, OwnerKind, RoleRow, UserRow } from './tables.js';

export type Tags = Record<string, string>;

export interface NewAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  status: 'Active';
  createdAt: number;
}

export interface AccountBootstrap {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** AWS allows two access keys per user. */
const MAX_KEYS_PER_USER = 2;
export const ADMIN_USER = 'admin';
export const ADMIN_POLICY_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** Sealing context of an access key's secret: binds it to its id so rows cannot be swapped. */
export const secretContext = (accessKeyId: string) => `capstan:iam:access-key:${accessKeyId}`;

/**
 * Accounts, users, roles, access keys and policies. Every write calls `onChange` so the
 * credential cache forgets what it knew.
 */
export class IamService {
  readonly db: IamDb;
  readonly loginProfiles: LoginProfiles;

  constructor(
    database: Database,
    private readonly clock: Clock,
    private readonly rootKey: Buffer,
    private readonly onChange: () => void = () => {},
  ) {
    this.db = database.db.withTables<IamTables>();
    this.loginProfiles = new LoginProfiles(this.db, clock, (id, secret) => seal(rootKey, secret, secretContext(id)), (fn) => this.write(fn));
  }

  private async write<T>(fn: (trx: IamDb) => Promise<T>): Promise<T> {
    const out = await this.db.transaction().execute(fn);
    this.onChange();
    return out;
  }

  // ---- accounts -------------------------------------------------------------------------

  hasAccounts = async () => (await iamStore.accountCount(this.db)) > 0;
  getAccount = (id: string) => iamStore.getAccount(this.db, id);
  listAccounts = () => iamStore.listAccounts(this.db);

  /** A new account with an `admin` user holding AdministratorAccess and one access key. */
  async createAccount(opts: { name: string; accountId?: string; accessKeyId?: string; secretAccessKey?: string }): Promise<AccountBootstrap> {
    const accountId = opts.accountId ?? newAccountId();
    if (!/^\d{12}$/.test(accountId)) throw invalidInput(`account id ${accountId} must be 12 digits`);
    if (opts.accessKeyId && !/^[A-Z0-9]{16,128}$/.test(opts.accessKeyId)) throw invalidInput('access key id must be 16-128 upper-case letters and digits');
    if (opts.secretAccessKey !== undefined && opts.secretAccessKey.length < 16) throw invalidInput('secret access key must be at least 16 characters');
    const accessKeyId = opts.accessKeyId ?? uniqueId('AKIA');
    const secretAccessKey = opts.secretAccessKey ?? newSecretAccessKey();
    const now = this.clock.now();
    await this.write(async (trx) => {
      if (await iamStore.getAccount(trx, accountId)) throw entityAlreadyExists(`Account ${accountId} already exists.`);
      if (await iamStore.getAccessKey(trx, accessKeyId)) throw entityAlreadyExists(`Access key ${accessKeyId} already exists.`);
      await iamStore.insertAccount(trx, { id: accountId, name: opts.name, created_at: now });
      await iamStore.insertUser(trx, { account_id: accountId, name: ADMIN_USER, user_id: uniqueId('AIDA'), path: '/', created_at: now, tags: '{}' });
      await iamStore.attach(trx, { account_id: accountId, owner_kind: 'user', owner_name: ADMIN_USER, policy_arn: ADMIN_POLICY_ARN });
      await this.insertKey(trx, accountId, ADMIN_USER, accessKeyId, secretAccessKey, now);
    });
    return { accountId, accessKeyId, secretAccessKey };
  }

  // ---- users ----------------------------------------------------------------------------

  async createUser(account: string, name: string, path = '/', tags: Tags = {}): Promise<UserRow> {
    const row: UserRow = { account_id: account, name, user_id: uniqueId('AIDA'), path, created_at: this.clock.now(), tags: JSON.stringify(tags) };
    await this.write(async (trx) => {
      if (await iamStore.getUser(trx, account, name)) throw entityAlreadyExists(`User with name ${name} already exists.`);
      await iamStore.insertUser(trx, row);
    });
    return row;
  }

  async getUser(account: string, name: string): Promise<UserRow> {
    const row = await iamStore.getUser(this.db, account, name);
    if (!row) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return row;
  }

  async listUsers(account: string, pathPrefix = '/'): Promise<UserRow[]> {
    return (await iamStore.listUsers(this.db, account)).filter((u) => u.path.startsWith(pathPrefix));
  }

  /** As in AWS, a user with keys, a password or policies must be emptied first. */
  async deleteUser(account: string, name: string): Promise<void> {
    await this.write(async (trx) => {
      if (!(await iamStore.getUser(trx, account, name))) throw noSuchEntity(`The user with name ${name} cannot be found.`);
      if (await this.loginProfiles.exists(trx, account, name)) throw deleteConflict('Cannot delete entity, must delete login profile first.');
      if ((await iamStore.listAccessKeys(trx, account, 'user', name)).length > 0) throw deleteConflict('Cannot delete entity, must delete access keys first.');
      if ((await iamStore.listInline(trx, account, 'user', name)).length > 0) throw deleteConflict('Cannot delete entity, must delete policies first.');
      if ((await iamStore.listAttachments(trx, account, 'user', name)).length > 0) throw deleteConflict('Cannot delete entity, must detach all policies first.');
      await iamStore.deleteConsoleKeys(trx, account, name);
      await iamStore.deleteUser(trx, account, name);
    });
  }

  async tagUser(account: string, name: string, tags: Tags): Promise<void> {
    await this.write(async (trx) => {
      const user = await iamStore.getUser(trx, account, name);
      if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
      await iamStore.updateUserTags(trx, account, name, JSON.stringify({ ...(JSON.parse(user.tags) as Tags), ...tags }));
    });
  }

  async untagUser(account: string, name: string, keys: string[]): Promise<void> {
    await this.write(async (trx) => {
      const user = await iamStore.getUser(trx, account, name);
      if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
      const tags = JSON.parse(user.tags) as Tags;
      for (const k of keys) delete tags[k];
      await iamStore.updateUserTags(trx, account, name, JSON.stringify(tags));
    });
  }

  // ---- access keys ----------------------------------------------------------------------

  async createAccessKey(account: string, userName: string): Promise<NewAccessKey> {
    const accessKeyId = uniqueId('AKIA');
    const secretAccessKey = newSecretAccessKey();
    const now = this.clock.now();
    await this.write(async (trx) => {
      if (!(await iamStore.getUser(trx, account, userName))) throw noSuchEntity(`The user with name ${userName} cannot be found.`);
      if ((await iamStore.listAccessKeys(trx, account, 'user', userName)).length >= MAX_KEYS_PER_USER)
        throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`);
      await this.insertKey(trx, account, userName, accessKeyId, secretAccessKey, now);
    });
    return { accessKeyId, secretAccessKey, userName, status: 'Active', createdAt: now };
  }

  private async insertKey(trx: IamDb, account: string, userName: string, accessKeyId: string, secret: string, now: number): Promise<void> {
    const row: AccessKeyRow = {
      access_key_id: accessKeyId,
      account_id: account,
      owner_kind: 'user',
      owner_name: userName,
      session_name: null,
      secret_sealed: seal(this.rootKey, secret, secretContext(accessKeyId)),
      session_token_hash: null,
      session_policy: null,
      status: 'Active',
      created_at: now,
      expires_at: null,
    };
    await iamStore.insertAccessKey(trx, row);
  }

  async listAccessKeys(account: string, userName: string): Promise<AccessKeyRow[]> {
    await this.getUser(account, userName);
    return iamStore.listAccessKeys(this.db, account, 'user', userName);
  }

  async updateAccessKey(account: string, userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.write(async (trx) => {
      const key = await iamStore.getAccessKey(trx, accessKeyId);
      if (!isLongTermKeyOf(key, account, userName)) throw noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
      await iamStore.setAccessKeyStatus(trx, account, accessKeyId, status);
    });
  }

  async deleteAccessKey(account: string, userName: string, accessKeyId: string): Promise<void> {
    await this.write(async (trx) => {
      const key = await iamStore.getAccessKey(trx, accessKeyId);
      if (!isLongTermKeyOf(key, account, userName)) throw noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
      await iamStore.deleteAccessKey(trx, account, accessKeyId);
    });
  }

  // ---- roles ----------------------------------------------------------------------------

  async createRole(account: string, input: { name: string; path?: string; assumeRolePolicy: string; description?: string; maxSessionDuration?: number; tags?: Tags }): Promise<RoleRow> {
    checkTrustPolicy(input.assumeRolePolicy);
    const row: RoleRow = {
      account_id: account,
      name: input.name,
      role_id: uniqueId('AROA'),
      path: input.path ?? '/',
      assume_role_policy: input.assumeRolePolicy,
      description: input.description ?? '',
      max_session_duration: input.maxSessionDuration ?? 3600,
      created_at: this.clock.now(),
      tags: JSON.stringify(input.tags ?? {}),
    };
    await this.write(async (trx) => {
      if (await iamStore.getRole(trx, account, input.name)) throw entityAlreadyExists(`Role with name ${input.name} already exists.`);
      await iamStore.insertRole(trx, row);
    });
    return row;
  }

  async getRole(account: string, name: string): Promise<RoleRow> {
    const row = await iamStore.getRole(this.db, account, name);
    if (!row) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return row;
  }

  async listRoles(account: string, pathPrefix = '/'): Promise<RoleRow[]> {
    return (await iamStore.listRoles(this.db, account)).filter((r) => r.path.startsWith(pathPrefix));
  }

  async updateAssumeRolePolicy(account: string, name: string, document: string): Promise<void> {
    checkTrustPolicy(document);
    await this.write(async (trx) => {
      if (!(await iamStore.getRole(trx, account, name))) throw noSuchEntity(`The role with name ${name} cannot be found.`);
      await iamStore.updateRole(trx, account, name, { assume_role_policy: document });
    });
  }

  async deleteRole(account: string, name: string): Promise<void> {
    await this.write(async (trx) => {
      if (!(await iamStore.getRole(trx, account, name))) throw noSuchEntity(`The role with name ${name} cannot be found.`);
      if ((await iamStore.listInline(trx, account, 'role', name)).length > 0) throw deleteConflict('Cannot delete entity, must delete policies first.');
      if ((await iamStore.listAttachments(trx, account, 'role', name)).length > 0) throw deleteConflict('Cannot delete entity, must detach all policies first.');
      await iamStore.deleteRole(trx, account, name);
    });
  }

  // ---- policies -------------------------------------------------------------------------

  async createPolicy(account: string, input: { name: string; path?: string; document: string; description?: string }): Promise<ManagedPolicyRow> {
    checkIdentityPolicy(input.document, 'managed');
    const path = input.path ?? '/';
    const now = this.clock.now();
    const row: ManagedPolicyRow = {
      account_id: account,
      arn: policyArn(account, path, input.name),
      name: input.name,
      path,
      policy_id: uniqueId('ANPA'),
      description: input.description ?? '',
      document: input.document,
      created_at: now,
      updated_at: now,
    };
    await this.write(async (trx) => {
      if ((await iamStore.listManagedPolicies(trx, account)).some((p) => p.name === input.name))
        throw entityAlreadyExists(`A policy called ${input.name} already exists. Duplicate names are not allowed.`);
      await iamStore.insertManagedPolicy(trx, row);
    });
    return row;
  }

  /** Customer-managed policy of this account, or an AWS-managed one by its `arn:aws:iam::aws:policy/…` ARN. */
  async getPolicy(account: string, arn: string): Promise<{ arn: string; name: string; path: string; policyId: string; description: string; document: string; createdAt: number; updatedAt: number; awsManaged: boolean }> {
    const managed = managedPolicyByArn(arn);
    if (managed) {
      return { arn, name: arn.slice(arn.lastIndexOf('/') + 1), path: '/', policyId: 'ANPA' + hashId(arn), description: managed.description, document: JSON.stringify(managed.document), createdAt: 0, updatedAt: 0, awsManaged: true };
    }
    const row = await iamStore.getManagedPolicy(this.db, account, arn);
    if (!row) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
    return { arn: row.arn, name: row.name, path: row.path, policyId: row.policy_id, description: row.description, document: row.document, createdAt: row.created_at, updatedAt: row.updated_at, awsManaged: false };
  }

  async listPolicies(account: string, scope: 'All' | 'AWS' | 'Local' = 'All') {
    const out = [];
    if (scope !== 'Local') for (const p of MANAGED_POLICIES.values()) out.push(await this.getPolicy(account, p.arn));
    if (scope !== 'AWS') for (const row of await iamStore.listManagedPolicies(this.db, account)) out.push(await this.getPolicy(account, row.arn));
    return out;
  }

  async deletePolicy(account: string, arn: string): Promise<void> {
    await this.write(async (trx) => {
      if (!(await iamStore.getManagedPolicy(trx, account, arn))) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
      if ((await iamStore.attachmentCount(trx, account, arn)) > 0) throw deleteConflict('Cannot delete a policy attached to entities.');
      await iamStore.deleteManagedPolicy(trx, account, arn);
    });
  }

  async putInlinePolicy(account: string, kind: OwnerKind, owner: string, policyName: string, document: string): Promise<void> {
    checkIdentityPolicy(document, kind);
    await this.write(async (trx) => {
      await this.requireOwner(trx, account, kind, owner);
      await iamStore.putInline(trx, { account_id: account, owner_kind: kind, owner_name: owner, policy_name: policyName, document });
    });
  }

  async getInlinePolicy(account: string, kind: OwnerKind, owner: string, policyName: string): Promise<string> {
    await this.requireOwner(this.db, account, kind, owner);
    const row = (await iamStore.listInline(this.db, account, kind, owner)).find((p) => p.policy_name === policyName);
    if (!row) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
    return row.document;
  }

  async listInlinePolicies(account: string, kind: OwnerKind, owner: string): Promise<string[]> {
    await this.requireOwner(this.db, account, kind, owner);
    return (await iamStore.listInline(this.db, account, kind, owner)).map((p) => p.policy_name);
  }

  async deleteInlinePolicy(account: string, kind: OwnerKind, owner: string, policyName: string): Promise<void> {
    await this.write(async (trx) => {
      await this.requireOwner(trx, account, kind, owner);
      const res = await iamStore.deleteInline(trx, account, kind, owner, policyName);
      if (Number(res.numDeletedRows) === 0) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
    });
  }

  async attachPolicy(account: string, kind: OwnerKind, owner: string, arn: string): Promise<void> {
    await this.write(async (trx) => {
      await this.requireOwner(trx, account, kind, owner);
      await this.requirePolicy(trx, account, arn);
      await iamStore.attach(trx, { account_id: account, owner_kind: kind, owner_name: owner, policy_arn: arn });
    });
  }

  async detachPolicy(account: string, kind: OwnerKind, owner: string, arn: string): Promise<void> {
    await this.write(async (trx) => {
      await this.requireOwner(trx, account, kind, owner);
      const res = await iamStore.detach(trx, account, kind, owner, arn);
      if (Number(res.numDeletedRows) === 0) throw noSuchEntity(`Policy ${arn} was not found.`);
    });
  }

  async listAttachedPolicies(account: string, kind: OwnerKind, owner: string): Promise<{ arn: string; name: string }[]> {
    await this.requireOwner(this.db, account, kind, owner);
    return (await iamStore.listAttachments(this.db, account, kind, owner)).map((a) => ({ arn: a.policy_arn, name: a.policy_arn.slice(a.policy_arn.lastIndexOf('/') + 1) }));
  }

  private async requireOwner(db: IamDb, account: string, kind: OwnerKind, owner: string): Promise<void> {
    const found = kind === 'user' ? await iamStore.getUser(db, account, owner) : await iamStore.getRole(db, account, owner);
    if (!found) throw noSuchEntity(`The ${kind} with name ${owner} cannot be found.`);
  }

  private async requirePolicy(db: IamDb, account: string, arn: string): Promise<void> {
    if (managedPolicyByArn(arn)) return;
    const parsed = parseEntityArn(arn, 'policy');
    if (!parsed || parsed.account !== account || !(await iamStore.getManagedPolicy(db, account, arn)))
      throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  }

  // ---- what the authenticator needs -----------------------------------------------------

  /** Every policy document that applies to a user or role, inline and attached. */
  async policyDocumentsOf(db: Kysely<IamTables>, account: string, kind: OwnerKind, owner: string): Promise<string[]> {
    const docs = (await iamStore.listInline(db, account, kind, owner)).map((p) => p.document);
    for (const a of await iamStore.listAttachments(db, account, kind, owner)) {
      const managed = managedPolicyByArn(a.policy_arn);
      if (managed) docs.push(JSON.stringify(managed.document));
      else {
        const row = await iamStore.getManagedPolicy(db, account, a.policy_arn);
        if (row) docs.push(row.document);
      }
    }
    return docs;
  }

  arnOf(kind: OwnerKind, account: string, path: string, name: string): string {
    return kind === 'user' ? userArn(account, path, name) : roleArn(account, path, name);
  }

  rootArn = accountRootArn;
}

/** A user's own key: console-session keys are the server's, not the user's to change. */
function isLongTermKeyOf(key: AccessKeyRow | undefined, account: string, userName: string): boolean {
  return key !== undefined && key.account_id === account && key.owner_kind === 'user' && key.owner_name === userName && key.expires_at === null;
}

/** IAM's size quotas, in characters without white space. */
const POLICY_SIZE = { managed: 6_144, user: 2_048, role: 10_240 } as const;

function checkIdentityPolicy(document: string, kind: keyof typeof POLICY_SIZE): void {
  try {
    parsePolicyDocument(document, { maxSize: POLICY_SIZE[kind] });
  } catch (e) {
    // Oversized documents keep IAM's LimitExceeded code; the rest are malformed.
    if (e instanceof MalformedPolicyDocumentError && e.code === 'MalformedPolicyDocument') throw malformedPolicyDocument(e.message);
    throw e;
  }
}

/** Trust policies name a Principal, which identity policies may not; check the JSON shape here. */
function checkTrustPolicy(document: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw malformedPolicyDocument('This policy contains invalid Json');
  }
  const statements = (parsed as { Statement?: unknown })?.Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  if (list.length === 0) throw malformedPolicyDocument('Trust policy must have at least one Statement');
  for (const [i, s] of list.entries()) {
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformedPolicyDocument(`Statement ${i + 1}: Effect must be Allow or Deny`);
    if (st.Principal === undefined && st.NotPrincipal === undefined) throw malformedPolicyDocument(`Statement ${i + 1}: Has prohibited field Resource or is missing Principal`);
    if (st.Action === undefined && st.NotAction === undefined) throw malformedPolicyDocument(`Statement ${i + 1}: Action is missing`);
  }
}

function hashId(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h.toString(36).toUpperCase().padStart(16, 'A').slice(0, 16);
}
