import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { OrganizationTables } from './tables.js';

/** An organisation as the operator and the API see it. */
export interface Organization {
  id: string;
  managementAccountId: string;
  createdAt: number;
  /** Member accounts in id order; the management account is not among them. */
  members: { accountId: string; joinedAt: number }[];
}

/** What the organisation commands refuse, with what was wrong. */
export class OrganizationError extends Error {
}

/** Whether an account exists on this server (IamService.getAccount). */
export type AccountLookup = (accountId: string) => Promise<unknown>;

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** AWS's form: `o-` and 10 lower-case letters or digits. */
const newOrganizationId = () => `o-${[...randomBytes(10)].map((b) => ID_CHARS[b % ID_CHARS.length]).join('')}`;

/**
 * The organisation of this server: a management account and member accounts, all accounts of
 * this server. A server has at most one, which is all a self-hosted installation needs: the
 * management account's administrators see the nodes of every member (docs/organizations.md).
 */
export class OrganizationStore {
  private readonly db: Kysely<OrganizationTables>;
  constructor(
    database: Database,
    private readonly accountExists: AccountLookup,
  ) {
    this.db = database.db.withTables<OrganizationTables>();
  }

  async describe(): Promise<Organization | undefined> {
    const org = await this.db.selectFrom('organizations').selectAll().executeTakeFirst();
    if (!org) return undefined;
    const members = await this.db.selectFrom('organization_members').selectAll().where('organization_id', '=', org.organization_id).orderBy('account_id').execute();
    return {
      id: org.organization_id,
      managementAccountId: org.management_account_id,
      createdAt: Number(org.created_at),
      members: members.map((m) => ({ accountId: m.account_id, joinedAt: Number(m.joined_at) })),
    };
  }

  private async checkAccount(accountId: string): Promise<void> {
    if (!/^\d{12}$/.test(accountId)) throw new OrganizationError(`The account id ${accountId} is not valid: an account id is 12 digits.`);
    if (!(await this.accountExists(accountId))) throw new OrganizationError(`Account ${accountId} does not exist on this server (capstan account list shows the accounts).`);
  }

  async create(managementAccountId: string, now: number): Promise<Organization> {
    await this.checkAccount(managementAccountId);
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('organizations').selectAll().executeTakeFirst();
      if (existing) {
        throw new OrganizationError(`This server already has organization ${existing.organization_id}, managed by account ${existing.management_account_id}; a server has one organization.`);
      }
      await trx.insertInto('organizations').values({ organization_id: newOrganizationId(), management_account_id: managementAccountId, created_at: now }).execute();
    });
    return (await this.describe())!;
  }

  async addMember(accountId: string, now: number): Promise<Organization> {
    await this.checkAccount(accountId);
    await this.db.transaction().execute(async (trx) => {
      const org = await trx.selectFrom('organizations').selectAll().executeTakeFirst();
      if (!org) throw new OrganizationError('This server has no organization yet: create one with capstan account organization create --management-account ID.');
      if (org.management_account_id === accountId) throw new OrganizationError(`Account ${accountId} is the management account of organization ${org.organization_id}, not a member to add.`);
      const member = await trx.selectFrom('organization_members').select('account_id').where('account_id', '=', accountId).executeTakeFirst();
      if (member) throw new OrganizationError(`Account ${accountId} is already a member of organization ${org.organization_id}.`);
      await trx.insertInto('organization_members').values({ account_id: accountId, organization_id: org.organization_id, joined_at: now }).execute();
    });
    return (await this.describe())!;
  }

  async removeMember(accountId: string): Promise<Organization> {
    const org = await this.describe();
    if (!org) throw new OrganizationError('This server has no organization.');
    const removed = await this.db.deleteFrom('organization_members').where('account_id', '=', accountId).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new OrganizationError(`Account ${accountId} is not a member of organization ${org.id}.`);
    return (await this.describe())!;
  }
}

/** The JSON `capstan account organization show` prints and CapstanDescribeOrganization answers to the management account. */
export function organizationView(org: Organization) {
  return {
    Id: org.id,
    ManagementAccountId: org.managementAccountId,
    CreatedDate: new Date(org.createdAt),
    Members: org.members.map((m) => ({ AccountId: m.accountId, JoinedDate: new Date(m.joinedAt) })),
  };
}
