import { evaluatePatch, type PatchApproval, type PatchBaselineSnapshot, type PatchCandidate, type PatchRecord, type PatchState, type PatchSummary } from '@capstan/wire';
import { key, type AvailableVersion, type PackageView } from './apt-packages.js';
import { compareDebVersions } from './debversion.js';

export interface Judged {
  record: PatchRecord;
  /** For MISSING: what an Install asks apt for. */
  install?: { name: string; arch: string; version: string };
  /** The newest version on offer, approved or not (what an InstallOverrideList installs). */
  newest?: { name: string; arch: string; version: string };
}

export interface JudgeInput {
  baseline: PatchBaselineSnapshot;
  product: string;
  at: number;
  /** `name:arch` → version installed by an earlier Install that still waits for a reboot. */
  pendingReboot: ReadonlyMap<string, string>;
  /** When each package was installed (epoch ms), if known. */
  installedTime?(name: string, arch: string): number | undefined;
}

function candidate(name: string, v: { version: string; arch: string; section?: string | undefined; priority?: string | undefined; suite?: string | undefined; security?: boolean }, product: string): PatchCandidate {
  // apt has no classification of its own; a security pocket is what makes an update a security one.
  const c: PatchCandidate = { Name: name, Version: v.version, Arch: v.arch, Product: product, Classification: v.security ? 'security' : '', Severity: v.priority ?? '' };
  if (v.section) c.Section = v.section;
  if (v.priority) c.Priority = v.priority;
  if (v.suite) c.Repository = v.suite;
  return c;
}

/** `name.arch:epoch:version`, as AWS titles Linux patches. */
export function patchTitle(name: string, arch: string, version: string): string {
  const colon = version.indexOf(':');
  const epoch = colon >= 0 ? version.slice(0, colon) : '0';
  return `${name}.${arch}:${epoch}:${colon >= 0 ? version.slice(colon + 1) : version}`;
}

function record(c: PatchCandidate, state: PatchState, approval: PatchApproval | undefined, extra?: { InstalledTime?: number | undefined; InstalledVersion?: string }): PatchRecord {
  const r: PatchRecord = { Title: patchTitle(c.Name, c.Arch, c.Version), KBId: c.Name, Classification: c.Classification, Severity: c.Severity, State: state, Name: c.Name, Version: c.Version, Arch: c.Arch, Product: c.Product };
  if (approval?.approved) r.ComplianceLevel = approval.complianceLevel;
  if (c.Section) r.Section = c.Section;
  if (c.Priority) r.Priority = c.Priority;
  if (c.Repository) r.Repository = c.Repository;
  if (extra?.InstalledTime !== undefined) r.InstalledTime = extra.InstalledTime;
  if (extra?.InstalledVersion !== undefined) r.InstalledVersion = extra.InstalledVersion;
  return r;
}

/**
 * One installed package's state under the baseline:
 *  - rejected by name: INSTALLED_REJECTED when the baseline blocks rejected patches, else INSTALLED_OTHER;
 *  - the newest approved newer version, if any: MISSING;
 *  - installed by an Install that still waits for a reboot: INSTALLED_PENDING_REBOOT;
 *  - a security update available but not approved, when the baseline asks for it: AVAILABLE_SECURITY_UPDATE;
 *  - the installed version itself approved: INSTALLED; otherwise INSTALLED_OTHER.
 */
