/**
 * Patch Manager between server and agent. The server resolves the node's baseline (its patch
 * group's, its operating system's default, or the command's BaselineOverride) when it sends an
 * `aws:runPatchBaseline` step, and puts the snapshot in the job; the agent evaluates it against
 * the node's package manager and reports what it found through its outbox. Field names follow
 * AWS's API shapes (GetPatchBaseline, InstancePatchState, PatchComplianceData) so both sides and
 * the API speak one vocabulary.
 */

/** AWS's OperatingSystem values that Capstan patches natively (apt; dnf/yum where present). */
export const PATCH_OPERATING_SYSTEMS = [
  'UBUNTU',
  'DEBIAN',
  'REDHAT_ENTERPRISE_LINUX',
  'CENTOS',
  'ORACLE_LINUX',
  'ROCKY_LINUX',
  'ALMA_LINUX',
  'AMAZON_LINUX_2',
  'AMAZON_LINUX_2023',
] as const;
export type PatchOperatingSystem = (typeof PATCH_OPERATING_SYSTEMS)[number];

export interface PatchFilter {
  /** PRODUCT, SECTION, PRIORITY, CLASSIFICATION, SEVERITY, … (AWS's PatchFilterKey). */
  Key: string;
  Values: string[];
}
export interface PatchFilterGroup {
  PatchFilters: PatchFilter[];
}
export type PatchComplianceLevel = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNSPECIFIED';
export interface PatchRule {
  PatchFilterGroup: PatchFilterGroup;
  ComplianceLevel?: PatchComplianceLevel;
  ApproveAfterDays?: number;
  /** YYYY-MM-DD */
  ApproveUntilDate?: string;
  EnableNonSecurity?: boolean;
}
export interface PatchSource {
  Name: string;
  Products: string[];
  /** The repository's configuration (an apt sources.list line, a yum .repo stanza). */
  Configuration: string;
}

/** The baseline a node patches against, as the server resolved it for one command. */
export interface PatchBaselineSnapshot {
  SnapshotId: string;
  InstanceId: string;
  BaselineId: string;
  Name: string;
  OperatingSystem: PatchOperatingSystem;
  /** The node's `Patch Group` / `PatchGroup` tag, when it has one. */
  PatchGroup?: string;
  GlobalFilters: PatchFilterGroup;
  ApprovalRules: { PatchRules: PatchRule[] };
  ApprovedPatches: string[];
  ApprovedPatchesComplianceLevel: PatchComplianceLevel;
  ApprovedPatchesEnableNonSecurity: boolean;
  RejectedPatches: string[];
  RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY' | 'BLOCK';
  AvailableSecurityUpdatesComplianceStatus?: 'COMPLIANT' | 'NON_COMPLIANT';
  Sources: PatchSource[];
  /** Epoch ms when the snapshot was taken: ApproveAfterDays counts up to it. */
  CreatedAt: number;
}

/** AWS's PatchComplianceDataState. */
export type PatchState =
  | 'INSTALLED'
  | 'INSTALLED_OTHER'
  | 'INSTALLED_PENDING_REBOOT'
  | 'INSTALLED_REJECTED'
  | 'MISSING'
  | 'NOT_APPLICABLE'
  | 'FAILED'
  | 'AVAILABLE_SECURITY_UPDATE';

/**
 * One patch on one node: AWS's PatchComplianceData (Title, KBId, Classification, Severity, State,
 * InstalledTime, CVEIds) plus the package facts the server keeps as its catalog of available
 * patches (DescribeAvailablePatches, DescribePatchProperties, DescribeEffectivePatchesForPatchBaseline).
 */
export interface PatchRecord {
  /** `name.arch:epoch:version` as AWS writes Linux patch titles, e.g. `openssl.amd64:0:3.0.15-1~deb12u1`. */
  Title: string;
  /** The package name (what ApprovedPatches/RejectedPatches name). */
  KBId: string;
  /** `security`, `bugfix`, …; for apt: `security` when the candidate comes from a security suite. */
  Classification: string;
  /** apt: the package's Priority (`required`, `important`, `standard`, `optional`, `extra`). */
  Severity: string;
  State: PatchState;
  /** Epoch ms; only for installed states. */
  InstalledTime?: number;
  CVEIds?: string;
  /** The compliance level the baseline gives this patch (the approving rule's, or the approved list's). */
  ComplianceLevel?: PatchComplianceLevel;
  Name: string;
  /** The version this record is about: the candidate for MISSING, the installed one otherwise. */
  Version: string;
  /** The installed version when a newer one is MISSING (absent when nothing is installed). */
  InstalledVersion?: string;
  Arch: string;
  /** `Debian12`, `Ubuntu22.04`, … (AWS's PRODUCT values). */
  Product: string;
  Section?: string;
  Priority?: string;
  /** The suite or repository the version comes from, e.g. `bookworm-security`. */
  Repository?: string;
  /** Epoch ms, when the repository says (apt rarely does). */
  ReleaseDate?: number;
}

/** AWS's InstancePatchState, as the agent measured it at the end of one operation. */
export interface PatchSummary {
  BaselineId: string;
  SnapshotId: string;
  PatchGroup: string;
  Operation: 'Scan' | 'Install';
  OperationStartTime: number;
  OperationEndTime: number;
  RebootOption: 'RebootIfNeeded' | 'NoReboot';
  InstallOverrideList?: string;
  InstalledCount: number;
  InstalledOtherCount: number;
  InstalledPendingRebootCount: number;
  InstalledRejectedCount: number;
  MissingCount: number;
  FailedCount: number;
  UnreportedNotApplicableCount: number;
  NotApplicableCount: number;
  AvailableSecurityUpdateCount: number;
  CriticalNonCompliantCount: number;
  SecurityNonCompliantCount: number;
  OtherNonCompliantCount: number;
  /** Epoch ms of the last Install with NoReboot that left patches pending a reboot. */
  LastNoRebootInstallOperationTime?: number;
}

/**
 * Agent → server: the outcome of one `aws:runPatchBaseline` operation. Through the outbox like a
 * reply (the server answers `reply-ack`); a report replaces the node's previous one whole.
 */
export interface PatchReportMessage {
  type: 'patch-report';
  replyId: string;
  /** The command whose step produced it. */
  commandId: string;
  summary: PatchSummary;
  /** Every applicable patch: installed packages the baseline covers and the missing updates. */
  patches: PatchRecord[];
}
