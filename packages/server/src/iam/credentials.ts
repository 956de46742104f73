import { createHash, timingSafeEqual } from 'node:crypto';
import { seal, unseal } from '../crypto/seal.js';
import type { Clock } from '../scheduler/clock.js';
import { assumedRoleArn, userArn } from './arn.js';
import { parsePolicyDocument, type PolicyDocument } from './policy/index.js';
import { secretContext, type IamService, type Tags } from './service.js';
import { iamStore } from './store.js';
import { newSecretAccessKey, newSessionToken, uniqueId } from './ids.js';
import type { AccessKeyRow, RoleRow } from './tables.js';

/** Who is calling, with everything authorization needs, resolved once per access key. */
export interface Principal {
  readonly kind: 'user' | 'assumed-role';
  readonly accountId: string;
  readonly arn: string;
  /** AIDA… for users, AROA…:session for role sessions. */
  readonly userId: string;
  /** User name, or role name for sessions. */
  readonly name: string;
  readonly sessionName?: string;
  readonly accessKeyId: string;
  readonly tags: Tags;
  readonly policies: readonly PolicyDocument[];
  /** Temporary credentials may carry a session policy that further limits the role's. */
  readonly sessionPolicy?: PolicyDocument;
}

export interface ResolvedCredential {
  readonly secretAccessKey: string;
  readonly principal: Principal;
  readonly active: boolean;
  readonly expiresAt: number | null;
  readonly sessionTokenHash: string | null;
}

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: number;
  assumedRoleArn: string;
  assumedRoleId: string;
}

interface CacheEntry {
  value: ResolvedCredential | undefined;
  loadedAt: number;
}

/** Stored documents were checked against their own quota when written. */
const STORED = { maxSize: Number.MAX_SAFE_INTEGER };

/** What AllowUsersToChangePassword gives every user of the account: their own ChangePassword, and reading the policy. */
const selfServicePasswordPolicy = (arn: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iam:ChangePassword', Resource: arn },
      { Effect: 'Allow', Action: 'iam:GetAccountPasswordPolicy', Resource: '*' },
    ],
  });

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Turns an access key id into its secret and principal. The hot path of every API call, so
 * results are cached; this process forgets them on any IAM change, and other replicas after
 * `ttlMs` at most.
 */
