import type { Clock } from '../scheduler/clock.js';
import { accessDenied, entityAlreadyExists, entityTemporarilyUnmodifiable, limitExceeded, noSuchEntity } from './errors.js';
import { newSecretAccessKey, uniqueId } from './ids.js';
import { burnPasswordCheck, checkPasswordPolicy, hashPassword, passwordMatches, passwordPolicyViolation, type PasswordRules } from './password.js';
import { iamStore, type IamDb } from './store.js';
import type { LoginProfileRow, PasswordPolicyRow } from './tables.js';

export interface LoginProfile {
  userName: string;
  createdAt: number;
  passwordResetRequired: boolean;
}

/** An account's password policy, as UpdateAccountPasswordPolicy sets it and GetAccountPasswordPolicy reports it. */
export interface PasswordPolicy extends PasswordRules {
  allowUsersToChangePassword: boolean;
  /** Days, or undefined when passwords do not expire. */
  maxPasswordAge?: number;
  passwordReusePrevention?: number;
  hardExpiry: boolean;
}

/** What a correct password sign-in must do before the session may do anything else. */
export interface PasswordState {
  /** PasswordResetRequired is set, or the password is older than the policy's MaxPasswordAge. */
  changeRequired: boolean;
  /** Expired under a policy with HardExpiry: only an administrator can set a new password. */
  hardExpired: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Earlier password hashes kept per user: the most PasswordReusePrevention can ask for. */
const HISTORY_LIMIT = 24;
/** Wrong old passwords given to ChangePassword: this many per user in the window, then LimitExceeded. */
const CHANGE_FAILURES = 5;
const CHANGE_FAILURE_WINDOW_MS = 5 * 60_000;

const policyOut = (row: PasswordPolicyRow): PasswordPolicy => ({
  minimumLength: row.minimum_password_length,
  requireSymbols: row.require_symbols === 1,
  requireNumbers: row.require_numbers === 1,
  requireUppercase: row.require_uppercase === 1,
  requireLowercase: row.require_lowercase === 1,
  allowUsersToChangePassword: row.allow_users_to_change_password === 1,
  ...(row.max_password_age !== null ? { maxPasswordAge: row.max_password_age } : {}),
  ...(row.password_reuse_prevention !== null ? { passwordReusePrevention: row.password_reuse_prevention } : {}),
  hardExpiry: row.hard_expiry === 1,
});

const historyOf = (row: LoginProfileRow): string[] => {
  try {
    const parsed = JSON.parse(row.password_history ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((h): h is string => typeof h === 'string') : [];
  } catch {
    return [];
  }
};

/** Runs a change in one transaction and tells the credential cache. */
export type IamWriter = <T>(fn: (trx: IamDb) => Promise<T>) => Promise<T>;

/** Marks the keys of console sessions in `session_name`, for whoever reads the table. */
const CONSOLE_SESSION = 'capstan-console';

const noSuchUser = (name: string) => noSuchEntity(`The user with name ${name} cannot be found.`);
const noSuchProfile = (name: string) => noSuchEntity(`Login Profile for User ${name} cannot be found.`);
export const noSuchPolicy = (account: string) => noSuchEntity(`Account ${account} has no password policy.`);
const changedMeanwhile = (name: string) => entityTemporarilyUnmodifiable(`The password of user ${name} was changed by another request meanwhile; try again.`);
const profileOut = (row: LoginProfileRow): LoginProfile => ({ userName: row.user_name, createdAt: row.created_at, passwordResetRequired: row.password_reset_required === 1 });

/**
 * Users' console passwords (AWS's login profiles), and the access keys the console signs
 * with for a session signed in with one. Those keys are the user's, with the user's policies,
 * but expire with the session, are never handed out, and are not listed or counted among the
 * user's access keys.
 */
export class LoginProfiles {
  /** Recent wrong old passwords per `account/user`, counted per server process. */
  private readonly changeFailures = new Map<string, number[]>();

  constructor(
    private readonly db: IamDb,
    private readonly clock: Clock,
    private readonly sealSecret: (accessKeyId: string, secret: string) => string,
    private readonly write: IamWriter,
  ) {}

  async create(account: string, userName: string, password: string, passwordResetRequired: boolean): Promise<LoginProfile> {
    await this.requireUser(this.db, account, userName);
    await this.checkPolicy(account, userName, password);
    const now = this.clock.now();
    const row: LoginProfileRow = {
      account_id: account,
      user_name: userName,
      password_hash: await hashPassword(password),
      password_reset_required: passwordResetRequired ? 1 : 0,
      created_at: now,
      password_changed_at: now,
      password_history: null,
    };
    await this.write(async (trx) => {
      await this.requireUser(trx, account, userName);
      if (await iamStore.getLoginProfile(trx, account, userName)) throw entityAlreadyExists(`Login Profile for user ${userName} already exists.`);
      await iamStore.insertLoginProfile(trx, row);
    });
    return profileOut(row);
  }

  async get(account: string, userName: string): Promise<LoginProfile> {
    await this.requireUser(this.db, account, userName);
    const row = await iamStore.getLoginProfile(this.db, account, userName);
    if (!row) throw noSuchProfile(userName);
    return profileOut(row);
  }

  async update(account: string, userName: string, change: { password?: string; passwordResetRequired?: boolean }): Promise<void> {
    await this.requireUser(this.db, account, userName);
    const current = await iamStore.getLoginProfile(this.db, account, userName);
    if (!current) throw noSuchProfile(userName);
    const set: Partial<LoginProfileRow> = {};
    if (change.password !== undefined) Object.assign(set, await this.newPassword(account, userName, change.password, current));
    if (change.passwordResetRequired !== undefined) set.password_reset_required = change.passwordResetRequired ? 1 : 0;
    await this.write(async (trx) => {
      const now = await iamStore.getLoginProfile(trx, account, userName);
      if (!now) throw noSuchProfile(userName);
      if (set.password_hash !== undefined && now.password_hash !== current.password_hash) throw changedMeanwhile(userName);
      if (Object.keys(set).length) await iamStore.updateLoginProfile(trx, account, userName, set);
    });
  }

  /**
   * ChangePassword: the calling user's own password, given the current one. Clears
   * PasswordResetRequired. Wrong old passwords are limited per user, so this cannot be used to
   * guess a password faster than sign-in allows.
   */
  async change(account: string, userName: string, oldPassword: string, newPassword: string): Promise<void> {
    const current = await iamStore.getLoginProfile(this.db, account, userName);
    if (!current) throw noSuchProfile(userName);
    const key = `${account}/${userName}`;
    const now = this.clock.now();
    const recent = (this.changeFailures.get(key) ?? []).filter((at) => now - at < CHANGE_FAILURE_WINDOW_MS);
    if (recent.length >= CHANGE_FAILURES) throw limitExceeded('Too many attempts with a wrong old password; try again in a few minutes.');
    if (!(await passwordMatches(oldPassword, current.password_hash))) {
      recent.push(now);
      this.changeFailures.set(key, recent);
      if (this.changeFailures.size > 10_000) this.changeFailures.clear();
      throw accessDenied('The old password is not correct.');
    }
    this.changeFailures.delete(key);
    const set = { ...(await this.newPassword(account, userName, newPassword, current)), password_reset_required: 0 };
    await this.write(async (trx) => {
      const latest = await iamStore.getLoginProfile(trx, account, userName);
      if (!latest) throw noSuchProfile(userName);
      if (latest.password_hash !== current.password_hash) throw changedMeanwhile(userName);
      await iamStore.updateLoginProfile(trx, account, userName, set);
    });
  }

  /** The columns that set a new password, once it passes the account's policy and reuse rule. */
  private async newPassword(account: string, userName: string, password: string, current: LoginProfileRow): Promise<Pick<LoginProfileRow, 'password_hash' | 'password_changed_at' | 'password_history'>> {
    const policy = await this.checkPolicy(account, userName, password);
    const history = historyOf(current);
    const reuse = policy?.passwordReusePrevention ?? 0;
    if (reuse > 0) {
      for (const earlier of [current.password_hash, ...history].slice(0, reuse)) {
        if (await passwordMatches(password, earlier)) throw passwordPolicyViolation(`Password does not conform to the account password policy: it may not be any of the last ${reuse} passwords.`);
      }
    }
    return { password_hash: await hashPassword(password), password_changed_at: this.clock.now(), password_history: JSON.stringify([current.password_hash, ...history].slice(0, HISTORY_LIMIT)) };
  }

  /** Whether a correct password sign-in must set a new password first, or may not sign in at all. */
  async passwordState(account: string, userName: string): Promise<PasswordState> {
    const row = await iamStore.getLoginProfile(this.db, account, userName);
    if (!row) return { changeRequired: false, hardExpired: false };
    const policy = await this.policy(account);
    const setAt = row.password_changed_at ?? row.created_at;
    const expired = policy?.maxPasswordAge !== undefined && this.clock.now() - setAt >= policy.maxPasswordAge * DAY_MS;
    return { changeRequired: row.password_reset_required === 1 || expired, hardExpired: expired && policy?.hardExpiry === true };
  }

  // ---- the account's password policy ----------------------------------------------------

  async policy(account: string): Promise<PasswordPolicy | undefined> {
    const row = await iamStore.getPasswordPolicy(this.db, account);
    return row ? policyOut(row) : undefined;
  }

  /** Replaces the whole policy: members not given take their defaults, as in IAM. */
  async setPolicy(account: string, p: Partial<PasswordPolicy>): Promise<void> {
    const row: PasswordPolicyRow = {
      account_id: account,
      minimum_password_length: p.minimumLength ?? 6,
      require_symbols: p.requireSymbols ? 1 : 0,
      require_numbers: p.requireNumbers ? 1 : 0,
      require_uppercase: p.requireUppercase ? 1 : 0,
      require_lowercase: p.requireLowercase ? 1 : 0,
      allow_users_to_change_password: p.allowUsersToChangePassword ? 1 : 0,
      max_password_age: p.maxPasswordAge ?? null,
      password_reuse_prevention: p.passwordReusePrevention ?? null,
      hard_expiry: p.hardExpiry ? 1 : 0,
    };
    await this.write((trx) => iamStore.putPasswordPolicy(trx, row));
  }

  async deletePolicy(account: string): Promise<void> {
    await this.write(async (trx) => {
      const res = await iamStore.deletePasswordPolicy(trx, account);
      if (Number(res.numDeletedRows) === 0) throw noSuchPolicy(account);
    });
  }

  /** Ends the user's console sessions too: their keys stood on the password. */
  async delete(account: string, userName: string): Promise<void> {
    await this.write(async (trx) => {
      await this.requireUser(trx, account, userName);
      const res = await iamStore.deleteLoginProfile(trx, account, userName);
      if (Number(res.numDeletedRows) === 0) throw noSuchProfile(userName);
      await iamStore.deleteConsoleKeys(trx, account, userName);
    });
  }

  async exists(db: IamDb, account: string, userName: string): Promise<boolean> {
    return (await iamStore.getLoginProfile(db, account, userName)) !== undefined;
  }

  /**
   * A console sign-in's check. Takes as long for a user without a password (or no user at all)
   * as for a wrong password, so the timing reveals nothing.
   */
  async verify(account: string, userName: string, password: string): Promise<boolean> {
    const row = await iamStore.getLoginProfile(this.db, account, userName);
    if (!row) {
      await burnPasswordCheck(password);
      return false;
    }
    return passwordMatches(password, row.password_hash);
  }

  /** A key for one console session of the user, valid until `expiresAt` unless deleted sooner. */
  async createConsoleKey(account: string, userName: string, expiresAt: number): Promise<string> {
    const accessKeyId = uniqueId('ASIA');
    const sealed = this.sealSecret(accessKeyId, newSecretAccessKey());
    const now = this.clock.now();
    await this.write(async (trx) => {
      // The password may have been deleted since it was checked.
      if (!(await iamStore.getLoginProfile(trx, account, userName))) throw noSuchProfile(userName);
      await iamStore.deleteExpiredSessions(trx, now);
      await iamStore.insertAccessKey(trx, {
        access_key_id: accessKeyId,
        account_id: account,
        owner_kind: 'user',
        owner_name: userName,
        session_name: CONSOLE_SESSION,
        secret_sealed: sealed,
        session_token_hash: null,
        session_policy: null,
        status: 'Active',
        created_at: now,
        expires_at: expiresAt,
      });
    });
    return accessKeyId;
  }

  async deleteConsoleKey(accessKeyId: string): Promise<void> {
    await this.write((trx) => iamStore.deleteConsoleKey(trx, accessKeyId));
  }

  private async requireUser(db: IamDb, account: string, userName: string): Promise<void> {
    if (!(await iamStore.getUser(db, account, userName))) throw noSuchUser(userName);
  }

  private async checkPolicy(account: string, userName: string, password: string): Promise<PasswordPolicy | undefined> {
    const accountName = (await iamStore.getAccount(this.db, account))?.name ?? '';
    const policy = await this.policy(account);
    checkPasswordPolicy(password, [userName, accountName, account], policy);
    return policy;
  }
}
