import { compareVersions } from '../../lib/versions';

/** Capstan's CapstanSummarizeNodes answer: the fleet counted by the server in a few queries. */
export interface NodesSummary {
  Total: number;
  PingStatus: Record<string, number>;
  Platforms: { PlatformType: string; PlatformName: string; PlatformVersion: string; Count: number; Online: number }[];
  AgentVersions: { AgentVersion: string; Count: number; Online: number; Latest: boolean }[];
  LatestAgentVersion: string;
}

export interface Dashboard {
  total: number;
  ping: Map<string, number>;
  /** Largest first, as [label, count]. */
  platforms: [string, number][];
  os: [string, number][];
  /** Newest version first. */
  agents: [string, number][];
  newest: string | undefined;
  outdated: number;
}

function grouped(items: { key: string; count: number }[]): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(i.key, (m.get(i.key) ?? 0) + i.count);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * Groups the summary the way the node list filters, so that each number leads to a list of the
 * same length: OS is "name version" as `osLabel` writes it, and a node without an agent version
 * is neither current nor outdated.
 */
export function dashboardOf(s: NodesSummary): Dashboard {
  const newest = s.LatestAgentVersion || undefined;
  return {
    total: s.Total,
    ping: new Map(Object.entries(s.PingStatus ?? {})),
    platforms: grouped(s.Platforms.map((p) => ({ key: p.PlatformType || 'Unknown', count: p.Count }))),
    os: grouped(s.Platforms.map((p) => ({ key: [p.PlatformName, p.PlatformVersion].filter(Boolean).join(' ') || 'Unknown', count: p.Count }))),
    agents: grouped(s.AgentVersions.filter((a) => a.AgentVersion).map((a) => ({ key: a.AgentVersion, count: a.Count }))).sort((a, b) => compareVersions(b[0], a[0])),
    newest,
    outdated: newest ? s.AgentVersions.filter((a) => a.AgentVersion && compareVersions(a.AgentVersion, newest) < 0).reduce((n, a) => n + a.Count, 0) : 0,
  };
}
