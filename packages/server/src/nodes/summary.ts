import { sql } from 'kysely';
import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { compareVersions } from './listing.js';
import { nodeService } from './slot.js';

/** How many of a group's nodes are Online, by NodeService.pingStatus's rule. */
const onlineCount = (onlineSince: number) => sql<number>`sum(case when connected = 1 and last_ping_at >= ${onlineSince} then 1 else 0 end)`;

/**
 * The fleet in numbers, for the console's dashboard: a handful of GROUP BY queries over the
 * nodes' rows instead of paging DescribeInstanceInformation through every node (200 calls for
 * 10,000 nodes). Ping status is computed as DescribeInstanceInformation computes it.
 */
export async function summarizeNodes(core: Parameters<typeof nodeService>[0], accountId: string, region: string, now: number) {
  const svc = nodeService(core);
  const { onlineSince, inactiveBefore } = svc.pingCutoffs(now);
  const mine = svc.db.selectFrom('managed_instances').where('account_id', '=', accountId).where('region', '=', region);
  const online = onlineCount(onlineSince);
  const inactive = sql<number>`sum(case when coalesce(last_ping_at, registered_at) < ${inactiveBefore} then 1 else 0 end)`;
  const totals = await mine.select([sql<number>`count(*)`.as('total'), online.as('online'), inactive.as('inactive')]).executeTakeFirstOrThrow();
  const platforms = await mine
    .select(['platform_type', 'platform_name', 'platform_version', sql<number>`count(*)`.as('n'), online.as('online')])
    .groupBy(['platform_type', 'platform_name', 'platform_version'])
    .execute();
  const agents = await mine.select(['agent_version', sql<number>`count(*)`.as('n'), online.as('online')]).groupBy('agent_version').execute();
  const total = Number(totals.total);
  const up = Number(totals.online ?? 0);
  const gone = Number(totals.inactive ?? 0);
  const versions = agents.map((a) => a.agent_version).filter(Boolean);
  const latest = versions.reduce<string>((best, v) => (best === '' || compareVersions(v, best) > 0 ? v : best), '');
  const byCount = <T extends { Count: number }>(a: T, b: T) => b.Count - a.Count;
  return {
    Total: total,
    PingStatus: { Online: up, ConnectionLost: total - up - gone, Inactive: gone },
    Platforms: platforms
      .map((p) => ({ PlatformType: p.platform_type, PlatformName: p.platform_name, PlatformVersion: p.platform_version, Count: Number(p.n), Online: Number(p.online ?? 0) }))
      .sort(byCount),
    AgentVersions: agents
      .map((a) => ({ AgentVersion: a.agent_version, Count: Number(a.n), Online: Number(a.online ?? 0), Latest: a.agent_version !== '' && a.agent_version === latest }))
      .sort(byCount),
    LatestAgentVersion: latest,
  };
}

/**
 * The regions in which the account has managed nodes, with how many and how many are Online:
 * one GROUP BY, so the console can list the fleet of every region without probing each one.
 * Regions without a node are not listed; the order is by region name.
 */
export async function nodeRegions(core: Parameters<typeof nodeService>[0], accountId: string, now: number) {
  const svc = nodeService(core);
  const online = onlineCount(svc.pingCutoffs(now).onlineSince);
  const rows = await svc.db
    .selectFrom('managed_instances')
    .where('account_id', '=', accountId)
    .select(['region', sql<number>`count(*)`.as('total'), online.as('online')])
    .groupBy('region')
    .orderBy('region')
    .execute();
  return { Regions: rows.map((r) => ({ Region: r.region, Total: Number(r.total), Online: Number(r.online ?? 0) })) };
}

/** Not AWS operations: the console's dashboard and fleet across regions. Reading them is describing the nodes. */
export const summaryOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CapstanSummarizeNodes',
    action: 'ssm:DescribeInstanceInformation',
    input: z.object({}),
    handler: (_i, c) => summarizeNodes(c.core, c.accountId, c.region, c.now),
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanListNodeRegions',
    action: 'ssm:DescribeInstanceInformation',
    input: z.object({}),
    handler: (_i, c) => nodeRegions(c.core, c.accountId, c.now),
  }),
];
