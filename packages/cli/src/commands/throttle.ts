import type { Command } from 'commander';
import { checkLimit } from '@capstan/server';
import { withLocalStore, withStoreOptions, type StoreOptions } from '../local-store.js';

export function registerThrottleCommands(program: Command): void {
  const throttle = program
    .command('throttle')
    .description('per-account API rate limits by operation family (e.g. ssm:read, ssm:write); defaults are 50,000/s reads and 5,000/s writes');
  withStoreOptions(throttle.command('set').description('set the limit of one family for one account'))
    .requiredOption('--account-id <id>', 'account')
    .requiredOption('--family <family>', 'e.g. ssm:read')
    .requiredOption('--rate <n>', 'calls per second')
    .option('--burst <n>', 'calls allowed at once (default: twice the rate)')
    .action(async (o: StoreOptions & { accountId: string; family: string; rate: string; burst?: string }) => {
      const limit = { rate: Number(o.rate), burst: Number(o.burst ?? Number(o.rate) * 2) };
      checkLimit(o.family, limit);
      await withLocalStore(o, ({ throttle: t }) => t.setLimit(o.accountId, o.family, limit));
      console.log(`${o.accountId} ${o.family}: ${limit.rate}/s, burst ${limit.burst} (running servers pick it up within 10 s)`);
    });
  withStoreOptions(throttle.command('reset').description('return one family of one account to the default'))
    .requiredOption('--account-id <id>', 'account')
    .requiredOption('--family <family>', 'e.g. ssm:read')
    .action(async (o: StoreOptions & { accountId: string; family: string }) => {
      await withLocalStore(o, ({ throttle: t }) => t.resetLimit(o.accountId, o.family));
    });
  withStoreOptions(throttle.command('list').description('list configured limits')).action(async (o: StoreOptions) => {
    const rows = await withLocalStore(o, ({ throttle: t }) => t.listLimits());
    for (const r of rows) console.log(`${r.account_id}\t${r.family}\t${r.rate}/s\tburst ${r.burst}`);
  });
}
