import type { PatchBaselineSnapshot, PatchRecord, PatchSummary } from '@capstan/wire';
import type { NodeRelease } from './apt-layout.js';

/** Shown by name; past this many the list says how many more there are. */
const LISTED = 50;

/** The step's stdout: what was judged against what, the counts, and the packages that need attention. */
export function describeRun(o: {
  baseline: PatchBaselineSnapshot;
  release: NodeRelease;
  summary: PatchSummary;
  patches: PatchRecord[];
  failures: Map<string, string>;
  reboot: boolean;
}): string {
  const { baseline, release, summary: s, patches } = o;
  const lines = [
    `Patch baseline ${baseline.BaselineId} (${baseline.Name}) for ${baseline.OperatingSystem}, snapshot ${s.SnapshotId}${s.PatchGroup ? `, patch group ${s.PatchGroup}` : ''}`,
    `Node: ${release.prettyName} (product ${release.product})`,
    `Operation: ${s.Operation}, RebootOption: ${s.RebootOption}${s.InstallOverrideList ? `, InstallOverrideList: ${s.InstallOverrideList}` : ''}`,
    '',
    `Installed: ${s.InstalledCount}`,
    `Installed other: ${s.InstalledOtherCount}`,
    `Installed pending reboot: ${s.InstalledPendingRebootCount}`,
    `Installed rejected: ${s.InstalledRejectedCount}`,
    `Missing: ${s.MissingCount}`,
    `Failed: ${s.FailedCount}`,
    `Not applicable: ${s.NotApplicableCount}`,
    `Available security updates: ${s.AvailableSecurityUpdateCount}`,
  ];
  const section = (title: string, rows: PatchRecord[], line: (r: PatchRecord) => string) => {
    if (!rows.length) return;
    lines.push('', `${title}:`);
    for (const r of rows.slice(0, LISTED)) lines.push(`  ${line(r)}`);
    if (rows.length > LISTED) lines.push(`  … and ${rows.length - LISTED} more`);
  };
  const from = (r: PatchRecord) => (r.Repository ? ` from ${r.Repository}` : '');
  section('Missing', patches.filter((r) => r.State === 'MISSING'), (r) => `${r.Name} ${r.InstalledVersion ?? '-'} -> ${r.Version}${from(r)}`);
  section('Failed', patches.filter((r) => r.State === 'FAILED'), (r) => `${r.Name} ${r.InstalledVersion ?? ''} -> ${r.Version}: ${o.failures.get(`${r.Name}:${r.Arch}`) ?? 'not installed'}`);
  section('Installed pending reboot', patches.filter((r) => r.State === 'INSTALLED_PENDING_REBOOT'), (r) => `${r.Name} ${r.Version}`);
  section('Installed rejected', patches.filter((r) => r.State === 'INSTALLED_REJECTED'), (r) => `${r.Name} ${r.Version}`);
  section('Available security updates (not approved)', patches.filter((r) => r.State === 'AVAILABLE_SECURITY_UPDATE'), (r) => `${r.Name} ${r.InstalledVersion ?? '-'} -> ${r.Version}${from(r)}`);
  if (o.reboot) lines.push('', 'Updated packages wait for a reboot: the node reboots now.');
  else if (s.InstalledPendingRebootCount) lines.push('', 'Updated packages wait for a reboot (RebootOption NoReboot).');
  return lines.join('\n');
}
