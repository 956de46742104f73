import type { IncidentMetrics } from '../../api/incidents';

export interface Spread {
  count: number;
  mean?: number;
  p50?: number;
  p90?: number;
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function spread(values: number[]): Spread {
  if (!values.length) return { count: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50: rank(sorted, 50), p90: rank(sorted, 90) };
}

export interface RunbookUse {
  name: string;
  runs: number;
  /** Runs that succeeded in an incident that was then resolved. */
  mitigated: number;
}

export interface Insight {
  total: number;
  open: number;
  resolved: number;
  acknowledge: Spread;
  resolve: Spread;
  runbooks: RunbookUse[];
}

export function insightOf(list: IncidentMetrics[]): Insight {
  const runbooks = new Map<string, RunbookUse>();
  for (const i of list) {
    for (const r of i.Runbooks) {
      const use = runbooks.get(r.DocumentName) ?? { name: r.DocumentName, runs: 0, mitigated: 0 };
      use.runs++;
      if (r.Status === 'Success' && i.Status === 'RESOLVED') use.mitigated++;
      runbooks.set(r.DocumentName, use);
    }
  }
  return {
    total: list.length,
    open: list.filter((i) => i.Status === 'OPEN').length,
    resolved: list.filter((i) => i.Status === 'RESOLVED').length,
    acknowledge: spread(list.flatMap((i) => (i.TimeToAcknowledgeSeconds !== undefined ? [i.TimeToAcknowledgeSeconds] : []))),
    resolve: spread(list.flatMap((i) => (i.TimeToResolveSeconds !== undefined ? [i.TimeToResolveSeconds] : []))),
    runbooks: [...runbooks.values()].sort((a, b) => b.runs - a.runs || a.name.localeCompare(b.name)),
  };
}

/** A duration in seconds as people read it: 45 s, 12 min, 3.5 h. */
export function duration(s: number | undefined): string {
  if (s === undefined) return '—';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round((s / 60) * 10) / 10} min`;
  return `${Math.round((s / 3600) * 10) / 10} h`;
}
