import type { Command } from 'commander';
import { OrganizationStore, organizationView, systemClock } from '@capstan/server';
import { withLocalStore, withStoreOptions, type StoreOptions } from '../local-store.js';

export function registerAccountCommands(program: Command): void {
  const account = program.command('account').description('accounts: the tenants of a Capstan server (acts on the data directory or database directly)');
  withStoreOptions(account.command('create').description('create an account with an admin user; prints its access key once'))
    .requiredOption('--name <name>', 'a name for the account')
    .option('--account-id <id>', '12-digit id (random when absent)')
    .action(async (o: StoreOptions & { name: string; accountId?: string }) => {
      const created = await withLocalStore(o, ({ iam }) => iam.createAccount({ name: o.name, ...(o.accountId ? { accountId: o.accountId } : {}) }));
      console.log(JSON.stringify({ AccountId: created.accountId, UserName: 'admin', AccessKeyId: created.accessKeyId, SecretAccessKey: created.secretAccessKey }, null, 2));
    });
  withStoreOptions(account.command('list').description('list accounts')).action(async (o: StoreOptions) => {
    const rows = await withLocalStore(o, ({ iam }) => iam.listAccounts());
    for (const r of rows) console.log(`${r.id}\t${r.name}\t${new Date(Number(r.created_at)).toISOString()}`);
  });
  registerOrganizationCommands(account);
}

/** The server's organisation: the management account's principals see the nodes of every member (docs/organizations.md). */
function registerOrganizationCommands(account: Command): void {
  const org = account.command('organization').description("the server's organization: a management account whose principals see the nodes of every member account");
  const run = (o: StoreOptions, fn: (store: OrganizationStore) => Promise<unknown>) =>
    withLocalStore(o, async ({ database, iam }) => {
      const store = new OrganizationStore(database, (id) => iam.getAccount(id));
      await fn(store);
      const shown = await store.describe();
      console.log(JSON.stringify(shown ? organizationView(shown) : null, null, 2));
    });
  withStoreOptions(org.command('create').description('create the organization with its management account (one per server)'))
    .requiredOption('--management-account <id>', 'the 12-digit id of an existing account')
    .action((o: StoreOptions & { managementAccount: string }) => run(o, (s) => s.create(o.managementAccount, systemClock.now())));
  withStoreOptions(org.command('add-member').description('add an existing account to the organization'))
    .requiredOption('--account-id <id>', 'the 12-digit id of the account')
    .action((o: StoreOptions & { accountId: string }) => run(o, (s) => s.addMember(o.accountId, systemClock.now())));
  withStoreOptions(org.command('remove-member').description('remove a member account from the organization'))
    .requiredOption('--account-id <id>', 'the 12-digit id of the account')
    .action((o: StoreOptions & { accountId: string }) => run(o, (s) => s.removeMember(o.accountId)));
  withStoreOptions(org.command('show').description('print the organization (null when the server has none)')).action((o: StoreOptions) => run(o, async () => undefined));
}
