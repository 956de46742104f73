import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PatchBaselineSnapshot, PatchRecord, PatchState } from '@capstan/wire';
import { removeTempDirs, run, tempDir } from '../../test-support/harness.js';
import type { PatchReport } from '../../types.js';
import { buildRpm, installedRpms, makeRpmRoot, rpmInstall, writeRepo, type Notice, type RpmRoot, type RpmSpec } from './test-support/rpm-root.js';

after(removeTempDirs);

const DAY = 86_400_000;

/**
 * The node starts with the OLD builds; the repository also carries their updates, each with an
 * update notice: alpha (security, Important, long ago), kernel (security, Critical, two days
 * ago), gamma (security, Low), delta (security, Moderate, needs the new package rejdep), beta
 * (bugfix). steady has no update.
 */
const OLD: RpmSpec[] = [
  { name: 'alpha', version: '1.0', release: '1' },
  { name: 'beta', version: '2.0', release: '1' },
  { name: 'kernel', version: '5.0', release: '1' },
  { name: 'gamma', version: '3.0', release: '1' },
  { name: 'delta', version: '1.0', release: '1' },
  { name: 'steady', version: '0.9', release: '1', epoch: 1 },
];
const NEW: Record<string, RpmSpec> = {
  alpha: { name: 'alpha', version: '1.0', release: '2' },
  kernel: { name: 'kernel', version: '5.0', release: '2' },
  gamma: { name: 'gamma', version: '3.0', release: '2' },
  delta: { name: 'delta', version: '1.1', release: '1', requires: 'rejdep' },
  rejdep: { name: 'rejdep', version: '1.0', release: '1' },
  beta: { name: 'beta', version: '2.1', release: '1' },
};
const NOTICES: Notice[] = [
  { id: 'RHSA-2024:0001', type: 'security', severity: 'Important', issued: Date.parse('2024-01-10T00:00:00Z'), cves: ['CVE-2024-1111'], bugzillas: ['1001'], packages: [NEW.alpha!] },
  { id: 'RHSA-2024:0002', type: 'security', severity: 'Critical', issued: Date.now() - 2 * DAY, cves: ['CVE-2024-2222'], packages: [NEW.kernel!] },
  { id: 'RHSA-2024:0003', type: 'security', severity: 'Low', issued: Date.parse('2024-03-01T00:00:00Z'), packages: [NEW.gamma!] },
  { id: 'RHSA-2024:0004', type: 'security', severity: 'Moderate', issued: Date.parse('2024-04-01T00:00:00Z'), packages: [NEW.delta!] },
  { id: 'RHBA-2024:0005', type: 'bugfix', issued: Date.parse('2024-05-01T00:00:00Z'), packages: [NEW.beta!] },
];

let repo: string;
let oldFiles: string[];

before(() => {
  repo = tempDir('capstan-dnf-repo-');
  const work = tempDir('capstan-dnf-build-');
  // The old builds are installed from files outside the repository: the repository offers only updates.
  const oldDir = tempDir('capstan-dnf-old-');
  oldFiles = OLD.map((s) => buildRpm(oldDir, s, work));
  for (const s of Object.values(NEW)) buildRpm(repo, s, work);
  writeRepo(repo, NOTICES, work);
});

function node(): RpmRoot {
  const r = makeRpmRoot(tempDir('capstan-dnf-node-'), repo);
  rpmInstall(r, oldFiles);
  return r;
}

const securityRule = (severities: string[], extra: { ApproveAfterDays?: number; ComplianceLevel?: PatchBaselineSnapshot['ApprovedPatchesComplianceLevel'] } = {}) => ({
  PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Security'] }, { Key: 'SEVERITY', Values: severities }] },
  ComplianceLevel: extra.ComplianceLevel ?? 'CRITICAL',
  ...(extra.ApproveAfterDays !== undefined ? { ApproveAfterDays: extra.ApproveAfterDays } : {}),
});

function baseline(over: Partial<PatchBaselineSnapshot> = {}): PatchBaselineSnapshot {
  return {
    SnapshotId: '11111111-2222-3333-4444-555555555555',
    InstanceId: 'mi-0123456789abcdef0',
    BaselineId: 'pb-0123456789abcdef1',
    Name: 'RockySecurity',
    OperatingSystem: 'ROCKY_LINUX',
    GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['RockyLinux9*'] }] },
    ApprovalRules: { PatchRules: [securityRule(['Critical', 'Important', 'Moderate'], { ApproveAfterDays: 7 })] },
    ApprovedPatches: [],
    ApprovedPatchesComplianceLevel: 'UNSPECIFIED',
    ApprovedPatchesEnableNonSecurity: false,
    RejectedPatches: [],
    RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY',
    Sources: [],
    CreatedAt: Date.now(),
    ...over,
  };
}

