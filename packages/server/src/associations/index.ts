import { nodeService } from '../nodes/index.js';
import type { Capability } from '../protocol/capability.js';
import { registerDocumentUser } from '../documents/index.js';
import { taggingService, type Tags } from '../tagging/index.js';
import { associationOperations, associationArn } from './operations/associations.js';
import { historyOperations } from './operations/history.js';
import { applyOnBoot } from './boot.js';
import { AssociationService } from './service.js';
import { associationSlot } from './slot.js';
import { tables } from './store.js';
import { associationMigrations } from './tables.js';

export { associationService } from './slot.js';

/** How often new nodes are matched against associations, unless the agents ping faster (30 s, AWS's heartbeat). */
const SWEEP_MS = 30_000;

export const associationsCapability: Capability = {
  name: 'associations',
  migrations: associationMigrations,
  operations: [...associationOperations, ...historyOperations],
  async start(core, options) {
    const svc = new AssociationService(core, Math.min(SWEEP_MS, options.agentPingMs ?? SWEEP_MS));
    associationSlot.set(core, svc);
    await svc.startSweep();
    nodeService(core).onBoot((account, region, instanceId, boot) => applyOnBoot(core, svc.runs, account, region, instanceId, boot));
    const db = tables(core.database.db);
    // DeleteDocument refuses a document an association applies (or a change calendar it is gated by would be the user's to remove).
    registerDocumentUser(core, async (account, region, name) => !!(await db.selectFrom('associations').select('association_id').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).executeTakeFirst()));
    type TagList = { Key: string; Value: string }[];
    const tagsOf = async (account: string, region: string, id: string): Promise<Tags | undefined> => {
      const row = await db.selectFrom('associations').select('tags').where('association_id', '=', id).where('account_id', '=', account).where('region', '=', region).executeTakeFirst();
      return row ? Object.fromEntries((JSON.parse(row.tags) as TagList).map((t) => [t.Key, t.Value])) : undefined;
    };
    taggingService(core).register({
      resourceType: 'Association',
      arn: (account, region, id) => associationArn({ accountId: account, region }, id),
      get: tagsOf,
      set: async (account, region, id, tags) => {
        await db.updateTable('associations').set({ tags: JSON.stringify(Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))) }).where('association_id', '=', id).where('account_id', '=', account).where('region', '=', region).execute();
      },
      list: async (account, region) =>
        (await db.selectFrom('associations').select(['association_id', 'tags']).where('account_id', '=', account).where('region', '=', region).execute()).map((r) => ({ id: r.association_id, tags: Object.fromEntries((JSON.parse(r.tags) as TagList).map((t) => [t.Key, t.Value])) })),
    });
    core.resourceTags.register('ssm', 'association', async (arn, account, region) => (account ? await tagsOf(account, region, arn.slice(arn.lastIndexOf('/') + 1)) : undefined) ?? {});
  },
};
