import type { Capability } from '../protocol/capability.js';
import { commandService } from '../commands/index.js';
import { nodeService } from '../nodes/index.js';
import { taggingService } from '../tagging/index.js';
import { baselineArn, Baselines, tablesOf } from './baselines.js';
import { patchJobHook } from './job.js';
import { baselineOperations } from './operations/baselines.js';
import { catalogOperations } from './operations/catalog.js';
import { groupOperations } from './operations/groups.js';
import { stateOperations } from './operations/states.js';
import { isPatchReport, PatchReports } from './reports.js';
import { PatchSnapshots } from './snapshots.js';
import { patching, patchingSlot } from './slot.js';
import { patchingMigrations } from './tables.js';

export { patching } from './slot.js';

/**
 * Patch Manager: baselines (Capstan's predefined ones and the account's), defaults and patch
 * groups; the baseline snapshot in each node's job for `aws:runPatchBaseline`; the nodes' patch
 * reports, kept as their patch states and as `Patch` compliance; the catalogue of patches the
 * fleet reported. Starts after nodes, commands and compliance.
 */
export const patchingCapability: Capability = {
  name: 'patching',
  migrations: patchingMigrations,
  operations: [...baselineOperations, ...groupOperations, ...stateOperations, ...catalogOperations],
  start(core, options) {
    const baselines = new Baselines(core);
    const reports = new PatchReports(core);
    const snapshots = new PatchSnapshots(core);
    if (options.publicUrl) snapshots.publicUrl = options.publicUrl;
    patchingSlot.set(core, { baselines, reports, snapshots });
    commandService(core).nodePayloads.register(patchJobHook(core, baselines, options.s3));
    nodeService(core).onPatchReport(async (account, region, instanceId, m) => {
      if (!isPatchReport(m)) {
        // Acknowledged all the same: resending a malformed report would fail the same way.
        console.warn(`patch report from ${instanceId} dropped: it is not a valid patch report`);
        return;
      }
      await reports.store(account, region, instanceId, m);
    });
    taggingService(core).register({
      resourceType: 'PatchBaseline',
      arn: (account, region, id) => baselineArn(region, account, id),
      get: (account, region, id) => baselines.tags(account, region, id),
      set: (account, region, id, tags) => baselines.setTags(account, region, id, tags),
      list: async (account, region) =>
        (await tablesOf(core.database.db).selectFrom('patch_baselines').select(['baseline_id', 'tags']).where('account_id', '=', account).where('region', '=', region).execute()).map((r) => ({ id: r.baseline_id, tags: JSON.parse(r.tags) as Record<string, string> })),
    });
    // For aws:ResourceTag conditions on baseline ARNs.
    core.resourceTags.register('ssm', 'patchbaseline', async (arn, account, region) => (account ? await baselines.tags(account, region, arn.slice(arn.lastIndexOf('/') + 1)) : undefined) ?? {});
  },
  http(app, core) {
    patching(core).snapshots.attach(app);
  },
};
