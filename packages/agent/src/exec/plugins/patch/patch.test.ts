import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PatchBaselineSnapshot, PatchRecord, PatchReportMessage, PatchState } from '@capstan/wire';
import { JobManager } from '../../../jobs/manager.js';
import { alive, removeTempDirs, run, tempDir } from '../../test-support/harness.js';
import type { PatchReport } from '../../types.js';
import { buildDeb, dpkgInstall, installedVersions, makeRoot, packagesStanza, writeSuite, type AptRoot, type BuiltDeb, type DebSpec } from './test-support/apt-root.js';

after(removeTempDirs);

/**
 * bookworm holds what the node starts with; bookworm-security and bookworm-updates the updates:
 * alpha, kern, gamma and delta have security updates (kern's asks for a reboot, delta's needs a
 * new package `rejdep`), beta a non-security one, steady none.
 */
const OLD: DebSpec[] = [
  { name: 'alpha', version: '1.0-1', section: 'utils', priority: 'optional' },
  { name: 'beta', version: '2.0-1', section: 'net', priority: 'important' },
  { name: 'kern', version: '5.0-1', section: 'kernel', priority: 'required' },
  { name: 'gamma', version: '3.0-1', section: 'libs', priority: 'extra' },
  { name: 'delta', version: '1.0', section: 'utils', priority: 'optional' },
  { name: 'steady', version: '1:0.9-1', section: 'misc', priority: 'optional' },
];
const SECURITY: DebSpec[] = [
  { name: 'alpha', version: '1.0-2', section: 'utils', priority: 'optional' },
  { name: 'kern', version: '5.0-2', section: 'kernel', priority: 'required', needsReboot: true },
  { name: 'gamma', version: '3.0-2', section: 'libs', priority: 'extra' },
  { name: 'delta', version: '1.1', section: 'utils', priority: 'optional', depends: 'rejdep' },
  { name: 'rejdep', version: '1.0', section: 'libs', priority: 'optional' },
];
const UPDATES: DebSpec[] = [{ name: 'beta', version: '2.1-1', section: 'net', priority: 'important' }];
const SUITES = ['bookworm', 'bookworm-security', 'bookworm-updates'];

let repo: string;
let oldDebs: BuiltDeb[];

before(() => {
  repo = tempDir('capstan-apt-repo-');
  const work = tempDir('capstan-apt-build-');
  const suites: Record<string, DebSpec[]> = { bookworm: OLD, 'bookworm-security': SECURITY, 'bookworm-updates': UPDATES };
  for (const [suite, specs] of Object.entries(suites)) {
    const built = specs.map((s) => buildDeb(repo, suite, s, work));
    if (suite === 'bookworm') oldDebs = built;
    writeSuite(repo, suite, built.map(packagesStanza).join(''));
  }
});

/** A node with the old versions installed. */
function node(): AptRoot {
  const r = makeRoot(tempDir('capstan-apt-node-'), repo, SUITES);
  dpkgInstall(r, repo, oldDebs);
  return r;
}

function baseline(over: Partial<PatchBaselineSnapshot> = {}): PatchBaselineSnapshot {
  return {
    SnapshotId: '11111111-2222-3333-4444-555555555555',
    InstanceId: 'mi-0123456789abcdef0',
    BaselineId: 'pb-0123456789abcdef0',
    Name: 'DebianSecurity',
    OperatingSystem: 'DEBIAN',
    GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['Debian12'] }] },
    ApprovalRules: {
      PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required', 'Important', 'Standard', 'Optional', 'Extra'] }] }, ComplianceLevel: 'CRITICAL' }],
    },
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

async function patch(r: AptRoot, b: PatchBaselineSnapshot | undefined, inputs: Record<string, string>, stateDir = tempDir()) {
  const reports: PatchReport[] = [];
  const res = await run(document(inputs), { env: r.env, stateDir, payload: b ? { patchBaseline: b } : {}, onPatchReport: (m) => reports.push(m) });
  return { ...res, reports, stdout: res.output('PatchLinux'), stderr: res.output('PatchLinux', 'stderr'), step: res.outcome.steps[0]! };
}

