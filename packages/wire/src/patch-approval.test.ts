import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePatch, isSecurity, matchesPatchName, type ApprovalBaseline, type PatchCandidate } from './patch-approval.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

function debianBaseline(over: Partial<ApprovalBaseline> = {}): ApprovalBaseline {
  return {
    OperatingSystem: 'DEBIAN',
    GlobalFilters: { PatchFilters: [] },
    ApprovalRules: {
      PatchRules: [
        {
          PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required', 'Important', 'Standard', 'Optional', 'Extra'] }] },
          ComplianceLevel: 'HIGH',
        },
      ],
    },
    ApprovedPatches: [],
    ApprovedPatchesComplianceLevel: 'UNSPECIFIED',
    ApprovedPatchesEnableNonSecurity: false,
    RejectedPatches: [],
    RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY',
    ...over,
  };
}

function deb(name: string, over: Partial<PatchCandidate> = {}): PatchCandidate {
  return {
    Name: name,
    Version: '1.2-1+deb12u1',
    Arch: 'amd64',
    Product: 'Debian12',
    Section: 'utils',
    Priority: 'optional',
    Classification: 'security',
    Severity: 'optional',
    Repository: 'bookworm-security',
    ...over,
  };
}

test('a security update from the security suite is approved by a Priority rule, with the rule’s compliance level', () => {
  const r = evaluatePatch(debianBaseline(), deb('openssl'), NOW);
  assert.deepEqual(r, { approved: true, rejected: false, complianceLevel: 'HIGH', reason: 'rule 1' });
});

test('a non-security update is not approved unless the rule enables non-security updates', () => {
  const upd = deb('curl', { Classification: 'bugfix', Repository: 'bookworm-updates' });
  const plain = evaluatePatch(debianBaseline(), upd, NOW);
  assert.equal(plain.approved, false);
  assert.match(plain.reason, /security updates only/);
  const base = debianBaseline();
  base.ApprovalRules.PatchRules[0]!.EnableNonSecurity = true;
  assert.equal(evaluatePatch(base, upd, NOW).approved, true);
});

test('filter values match case-insensitively with * wildcards, and every filter of a rule must match', () => {
  const base = debianBaseline({
    ApprovalRules: {
      PatchRules: [
        {
          PatchFilterGroup: {
            PatchFilters: [
              { Key: 'SECTION', Values: ['Net*'] },
              { Key: 'PRIORITY', Values: ['IMPORTANT'] },
            ],
          },
          ComplianceLevel: 'CRITICAL',
        },
      ],
    },
  });
  assert.equal(evaluatePatch(base, deb('a', { Section: 'net', Priority: 'important' }), NOW).approved, true);
  assert.equal(evaluatePatch(base, deb('b', { Section: 'netfilter', Priority: 'important' }), NOW).approved, true);
  assert.equal(evaluatePatch(base, deb('c', { Section: 'net', Priority: 'optional' }), NOW).approved, false);
  assert.equal(evaluatePatch(base, deb('d', { Section: 'utils', Priority: 'important' }), NOW).approved, false);
  assert.equal(evaluatePatch(base, deb('e', { Section: 'admin/net', Priority: 'important' }), NOW).approved, false);
});

test('the first matching rule gives the compliance level; later rules are tried when earlier ones miss', () => {
  const base = debianBaseline({
    ApprovalRules: {
      PatchRules: [
        { PatchFilterGroup: { PatchFilters: [{ Key: 'SECTION', Values: ['kernel'] }] }, ComplianceLevel: 'CRITICAL' },
        { PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['*'] }] }, ComplianceLevel: 'LOW' },
      ],
    },
  });
  assert.deepEqual(evaluatePatch(base, deb('linux-image', { Section: 'kernel' }), NOW), {
    approved: true, rejected: false, complianceLevel: 'CRITICAL', reason: 'rule 1',
  });
  assert.deepEqual(evaluatePatch(base, deb('bash', { Section: 'shells' }), NOW), {
    approved: true, rejected: false, complianceLevel: 'LOW', reason: 'rule 2',
  });
});

