import type { Kysely } from 'kysely';
import type { AccessKeyRow, AccountRow, AttachmentRow, IamTables, InlinePolicyRow, LoginProfileRow, ManagedPolicyRow, OwnerKind, PasswordPolicyRow, RoleRow, UserRow } from './tables.js';

export type IamDb = Kysely<IamTables>;

/** Queries over IAM's own tables; every one is scoped by account id. */
export const iamStore = {
  async accountCount(db: IamDb): Promise<number> {
    const row = await db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  },
  getAccount: (db: IamDb, id: string) => db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst(),
  listAccounts: (db: IamDb) => db.selectFrom('accounts').selectAll().orderBy('id').execute(),
  insertAccount: (db: IamDb, row: AccountRow) => db.insertInto('accounts').values(row).execute(),

  getUser: (db: IamDb, account: string, name: string) =>
    db.selectFrom('iam_users').selectAll().where('account_id', '=', account).where('name', '=', name).executeTakeFirst(),
  listUsers: (db: IamDb, account: string) =>
    db.selectFrom('iam_users').selectAll().where('account_id', '=', account).orderBy('name').execute(),
  insertUser: (db: IamDb, row: UserRow) => db.insertInto('iam_users').values(row).execute(),
  updateUserTags: (db: IamDb, account: string, name: string, tags: string) =>
    db.updateTable('iam_users').set({ tags }).where('account_id', '=', account).where('name', '=', name).execute(),
  deleteUser: (db: IamDb, account: string, name: string) =>
    db.deleteFrom('iam_users').where('account_id', '=', account).where('name', '=', name).execute(),

  getRole: (db: IamDb, account: string, name: string) =>
    db.selectFrom('iam_roles').selectAll().where('account_id', '=', account).where('name', '=', name).executeTakeFirst(),
  listRoles: (db: IamDb, account: string) =>
    db.selectFrom('iam_roles').selectAll().where('account_id', '=', account).orderBy('name').execute(),
  insertRole: (db: IamDb, row: RoleRow) => db.insertInto('iam_roles').values(row).execute(),
  updateRole: (db: IamDb, account: string, name: string, set: Partial<Pick<RoleRow, 'tags' | 'assume_role_policy' | 'description' | 'max_session_duration'>>) =>
    db.updateTable('iam_roles').set(set).where('account_id', '=', account).where('name', '=', name).execute(),
  deleteRole: (db: IamDb, account: string, name: string) =>
    db.deleteFrom('iam_roles').where('account_id', '=', account).where('name', '=', name).execute(),

  getAccessKey: (db: IamDb, id: string) => db.selectFrom('iam_access_keys').selectAll().where('access_key_id', '=', id).executeTakeFirst(),
  /** Long-term keys only: the expiring keys of sessions are not the owner's to list or count. */
  listAccessKeys: (db: IamDb, account: string, kind: OwnerKind, owner: string) =>
    db
      .selectFrom('iam_access_keys')
      .selectAll()
      .where('account_id', '=', account)
      .where('owner_kind', '=', kind)
      .where('owner_name', '=', owner)
      .where('expires_at', 'is', null)
      .orderBy('created_at')
      .execute(),
  insertAccessKey: (db: IamDb, row: AccessKeyRow) => db.insertInto('iam_access_keys').values(row).execute(),
  setAccessKeyStatus: (db: IamDb, account: string, id: string, status: AccessKeyRow['status']) =>
    db.updateTable('iam_access_keys').set({ status }).where('account_id', '=', account).where('access_key_id', '=', id).execute(),
  deleteAccessKey: (db: IamDb, account: string, id: string) =>
    db.deleteFrom('iam_access_keys').where('account_id', '=', account).where('access_key_id', '=', id).executeTakeFirst(),
  deleteExpiredSessions: (db: IamDb, now: number) =>
    db.deleteFrom('iam_access_keys').where('expires_at', 'is not', null).where('expires_at', '<', now).executeTakeFirst(),
  /** The keys of a user's console sessions (expiring user keys). */
  deleteConsoleKeys: (db: IamDb, account: string, user: string) =>
    db
      .deleteFrom('iam_access_keys')
      .where('account_id', '=', account)
      .where('owner_kind', '=', 'user')
      .where('owner_name', '=', user)
      .where('expires_at', 'is not', null)
      .executeTakeFirst(),
  deleteConsoleKey: (db: IamDb, id: string) =>
    db.deleteFrom('iam_access_keys').where('access_key_id', '=', id).where('owner_kind', '=', 'user').where('expires_at', 'is not', null).executeTakeFirst(),

  getLoginProfile: (db: IamDb, account: string, user: string) =>
    db.selectFrom('iam_login_profiles').selectAll().where('account_id', '=', account).where('user_name', '=', user).executeTakeFirst(),
  insertLoginProfile: (db: IamDb, row: LoginProfileRow) => db.insertInto('iam_login_profiles').values(row).execute(),
  updateLoginProfile: (db: IamDb, account: string, user: string, set: Partial<Pick<LoginProfileRow, 'password_hash' | 'password_reset_required' | 'password_changed_at' | 'password_history'>>) =>
    db.updateTable('iam_login_profiles').set(set).where('account_id', '=', account).where('user_name', '=', user).executeTakeFirst(),
  deleteLoginProfile: (db: IamDb, account: string, user: string) =>
    db.deleteFrom('iam_login_profiles').where('account_id', '=', account).where('user_name', '=', user).executeTakeFirst(),

  getPasswordPolicy: (db: IamDb, account: string) => db.selectFrom('iam_password_policies').selectAll().where('account_id', '=', account).executeTakeFirst(),
  async putPasswordPolicy(db: IamDb, row: PasswordPolicyRow): Promise<void> {
    await db.deleteFrom('iam_password_policies').where('account_id', '=', row.account_id).execute();
    await db.insertInto('iam_password_policies').values(row).execute();
  },
  deletePasswordPolicy: (db: IamDb, account: string) => db.deleteFrom('iam_password_policies').where('account_id', '=', account).executeTakeFirst(),

  getManagedPolicy: (db: IamDb, account: string, arn: string) =>
    db.selectFrom('iam_managed_policies').selectAll().where('account_id', '=', account).where('arn', '=', arn).executeTakeFirst(),
  listManagedPolicies: (db: IamDb, account: string) =>
    db.selectFrom('iam_managed_policies').selectAll().where('account_id', '=', account).orderBy('name').execute(),
  insertManagedPolicy: (db: IamDb, row: ManagedPolicyRow) => db.insertInto('iam_managed_policies').values(row).execute(),
  deleteManagedPolicy: (db: IamDb, account: string, arn: string) =>
    db.deleteFrom('iam_managed_policies').where('account_id', '=', account).where('arn', '=', arn).execute(),
  attachmentCount: async (db: IamDb, account: string, arn: string) => {
    const row = await db
      .selectFrom('iam_attachments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', account)
      .where('policy_arn', '=', arn)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  listInline: (db: IamDb, account: string, kind: OwnerKind, owner: string) =>
    db
      .selectFrom('iam_inline_policies')
      .selectAll()
      .where('account_id', '=', account)
      .where('owner_kind', '=', kind)
      .where('owner_name', '=', owner)
      .orderBy('policy_name')
      .execute(),
  async putInline(db: IamDb, row: InlinePolicyRow): Promise<void> {
    await db
      .deleteFrom('iam_inline_policies')
      .where('account_id', '=', row.account_id)
      .where('owner_kind', '=', row.owner_kind)
      .where('owner_name', '=', row.owner_name)
      .where('policy_name', '=', row.policy_name)
      .execute();
    await db.insertInto('iam_inline_policies').values(row).execute();
  },
  deleteInline: (db: IamDb, account: string, kind: OwnerKind, owner: string, policyName: string) =>
    db
      .deleteFrom('iam_inline_policies')
      .where('account_id', '=', account)
      .where('owner_kind', '=', kind)
      .where('owner_name', '=', owner)
      .where('policy_name', '=', policyName)
      .executeTakeFirst(),

  listAttachments: (db: IamDb, account: string, kind: OwnerKind, owner: string) =>
    db
      .selectFrom('iam_attachments')
      .selectAll()
      .where('account_id', '=', account)
      .where('owner_kind', '=', kind)
      .where('owner_name', '=', owner)
      .orderBy('policy_arn')
      .execute(),
  async attach(db: IamDb, row: AttachmentRow): Promise<void> {
    await db.insertInto('iam_attachments').values(row).onConflict((oc) => oc.doNothing()).execute();
  },
  detach: (db: IamDb, account: string, kind: OwnerKind, owner: string, arn: string) =>
    db
      .deleteFrom('iam_attachments')
      .where('account_id', '=', account)
      .where('owner_kind', '=', kind)
      .where('owner_name', '=', owner)
      .where('policy_arn', '=', arn)
      .executeTakeFirst(),
};
