import type { Capability } from '../protocol/capability.js';
import { settingsService } from '../settings/index.js';
import { taggingService } from '../tagging/index.js';
import { parameterArn } from './names.js';
import { parameterOperations } from './operations.js';
import { registerPolicyJobs } from './policy-jobs.js';
import { ParameterReads } from './reads.js';
import { ParameterWrites } from './service.js';
import { CurrentRows } from './current.js';
import { currentSlot, readsSlot, writesSlot } from './slots.js';
import { parameterStore } from './store.js';
import { parameterMigrations, type ParameterTables } from './tables.js';

export { POLICY_EVENT } from './policy-jobs.js';
export { CHANGE_EVENT } from './change-events.js';

export const parametersCapability: Capability = {
  name: 'parameters',
  migrations: parameterMigrations,
  operations: parameterOperations,
  start(core, options) {
    settingsService(core); // needs service settings started first (default tier)
    const current = new CurrentRows(core, options.sharedCacheTtlMs);
    currentSlot.set(core, current);
    readsSlot.set(core, new ParameterReads(core));
    writesSlot.set(core, new ParameterWrites(core));
    const db = core.database.db.withTables<ParameterTables>();
    const tagsOf = async (account: string, region: string, name: string) => {
      const row = await parameterStore.get(db, account, region, name);
      return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
    };
    taggingService(core).register({
      resourceType: 'Parameter',
      arn: (account, region, id) => parameterArn(region, account, id),
      get: tagsOf,
      set: async (account, region, name, tags) => {
        await parameterStore.setTags(db, account, region, name, tags);
        current.forget(account, region, name);
      },
      list: async (account, region) =>
        (await db.selectFrom('parameters').select(['name', 'tags']).where('account_id', '=', account).where('region', '=', region).execute()).map((r) => ({ id: r.name, tags: JSON.parse(r.tags) as Record<string, string> })),
    });
    // For aws:ResourceTag / ssm:resourceTag conditions on parameter ARNs.
    core.resourceTags.register('ssm', 'parameter', async (arn, account, region) => {
      const name = arn.slice(`arn:aws:ssm:${region}:${account}:parameter`.length);
      const direct = await tagsOf(account, region, name);
      return direct ?? tagsOf(account, region, name.replace(/^\//, ''));
    });
    registerPolicyJobs(core);
  },
};
