import { evaluatePatch, type PatchCandidate, type PatchRecord } from '@capstan/wire';
import type { Baseline } from './baseline.js';
import type { PatchCatalogRow } from './tables.js';

/** A catalogue entry as AWS's Patch shape (DescribeAvailablePatches, DescribeEffectivePatchesForPatchBaseline). */
export function patchView(r: PatchCatalogRow) {
  const p = JSON.parse(r.data) as Omit<PatchRecord, 'State'>;
  const [epoch, version] = splitEpoch(p.Version);
  const dash = version.lastIndexOf('-');
  return {
    Id: p.Title,
    Title: p.Title,
    Name: p.Name,
    Epoch: epoch,
    Version: dash > 0 ? version.slice(0, dash) : version,
    Release: dash > 0 ? version.slice(dash + 1) : '',
    Arch: p.Arch,
    Product: p.Product,
    Classification: p.Classification,
    Severity: p.Severity,
    ...(p.Repository ? { Repository: p.Repository } : {}),
    ...(p.ReleaseDate !== undefined ? { ReleaseDate: new Date(p.ReleaseDate) } : {}),
    ...(p.CVEIds ? { CVEIds: p.CVEIds.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  };
}

function splitEpoch(v: string): [number, string] {
  const m = /^(\d+):(.*)$/.exec(v);
  return m ? [Number(m[1]), m[2]!] : [0, v];
}

export function candidateOf(r: PatchCatalogRow): PatchCandidate {
  const p = JSON.parse(r.data) as Omit<PatchRecord, 'State'>;
  return {
    Name: p.Name,
    Version: p.Version,
    Arch: p.Arch,
    Product: p.Product,
    Classification: p.Classification,
    Severity: p.Severity,
    ...(p.Section !== undefined ? { Section: p.Section } : {}),
    ...(p.Priority !== undefined ? { Priority: p.Priority } : {}),
    ...(p.ReleaseDate !== undefined ? { ReleaseDate: p.ReleaseDate } : {}),
    ...(p.Repository !== undefined ? { Repository: p.Repository } : {}),
    ...(p.CVEIds ? { CVEIds: p.CVEIds.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  };
}

/** AWS's PatchStatus of one catalogue patch under a baseline, judged by the shared rules at `at`. */
export function patchStatus(b: Baseline, r: PatchCatalogRow, at: number) {
  const a = evaluatePatch(b, candidateOf(r), at);
  const explicit = a.reason.startsWith('ApprovedPatches') || a.reason.startsWith('RejectedPatches');
  const DeploymentStatus = a.rejected ? 'EXPLICIT_REJECTED' : a.approved ? (explicit ? 'EXPLICIT_APPROVED' : 'APPROVED') : 'PENDING_APPROVAL';
  return { DeploymentStatus, ComplianceLevel: a.complianceLevel, reason: a.reason };
}

/** Whether a patch belongs among a baseline's effective patches: approved, rejected, or matched by a rule that has yet to approve it. */
export function isEffective(s: ReturnType<typeof patchStatus>): boolean {
  return s.DeploymentStatus !== 'PENDING_APPROVAL' || s.reason.startsWith('rule ');
}

/** What a PatchOrchestratorFilter key reads from a catalogue entry (DescribeAvailablePatches). */
export const AVAILABLE_FILTER_KEYS: Record<string, (r: PatchCatalogRow, p: ReturnType<typeof candidateOf>) => string | undefined> = {
  PRODUCT: (r) => r.product,
  NAME: (r) => r.name,
  ARCH: (r) => r.arch,
  VERSION: (r) => r.version,
  CLASSIFICATION: (r) => r.classification,
  SEVERITY: (r) => r.severity,
  SECTION: (_r, p) => p.Section,
  PRIORITY: (_r, p) => p.Priority,
  REPOSITORY: (_r, p) => p.Repository,
};