test('GlobalFilters exclude patches before the rules see them', () => {
  const base = debianBaseline({ GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['Debian11'] }] } });
  const r = evaluatePatch(base, deb('openssl'), NOW);
  assert.equal(r.approved, false);
  assert.match(r.reason, /GlobalFilters PRODUCT/);
  const wide = debianBaseline({ GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['debian*'] }] } });
  assert.equal(evaluatePatch(wide, deb('openssl'), NOW).approved, true);
});

test('a filter on a field the package lacks matches only the * value', () => {
  const only = (v: string) => debianBaseline({ ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'SECTION', Values: [v] }] } }] } });
  const bare = deb('nosection', { Section: undefined });
  assert.equal(evaluatePatch(only('*'), bare, NOW).approved, true);
  assert.equal(evaluatePatch(only('utils'), bare, NOW).approved, false);
  const unknownKey = debianBaseline({ ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'MSRC_SEVERITY', Values: ['Critical'] }] } }] } });
  assert.equal(evaluatePatch(unknownKey, deb('x'), NOW).approved, false);
});

test('ApprovedPatches approves a security patch with the list’s level, a non-security one only with ApprovedPatchesEnableNonSecurity', () => {
  const noRules = debianBaseline({ ApprovalRules: { PatchRules: [] }, ApprovedPatches: ['libfoo*'], ApprovedPatchesComplianceLevel: 'MEDIUM' });
  assert.deepEqual(evaluatePatch(noRules, deb('libfoo1'), NOW), { approved: true, rejected: false, complianceLevel: 'MEDIUM', reason: 'ApprovedPatches' });
  const nonSec = deb('libfoo1', { Classification: 'bugfix', Repository: 'bookworm' });
  const held = evaluatePatch(noRules, nonSec, NOW);
  assert.equal(held.approved, false);
  assert.match(held.reason, /ApprovedPatches but not a security update/);
  assert.equal(evaluatePatch({ ...noRules, ApprovedPatchesEnableNonSecurity: true }, nonSec, NOW).approved, true);
  assert.equal(evaluatePatch(noRules, deb('bar'), NOW).approved, false);
});

test('a rejected patch is never approved, even when also listed as approved or matched by a rule', () => {
  const base = debianBaseline({ ApprovedPatches: ['openssl'], RejectedPatches: ['open*'] });
  const r = evaluatePatch(base, deb('openssl'), NOW);
  assert.equal(r.approved, false);
  assert.equal(r.rejected, true);
  assert.match(r.reason, /RejectedPatches \(open\*\)/);
  assert.equal(evaluatePatch(base, deb('libssl3'), NOW).rejected, false);
});

test('release-date conditions are ignored on apt systems, which publish no dates', () => {
  const base = debianBaseline();
  base.ApprovalRules.PatchRules[0]!.ApproveAfterDays = 30;
  assert.equal(evaluatePatch(base, deb('openssl', { ReleaseDate: NOW - DAY }), NOW).approved, true);
});

test('ApproveAfterDays and ApproveUntilDate hold back recent RPM updates, judged at the given time', () => {
  const base: ApprovalBaseline = {
    ...debianBaseline(),
    OperatingSystem: 'REDHAT_ENTERPRISE_LINUX',
    ApprovalRules: {
      PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Security'] }, { Key: 'SEVERITY', Values: ['Critical', 'Important'] }] }, ApproveAfterDays: 7, ComplianceLevel: 'CRITICAL' }],
    },
  };
  const rpm = (released: number): PatchCandidate => ({
    Name: 'openssl', Version: '1:3.0.7-27.el9', Arch: 'x86_64', Product: 'RedhatEnterpriseLinux9.4',
    Classification: 'Security', Severity: 'Important', ReleaseDate: released,
  });
  const fresh = evaluatePatch(base, rpm(NOW - 3 * DAY), NOW);
  assert.equal(fresh.approved, false);
  assert.match(fresh.reason, /less than 7 days/);
  assert.equal(evaluatePatch(base, rpm(NOW - 3 * DAY), NOW + 5 * DAY).approved, true);
  assert.equal(evaluatePatch(base, rpm(NOW - 8 * DAY), NOW).approved, true);

  const until: ApprovalBaseline = {
    ...base,
    ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Security'] }] }, ApproveUntilDate: '2026-05-20' }] },
  };
  assert.equal(evaluatePatch(until, rpm(Date.parse('2026-05-20T23:00:00Z')), NOW).approved, true);
  assert.equal(evaluatePatch(until, rpm(Date.parse('2026-05-21T00:00:00Z')), NOW).approved, false);
});