const document = (inputs: Record<string, string>) => ({
  schemaVersion: '2.2',
  mainSteps: [{ action: 'aws:runPatchBaseline', name: 'PatchLinux', inputs: { SnapshotId: '', InstallOverrideList: '', BaselineOverride: '', RebootOption: 'RebootIfNeeded', ...inputs } }],
});

async function patch(r: RpmRoot, b: PatchBaselineSnapshot, inputs: Record<string, string>, stateDir = tempDir()) {
  const reports: PatchReport[] = [];
  const res = await run(document(inputs), { env: r.env, stateDir, payload: { patchBaseline: b }, onPatchReport: (m) => reports.push(m) });
  return { ...res, reports, stdout: res.output('PatchLinux'), stderr: res.output('PatchLinux', 'stderr'), step: res.outcome.steps[0]! };
}

const states = (patches: PatchRecord[]) => Object.fromEntries(patches.map((p) => [p.Name, p.State])) as Record<string, PatchState>;
const named = (patches: PatchRecord[], state: PatchState) => patches.filter((p) => p.State === state).map((p) => p.Name).sort();
const STARTING = { alpha: '1.0-1', beta: '2.0-1', kernel: '5.0-1', gamma: '3.0-1', delta: '1.0-1', steady: '1:0.9-1' };

test('dnf Scan: classification and severity rules with ApproveAfterDays against the notice dates; nothing changes on the node', async () => {
  const r = node();
  const { step, reports, stdout } = await patch(r, baseline({ AvailableSecurityUpdatesComplianceStatus: 'NON_COMPLIANT' }), { Operation: 'Scan' });
  assert.equal(step.status, 'Success', `${step.details} ${stdout}`);
  assert.equal(reports.length, 1);
  const { summary, patches } = reports[0]!;
  // kernel's Critical notice is two days old, under the rule's seven; gamma's is Low.
  assert.deepEqual(named(patches, 'MISSING'), ['alpha', 'delta']);
  assert.deepEqual(named(patches, 'AVAILABLE_SECURITY_UPDATE'), ['gamma', 'kernel']);
  assert.deepEqual(named(patches, 'INSTALLED_OTHER'), ['beta', 'steady']);
  const alpha = patches.find((p) => p.Name === 'alpha')!;
  assert.deepEqual(
    { Title: alpha.Title, Version: alpha.Version, InstalledVersion: alpha.InstalledVersion, Repository: alpha.Repository, Classification: alpha.Classification, Severity: alpha.Severity, ComplianceLevel: alpha.ComplianceLevel, Product: alpha.Product, CVEIds: alpha.CVEIds, ReleaseDate: alpha.ReleaseDate },
    { Title: 'alpha.noarch:0:1.0-2', Version: '1.0-2', InstalledVersion: '1.0-1', Repository: 'capstan-tests', Classification: 'Security', Severity: 'Important', ComplianceLevel: 'CRITICAL', Product: 'RockyLinux9.3', CVEIds: 'CVE-2024-1111', ReleaseDate: Date.parse('2024-01-10T00:00:00Z') },
  );
  const steady = patches.find((p) => p.Name === 'steady')!;
  assert.equal(steady.Title, 'steady.noarch:1:0.9-1');
  assert.ok(steady.InstalledTime! > Date.now() - 600_000, 'installed time from rpm');
  assert.deepEqual([summary.MissingCount, summary.AvailableSecurityUpdateCount, summary.InstalledOtherCount, summary.SecurityNonCompliantCount], [2, 2, 2, 4]);
  assert.match(stdout, /Node: Rocky Linux 9\.3 \(product RockyLinux9\.3\)/);
  assert.match(stdout, /alpha 1\.0-1 -> 1\.0-2 from capstan-tests/);
  assert.deepEqual(installedRpms(r), STARTING);
});

