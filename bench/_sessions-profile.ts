// Summaries of V8 CPU profiles (.cpuprofile from --cpu-prof) for bench/sessions.ts --profile:
// where each process's busy time went, by function (self time) and by a few chosen call-tree
// entries (inclusive time).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** sampled time that was not idle, ms */
  busyMs: number;
  /** [label, self ms] for the largest, idle excluded */
  self: [string, number][];
  /** [label, inclusive ms] for the labels asked for */
  inclusive: [string, number][];
}

const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}`.trim();

/** The profile of the busiest thread in DIR (a tsx process writes one for its loader thread too). */
export function summarizeDir(dir: string, top: number, inclusiveOf: RegExp[]): ProfileSummary | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return undefined;
  const file = files.map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  return summarize(file, top, inclusiveOf);
}

export function summarize(file: string, top: number, inclusiveOf: RegExp[]): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const own = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) own.set(p.samples[i]!, (own.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const self = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of own) {
    const l = label(byId.get(id)!);
    if (l.startsWith('(idle)')) continue;
    busy += us;
    self.set(l, (self.get(l) ?? 0) + us);
  }
  // inclusive time of the labels matching each pattern (a label counted once per stack)
  const incl = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>) => {
    const n = byId.get(id)!;
    const l = label(n);
    const matched = inclusiveOf.some((re) => re.test(l)) && !onStack.has(l);
    if (matched) onStack.add(l);
    const us = own.get(id) ?? 0;
    if (us && !l.startsWith('(idle)')) for (const s of onStack) incl.set(s, (incl.get(s) ?? 0) + us);
    for (const c of n.children ?? []) walk(c, onStack);
    if (matched) onStack.delete(l);
  };
  walk(p.nodes[0]!.id, new Set());
  return {
    file,
    busyMs: busy / 1000,
    self: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([l, us]) => [l, us / 1000]),
    inclusive: [...incl].sort((a, b) => b[1] - a[1]).map(([l, us]) => [l, us / 1000]),
  };
}

export function formatSummary(name: string, s: ProfileSummary): string[] {
  const pct = (ms: number) => `${((100 * ms) / s.busyMs).toFixed(0)} %`;
  return [
    `${name}: ${(s.busyMs / 1000).toFixed(2)} s busy (the whole run, start-up included; ${s.file})`,
    `    self: ${s.self.map(([l, ms]) => `${l} ${Math.round(ms)} ms (${pct(ms)})`).join('; ')}`,
    ...(s.inclusive.length ? [`    inclusive: ${s.inclusive.map(([l, ms]) => `${l} ${Math.round(ms)} ms (${pct(ms)})`).join('; ')}`] : []),
  ];
}