export function judgeInstalled(view: PackageView, input: JudgeInput): Judged {
  const { baseline, product, at } = input;
  const inst = view.installed;
  const from = view.installedFrom.find((o) => o.security) ?? view.installedFrom[0];
  const here = candidate(inst.name, { version: inst.version, arch: inst.arch, section: from?.section ?? inst.section, priority: from?.priority ?? inst.priority, suite: from?.suite, security: from?.security ?? false }, product);
  const installedTime = input.installedTime?.(inst.name, inst.arch);
  const installedExtra = { InstalledTime: installedTime };
  const hereApproval = evaluatePatch(baseline, here, at);
  if (hereApproval.rejected) {
    return { record: record(here, baseline.RejectedPatchesAction === 'BLOCK' ? 'INSTALLED_REJECTED' : 'INSTALLED_OTHER', undefined, installedExtra) };
  }

  let best: { offer: AvailableVersion; approval: PatchApproval; c: PatchCandidate } | undefined;
  let security: { offer: AvailableVersion; c: PatchCandidate } | undefined;
  let newest: AvailableVersion | undefined;
  for (const offer of view.newer) {
    if (!newest || compareDebVersions(offer.version, newest.version) > 0) newest = offer;
    const c = candidate(inst.name, offer, product);
    const approval = evaluatePatch(baseline, c, at);
    if (approval.approved && (!best || compareDebVersions(offer.version, best.offer.version) > 0)) best = { offer, approval, c };
    if (offer.security && (!security || compareDebVersions(offer.version, security.offer.version) > 0)) security = { offer, c };
  }
  const newestExtra = newest ? { newest: { name: inst.name, arch: inst.arch, version: newest.version } } : {};
  if (best) {
    return {
      ...newestExtra,
      record: record(best.c, 'MISSING', best.approval, { InstalledVersion: inst.version }),
      install: { name: inst.name, arch: inst.arch, version: best.offer.version },
    };
  }
  if (input.pendingReboot.get(key(inst.name, inst.arch)) === inst.version) {
    return { ...newestExtra, record: record(here, 'INSTALLED_PENDING_REBOOT', hereApproval.approved ? hereApproval : undefined, installedExtra) };
  }
  if (security && baseline.AvailableSecurityUpdatesComplianceStatus) {
    return { ...newestExtra, record: record(security.c, 'AVAILABLE_SECURITY_UPDATE', undefined, { InstalledVersion: inst.version }) };
  }
  return { ...newestExtra, record: record(here, hereApproval.approved ? 'INSTALLED' : 'INSTALLED_OTHER', hereApproval, installedExtra) };
}

/** A package the approved list names but the node doesn't have: NOT_APPLICABLE. */
export function judgeUninstalled(name: string, offer: AvailableVersion, input: JudgeInput): PatchRecord | undefined {
  const c = candidate(name, offer, input.product);
  const approval = evaluatePatch(input.baseline, c, input.at);
  return approval.approved && approval.reason === 'ApprovedPatches' ? record(c, 'NOT_APPLICABLE', approval) : undefined;
}

const NON_COMPLIANT: ReadonlySet<PatchState> = new Set(['MISSING', 'FAILED', 'INSTALLED_PENDING_REBOOT', 'INSTALLED_REJECTED']);

export function summarize(
  records: PatchRecord[],
  /** Everything but the counts, which come from the records. */
  base: Omit<PatchSummary, `${string}Count`>,
  availableSecurityNonCompliant: boolean,
): PatchSummary {
  const count = (s: PatchState) => records.filter((r) => r.State === s).length;
  const nonCompliant = records.filter((r) => NON_COMPLIANT.has(r.State) || (r.State === 'AVAILABLE_SECURITY_UPDATE' && availableSecurityNonCompliant));
  const critical = (r: PatchRecord) => r.ComplianceLevel === 'CRITICAL';
  const sec = (r: PatchRecord) => r.Classification.toLowerCase() === 'security';
  return {
    ...base,
    InstalledCount: count('INSTALLED'),
    InstalledOtherCount: count('INSTALLED_OTHER'),
    InstalledPendingRebootCount: count('INSTALLED_PENDING_REBOOT'),
    InstalledRejectedCount: count('INSTALLED_REJECTED'),
    MissingCount: count('MISSING'),
    FailedCount: count('FAILED'),
    UnreportedNotApplicableCount: 0,
    NotApplicableCount: count('NOT_APPLICABLE'),
    AvailableSecurityUpdateCount: count('AVAILABLE_SECURITY_UPDATE'),
    CriticalNonCompliantCount: nonCompliant.filter(critical).length,
    SecurityNonCompliantCount: nonCompliant.filter(sec).length,
    OtherNonCompliantCount: nonCompliant.filter((r) => !critical(r) && !sec(r)).length,
  };
}
