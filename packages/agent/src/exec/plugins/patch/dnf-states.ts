import { evaluatePatch, type PatchApproval, type PatchBaselineSnapshot, type PatchCandidate, type PatchRecord, type PatchState } from '@capstan/wire';
import { nevra, type Advisory, type InstalledRpm, type RpmPackage } from './dnf-query.js';
import { compareEvr } from './dnf-version.js';
import { patchTitle, type Judged } from './states.js';

export interface RpmView {
  installed: InstalledRpm;
  /** Versions newer than the installed one, with the repository each comes from. */
  newer: Array<RpmPackage & { repo: string }>;
}

export interface RpmJudgeInput {
  baseline: PatchBaselineSnapshot;
  product: string;
  at: number;
  /** `name:arch` → version installed by an earlier Install that still waits for a reboot. */
  pendingReboot: ReadonlyMap<string, string>;
  /** `name-evr.arch` → the update notices naming that version. */
  advisories: ReadonlyMap<string, Advisory[]>;
}

const SEVERITY_RANK = ['Low', 'Moderate', 'Important', 'Critical'];

/**
 * One package version as a patch: classification and severity from its update notices (a
 * security notice wins, then the most severe), its release date the newest notice's date.
 * A version no notice names has no classification, as Patch Manager sees it.
 */
export function rpmCandidate(p: RpmPackage & { repo?: string }, product: string, advisories: ReadonlyMap<string, Advisory[]>): PatchCandidate {
  const notes = advisories.get(nevra(p)) ?? [];
  const security = notes.filter((a) => a.classification === 'Security');
  const lead = (security.length ? security : notes).reduce<Advisory | undefined>((best, a) => (!best || SEVERITY_RANK.indexOf(a.severity) > SEVERITY_RANK.indexOf(best.severity) ? a : best), undefined);
  const dates = notes.flatMap((a) => (a.date !== undefined ? [a.date] : []));
  const c: PatchCandidate = { Name: p.name, Version: p.evr, Arch: p.arch, Product: product, Classification: lead?.classification ?? '', Severity: lead?.severity ?? '' };
  if (p.repo) c.Repository = p.repo;
  if (dates.length) c.ReleaseDate = Math.max(...dates);
  if (notes.length) {
    c.AdvisoryIds = notes.map((a) => a.id);
    c.CVEIds = [...new Set(notes.flatMap((a) => a.cves))];
    c.BugzillaIds = [...new Set(notes.flatMap((a) => a.bugzillas))];
  }
  return c;
}

function record(c: PatchCandidate, state: PatchState, approval: PatchApproval | undefined, extra: { InstalledTime?: number; InstalledVersion?: string }): PatchRecord {
  const r: PatchRecord = {
    Title: patchTitle(c.Name, c.Arch, c.Version),
    KBId: c.Name,
    Classification: c.Classification,
    Severity: c.Severity,
    State: state,
    Name: c.Name,
    Version: c.Version,
    Arch: c.Arch,
    Product: c.Product,
  };
  if (approval?.approved) r.ComplianceLevel = approval.complianceLevel;
  if (c.Repository) r.Repository = c.Repository;
  if (c.ReleaseDate !== undefined) r.ReleaseDate = c.ReleaseDate;
  if (c.CVEIds?.length) r.CVEIds = c.CVEIds.join(',');
  if (extra.InstalledTime !== undefined) r.InstalledTime = extra.InstalledTime;
  if (extra.InstalledVersion !== undefined) r.InstalledVersion = extra.InstalledVersion;
  return r;
}

/** One installed package's state under the baseline, by the same rules as on apt nodes (see judgeInstalled). */
export function judgeRpm(view: RpmView, input: RpmJudgeInput): Judged {
  const { baseline, product, at, advisories } = input;
  const inst = view.installed;
  const here = rpmCandidate(inst, product, advisories);
  const hereApproval = evaluatePatch(baseline, here, at);
  const installedExtra = { InstalledTime: inst.installedTime };
  if (hereApproval.rejected) {
    return { record: record(here, baseline.RejectedPatchesAction === 'BLOCK' ? 'INSTALLED_REJECTED' : 'INSTALLED_OTHER', undefined, installedExtra) };
  }
  let best: { offer: RpmPackage; approval: PatchApproval; c: PatchCandidate } | undefined;
  let security: { offer: RpmPackage; c: PatchCandidate } | undefined;
  let newest: RpmPackage | undefined;
  for (const offer of view.newer) {
    if (!newest || compareEvr(offer.evr, newest.evr) > 0) newest = offer;
    const c = rpmCandidate(offer, product, advisories);
    const approval = evaluatePatch(baseline, c, at);
    if (approval.approved && (!best || compareEvr(offer.evr, best.offer.evr) > 0)) best = { offer, approval, c };
    if (c.Classification === 'Security' && (!security || compareEvr(offer.evr, security.offer.evr) > 0)) security = { offer, c };
  }
  const ask = (p: RpmPackage) => ({ name: p.name, arch: p.arch, version: p.evr });
  const newestExtra = newest ? { newest: ask(newest) } : {};
  if (best) return { ...newestExtra, record: record(best.c, 'MISSING', best.approval, { InstalledVersion: inst.evr }), install: ask(best.offer) };
  if (input.pendingReboot.get(`${inst.name}:${inst.arch}`) === inst.evr) {
    return { ...newestExtra, record: record(here, 'INSTALLED_PENDING_REBOOT', hereApproval.approved ? hereApproval : undefined, installedExtra) };
  }
  if (security && baseline.AvailableSecurityUpdatesComplianceStatus) {
    return { ...newestExtra, record: record(security.c, 'AVAILABLE_SECURITY_UPDATE', undefined, { InstalledVersion: inst.evr }) };
  }
  return { ...newestExtra, record: record(here, hereApproval.approved ? 'INSTALLED' : 'INSTALLED_OTHER', hereApproval, installedExtra) };
}

/** A package the approved list names but the node doesn't have: NOT_APPLICABLE. */
export function judgeUninstalledRpm(p: RpmPackage & { repo: string }, input: RpmJudgeInput): PatchRecord | undefined {
  const c = rpmCandidate(p, input.product, input.advisories);
  const approval = evaluatePatch(input.baseline, c, input.at);
  return approval.approved && approval.reason === 'ApprovedPatches' ? record(c, 'NOT_APPLICABLE', approval, {}) : undefined;
}
