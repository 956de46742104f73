import type { MigrationStep } from '../store/migrations.js';

export interface AccountRow {
  id: string;
  name: string;
  created_at: number;
}

export type OwnerKind = 'user' | 'role';

export interface UserRow {
  account_id: string;
  name: string;
  user_id: string;
  path: string;
  created_at: number;
  /** JSON object of tags. */
  tags: string;
}

export interface RoleRow {
  account_id: string;
  name: string;
  role_id: string;
  path: string;
  assume_role_policy: string;
  description: string;
  max_session_duration: number;
  created_at: number;
  tags: string;
}

export interface AccessKeyRow {
  access_key_id: string;
  account_id: string;
  /**
   * `user` for long-term keys, and for the keys of console sessions signed in with a password
   * (those expire, and are the user's only while the session lives); `role` for AssumeRole sessions.
   */
  owner_kind: OwnerKind;
  owner_name: string;
  session_name: string | null;
  /** The secret sealed under the root key; never stored in plaintext. */
  secret_sealed: string;
  /** SHA-256 of the session token of temporary credentials. */
  session_token_hash: string | null;
  /** Session policy of temporary credentials (JSON), intersected with the role's policies. */
  session_policy: string | null;
  status: 'Active' | 'Inactive';
  created_at: number;
  expires_at: number | null;
}

export interface ManagedPolicyRow {
  account_id: string;
  arn: string;
  name: string;
  path: string;
  policy_id: string;
  description: string;
  document: string;
  created_at: number;
  updated_at: number;
}

export interface InlinePolicyRow {
  account_id: string;
  owner_kind: OwnerKind;
  owner_name: string;
  policy_name: string;
  document: string;
}

export interface AttachmentRow {
  account_id: string;
  owner_kind: OwnerKind;
  owner_name: string;
  policy_arn: string;
}

/** A user's console password (AWS's login profile). */
export interface LoginProfileRow {
  account_id: string;
  user_name: string;
  /** scrypt, with its salt and parameters (iam/password.ts); the password itself is never stored. */
  password_hash: string;
  password_reset_required: number;
  created_at: number;
  /** When the password was last set; null for profiles made before this was kept (created_at then). */
  password_changed_at: number | null;
  /** JSON array of the hashes of earlier passwords, newest first, for the policy's reuse prevention. */
  password_history: string | null;
}

/** An account's password policy (AWS's account password policy); no row means IAM's default rules. */
export interface PasswordPolicyRow {
  account_id: string;
  minimum_password_length: number;
  require_symbols: number;
  require_numbers: number;
  require_uppercase: number;
  require_lowercase: number;
  allow_users_to_change_password: number;
  /** Days; null when passwords do not expire. */
  max_password_age: number | null;
  /** How many earlier passwords may not be used again; null for none. */
  password_reuse_prevention: number | null;
  hard_expiry: number;
}

export type IamTables = {
  accounts: AccountRow;
  iam_users: UserRow;
  iam_roles: RoleRow;
  iam_access_keys: AccessKeyRow;
  iam_managed_policies: ManagedPolicyRow;
  iam_inline_policies: InlinePolicyRow;
  iam_attachments: AttachmentRow;
  iam_login_profiles: LoginProfileRow;
  iam_password_policies: PasswordPolicyRow;
};

export const iamMigrations: MigrationStep[] = [
  {
    name: '0100_iam_core',
    async up(db) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('iam_users')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().unique())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_users_pk', ['account_id', 'name'])
        .execute();
      await db.schema
        .createTable('iam_roles')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role_id', 'text', (c) => c.notNull().unique())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('assume_role_policy', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('max_session_duration', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_roles_pk', ['account_id', 'name'])
        .execute();
      await db.schema
        .createTable('iam_access_keys')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_name', 'text', (c) => c.notNull())
        .addColumn('session_name', 'text')
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('session_token_hash', 'text')
        .addColumn('session_policy', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema.createIndex('iam_access_keys_owner').on('iam_access_keys').columns(['account_id', 'owner_kind', 'owner_name']).execute();
      await db.schema.createIndex('iam_access_keys_expiry').on('iam_access_keys').column('expires_at').execute();
      await db.schema
        .createTable('iam_managed_policies')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('policy_id', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('iam_managed_policies_name', ['account_id', 'name'])
        .execute();
      await db.schema
        .createTable('iam_inline_policies')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_name', 'text', (c) => c.notNull())
        .addColumn('policy_name', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_inline_policies_pk', ['account_id', 'owner_kind', 'owner_name', 'policy_name'])
        .execute();
      await db.schema
        .createTable('iam_attachments')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_name', 'text', (c) => c.notNull())
        .addColumn('policy_arn', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_attachments_pk', ['account_id', 'owner_kind', 'owner_name', 'policy_arn'])
        .execute();
    },
  },
  {
    name: '0110_iam_login_profiles',
    async up(db) {
      await db.schema
        .createTable('iam_login_profiles')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('password_reset_required', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_login_profiles_pk', ['account_id', 'user_name'])
        .execute();
    },
  },
  {
    name: '0120_iam_password_policy',
    async up(db) {
      await db.schema
        .createTable('iam_password_policies')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
        .addColumn('minimum_password_length', 'integer', (c) => c.notNull())
        .addColumn('require_symbols', 'integer', (c) => c.notNull())
        .addColumn('require_numbers', 'integer', (c) => c.notNull())
        .addColumn('require_uppercase', 'integer', (c) => c.notNull())
        .addColumn('require_lowercase', 'integer', (c) => c.notNull())
        .addColumn('allow_users_to_change_password', 'integer', (c) => c.notNull())
        .addColumn('max_password_age', 'integer')
        .addColumn('password_reuse_prevention', 'integer')
        .addColumn('hard_expiry', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('iam_login_profiles').addColumn('password_changed_at', 'bigint').execute();
      await db.schema.alterTable('iam_login_profiles').addColumn('password_history', 'text').execute();
    },
  },
];