const states = (patches: PatchRecord[]) => Object.fromEntries(patches.map((p) => [p.Name, p.State])) as Record<string, PatchState>;
const named = (patches: PatchRecord[], state: PatchState) => patches.filter((p) => p.State === state).map((p) => p.Name).sort();

test('Scan under a security-only baseline: the security updates are MISSING, the rest installed other; nothing changes on the node', async () => {
  const r = node();
  const { step, reports, stdout } = await patch(r, baseline(), { Operation: 'Scan' });
  assert.equal(step.status, 'Success', `${step.details} ${stdout}`);
  assert.equal(reports.length, 1);
  const { summary, patches, commandId } = reports[0]!;
  assert.equal(commandId, 'cmd-1');
  assert.deepEqual(named(patches, 'MISSING'), ['alpha', 'delta', 'gamma', 'kern']);
  assert.deepEqual(named(patches, 'INSTALLED_OTHER'), ['beta', 'steady']);
  const alpha = patches.find((p) => p.Name === 'alpha')!;
  assert.deepEqual(
    { Title: alpha.Title, Version: alpha.Version, InstalledVersion: alpha.InstalledVersion, Repository: alpha.Repository, Classification: alpha.Classification, Severity: alpha.Severity, ComplianceLevel: alpha.ComplianceLevel, Product: alpha.Product, Section: alpha.Section },
    { Title: 'alpha.all:0:1.0-2', Version: '1.0-2', InstalledVersion: '1.0-1', Repository: 'bookworm-security', Classification: 'security', Severity: 'optional', ComplianceLevel: 'CRITICAL', Product: 'Debian12', Section: 'utils' },
  );
  const steady = patches.find((p) => p.Name === 'steady')!;
  assert.equal(steady.Title, 'steady.all:1:0.9-1');
  assert.ok(steady.InstalledTime! > Date.now() - 600_000, 'installed time from dpkg');
  assert.equal(summary.MissingCount, 4);
  assert.equal(summary.InstalledOtherCount, 2);
  assert.equal(summary.CriticalNonCompliantCount, 4);
  assert.equal(summary.SecurityNonCompliantCount, 4);
  assert.equal(summary.Operation, 'Scan');
  assert.equal(summary.BaselineId, 'pb-0123456789abcdef0');
  assert.match(stdout, /Missing: 4/);
  assert.match(stdout, /alpha 1\.0-1 -> 1\.0-2 from bookworm-security/);
  assert.deepEqual(installedVersions(r), { alpha: '1.0-1', beta: '2.0-1', kern: '5.0-1', gamma: '3.0-1', delta: '1.0', steady: '1:0.9-1' });
});

test('Scan under another baseline: non-security updates of the net section and an explicitly approved package', async () => {
  const r = node();
  const b = baseline({
    Name: 'NetAndKern',
    ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'SECTION', Values: ['NET*'] }] }, EnableNonSecurity: true, ComplianceLevel: 'MEDIUM' }] },
    ApprovedPatches: ['ker*', 'rejdep'],
    ApprovedPatchesComplianceLevel: 'HIGH',
    AvailableSecurityUpdatesComplianceStatus: 'NON_COMPLIANT',
  });
  const { step, reports } = await patch(r, b, { Operation: 'Scan' });
  assert.equal(step.status, 'Success', step.details);
  const { patches, summary } = reports[0]!;
  assert.deepEqual(named(patches, 'MISSING'), ['beta', 'kern']);
  assert.equal(patches.find((p) => p.Name === 'beta')!.Repository, 'bookworm-updates');
  assert.equal(patches.find((p) => p.Name === 'beta')!.ComplianceLevel, 'MEDIUM');
  assert.equal(patches.find((p) => p.Name === 'kern')!.ComplianceLevel, 'HIGH');
  // Security updates the baseline doesn't approve are reported as such when it asks for it.
  assert.deepEqual(named(patches, 'AVAILABLE_SECURITY_UPDATE'), ['alpha', 'delta', 'gamma']);
  assert.deepEqual(named(patches, 'INSTALLED_OTHER'), ['steady']);
  // An approved package the node doesn't have.
  assert.deepEqual(named(patches, 'NOT_APPLICABLE'), ['rejdep']);
  assert.equal(summary.AvailableSecurityUpdateCount, 3);
  assert.equal(summary.NotApplicableCount, 1);
  assert.equal(summary.CriticalNonCompliantCount, 0);
  assert.equal(summary.SecurityNonCompliantCount, 4);
  assert.equal(summary.OtherNonCompliantCount, 1);

  // Without AvailableSecurityUpdatesComplianceStatus they are simply installed other.
  const plain = await patch(r, { ...b, AvailableSecurityUpdatesComplianceStatus: undefined }, { Operation: 'Scan' });
  assert.deepEqual(named(plain.reports[0]!.patches, 'INSTALLED_OTHER'), ['alpha', 'delta', 'gamma', 'steady']);
  assert.equal(plain.reports[0]!.summary.SecurityNonCompliantCount, 1);
});

