import { registerOpsItemExecutions } from '../automation/index.js';
import type { Capability } from '../protocol/capability.js';
import { taggingService } from '../tagging/index.js';
import { subscribe } from './auto.js';
import { OpsMetadataService, opsMetadataArn } from './metadata.js';
import { opsItemArn } from './model.js';
import { capstanOperations } from './operations/capstan.js';
import { itemOperations } from './operations/items.js';
import { metadataOperations } from './operations/metadata.js';
import { summaryOperations } from './operations/summary.js';
import { OpsItemService } from './service.js';
import { itemsSlot, metadataSlot } from './slot.js';
import { opsMigrations } from './tables.js';

export { opsItems } from './slot.js';

/**
 * OpsCenter: OpsItems (with deduplication, related items, events, webhook notifications and
 * context), the OpsSummary over them, Application Manager's OpsMetadata, and the rules that
 * raise OpsItems from Capstan's own events. Starts after the capabilities whose events it
 * watches and whose operations its context and runbooks call.
 */
export const opscenterCapability: Capability = {
  name: 'opscenter',
  migrations: opsMigrations,
  operations: [...itemOperations, ...summaryOperations, ...metadataOperations, ...capstanOperations],
  start(core) {
    const items = new OpsItemService(core);
    const metadata = new OpsMetadataService(core);
    itemsSlot.set(core, items);
    metadataSlot.set(core, metadata);
    subscribe(core, items);
    registerOpsItemExecutions(core, (account, region, ids) => items.startedExecutions(account, region, ids));
    const tagging = taggingService(core);
    tagging.register({
      resourceType: 'OpsItem',
      arn: (account, region, id) => opsItemArn(region, account, id),
      get: async (account, region, id) => {
        const row = await items.find(account, region, id);
        return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
      },
      set: (account, region, id, tags) => items.setTags(account, region, id, tags),
      list: async (account, region) => (await items.list(account, region)).map((r) => ({ id: r.ops_item_id, tags: JSON.parse(r.tags) as Record<string, string> })),
    });
    // As AWS: an OpsMetadata object's tagging ResourceId is what follows `opsmetadata/` in its ARN.
    tagging.register({
      resourceType: 'OpsMetadata',
      arn: (account, region, id) => opsMetadataArn(region, account, id),
      get: async (account, region, id) => {
        const row = await metadata.find({ accountId: account, region }, opsMetadataArn(region, account, id));
        return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
      },
      set: (account, region, id, tags) => metadata.setTags(account, region, opsMetadataArn(region, account, id), tags),
      list: async (account, region) => (await metadata.list({ accountId: account, region })).map((r) => ({ id: r.arn.replace(/^[^/]*\//, ''), tags: JSON.parse(r.tags) as Record<string, string> })),
    });
    for (const [service, type, read] of [
      ['ssm', 'opsitem', async (arn: string, account: string, region: string) => (await items.find(account, region, arn.split('/').pop()!))?.tags],
      ['ssm', 'opsmetadata', async (arn: string, account: string, region: string) => (await metadata.find({ accountId: account, region }, arn))?.tags],
    ] as const) {
      core.resourceTags.register(service, type, async (arn, account, region) => {
        const tags = await read(arn, account, region);
        return tags ? (JSON.parse(tags) as Record<string, string>) : undefined;
      });
    }
  },
};
