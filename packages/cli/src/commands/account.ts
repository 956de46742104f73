import type { Command } from 'commander';
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
}
