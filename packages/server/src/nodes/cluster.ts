import type { FastifyInstance } from 'fastify';
import { JOBS_TOPIC } from './jobs.js';
import { NODE_CLOSE_TOPIC, NODE_SEND_TOPIC, type NodeService } from './service.js';

/** How old a job must be before the poll behind the wake-ups sends it again. */
const REPLAY_AGE_MS = 2_000;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * Nodes among replicas: this replica serves requests for the channels it holds (messages and
 * jobs stored by other replicas, deregistration), polls for jobs whose wake-up it missed, and
 * marks offline the nodes of a replica found dead, until their agents connect elsewhere.
 */
export function attachNodeCluster(app: FastifyInstance, nodes: NodeService): void {
  const { bus, replicas, shared } = nodes.core.cluster;
  bus.subscribe(NODE_SEND_TOPIC, (m: { instanceId?: unknown; message?: unknown }) => {
    if (m.message && typeof m.message === 'object') nodes.sendToAgent(str(m.instanceId), m.message);
  });
  bus.subscribe(NODE_CLOSE_TOPIC, (m: { instanceId?: unknown }) => nodes.closeChannel(str(m.instanceId)));
  bus.subscribe(JOBS_TOPIC, (m: { payloadId?: unknown; instances?: unknown }) => {
    const instances = Array.isArray(m.instances) ? m.instances.filter((x): x is string => typeof x === 'string') : undefined;
    void nodes.jobs.pushStored(str(m.payloadId), instances).catch(() => undefined);
  });
  // Wake-ups sent while the bus was reconnecting are lost: look for what they announced now.
  bus.onResync(() => void nodes.jobs.replay(0).catch(() => undefined));
  replicas.onDead(async (dead) => {
    await nodes.db
      .updateTable('managed_instances')
      .set({ connected: 0, channel_replica: '', disconnected_at: nodes.core.clock.now(), disconnect_reason: 'the server replica holding its channel stopped answering' })
      .where('channel_replica', 'in', dead)
      .execute();
  });
  if (!shared) return;
  const timer = setInterval(() => void nodes.jobs.replay(REPLAY_AGE_MS).catch(() => undefined), REPLAY_AGE_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