export class CredentialResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<ResolvedCredential | undefined>>();

  constructor(
    private readonly iam: IamService,
    private readonly clock: Clock,
    private readonly rootKey: Buffer,
    private readonly ttlMs = 5_000,
  ) {}

  invalidate(): void {
    this.cache.clear();
  }

  /**
   * The cached answer while it is fresh, without waiting a turn: `null` for a key known not to
   * exist, `undefined` when only `resolve` can tell.
   */
  peek(accessKeyId: string): ResolvedCredential | null | undefined {
    const hit = this.cache.get(accessKeyId);
    if (hit === undefined || Date.now() - hit.loadedAt >= this.ttlMs) return undefined;
    return hit.value ?? null;
  }

  async resolve(accessKeyId: string): Promise<ResolvedCredential | undefined> {
    const now = Date.now();
    const hit = this.cache.get(accessKeyId);
    if (hit && now - hit.loadedAt < this.ttlMs) return hit.value;
    let pending = this.loading.get(accessKeyId);
    if (!pending) {
      pending = this.load(accessKeyId).finally(() => this.loading.delete(accessKeyId));
      this.loading.set(accessKeyId, pending);
    }
    const value = await pending;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(accessKeyId, { value, loadedAt: now });
    return value;
  }

  /** True when the token presented with temporary credentials is theirs. */
  static tokenMatches(credential: ResolvedCredential, token: string | undefined): boolean {
    if (credential.sessionTokenHash === null) return token === undefined;
    if (token === undefined) return false;
    return timingSafeEqual(Buffer.from(hashToken(token), 'hex'), Buffer.from(credential.sessionTokenHash, 'hex'));
  }

  private async load(accessKeyId: string): Promise<ResolvedCredential | undefined> {
    const db = this.iam.db;
    const key = await iamStore.getAccessKey(db, accessKeyId);
    if (!key) return undefined;
    const secretAccessKey = unseal(this.rootKey, key.secret_sealed, secretContext(accessKeyId)).toString('utf8');
    const principal = key.owner_kind === 'user' ? await this.userPrincipal(key) : await this.sessionPrincipal(key);
    if (!principal) return undefined;
    return { secretAccessKey, principal, active: key.status === 'Active', expiresAt: key.expires_at, sessionTokenHash: key.session_token_hash };
  }

  private userPrincipal(key: AccessKeyRow): Promise<Principal | undefined> {
    return this.principalOfUser(key.account_id, key.owner_name, key.access_key_id);
  }

  private async sessionPrincipal(key: AccessKeyRow): Promise<Principal | undefined> {
    if (!key.session_name) return undefined;
    const principal = await this.principalOfRole(key.account_id, key.owner_name, key.session_name, key.access_key_id);
    if (!principal || !key.session_policy) return principal;
    return { ...principal, sessionPolicy: parsePolicyDocument(key.session_policy, STORED) };
  }

  /**
   * A user as a principal with the policies they have now: for work the server carries on in
   * their name after their call returned (an automation started without a role). `accessKeyId`
   * is the key that work was started with, for the audit trail.
   */
  async principalOfUser(accountId: string, userName: string, accessKeyId = ''): Promise<Principal | undefined> {
    const user = await iamStore.getUser(this.iam.db, accountId, userName);
    if (!user) return undefined;
    const docs = await this.iam.policyDocumentsOf(this.iam.db, accountId, 'user', user.name);
    const arn = userArn(accountId, user.path, user.name);
    // AllowUsersToChangePassword grants this at the account level, as IAM does; the user's own denies still win.
    if ((await iamStore.getPasswordPolicy(this.iam.db, accountId))?.allow_users_to_change_password === 1) docs.push(selfServicePasswordPolicy(arn));
    return {
      kind: 'user',
      accountId,
      arn,
      userId: user.user_id,
      name: user.name,
      accessKeyId,
      tags: JSON.parse(user.tags) as Tags,
      policies: docs.map((d) => parsePolicyDocument(d, STORED)),
    };
  }

  /** A session of a role, with the role's policies as they are now (an automation acting as its assumeRole). */
  async principalOfRole(accountId: string, roleName: string, sessionName: string, accessKeyId = ''): Promise<Principal | undefined> {
    const role = await iamStore.getRole(this.iam.db, accountId, roleName);
    if (!role) return undefined;
    const docs = await this.iam.policyDocumentsOf(this.iam.db, accountId, 'role', role.name);
    return {
      kind: 'assumed-role',
      accountId,
      arn: assumedRoleArn(accountId, role.name, sessionName),
      userId: `${role.role_id}:${sessionName}`,
      name: role.name,
      sessionName,
      accessKeyId,
      tags: JSON.parse(role.tags) as Tags,
      policies: docs.map((d) => parsePolicyDocument(d, STORED)),
    };
  }

  /** Issues temporary credentials for a role session. The caller has been authorized already. */
  async issueSession(role: RoleRow, sessionName: string, durationSeconds: number, sessionPolicy?: string): Promise<TemporaryCredentials> {
    const accessKeyId = uniqueId('ASIA');
    const secretAccessKey = newSecretAccessKey();
    const sessionToken = newSessionToken();
    const now = this.clock.now();
    const expiration = now + durationSeconds * 1000;
    await this.iam.db.transaction().execute(async (trx) => {
      await iamStore.deleteExpiredSessions(trx, now);
      await iamStore.insertAccessKey(trx, {
        access_key_id: accessKeyId,
        account_id: role.account_id,
        owner_kind: 'role',
        owner_name: role.name,
        session_name: sessionName,
        secret_sealed: seal(this.rootKey, secretAccessKey, secretContext(accessKeyId)),
        session_token_hash: hashToken(sessionToken),
        session_policy: sessionPolicy ?? null,
        status: 'Active',
        created_at: now,
        expires_at: expiration,
      });
    });
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration,
      assumedRoleArn: assumedRoleArn(role.account_id, role.name, sessionName),
      assumedRoleId: `${role.role_id}:${sessionName}`,
    };
  }
}
