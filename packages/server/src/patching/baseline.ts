import type { PatchComplianceLevel, PatchFilterGroup, PatchOperatingSystem, PatchRule, PatchSource } from '@capstan/wire';
import { z } from 'zod';
import { AwsError } from '../protocol/errors.js';
import { AWS_OPERATING_SYSTEMS, isPatchOs, OS_RULES } from './os.js';

/** A baseline's rules, as CreatePatchBaseline takes them and GetPatchBaseline returns them. */
export interface BaselineBody {
  GlobalFilters: PatchFilterGroup;
  ApprovalRules: { PatchRules: PatchRule[] };
  ApprovedPatches: string[];
  ApprovedPatchesComplianceLevel: PatchComplianceLevel;
  ApprovedPatchesEnableNonSecurity: boolean;
  RejectedPatches: string[];
  RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY' | 'BLOCK';
  Sources: PatchSource[];
  AvailableSecurityUpdatesComplianceStatus?: 'COMPLIANT' | 'NON_COMPLIANT';
}

export interface Baseline extends BaselineBody {
  BaselineId: string;
  Name: string;
  OperatingSystem: PatchOperatingSystem;
  Description?: string;
  /** 'AWS' for the predefined baselines, 'Self' for the account's. */
  owner: 'AWS' | 'Self';
  createdAt: number;
  modifiedAt: number;
}

export const COMPLIANCE_LEVELS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNSPECIFIED'] as const;
const FILTER_KEYS = ['ARCH', 'ADVISORY_ID', 'BUGZILLA_ID', 'PATCH_SET', 'PRODUCT', 'PRODUCT_FAMILY', 'CLASSIFICATION', 'CVE_ID', 'EPOCH', 'MSRC_SEVERITY', 'NAME', 'PATCH_ID', 'SECTION', 'PRIORITY', 'REPOSITORY', 'RELEASE', 'SEVERITY', 'SECURITY', 'VERSION'] as const;

export const operatingSystemSchema = z.enum(AWS_OPERATING_SYSTEMS);
export const baselineIdSchema = z.string().min(20).max(128).regex(/^[a-zA-Z0-9_\-:/]{20,128}$/);
export const baselineNameSchema = z.string().min(3).max(128).regex(/^[a-zA-Z0-9_\-.]{3,128}$/);
export const patchGroupSchema = z.string().min(1).max(256).regex(/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u);
const filterGroup = z.object({ PatchFilters: z.array(z.object({ Key: z.enum(FILTER_KEYS), Values: z.array(z.string().min(1).max(64)).min(1).max(20) })).max(4) });
const rule = z.object({
  PatchFilterGroup: filterGroup,
  ComplianceLevel: z.enum(COMPLIANCE_LEVELS).optional(),
  ApproveAfterDays: z.number().int().min(0).max(360).optional(),
  ApproveUntilDate: z.string().min(1).max(10).optional(),
  EnableNonSecurity: z.boolean().optional(),
});
const patchId = z.string().min(1).max(100);
const source = z.object({ Name: z.string().regex(/^[a-zA-Z0-9_\-.]{3,50}$/), Products: z.array(z.string().min(1).max(128)).min(1).max(20), Configuration: z.string().min(1).max(1024) });

/** The members CreatePatchBaseline, UpdatePatchBaseline and a BaselineOverride share. */
export const baselineFields = {
  GlobalFilters: filterGroup.optional(),
  ApprovalRules: z.object({ PatchRules: z.array(rule).max(10) }).optional(),
  ApprovedPatches: z.array(patchId).max(50).optional(),
  ApprovedPatchesComplianceLevel: z.enum(COMPLIANCE_LEVELS).optional(),
  ApprovedPatchesEnableNonSecurity: z.boolean().optional(),
  RejectedPatches: z.array(patchId).max(50).optional(),
  RejectedPatchesAction: z.enum(['ALLOW_AS_DEPENDENCY', 'BLOCK']).optional(),
  Sources: z.array(source).max(20).optional(),
  AvailableSecurityUpdatesComplianceStatus: z.enum(['COMPLIANT', 'NON_COMPLIANT']).optional(),
};
export const baselineFieldsSchema = z.object(baselineFields);
export type BaselineFields = z.infer<typeof baselineFieldsSchema>;

