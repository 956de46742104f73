import type { Capability } from '../protocol/capability.js';
import { taggingService } from '../tagging/index.js';
import { attachAgentEndpoints } from './channel.js';
import { instanceArn, nodeOperations } from './operations.js';
import { NodeService } from './service.js';
import { nodeService, nodeSlot } from './slot.js';
import { nodeMigrations } from './tables.js';
import { nodeHealthMigrations } from './health-tables.js';
import { diagnosisOperations } from './diagnosis.js';
import { registerNodeResourceTags } from './access.js';
import { attachAgentDownloads } from './downloads.js';

export { nodeService } from './slot.js';
export { resolveTargets, targetSchema, type Target, type GroupResolver } from './targets.js';
export type { NodeService } from './service.js';
export type { InstanceRow } from './tables.js';
export type { AgentMessageSink, NewJob } from './jobs.js';
export { instanceArn } from './operations.js';

export const nodesCapability: Capability = {
  name: 'nodes',
  migrations: [...nodeMigrations, ...nodeHealthMigrations],
  operations: [...nodeOperations, ...diagnosisOperations],
  start(core, options) {
    const svc = new NodeService(core, options.agentPingMs ?? 30_000);
    nodeSlot.set(core, svc);
    registerNodeResourceTags(core, svc);
    taggingService(core).register({
      resourceType: 'ManagedInstance',
      arn: (account, region, id) => instanceArn(region, account, id),
      get: async (account, region, id) => {
        const row = await svc.instance(account, region, id);
        return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
      },
      set: (account, region, id, tags) => svc.setTags(account, region, id, tags),
    });
  },
  http(app, core) {
    attachAgentEndpoints(app, nodeService(core));
    attachAgentDownloads(app);
  },
};