test('an Ubuntu node: its product and its -security pocket', async () => {
  const ubuntuRepo = tempDir('capstan-apt-ubuntu-');
  const work = tempDir('capstan-apt-build-');
  const old = buildDeb(ubuntuRepo, 'jammy', { name: 'libthing', version: '1.0-0ubuntu1', section: 'libs', priority: 'optional' }, work);
  writeSuite(ubuntuRepo, 'jammy', packagesStanza(old));
  writeSuite(ubuntuRepo, 'jammy-security', packagesStanza(buildDeb(ubuntuRepo, 'jammy-security', { name: 'libthing', version: '1.0-0ubuntu1.1', section: 'libs', priority: 'optional' }, work)));
  const r = makeRoot(tempDir('capstan-apt-node-'), ubuntuRepo, ['jammy', 'jammy-security'], { id: 'ubuntu', versionId: '22.04', codename: 'jammy' });
  dpkgInstall(r, ubuntuRepo, [old]);
  const b = baseline({ OperatingSystem: 'UBUNTU', GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['Ubuntu22.04'] }] } });
  const { step, reports, stdout } = await patch(r, b, { Operation: 'Scan' });
  assert.equal(step.status, 'Success', stdout);
  const [p] = reports[0]!.patches;
  assert.deepEqual([p!.Name, p!.State, p!.Product, p!.Repository, p!.Version], ['libthing', 'MISSING', 'Ubuntu22.04', 'jammy-security', '1.0-0ubuntu1.1']);
  // The same baseline for another release excludes it.
  const other = await patch(r, baseline({ OperatingSystem: 'UBUNTU', GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['Ubuntu24.04'] }] } }), { Operation: 'Scan' });
  assert.equal(other.reports[0]!.patches[0]!.State, 'INSTALLED_OTHER');
});

test('Install with BLOCK and NoReboot: exactly the approved updates go in, rejected ones stay, a reboot-needing one is pending', async () => {
  const r = node();
  const stateDir = tempDir();
  const b = baseline({ RejectedPatches: ['gamma', 'rejdep'], RejectedPatchesAction: 'BLOCK' });
  const { step, reports, stdout, outcome } = await patch(r, b, { Operation: 'Install', RebootOption: 'NoReboot' }, stateDir);
  // delta's update needs rejdep, which the baseline blocks: it fails, the others succeed.
  assert.equal(step.status, 'Failed', stdout);
  assert.match(step.details ?? '', /1 of the approved updates could not be installed/);
  assert.equal(outcome.reboot, false);
  assert.deepEqual(installedVersions(r), { alpha: '1.0-2', beta: '2.0-1', kern: '5.0-2', gamma: '3.0-1', delta: '1.0', steady: '1:0.9-1' });
  const { patches, summary } = reports[0]!;
  assert.deepEqual(states(patches), {
    alpha: 'INSTALLED',
    beta: 'INSTALLED_OTHER',
    kern: 'INSTALLED_PENDING_REBOOT',
    gamma: 'INSTALLED_REJECTED',
    delta: 'FAILED',
    steady: 'INSTALLED_OTHER',
  });
  assert.equal(summary.Operation, 'Install');
  assert.deepEqual(
    [summary.InstalledCount, summary.InstalledOtherCount, summary.InstalledPendingRebootCount, summary.InstalledRejectedCount, summary.MissingCount, summary.FailedCount],
    [1, 2, 1, 1, 0, 1],
  );
  assert.ok(summary.LastNoRebootInstallOperationTime! >= summary.OperationStartTime);
  assert.match(stdout, /delta 1\.0 -> 1\.1: it needs rejdep, which the baseline rejects/);
  assert.match(stdout, /Installed pending reboot:\n {2}kern 5\.0-2/);
  assert.ok(existsSync(join(r.root, 'var/run/reboot-required')), 'the package asked for a reboot inside the root');

  // A later Scan still sees kern waiting for the reboot (same boot).
  const again = await patch(r, b, { Operation: 'Scan' }, stateDir);
  assert.equal(again.step.status, 'Success', again.stdout);
  const s2 = again.reports[0]!;
  assert.equal(states(s2.patches).kern, 'INSTALLED_PENDING_REBOOT');
  assert.equal(states(s2.patches).delta, 'MISSING');
  assert.equal(s2.summary.LastNoRebootInstallOperationTime, summary.LastNoRebootInstallOperationTime);
});