test('dnf Scan under another baseline: Critical security updates at once, bugfixes by a non-security rule, and a CVE-filtered rule', async () => {
  const r = node();
  const b = baseline({
    ApprovalRules: {
      PatchRules: [
        securityRule(['Critical'], { ApproveAfterDays: 0, ComplianceLevel: 'HIGH' }),
        { PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Bugfix'] }] }, EnableNonSecurity: true, ComplianceLevel: 'MEDIUM' },
        { PatchFilterGroup: { PatchFilters: [{ Key: 'CVE_ID', Values: ['CVE-2024-1111'] }] }, ComplianceLevel: 'LOW' },
      ],
    },
    ApprovedPatches: ['rejdep'],
    ApprovedPatchesEnableNonSecurity: true,
  });
  const { step, reports, stdout } = await patch(r, b, { Operation: 'Scan' });
  assert.equal(step.status, 'Success', `${step.details} ${stdout}`);
  const { patches } = reports[0]!;
  assert.deepEqual(named(patches, 'MISSING'), ['alpha', 'beta', 'kernel']);
  const level = (n: string) => patches.find((p) => p.Name === n)!.ComplianceLevel;
  assert.deepEqual([level('kernel'), level('beta'), level('alpha')], ['HIGH', 'MEDIUM', 'LOW']);
  assert.equal(patches.find((p) => p.Name === 'beta')!.Classification, 'Bugfix');
  assert.deepEqual(named(patches, 'INSTALLED_OTHER'), ['delta', 'gamma', 'steady']);
  // An approved package the node doesn't have.
  assert.deepEqual(named(patches, 'NOT_APPLICABLE'), ['rejdep']);
  assert.equal(reports[0]!.summary.NotApplicableCount, 1);
  // The same baseline for another product excludes everything.
  const other = await patch(r, { ...b, GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['RockyLinux8*'] }] } }, { Operation: 'Scan' });
  assert.deepEqual(named(other.reports[0]!.patches, 'MISSING'), []);
});

test('dnf Install with BLOCK and NoReboot: exactly the approved updates go in, a rejected one stays, a blocked dependency holds its dependant back', async () => {
  const r = node();
  const stateDir = tempDir();
  const b = baseline({ ApprovalRules: { PatchRules: [securityRule(['Critical', 'Important', 'Moderate', 'Low'])] }, RejectedPatches: ['gamma', 'rejdep'], RejectedPatchesAction: 'BLOCK' });
  const { step, reports, stdout } = await patch(r, b, { Operation: 'Install', RebootOption: 'NoReboot' }, stateDir);
  assert.equal(step.status, 'Failed', stdout);
  assert.match(step.details ?? '', /1 of the approved updates could not be installed/, stdout);
  assert.deepEqual(installedRpms(r), { ...STARTING, alpha: '1.0-2', kernel: '5.0-2' });
  const { patches, summary } = reports[0]!;
  assert.deepEqual(states(patches), { alpha: 'INSTALLED', beta: 'INSTALLED_OTHER', kernel: 'INSTALLED_PENDING_REBOOT', gamma: 'INSTALLED_REJECTED', delta: 'FAILED', steady: 'INSTALLED_OTHER' });
  assert.deepEqual([summary.InstalledCount, summary.InstalledPendingRebootCount, summary.InstalledRejectedCount, summary.FailedCount, summary.MissingCount], [1, 1, 1, 1, 0]);
  assert.match(stdout, /delta 1\.0-1 -> 1\.1-1: dnf left it out: a dependency cannot be installed \(the baseline blocks gamma, rejdep\)/);
  assert.match(stdout, /Installed pending reboot:\n {2}kernel 5\.0-2/);

  const again = await patch(r, b, { Operation: 'Scan' }, stateDir);
  assert.equal(states(again.reports[0]!.patches).kernel, 'INSTALLED_PENDING_REBOOT');
  assert.equal(states(again.reports[0]!.patches).delta, 'MISSING');
});

test('dnf Install with ALLOW_AS_DEPENDENCY and RebootIfNeeded: a rejected package comes in as a dependency, then the node reboots', async () => {
  const r = node();
  const b = baseline({ ApprovalRules: { PatchRules: [securityRule(['Moderate'])] }, RejectedPatches: ['rejdep'], RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY' });
  const { step, outcome, reports, stdout } = await patch(r, b, { Operation: 'Install', RebootOption: 'RebootIfNeeded' });
  assert.equal(step.status, 'SuccessAndReboot', stdout);
  assert.equal(outcome.reboot, true);
  assert.deepEqual(installedRpms(r), { ...STARTING, delta: '1.1-1', rejdep: '1.0-1' });
  const st = states(reports[0]!.patches);
  assert.equal(st.delta, 'INSTALLED_PENDING_REBOOT');
  assert.equal(st.rejdep, 'INSTALLED_OTHER');
});

test('dnf: a baseline for another RPM family fails clearly and reports nothing', async () => {
  const r = node();
  const res = await patch(r, baseline({ OperatingSystem: 'REDHAT_ENTERPRISE_LINUX' }), { Operation: 'Scan' });
  assert.equal(res.step.status, 'Failed');
  assert.match(res.step.details!, /is for REDHAT_ENTERPRISE_LINUX, but this node runs Rocky Linux 9\.3 \(ROCKY_LINUX\)/);
  assert.equal(res.reports.length, 0);
});
