import type { Capability } from '../protocol/capability.js';
import { taggingService } from '../tagging/index.js';
import { attachAgentEndpoints } from './channel.js';
import { instanceArn, nodeOperations } from './operations.js';
import { NodeService } from './service.js';
import { nodeService, nodeSlot } from './slot.js';
import { nodeMigrations } from './tables.js';
import { nodeHealthMigrations } from './health-tables.js';
import { diagnosisOperations } from './diagnosis.js';
import { summaryOperations } from './summary.js';
import { registerNodeResourceTags } from './access.js';
import { attachAgentDownloads } from './downloads.js';
import { attachNodeCluster } from './cluster.js';
import { pingEventMigrations } from './ping-events.js';
import { bootMigrations } from './boot.js';
import { nodeAssociationMigrations } from './association-status.js';

export { nodeService } from './slot.js';
export { registerGroupResolver, resolveTargets, targetSchema, type Target, type GroupResolver } from './targets.js';
export type { NodeService } from './service.js';
export type { InstanceRow } from './tables.js';
export type { AgentMessageSink, NewJob } from './jobs.js';
export { instanceArn } from './operations.js';
export { NODE_STATUS_EVENT } from './ping-events.js';
export type { BootListener, NodeBoot } from './boot.js';
export type { AssociationSummary } from './association-status.js';

export const nodesCapability: Capability = {
  name: 'nodes',
  migrations: [...nodeMigrations, ...nodeHealthMigrations, ...pingEventMigrations, ...bootMigrations, ...nodeAssociationMigrations],
  operations: [...nodeOperations, ...diagnosisOperations, ...summaryOperations],
  async start(core, options) {
    const svc = new NodeService(core, options.agentPingMs ?? 30_000, options.nodeInactiveAfterMs);
    nodeSlot.set(core, svc);
    await svc.pingEvents.start();
    registerNodeResourceTags(core, svc);
    taggingService(core).register({
      resourceType: 'ManagedInstance',
      arn: (account, region, id) => instanceArn(region, account, id),
      get: async (account, region, id) => {
        const row = await svc.instance(account, region, id);
        return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
      },
      set: (account, region, id, tags) => svc.setTags(account, region, id, tags),
      list: async (account, region) => (await svc.instances(account, region)).map((r) => ({ id: r.instance_id, tags: JSON.parse(r.tags) as Record<string, string> })),
    });
  },
  http(app, core) {
    attachAgentEndpoints(app, nodeService(core));
    attachNodeCluster(app, nodeService(core));
    attachAgentDownloads(app);
  },
};
