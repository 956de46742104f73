import { statSync } from 'node:fs';
import { join } from 'node:path';
import { matchesPatchName, type PatchBaselineSnapshot, type PatchRecord } from '@capstan/wire';
import type { AptLayout, NodeRelease } from './apt-layout.js';
import { collectViews, listIndexes, readInstalled } from './apt-packages.js';
import { judgeInstalled, judgeUninstalled, type Judged } from './states.js';

export interface Scan {
  judged: Judged[];
  notApplicable: PatchRecord[];
}

export interface ScanInput {
  layout: AptLayout;
  release: NodeRelease;
  baseline: PatchBaselineSnapshot;
  pendingReboot: ReadonlyMap<string, string>;
  env: Record<string, string>;
  signal: AbortSignal;
}

/** Every installed package judged against the baseline, and the approved ones the node lacks. */
export async function scanNode(o: ScanInput): Promise<Scan> {
  const installed = await readInstalled(o.layout.statusFile);
  const lists = await listIndexes(o.env, o.signal);
  const approved = o.baseline.ApprovedPatches;
  const { views, uninstalled } = await collectViews(installed, lists, (name) => approved.some((p) => matchesPatchName(p, name)));
  const input = {
    baseline: o.baseline,
    product: o.release.product,
    at: Date.now(),
    pendingReboot: o.pendingReboot,
    installedTime: (name: string, arch: string) => installedTime(o.layout, name, arch),
  };
  const judged = [...views.values()].map((v) => judgeInstalled(v, input));
  const notApplicable = [...uninstalled].map(([name, offer]) => judgeUninstalled(name, offer, input)).filter((r): r is PatchRecord => r !== undefined);
  return { judged, notApplicable };
}

/** dpkg touches a package's file list when it installs it (`name:arch.list` for Multi-Arch: same ones). */
function installedTime(layout: AptLayout, name: string, arch: string): number | undefined {
  const info = join(layout.adminDir, 'info');
  const st = statSync(join(info, `${name}.list`), { throwIfNoEntry: false }) ?? statSync(join(info, `${name}:${arch}.list`), { throwIfNoEntry: false });
  return st ? Math.floor(st.mtimeMs) : undefined;
}
