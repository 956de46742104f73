import type { Capability } from '../protocol/capability.js';
import { nodeService, registerGroupResolver } from '../nodes/index.js';
import { groupOperations } from './operations.js';
import { GroupService } from './service.js';
import { groupSlot } from './slot.js';
import { groupMigrations } from './tables.js';
import { taggingApiOperations } from './tagging-api.js';

export { groups as resourceGroups } from './slot.js';

/**
 * Resource Groups (groups by tag query or by explicit list) and the Resource Groups Tagging API
 * over every resource Capstan tags. Starts after the capabilities whose resources it lists; the
 * `resource-groups:Name` target key of Run Command, State Manager, Maintenance Windows and
 * Automation resolves through it.
 */
export const resourceGroupsCapability: Capability = {
  name: 'resource-groups',
  migrations: groupMigrations,
  operations: [...groupOperations, ...taggingApiOperations],
  start(core) {
    const svc = new GroupService(core);
    groupSlot.set(core, svc);
    registerGroupResolver(nodeService(core), (account, region, name) => svc.nodeIds(account, region, name));
    // For aws:ResourceTag conditions on group ARNs.
    core.resourceTags.register('resource-groups', 'group', async (arn, account, region) => {
      const name = arn.slice(arn.indexOf(':group/') + ':group/'.length);
      const row = await svc.db.selectFrom('resource_groups').select('tags').where('account_id', '=', account).where('region', '=', region).where('name', '=', name).executeTakeFirst();
      return row ? (JSON.parse(row.tags) as Record<string, string>) : {};
    });
  },
};