test('Install with ALLOW_AS_DEPENDENCY: a rejected package comes in as a dependency and counts as installed other', async () => {
  const r = node();
  const b = baseline({ RejectedPatches: ['gamma', 'rejdep'], RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY' });
  const { step, reports, stdout } = await patch(r, b, { Operation: 'Install', RebootOption: 'NoReboot' });
  assert.equal(step.status, 'Success', stdout);
  const v = installedVersions(r);
  assert.equal(v.delta, '1.1');
  assert.equal(v.rejdep, '1.0');
  assert.equal(v.gamma, '3.0-1');
  const st = states(reports[0]!.patches);
  assert.equal(st.rejdep, 'INSTALLED_OTHER');
  assert.equal(st.gamma, 'INSTALLED_OTHER');
  assert.equal(st.delta, 'INSTALLED');
});

test('Install with RebootIfNeeded: the step asks the agent to reboot the node', async () => {
  const r = node();
  const b = baseline({ ApprovalRules: { PatchRules: [] }, ApprovedPatches: ['alpha'] });
  const { step, outcome, reports, stdout } = await patch(r, b, { Operation: 'Install', RebootOption: 'RebootIfNeeded' });
  assert.equal(step.status, 'SuccessAndReboot', stdout);
  assert.equal(outcome.reboot, true);
  assert.equal(installedVersions(r).alpha, '1.0-2');
  assert.equal(installedVersions(r).kern, '5.0-1');
  assert.equal(states(reports[0]!.patches).alpha, 'INSTALLED_PENDING_REBOOT');
});

test('InstallOverrideList installs the updates it names instead of the baseline’s; compliance still follows the baseline', async () => {
  const r = node();
  const list = join(tempDir(), 'override.yaml');
  writeFileSync(list, "patches:\n  - id: 'beta.all'\n    title: beta\n");
  const { step, reports, stdout } = await patch(r, baseline(), { Operation: 'Install', RebootOption: 'NoReboot', InstallOverrideList: list });
  assert.equal(step.status, 'Success', stdout);
  const v = installedVersions(r);
  assert.equal(v.beta, '2.1-1');
  assert.equal(v.alpha, '1.0-1');
  const st = states(reports[0]!.patches);
  assert.equal(st.beta, 'INSTALLED_OTHER');
  assert.equal(st.alpha, 'MISSING');
});

test('the step fails clearly without a baseline, with a bad Operation, or with a baseline for another OS', async () => {
  const r = node();
  const none = await patch(r, undefined, { Operation: 'Scan' });
  assert.equal(none.step.status, 'Failed');
  assert.match(none.step.details!, /no patch baseline came with this command/);
  const bad = await patch(r, baseline(), { Operation: 'Upgrade' });
  assert.match(bad.step.details!, /Operation must be Scan or Install, not Upgrade/);
  const other = await patch(r, baseline({ OperatingSystem: 'UBUNTU' }), { Operation: 'Scan' });
  assert.equal(other.step.status, 'Failed');
  assert.match(other.step.details!, /is for UBUNTU, but this node runs Test debian 12/);
  assert.equal(none.reports.length + bad.reports.length + other.reports.length, 0);
});

test('a step that runs out of time, or is cancelled, stops apt and dpkg', async () => {
  const slowRepo = tempDir('capstan-apt-slow-');
  const work = tempDir('capstan-apt-build-');
  const old = buildDeb(slowRepo, 'bookworm', { name: 'slow', version: '1.0', priority: 'optional' }, work);
  writeSuite(slowRepo, 'bookworm', packagesStanza(old));
  // The update's postinst outlives the step; its pid file shows whether it was killed.
  const pidFile = join(tempDir(), 'postinst.pid');
  writeSuite(slowRepo, 'bookworm-security', packagesStanza(buildDeb(slowRepo, 'bookworm-security', { name: 'slow', version: '1.1', priority: 'optional', postinst: `echo $$ > ${pidFile}\nsleep 60` }, work)));
  const doc = { schemaVersion: '2.2', mainSteps: [{ action: 'aws:runPatchBaseline', name: 'PatchLinux', timeoutSeconds: 5, inputs: { Operation: 'Install', RebootOption: 'NoReboot' } }] };

  const attempt = async (signal?: AbortSignal) => {
    rmSync(pidFile, { force: true });
    const r = makeRoot(tempDir('capstan-apt-node-'), slowRepo, ['bookworm', 'bookworm-security']);
    dpkgInstall(r, slowRepo, [old]);
    const reports: PatchReport[] = [];
    const started = Date.now();
    const res = await run(doc, { env: r.env, stateDir: tempDir(), payload: { patchBaseline: baseline() }, onPatchReport: (m) => reports.push(m), ...(signal ? { signal } : {}) });
    assert.ok(Date.now() - started < 30_000);
    assert.equal(reports.length, 0, 'nothing is reported for an operation that did not finish');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(alive(pid), false, 'the maintainer script was killed with apt');
    return res;
  };

  const timedOut = await attempt();
  assert.equal(timedOut.outcome.steps[0]!.status, 'TimedOut', timedOut.output('PatchLinux'));
  assert.match(timedOut.outcome.steps[0]!.details!, /timed out after 5 seconds; apt was stopped/);

  // Cancelled once the maintainer script is running.
  const cancel = new AbortController();
  const watch = setInterval(() => existsSync(pidFile) && cancel.abort(), 50);
  const cancelled = await attempt(cancel.signal).finally(() => clearInterval(watch));
  assert.equal(cancelled.outcome.steps[0]!.status, 'Cancelled', cancelled.output('PatchLinux'));
  assert.match(cancelled.outcome.steps[0]!.details!, /cancelled; apt was stopped/);
});

test('through the agent’s job manager: the report is queued in the durable outbox as a patch-report message', async () => {
  const r = node();
  const stateDir = tempDir();
  const saved = process.env.APT_CONFIG;
  process.env.APT_CONFIG = r.aptConfig;
  try {
    const jobs = new JobManager(stateDir, 'mi-0123456789abcdef0', 'Linux', { maxConcurrentDocuments: 1, rebootCommand: 'true', rememberDays: 1, keyRotationDays: 30, applyAssociationsOnBoot: false }, () => {});
    const ack = jobs.receive({
      type: 'job',
      id: 'cmd-patch-1',
      kind: 'command',
      payload: { commandId: 'cmd-patch-1', documentName: 'AWS-RunPatchBaseline', documentVersion: '1', document: document({ Operation: 'Scan' }), region: 'eu-test-1', expiresAt: Date.now() + 60_000, patchBaseline: baseline() },
    });
    assert.equal(ack.status, 'accepted');
    const outbox = join(stateDir, 'outbox');
    const find = () => readdirSync(outbox).map((n) => JSON.parse(readFileSync(join(outbox, n), 'utf8')) as { type: string }).find((m) => m.type === 'patch-report') as PatchReportMessage | undefined;
    const deadline = Date.now() + 60_000;
    while (!find() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    const m = find();
    assert.ok(m, 'a patch-report message is in the outbox');
    assert.equal(m.commandId, 'cmd-patch-1');
    assert.ok(m.replyId);
    assert.equal(m.summary.MissingCount, 4);
    assert.equal(m.summary.InstalledOtherCount, 2);
    assert.equal(m.patches.length, 6);
    while (jobs.activeCount && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    jobs.stop();
  } finally {
    if (saved === undefined) delete process.env.APT_CONFIG;
    else process.env.APT_CONFIG = saved;
  }
});
