import type { Capability } from '../protocol/capability.js';
import { taggingService, type Tags } from '../tagging/index.js';
import { executionOperations } from './operations/executions.js';
import { scheduleOperations } from './operations/schedule.js';
import { targetOperations } from './operations/targets.js';
import { taskOperations } from './operations/tasks.js';
import { windowOperations } from './operations/windows.js';
import { MaintenanceService } from './service.js';
import { maintenanceSlot } from './slot.js';
import { tables, windowArn } from './store.js';
import { maintenanceMigrations } from './tables.js';

export { maintenanceService } from './slot.js';
export { TASK_EVENT } from './events.js';

/**
 * Maintenance Windows: windows that open on a schedule in a time zone, with targets and tasks
 * run by priority until the cutoff. Starts after the capabilities its tasks use (commands,
 * automation); LAMBDA and STEP_FUNCTIONS tasks reach the rules capability's API destinations
 * only when they run, by which time every capability has started.
 */
export const maintenanceCapability: Capability = {
  name: 'maintenance',
  migrations: maintenanceMigrations,
  operations: [...windowOperations, ...scheduleOperations, ...targetOperations, ...taskOperations, ...executionOperations],
  start(core) {
    const svc = new MaintenanceService(core);
    maintenanceSlot.set(core, svc);
    const db = tables(core.database.db);
    type TagList = { Key: string; Value: string }[];
    const tagsOf = async (account: string, region: string, id: string): Promise<Tags | undefined> => {
      const row = await db.selectFrom('maintenance_windows').select('tags').where('window_id', '=', id).where('account_id', '=', account).where('region', '=', region).executeTakeFirst();
      return row ? Object.fromEntries((JSON.parse(row.tags) as TagList).map((t) => [t.Key, t.Value])) : undefined;
    };
    taggingService(core).register({
      resourceType: 'MaintenanceWindow',
      arn: (account, region, id) => windowArn(region, account, id),
      get: tagsOf,
      set: async (account, region, id, tags) => {
        await db.updateTable('maintenance_windows').set({ tags: JSON.stringify(Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))) }).where('window_id', '=', id).where('account_id', '=', account).where('region', '=', region).execute();
      },
      list: async (account, region) =>
        (await db.selectFrom('maintenance_windows').select(['window_id', 'tags']).where('account_id', '=', account).where('region', '=', region).execute()).map((r) => ({ id: r.window_id, tags: Object.fromEntries((JSON.parse(r.tags) as TagList).map((t) => [t.Key, t.Value])) })),
    });
    // For aws:ResourceTag conditions on window ARNs.
    core.resourceTags.register('ssm', 'maintenancewindow', async (arn, account, region) => (account ? await tagsOf(account, region, arn.slice(arn.lastIndexOf('/') + 1)) : undefined) ?? {});
  },
};
