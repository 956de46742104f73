import type { Core } from '../protocol/context.js';
import { taggingService, type Tags } from '../tagging/index.js';
import { executionArn } from './events.js';
import { tables } from './store.js';

type TagList = { Key: string; Value: string }[];
const toMap = (list: TagList): Tags => Object.fromEntries(list.map((t) => [t.Key, t.Value]));

/** Executions are tagged at start and afterwards (AddTagsToResource ResourceType Automation), 5 tags at most, as AWS allows. */
export function registerExecutionTags(core: Core): void {
  const db = tables(core.database.db);
  const tagsOf = async (account: string, region: string, id: string): Promise<Tags | undefined> => {
    const row = await db.selectFrom('automation_executions').select('tags').where('execution_id', '=', id).where('account_id', '=', account).where('region', '=', region).executeTakeFirst();
    return row ? toMap(JSON.parse(row.tags) as TagList) : undefined;
  };
  taggingService(core).register({
    resourceType: 'Automation',
    arn: (account, region, id) => executionArn({ account_id: account, region, execution_id: id }),
    get: tagsOf,
    set: async (account, region, id, tags) => {
      const list: TagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      await db.updateTable('automation_executions').set({ tags: JSON.stringify(list) }).where('execution_id', '=', id).where('account_id', '=', account).where('region', '=', region).execute();
    },
    list: async (account, region) =>
      (await db.selectFrom('automation_executions').select(['execution_id', 'tags']).where('account_id', '=', account).where('region', '=', region).execute()).map((r) => ({ id: r.execution_id, tags: toMap(JSON.parse(r.tags) as TagList) })),
    maxTags: 5,
  });
  // For aws:ResourceTag conditions on automation-execution ARNs.
  core.resourceTags.register('ssm', 'automation-execution', async (arn, account, region) => (account ? await tagsOf(account, region, arn.slice(arn.lastIndexOf('/') + 1)) : undefined) ?? {});
}
