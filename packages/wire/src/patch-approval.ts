/**
 * Whether a patch baseline approves one package update. Pure, so the agent (deciding what to
 * install) and the server (DescribeEffectivePatchesForPatchBaseline, compliance) reach the same
 * answer from the same snapshot.
 *
 * Order of judgement, as Patch Manager documents it:
 *  1. RejectedPatches: a rejected patch is never approved, whatever else matches it.
 *  2. ApprovedPatches: an explicitly listed patch is approved; a non-security one only when
 *     ApprovedPatchesEnableNonSecurity is set.
 *  3. GlobalFilters, then the ApprovalRules in order: the first rule whose filters all match
 *     approves, with its compliance level. Without EnableNonSecurity a rule only approves
 *     security updates. ApproveAfterDays / ApproveUntilDate are judged against the release date
 *     where the repository gives one; apt repositories give none, so on Debian and Ubuntu they
 *     don't hold a patch back (AWS doesn't support them there).
 */
import type { PatchBaselineSnapshot, PatchComplianceLevel, PatchFilter, PatchOperatingSystem } from './patching.js';

export interface PatchCandidate {
  Name: string;
  /** Debian: `[epoch:]upstream[-revision]`; RPM: `[epoch:]version-release`. */
  Version: string;
  Arch: string;
  Product: string;
  Section?: string;
  Priority?: string;
  Classification: string;
  Severity: string;
  /** Epoch ms. */
  ReleaseDate?: number;
  /** The suite (`bookworm-security`) or repository id the version comes from. */
  Repository?: string;
  /** RPM families: the advisory (`RHSA-2024:1234`, `ALAS-2024-123`), CVE and Bugzilla ids of its update notice. */
  AdvisoryIds?: string[];
  CVEIds?: string[];
  BugzillaIds?: string[];
}

export interface PatchApproval {
  approved: boolean;
  rejected: boolean;
  complianceLevel: PatchComplianceLevel;
  /** 'ApprovedPatches', 'rule 1', … or why it is not approved */
  reason: string;
}

export type ApprovalBaseline = Pick<
  PatchBaselineSnapshot,
  | 'OperatingSystem'
  | 'GlobalFilters'
  | 'ApprovalRules'
  | 'ApprovedPatches'
  | 'ApprovedPatchesComplianceLevel'
  | 'ApprovedPatchesEnableNonSecurity'
  | 'RejectedPatches'
  | 'RejectedPatchesAction'
>;

const DAY_MS = 86_400_000;

/** The apt-based systems: their lists name bare packages and their repositories carry no dates. */
export function isAptOperatingSystem(os: PatchOperatingSystem | string): boolean {
  return os === 'UBUNTU' || os === 'DEBIAN';
}

export function evaluatePatch(baseline: ApprovalBaseline, patch: PatchCandidate, at: number): PatchApproval {
  const security = isSecurity(patch);
  const rejectedBy = firstListed(baseline.OperatingSystem, baseline.RejectedPatches, patch);
  if (rejectedBy !== undefined) {
    return { approved: false, rejected: true, complianceLevel: 'UNSPECIFIED', reason: `RejectedPatches (${rejectedBy})` };
  }
  const approvedBy = firstListed(baseline.OperatingSystem, baseline.ApprovedPatches, patch);
  if (approvedBy !== undefined) {
    if (security || baseline.ApprovedPatchesEnableNonSecurity) {
      return { approved: true, rejected: false, complianceLevel: baseline.ApprovedPatchesComplianceLevel ?? 'UNSPECIFIED', reason: 'ApprovedPatches' };
    }
  }
  const globalMiss = firstMiss(baseline.GlobalFilters?.PatchFilters, patch);
  if (globalMiss) {
    return notApproved(`excluded by GlobalFilters ${globalMiss.Key}`, approvedBy);
  }
  const rules = baseline.ApprovalRules?.PatchRules ?? [];
  let lastMiss = rules.length === 0 ? 'no approval rule' : 'matches no approval rule';
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (firstMiss(rule.PatchFilterGroup?.PatchFilters, patch)) continue;
    if (!security && !rule.EnableNonSecurity) {
      lastMiss = `rule ${i + 1} approves security updates only`;
      continue;
    }
    const notYet = dateHoldsBack(baseline.OperatingSystem, rule, patch, at);
    if (notYet) {
      lastMiss = `rule ${i + 1}: ${notYet}`;
      continue;
    }
    return { approved: true, rejected: false, complianceLevel: rule.ComplianceLevel ?? 'UNSPECIFIED', reason: `rule ${i + 1}` };
  }
  return notApproved(lastMiss, approvedBy);
}

