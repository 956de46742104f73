import { createHash } from 'node:crypto';
import { PATCH_OPERATING_SYSTEMS, type PatchOperatingSystem, type PatchRule } from '@capstan/wire';
import type { Baseline } from './baseline.js';
import { OS_RULES } from './os.js';

/**
 * The baselines Capstan provides, one per operating system, under AWS's names
 * (`AWS-UbuntuDefaultPatchBaseline`, …) so scripts written for AWS find them. Their ids have AWS's
 * form, an ARN in the caller's region under an owner account no customer has.
 */
export const PREDEFINED_OWNER_ACCOUNT = '000000000000';

const idSuffix = (os: PatchOperatingSystem) => `pb-${createHash('sha256').update(`capstan-predefined-${os}`).digest('hex').slice(0, 17)}`;
export const predefinedId = (region: string, os: PatchOperatingSystem) => `arn:aws:ssm:${region}:${PREDEFINED_OWNER_ACCOUNT}:patchbaseline/${idSuffix(os)}`;

const APT_RULES: PatchRule[] = [
  {
    PatchFilterGroup: { PatchFilters: [{ Key: 'PRODUCT', Values: ['*'] }, { Key: 'SECTION', Values: ['*'] }, { Key: 'PRIORITY', Values: ['Required', 'Important', 'Standard', 'Optional', 'Extra'] }] },
    ComplianceLevel: 'UNSPECIFIED',
    EnableNonSecurity: false,
  },
];
const RPM_RULES: PatchRule[] = [
  { PatchFilterGroup: { PatchFilters: [{ Key: 'PRODUCT', Values: ['*'] }, { Key: 'CLASSIFICATION', Values: ['Security'] }, { Key: 'SEVERITY', Values: ['Critical', 'Important'] }] }, ApproveAfterDays: 7, ComplianceLevel: 'UNSPECIFIED', EnableNonSecurity: false },
  { PatchFilterGroup: { PatchFilters: [{ Key: 'PRODUCT', Values: ['*'] }, { Key: 'CLASSIFICATION', Values: ['Bugfix'] }] }, ApproveAfterDays: 7, ComplianceLevel: 'UNSPECIFIED', EnableNonSecurity: false },
];

function predefined(region: string, os: PatchOperatingSystem): Baseline {
  const apt = !OS_RULES[os].approvalDelays;
  return {
    BaselineId: predefinedId(region, os),
    Name: `AWS-${OS_RULES[os].label}DefaultPatchBaseline`,
    OperatingSystem: os,
    Description: apt
      ? `Capstan's default patch baseline for ${OS_RULES[os].label}: approves every security update of priority Required, Important, Standard, Optional or Extra at once (apt gives no release dates).`
      : `Capstan's default patch baseline for ${OS_RULES[os].label}: approves Security updates of severity Critical or Important, and all Bugfix updates, 7 days after their release.`,
    owner: 'AWS',
    GlobalFilters: { PatchFilters: [] },
    ApprovalRules: { PatchRules: apt ? APT_RULES : RPM_RULES },
    ApprovedPatches: [],
    ApprovedPatchesComplianceLevel: 'UNSPECIFIED',
    ApprovedPatchesEnableNonSecurity: false,
    RejectedPatches: [],
    RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY',
    Sources: [],
    createdAt: 0,
    modifiedAt: 0,
  };
}

export const predefinedBaselines = (region: string): Baseline[] => PATCH_OPERATING_SYSTEMS.map((os) => predefined(region, os));

/** The predefined baseline an id names: its ARN, or the bare `pb-…` part of it. */
export function predefinedById(region: string, id: string): Baseline | undefined {
  return predefinedBaselines(region).find((b) => b.BaselineId === id || b.BaselineId.endsWith(`/${id}`));
}