/** AWS's BaselineOverride: a whole baseline given inline (GetDeployablePatchSnapshotForInstance, AWS-RunPatchBaseline). */
export const baselineOverrideSchema = z.object({ OperatingSystem: operatingSystemSchema.optional(), ...baselineFields });

export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });

/** The operating system as Capstan patches it; AWS's other values are refused with what is supported. */
export function patchOs(os: string | undefined): PatchOperatingSystem {
  const value = os ?? 'WINDOWS';
  if (isPatchOs(value)) return value;
  throw validation(`Capstan patches ${Object.keys(OS_RULES).join(', ')}; OperatingSystem ${value} is not supported${os === undefined ? ' (WINDOWS is the default when OperatingSystem is left out)' : ''}.`);
}

/** The fields given, with AWS's defaults for those left out. */
export function withDefaults(f: BaselineFields): BaselineBody {
  return {
    GlobalFilters: f.GlobalFilters ?? { PatchFilters: [] },
    ApprovalRules: f.ApprovalRules ?? { PatchRules: [] },
    ApprovedPatches: f.ApprovedPatches ?? [],
    ApprovedPatchesComplianceLevel: f.ApprovedPatchesComplianceLevel ?? 'UNSPECIFIED',
    ApprovedPatchesEnableNonSecurity: f.ApprovedPatchesEnableNonSecurity ?? false,
    RejectedPatches: f.RejectedPatches ?? [],
    RejectedPatchesAction: f.RejectedPatchesAction ?? 'ALLOW_AS_DEPENDENCY',
    Sources: f.Sources ?? [],
    ...(f.AvailableSecurityUpdatesComplianceStatus ? { AvailableSecurityUpdatesComplianceStatus: f.AvailableSecurityUpdatesComplianceStatus } : {}),
  };
}

/**
 * What AWS checks beyond the shapes: filter keys and values the system knows, each key once per
 * group, release-date rules only where the repositories have dates (exactly one of ApproveAfterDays
 * and ApproveUntilDate there, neither on Debian and Ubuntu), sources naming the system's products.
 */
export function checkBody(os: PatchOperatingSystem, b: BaselineBody): void {
  const rules = OS_RULES[os];
  const checkGroup = (g: PatchFilterGroup, where: string) => {
    const seen = new Set<string>();
    for (const f of g.PatchFilters) {
      const allowed = rules.keys[f.Key];
      if (!(f.Key in rules.keys)) throw validation(`${where}: filter key ${f.Key} is not valid for ${os}; use ${Object.keys(rules.keys).join(', ')}.`);
      if (seen.has(f.Key)) throw validation(`${where}: filter key ${f.Key} appears more than once.`);
      seen.add(f.Key);
      for (const v of f.Values) {
        if (v === '*') continue;
        const ok = allowed === undefined || (allowed instanceof RegExp ? allowed.test(v) : allowed.some((a) => a.toLowerCase() === v.toLowerCase()));
        if (!ok) throw validation(`${where}: ${v} is not a valid ${f.Key} value for ${os}${Array.isArray(allowed) ? `; use ${allowed.join(', ')} or *` : ''}.`);
      }
    }
  };
  checkGroup(b.GlobalFilters, 'GlobalFilters');
  b.ApprovalRules.PatchRules.forEach((r, k) => {
    const where = `ApprovalRules rule ${k + 1}`;
    checkGroup(r.PatchFilterGroup, where);
    const after = r.ApproveAfterDays !== undefined;
    const until = r.ApproveUntilDate !== undefined;
    if (!rules.approvalDelays) {
      if (after || until) throw validation(`${where}: ${os} repositories carry no release dates, so ApproveAfterDays and ApproveUntilDate are not supported; leave both out.`);
    } else if (after === until) {
      throw validation(`${where}: give exactly one of ApproveAfterDays and ApproveUntilDate.`);
    }
    if (until && !validDate(r.ApproveUntilDate!)) throw validation(`${where}: ApproveUntilDate ${r.ApproveUntilDate} is not a date in the form YYYY-MM-DD.`);
  });
  const names = new Set<string>();
  for (const s of b.Sources) {
    if (names.has(s.Name)) throw validation(`Sources: the name ${s.Name} is used twice.`);
    names.add(s.Name);
    const bad = s.Products.find((p) => p !== '*' && !rules.product.test(p));
    if (bad) throw validation(`Sources ${s.Name}: ${bad} is not a ${os} product.`);
  }
}

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}
