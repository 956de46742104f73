import { allPages, ssm, type CallOptions } from './client';
import type { Command, Timestamp } from './types';

/** The operating systems Capstan patches, with the filter keys AWS allows in their baselines. */
export const PATCH_OS: { value: string; label: string; keys: string[]; dated: boolean }[] = [
  { value: 'DEBIAN', label: 'Debian', keys: ['PRODUCT', 'SECTION', 'PRIORITY'], dated: false },
  { value: 'UBUNTU', label: 'Ubuntu', keys: ['PRODUCT', 'SECTION', 'PRIORITY'], dated: false },
  { value: 'REDHAT_ENTERPRISE_LINUX', label: 'Red Hat Enterprise Linux', keys: ['PRODUCT', 'CLASSIFICATION', 'SEVERITY'], dated: true },
  { value: 'CENTOS', label: 'CentOS', keys: ['PRODUCT', 'CLASSIFICATION', 'SEVERITY'], dated: true },
  { value: 'ORACLE_LINUX', label: 'Oracle Linux', keys: ['PRODUCT', 'CLASSIFICATION', 'SEVERITY'], dated: true },
  { value: 'ROCKY_LINUX', label: 'Rocky Linux', keys: ['PRODUCT', 'CLASSIFICATION', 'SEVERITY'], dated: true },
  { value: 'ALMA_LINUX', label: 'AlmaLinux', keys: ['PRODUCT', 'CLASSIFICATION', 'SEVERITY'], dated: true },
  { value: 'AMAZON_LINUX_2', label: 'Amazon Linux 2', keys: ['PRODUCT', 'CLASSIFICATION', 'SEVERITY'], dated: true },
  { value: 'AMAZON_LINUX_2023', label: 'Amazon Linux 2023', keys: ['PRODUCT', 'CLASSIFICATION', 'SEVERITY'], dated: true },
];

export const osLabelOf = (os: string | undefined) => PATCH_OS.find((o) => o.value === os)?.label ?? os ?? '—';

export const COMPLIANCE_LEVELS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNSPECIFIED'] as const;

export interface PatchFilter {
  Key: string;
  Values: string[];
}

export interface PatchRule {
  PatchFilterGroup: { PatchFilters: PatchFilter[] };
  ComplianceLevel?: string;
  ApproveAfterDays?: number;
  ApproveUntilDate?: string;
  EnableNonSecurity?: boolean;
}

export interface PatchBaselineIdentity {
  BaselineId: string;
  BaselineName: string;
  OperatingSystem: string;
  BaselineDescription?: string;
  DefaultBaseline?: boolean;
}

export interface PatchBaseline {
  BaselineId: string;
  Name: string;
  OperatingSystem: string;
  Description?: string;
  GlobalFilters?: { PatchFilters: PatchFilter[] };
  ApprovalRules?: { PatchRules: PatchRule[] };
  ApprovedPatches?: string[];
  ApprovedPatchesComplianceLevel?: string;
  ApprovedPatchesEnableNonSecurity?: boolean;
  RejectedPatches?: string[];
  RejectedPatchesAction?: 'ALLOW_AS_DEPENDENCY' | 'BLOCK';
  AvailableSecurityUpdatesComplianceStatus?: 'COMPLIANT' | 'NON_COMPLIANT';
  /** Alternative repositories; the console keeps them as they are. */
  Sources?: { Name: string; Products: string[]; Configuration: string }[];
  PatchGroups?: string[];
  CreatedDate?: Timestamp;
  ModifiedDate?: Timestamp;
}

/** What CreatePatchBaseline and UpdatePatchBaseline take beyond the id. */
export type PatchBaselineInput = Omit<PatchBaseline, 'BaselineId' | 'PatchGroups' | 'CreatedDate' | 'ModifiedDate'>;

export interface PatchGroupMapping {
  PatchGroup: string;
  BaselineIdentity: PatchBaselineIdentity;
}

export interface InstancePatchState {
  InstanceId: string;
  PatchGroup?: string;
  BaselineId?: string;
  SnapshotId?: string;
  InstalledCount?: number;
  InstalledOtherCount?: number;
  InstalledPendingRebootCount?: number;
  InstalledRejectedCount?: number;
  MissingCount?: number;
  FailedCount?: number;
  NotApplicableCount?: number;
  AvailableSecurityUpdateCount?: number;
  CriticalNonCompliantCount?: number;
  SecurityNonCompliantCount?: number;
  OtherNonCompliantCount?: number;
  Operation?: 'Scan' | 'Install';
  OperationStartTime?: Timestamp;
  OperationEndTime?: Timestamp;
  RebootOption?: string;
}

export interface PatchComplianceData {
  Title: string;
  KBId: string;
  Classification?: string;
  Severity?: string;
  State: string;
  InstalledTime?: Timestamp;
  CVEIds?: string;
}

/**
 * AWS's own predefined baselines have ARNs for ids and account baselines `pb-…`; Capstan's
 * predefined ones follow that, and they cannot be changed.
 */
export const isPredefined = (baselineId: string) => baselineId.startsWith('arn:');

export function describeBaselines(opts: CallOptions = {}): Promise<PatchBaselineIdentity[]> {
  return allPages<{ BaselineIdentities?: PatchBaselineIdentity[]; NextToken?: string }, PatchBaselineIdentity>('DescribePatchBaselines', { MaxResults: 100 }, (p) => p.BaselineIdentities, opts);
}

export function describePatchGroups(opts: CallOptions = {}): Promise<PatchGroupMapping[]> {
  return allPages<{ Mappings?: PatchGroupMapping[]; NextToken?: string }, PatchGroupMapping>('DescribePatchGroups', { MaxResults: 100 }, (p) => p.Mappings, opts);
}

export const getBaseline = (id: string, opts: CallOptions = {}) => ssm<PatchBaseline>('GetPatchBaseline', { BaselineId: id }, opts);

export async function instancePatchState(instanceId: string, opts: CallOptions = {}): Promise<InstancePatchState | undefined> {
  const r = await ssm<{ InstancePatchStates?: InstancePatchState[] }>('DescribeInstancePatchStates', { InstanceIds: [instanceId] }, opts);
  return r.InstancePatchStates?.[0];
}

export function instancePatches(instanceId: string, states: string[], opts: CallOptions & { limit?: number } = {}): Promise<PatchComplianceData[]> {
  return allPages<{ Patches?: PatchComplianceData[]; NextToken?: string }, PatchComplianceData>(
    'DescribeInstancePatches',
    { InstanceId: instanceId, MaxResults: 100, ...(states.length ? { Filters: [{ Key: 'State', Values: states }] } : {}) },
    (p) => p.Patches,
    opts,
  );
}

/** SendCommand takes at most 50 node ids; more go as several commands. */
const PER_COMMAND = 50;

/** AWS-RunPatchBaseline with Operation Install on the nodes: one command per 50 of them. */
export async function patchNow(instanceIds: string[], rebootOption: 'RebootIfNeeded' | 'NoReboot', comment: string): Promise<Command[]> {
  const out: Command[] = [];
  for (let i = 0; i < instanceIds.length; i += PER_COMMAND) {
    const r = await ssm<{ Command: Command }>('SendCommand', {
      DocumentName: 'AWS-RunPatchBaseline',
      InstanceIds: instanceIds.slice(i, i + PER_COMMAND),
      Parameters: { Operation: ['Install'], RebootOption: [rebootOption] },
      Comment: comment.slice(0, 100),
    });
    out.push(r.Command);
  }
  return out;
}