test('RPM approved/rejected lists accept advisory and CVE ids besides package spellings', () => {
  const base: ApprovalBaseline = {
    ...debianBaseline(), OperatingSystem: 'AMAZON_LINUX_2023', ApprovalRules: { PatchRules: [] }, ApprovedPatches: ['ALAS2023-2025-123'],
  };
  const p: PatchCandidate = {
    Name: 'dbus', Version: '1:1.12.28-1.amzn2023.0.1', Arch: 'x86_64', Product: 'AmazonLinux2023',
    Classification: 'Security', Severity: 'Medium', AdvisoryIds: ['ALAS2023-2025-123'], CVEIds: ['CVE-2025-0001'],
  };
  assert.equal(evaluatePatch(base, p, NOW).approved, true);
  assert.equal(evaluatePatch({ ...base, ApprovedPatches: [], RejectedPatches: ['cve-2025-0001'] }, p, NOW).rejected, true);
});

test('Debian and Ubuntu patch names: the package name with * wildcards, no version or architecture', () => {
  assert.equal(matchesPatchName('openssl', 'openssl'), true);
  assert.equal(matchesPatchName('openssl', 'openssl-provider-legacy'), false);
  assert.equal(matchesPatchName('lib*', 'libc6'), true);
  assert.equal(matchesPatchName('*ssl*', 'libssl3'), true);
  assert.equal(matchesPatchName('lib*6', 'libc6'), true);
  assert.equal(matchesPatchName('lib*6', 'libc6-dev'), false);
  assert.equal(matchesPatchName('a*a', 'a'), false);
  assert.equal(matchesPatchName('libc6.amd64', 'libc6'), false);
  assert.equal(matchesPatchName('*', 'anything'), true);
  assert.equal(matchesPatchName('lib+', 'libc'), false);
  assert.equal(matchesPatchName('g++', 'g++'), true);
});

test('RPM patch names: every documented spelling, with wildcards', () => {
  const m = (p: string) => matchesPatchName(p, 'dbus', '1:1.12.28-1.amzn2023.0.1', 'x86_64');
  for (const ok of [
    'dbus', 'dbus.x86_64', 'dbus-1.12.28', 'dbus-1.12.28-1.amzn2023.0.1', 'dbus-1.12.28-1.amzn2023.0.1.x86_64',
    'dbus.x86_64:1:1.12.28-1.amzn2023.0.1', '1:dbus-1.12.28-1.amzn2023.0.1.x86_64', 'dbus-1:1.12.28-1.amzn2023.0.1.x86_64',
    'dbus-*.x86_64', 'dbus-1.12*', 'dbus-*-1.amzn2023.0.1.x86_64', 'd*s',
  ]) assert.equal(m(ok), true, ok);
  for (const no of ['dbus.aarch64', 'dbus-1.13*', 'dbus-libs', 'dbus-1.12.28-2*', '2:dbus-1.12.28-1.amzn2023.0.1.x86_64']) assert.equal(m(no), false, no);
  assert.equal(matchesPatchName('kernel-3.10.0-*.el7.x86_64', 'kernel', '3.10.0-1160.119.1.el7', 'x86_64'), true);
  assert.equal(matchesPatchName('kernel-3.10.0-*.el7.x86_64', 'kernel', '4.18.0-1.el8', 'x86_64'), false);
  // An RPM without an epoch is epoch 0.
  assert.equal(matchesPatchName('0:curl-8.5.0-1.el9.x86_64', 'curl', '8.5.0-1.el9', 'x86_64'), true);
});

test('security: a security classification or a security suite', () => {
  const base = deb('x', { Classification: '', Repository: undefined });
  assert.equal(isSecurity(base), false);
  for (const suite of ['bookworm-security', 'jammy-security', 'buster/updates', 'debian-security', 'Noble-Security']) {
    assert.equal(isSecurity({ ...base, Repository: suite }), true, suite);
  }
  for (const suite of ['bookworm', 'bookworm-updates', 'jammy-updates', 'security-tools', 'jammy-backports']) {
    assert.equal(isSecurity({ ...base, Repository: suite }), false, suite);
  }
  assert.equal(isSecurity({ ...base, Classification: 'Security' }), true);
});