/** Loops rather than closures: a scan judges thousands of packages, each against every entry. */
function firstListed(os: string, list: string[], patch: PatchCandidate): string | undefined {
  for (const entry of list) if (matchesPatchList(os, entry, patch)) return entry;
  return undefined;
}

function firstMiss(filters: PatchFilter[] | undefined, patch: PatchCandidate): PatchFilter | undefined {
  if (!filters) return undefined;
  for (const f of filters) if (!filterMatches(f, patch)) return f;
  return undefined;
}

function notApproved(reason: string, approvedBy: string | undefined): PatchApproval {
  const why = approvedBy !== undefined ? `in ApprovedPatches but not a security update; ${reason}` : reason;
  return { approved: false, rejected: false, complianceLevel: 'UNSPECIFIED', reason: why };
}

/** Why a rule's date condition holds the patch back at `at`, or undefined when it doesn't. */
function dateHoldsBack(
  os: string,
  rule: { ApproveAfterDays?: number; ApproveUntilDate?: string },
  patch: PatchCandidate,
  at: number,
): string | undefined {
  if (isAptOperatingSystem(os) || patch.ReleaseDate === undefined) return undefined;
  if (rule.ApproveAfterDays !== undefined && patch.ReleaseDate + rule.ApproveAfterDays * DAY_MS > at) {
    return `released less than ${rule.ApproveAfterDays} days ago`;
  }
  if (rule.ApproveUntilDate !== undefined) {
    const until = Date.parse(`${rule.ApproveUntilDate}T00:00:00Z`);
    // "On or before the date": the whole of that day counts.
    if (!Number.isNaN(until) && patch.ReleaseDate >= until + DAY_MS) return `released after ${rule.ApproveUntilDate}`;
  }
  return undefined;
}

/** The candidate's value for a filter key, or undefined when the key doesn't describe it. */
function filterValue(key: string, patch: PatchCandidate): string | string[] | undefined {
  switch (key.toUpperCase()) {
    case 'PRODUCT':
      return patch.Product;
    case 'SECTION':
      return patch.Section;
    case 'PRIORITY':
      return patch.Priority;
    case 'CLASSIFICATION':
      return patch.Classification;
    case 'SEVERITY':
      return patch.Severity;
    case 'ARCH':
      return patch.Arch;
    case 'NAME':
      return patch.Name;
    case 'VERSION':
      return patch.Version;
    case 'REPOSITORY':
      return patch.Repository;
    case 'ADVISORY_ID':
      return patch.AdvisoryIds;
    case 'CVE_ID':
      return patch.CVEIds;
    case 'BUGZILLA_ID':
      return patch.BugzillaIds;
    default:
      return undefined;
  }
}

/** A filter matches when any of its values matches the candidate's field (`*` wildcards, any case). */
export function filterMatches(filter: PatchFilter, patch: PatchCandidate): boolean {
  const have = filterValue(filter.Key, patch);
  let lower: string | string[] | undefined;
  for (const pattern of filter.Values) {
    // `*` alone also covers packages whose index leaves the field out (some have no Section).
    if (pattern === '*') return true;
    if (have === undefined) continue;
    lower ??= typeof have === 'string' ? have.toLowerCase() : have.map((v) => v.toLowerCase());
    const p = lowered(pattern);
    if (typeof lower === 'string' ? wildcard(p, lower) : lower.some((v) => wildcard(p, v))) return true;
  }
  return false;
}

/** Filter values recur for every package judged: lowercased once each. */
const lowerCache = new Map<string, string>();
function lowered(pattern: string): string {
  let l = lowerCache.get(pattern);
  if (l === undefined) {
    if (lowerCache.size > 4096) lowerCache.clear();
    lowerCache.set(pattern, (l = pattern.toLowerCase()));
  }
  return l;
}

function matchesPatchList(os: string, entry: string, patch: PatchCandidate): boolean {
  if (isAptOperatingSystem(os)) return matchesPatchName(entry, patch.Name);
  const ids = [...(patch.AdvisoryIds ?? []), ...(patch.CVEIds ?? []), ...(patch.BugzillaIds ?? [])];
  if (ids.some((id) => id.toUpperCase() === entry.toUpperCase())) return true;
  return matchesPatchName(entry, patch.Name, patch.Version, patch.Arch);
}

/**
 * Whether an ApprovedPatches/RejectedPatches entry names a package.
 * - Debian/Ubuntu (called with the name only): the entry is a package name, `*` wildcards
 *   allowed; versions and architectures are not part of it.
 * - RPM families (called with version `[epoch:]version-release` and arch): the entry may be any of
 *   `name`, `name.arch`, `name-version`, `name-version-release`, `name-version-release.arch`,
 *   `name.arch:epoch:version-release`, `epoch:name-version-release.arch`,
 *   `name-epoch:version-release.arch`, each with `*` wildcards.
 */
export function matchesPatchName(pattern: string, name: string, version?: string, arch?: string): boolean {
  if (version === undefined) return wildcard(pattern, name);
  return rpmSpellings(name, version, arch).some((s) => wildcard(pattern, s));
}

function rpmSpellings(name: string, version: string, arch: string | undefined): string[] {
  const colon = version.indexOf(':');
  const epoch = colon >= 0 ? version.slice(0, colon) : '0';
  const vr = colon >= 0 ? version.slice(colon + 1) : version;
  const dash = vr.lastIndexOf('-');
  const ver = dash >= 0 ? vr.slice(0, dash) : vr;
  const out = [name, `${name}-${ver}`, `${name}-${vr}`];
  if (arch) {
    out.push(
      `${name}.${arch}`,
      `${name}-${vr}.${arch}`,
      `${name}.${arch}:${epoch}:${vr}`,
      `${epoch}:${name}-${vr}.${arch}`,
      `${name}-${epoch}:${vr}.${arch}`,
    );
  }
  return out;
}

/** Glob with `*` only; every other character is literal; case as given. */
function wildcard(p: string, t: string): boolean {
  if (!p.includes('*')) return p === t;
  const parts = p.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!t.startsWith(first) || t.length < first.length + last.length || !t.endsWith(last)) return false;
  let pos = first.length;
  const end = t.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = t.indexOf(parts[i]!, pos);
    if (at < 0 || at + parts[i]!.length > end) return false;
    pos = at + parts[i]!.length;
  }
  return true;
}

/**
 * A security update: classified so by its publisher (RPM update notices), or for apt, coming from a
 * security suite (`bookworm-security`, `jammy-security`, the older `buster/updates` of
 * security.debian.org, or Debian's `debian-security` archive label).
 */
export function isSecurity(p: PatchCandidate): boolean {
  if (p.Classification.toLowerCase() === 'security') return true;
  return p.Repository !== undefined && isSecuritySuite(p.Repository);
}

export function isSecuritySuite(suite: string): boolean {
  const s = suite.toLowerCase();
  return s.endsWith('-security') || s === 'debian-security' || s.endsWith('/updates') || s.includes('-security/');
}
