/** The members of AWS's SSM shapes that the console reads. Timestamps are epoch seconds in JSON 1.1. */
export type Timestamp = number | string;

export interface Tag {
  Key: string;
  Value: string;
}

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

export interface InstanceInformation {
  InstanceId: string;
  PingStatus?: PingStatus;
  LastPingDateTime?: Timestamp;
  AgentVersion?: string;
  IsLatestVersion?: boolean;
  PlatformType?: string;
  PlatformName?: string;
  PlatformVersion?: string;
  ActivationId?: string;
  IamRole?: string;
  RegistrationDate?: Timestamp;
  ResourceType?: string;
  Name?: string;
  IPAddress?: string;
  ComputerName?: string;
  AssociationStatus?: string;
  SourceId?: string;
  SourceType?: string;
}

export interface StringFilter {
  Key: string;
  Values: string[];
}

export interface Target {
  Key: string;
  Values: string[];
}

export interface Command {
  CommandId: string;
  DocumentName: string;
  DocumentVersion?: string;
  Comment?: string;
  ExpiresAfter?: Timestamp;
  Parameters?: Record<string, string[]>;
  InstanceIds?: string[];
  Targets?: Target[];
  RequestedDateTime?: Timestamp;
  Status: string;
  StatusDetails?: string;
  MaxConcurrency?: string;
  MaxErrors?: string;
  TargetCount?: number;
  CompletedCount?: number;
  ErrorCount?: number;
  DeliveryTimedOutCount?: number;
  TimeoutSeconds?: number;
}

export interface CommandPlugin {
  Name?: string;
  Status?: string;
  StatusDetails?: string;
  ResponseCode?: number;
  ResponseStartDateTime?: Timestamp;
  ResponseFinishDateTime?: Timestamp;
  Output?: string;
}

export interface CommandInvocation {
  CommandId: string;
  InstanceId: string;
  InstanceName?: string;
  Comment?: string;
  DocumentName?: string;
  DocumentVersion?: string;
  RequestedDateTime?: Timestamp;
  Status?: string;
  StatusDetails?: string;
  CommandPlugins?: CommandPlugin[];
}

/** Capstan's CapstanFollowCommand answer. */
export interface FollowResult {
  Command: Command;
  Invocations: {
    InstanceId: string;
    InstanceName?: string;
    Status: string;
    StatusDetails?: string;
    ResponseCode?: number;
    Steps?: { Name: string; Status: string; ResponseCode?: number; StdoutBytes?: number; StderrBytes?: number }[];
  }[];
  Output: { InstanceId: string; PluginName: string; Stream: 'stdout' | 'stderr' | string; Offset: number; Data: string }[];
  Cursor: string;
  Done: boolean;
}

export interface DocumentParameter {
  Name: string;
  Type: string;
  Description?: string;
  DefaultValue?: string;
}

export interface DocumentDescription {
  Name: string;
  DisplayName?: string;
  VersionName?: string;
  Owner?: string;
  CreatedDate?: Timestamp;
  Status?: string;
  StatusInformation?: string;
  DocumentVersion?: string;
  Description?: string;
  Parameters?: DocumentParameter[];
  PlatformTypes?: string[];
  DocumentType?: string;
  SchemaVersion?: string;
  LatestVersion?: string;
  DefaultVersion?: string;
  DocumentFormat?: string;
  TargetType?: string;
  Tags?: Tag[];
  Hash?: string;
}

export interface DocumentIdentifier {
  Name: string;
  DisplayName?: string;
  CreatedDate?: Timestamp;
  Owner?: string;
  VersionName?: string;
  PlatformTypes?: string[];
  DocumentVersion?: string;
  DocumentType?: string;
  SchemaVersion?: string;
  DocumentFormat?: string;
  TargetType?: string;
}

export interface DocumentVersionInfo {
  Name?: string;
  DisplayName?: string;
  DocumentVersion?: string;
  VersionName?: string;
  CreatedDate?: Timestamp;
  IsDefaultVersion?: boolean;
  DocumentFormat?: string;
  Status?: string;
  StatusInformation?: string;
}

export interface GetDocumentResult {
  Name: string;
  DocumentVersion?: string;
  VersionName?: string;
  DisplayName?: string;
  Status?: string;
  Content?: string;
  DocumentType?: string;
  DocumentFormat?: string;
  CreatedDate?: Timestamp;
}

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface Parameter {
  Name: string;
  Type: ParameterType;
  Value?: string;
  Version?: number;
  Selector?: string;
  LastModifiedDate?: Timestamp;
  ARN?: string;
  DataType?: string;
}

export interface ParameterInlinePolicy {
  PolicyText?: string;
  PolicyType?: string;
  PolicyStatus?: string;
}

export interface ParameterMetadata {
  Name: string;
  ARN?: string;
  Type?: ParameterType;
  KeyId?: string;
  LastModifiedDate?: Timestamp;
  LastModifiedUser?: string;
  Description?: string;
  AllowedPattern?: string;
  Version?: number;
  Tier?: string;
  Policies?: ParameterInlinePolicy[];
  DataType?: string;
}

export interface ParameterHistory extends ParameterMetadata {
  Value?: string;
  Labels?: string[];
}

export interface Session {
  SessionId: string;
  Target?: string;
  Status?: string;
  StartDate?: Timestamp;
  EndDate?: Timestamp;
  DocumentName?: string;
  Owner?: string;
  Reason?: string;
  Details?: string;
  MaxSessionDuration?: string;
}

/** Capstan's CapstanDiagnoseNode answer. */
export interface NodeDiagnosis {
  InstanceId: string;
  PingStatus: string;
  LastPingDateTime?: Timestamp;
  RegistrationDate?: Timestamp;
  DisconnectedAt?: Timestamp;
  DisconnectReason?: string;
  LastAgentError?: string;
  LastAgentErrorAt?: Timestamp;
  KeyRotatedAt?: Timestamp;
  KeyRotationPending?: boolean;
  AgentVersion?: string;
  Diagnosis: string;
  NextSteps: string[];
}

export type ExecutionMode = 'Auto' | 'Interactive';

export interface FailureDetails {
  FailureStage?: string;
  FailureType?: string;
  Details?: Record<string, string[]>;
}

export interface ParentStepDetails {
  StepExecutionId?: string;
  StepName?: string;
  Action?: string;
  Iteration?: number;
  IteratorValue?: string;
}

/** AWS's StepExecution, as GetAutomationExecution and DescribeAutomationStepExecutions answer it. */
export interface StepExecution {
  StepName?: string;
  Action?: string;
  TimeoutSeconds?: number;
  OnFailure?: string;
  MaxAttempts?: number;
  ExecutionStartTime?: Timestamp;
  ExecutionEndTime?: Timestamp;
  StepStatus?: string;
  ResponseCode?: string;
  Inputs?: Record<string, string>;
  Outputs?: Record<string, string[]>;
  Response?: string;
  FailureMessage?: string;
  WarningMessage?: string;
  FailureDetails?: FailureDetails;
  StepExecutionId?: string;
  OverriddenParameters?: Record<string, string[]>;
  IsEnd?: boolean;
  NextStep?: string;
  IsCritical?: boolean;
  ValidNextSteps?: string[];
  Targets?: Target[];
  ParentStepDetails?: ParentStepDetails;
}

export interface ProgressCounters {
  TotalSteps?: number;
  SuccessSteps?: number;
  FailedSteps?: number;
  CancelledSteps?: number;
  TimedOutSteps?: number;
}

export interface ResolvedTargets {
  ParameterValues?: string[];
  Truncated?: boolean;
}

/** GetAutomationExecution's AutomationExecution. */
export interface AutomationExecution {
  AutomationExecutionId: string;
  DocumentName?: string;
  DocumentVersion?: string;
  ExecutionStartTime?: Timestamp;
  ExecutionEndTime?: Timestamp;
  AutomationExecutionStatus?: string;
  StepExecutions?: StepExecution[];
  StepExecutionsTruncated?: boolean;
  Parameters?: Record<string, string[]>;
  Outputs?: Record<string, string[]>;
  FailureMessage?: string;
  WarningMessage?: string;
  Mode?: ExecutionMode | string;
  ParentAutomationExecutionId?: string;
  ExecutedBy?: string;
  CurrentStepName?: string;
  CurrentAction?: string;
  TargetParameterName?: string;
  Targets?: Target[];
  TargetMaps?: Record<string, string[]>[];
  ResolvedTargets?: ResolvedTargets;
  MaxConcurrency?: string;
  MaxErrors?: string;
  Target?: string;
  ProgressCounters?: ProgressCounters;
  AutomationSubtype?: string;
  Variables?: Record<string, string[]>;
}

/** DescribeAutomationExecutions' AutomationExecutionMetadata. */
export interface AutomationExecutionMetadata {
  AutomationExecutionId: string;
  DocumentName?: string;
  DocumentVersion?: string;
  AutomationExecutionStatus?: string;
  ExecutionStartTime?: Timestamp;
  ExecutionEndTime?: Timestamp;
  ExecutedBy?: string;
  LogFile?: string;
  Outputs?: Record<string, string[]>;
  Mode?: ExecutionMode | string;
  ParentAutomationExecutionId?: string;
  CurrentStepName?: string;
  CurrentAction?: string;
  FailureMessage?: string;
  WarningMessage?: string;
  TargetParameterName?: string;
  Targets?: Target[];
  ResolvedTargets?: ResolvedTargets;
  MaxConcurrency?: string;
  MaxErrors?: string;
  Target?: string;
  AutomationType?: string;
  AutomationSubtype?: string;
}

/** State Manager's AssociationOverview: the latest run's status and how many targets ended how. */
export interface AssociationOverview {
  Status?: string;
  DetailedStatus?: string;
  AssociationStatusAggregatedCount?: Record<string, number>;
}

/** ListAssociations' Association. */
export interface Association {
  Name?: string;
  InstanceId?: string;
  AssociationId: string;
  AssociationVersion?: string;
  DocumentVersion?: string;
  Targets?: Target[];
  LastExecutionDate?: Timestamp;
  Overview?: AssociationOverview;
  ScheduleExpression?: string;
  AssociationName?: string;
  ScheduleOffset?: number;
  Duration?: number;
  TargetMaps?: Record<string, string[]>[];
}

/** DescribeAssociation's (and CreateAssociation's) AssociationDescription. */
export interface AssociationDescription extends Association {
  Date?: Timestamp;
  LastUpdateAssociationDate?: Timestamp;
  Status?: { Date?: Timestamp; Name?: string; Message?: string; AdditionalInfo?: string };
  AutomationTargetParameterName?: string;
  Parameters?: Record<string, string[]>;
  OutputLocation?: { S3Location?: { OutputS3Region?: string; OutputS3BucketName?: string; OutputS3KeyPrefix?: string } };
  LastSuccessfulExecutionDate?: Timestamp;
  MaxErrors?: string;
  MaxConcurrency?: string;
  ComplianceSeverity?: string;
  SyncCompliance?: string;
  ApplyOnlyAtCronInterval?: boolean;
  CalendarNames?: string[];
  AssociationDispatchAssumeRole?: string;
}

/** ListAssociationVersions' AssociationVersionInfo. */
export interface AssociationVersionInfo {
  AssociationId?: string;
  AssociationVersion?: string;
  CreatedDate?: Timestamp;
  Name?: string;
  DocumentVersion?: string;
  Parameters?: Record<string, string[]>;
  Targets?: Target[];
  ScheduleExpression?: string;
  AssociationName?: string;
  MaxErrors?: string;
  MaxConcurrency?: string;
  ComplianceSeverity?: string;
  SyncCompliance?: string;
  ApplyOnlyAtCronInterval?: boolean;
  CalendarNames?: string[];
  ScheduleOffset?: number;
  Duration?: number;
  TargetMaps?: Record<string, string[]>[];
}

/** DescribeAssociationExecutions' AssociationExecution. */
export interface AssociationExecution {
  AssociationId?: string;
  AssociationVersion?: string;
  ExecutionId: string;
  Status?: string;
  DetailedStatus?: string;
  CreatedTime?: Timestamp;
  LastExecutionDate?: Timestamp;
  /** AWS sends a string such as `{Success=2, Failed=1}`. */
  ResourceCountByStatus?: string;
}

/** DescribeAssociationExecutionTargets' AssociationExecutionTarget. */
export interface AssociationExecutionTarget {
  AssociationId?: string;
  AssociationVersion?: string;
  ExecutionId?: string;
  ResourceId?: string;
  ResourceType?: string;
  Status?: string;
  DetailedStatus?: string;
  LastExecutionDate?: Timestamp;
  OutputSource?: { OutputSourceId?: string; OutputSourceType?: string };
}

/** DescribeInstanceAssociationsStatus' InstanceAssociationStatusInfo. */
export interface InstanceAssociationStatusInfo {
  AssociationId?: string;
  Name?: string;
  DocumentVersion?: string;
  AssociationVersion?: string;
  InstanceId?: string;
  ExecutionDate?: Timestamp;
  Status?: string;
  DetailedStatus?: string;
  ExecutionSummary?: string;
  ErrorCode?: string;
  OutputUrl?: { S3OutputUrl?: { OutputUrl?: string } };
  AssociationName?: string;
}

/** DescribeMaintenanceWindows' MaintenanceWindowIdentity; GetMaintenanceWindow adds the rest. */
export interface MaintenanceWindow {
  WindowId: string;
  Name?: string;
  Description?: string;
  Enabled?: boolean;
  Duration?: number;
  Cutoff?: number;
  Schedule?: string;
  ScheduleTimezone?: string;
  ScheduleOffset?: number;
  StartDate?: string;
  EndDate?: string;
  /** In the window's zone with its offset then: `2026-11-01T03:00-05:00`. */
  NextExecutionTime?: string;
  AllowUnassociatedTargets?: boolean;
  CreatedDate?: Timestamp;
  ModifiedDate?: Timestamp;
}

/** DescribeMaintenanceWindowSchedule's ScheduledWindowExecution. */
export interface ScheduledWindowExecution {
  WindowId?: string;
  Name?: string;
  /** In the window's zone with its offset then, as NextExecutionTime. */
  ExecutionTime?: string;
}

/** DescribeMaintenanceWindowTargets' MaintenanceWindowTarget. */
export interface MaintenanceWindowTarget {
  WindowId?: string;
  WindowTargetId: string;
  ResourceType?: string;
  Targets?: Target[];
  OwnerInformation?: string;
  Name?: string;
  Description?: string;
}

/** DescribeMaintenanceWindowTasks' MaintenanceWindowTask. */
export interface MaintenanceWindowTask {
  WindowId?: string;
  WindowTaskId: string;
  TaskArn?: string;
  Type?: string;
  Targets?: Target[];
  TaskParameters?: Record<string, { Values?: string[] }>;
  Priority?: number;
  ServiceRoleArn?: string;
  MaxConcurrency?: string;
  MaxErrors?: string;
  Name?: string;
  Description?: string;
  CutoffBehavior?: string;
}

/** DescribeMaintenanceWindowExecutions' MaintenanceWindowExecution. */
export interface MaintenanceWindowExecution {
  WindowId?: string;
  WindowExecutionId: string;
  Status?: string;
  StatusDetails?: string;
  StartTime?: Timestamp;
  EndTime?: Timestamp;
}

/** GetMaintenanceWindowExecution's answer. */
export interface MaintenanceWindowExecutionDetail {
  WindowExecutionId?: string;
  TaskIds?: string[];
  Status?: string;
  StatusDetails?: string;
  StartTime?: Timestamp;
  EndTime?: Timestamp;
}

/** DescribeMaintenanceWindowExecutionTasks' MaintenanceWindowExecutionTaskIdentity. */
export interface MaintenanceWindowExecutionTaskIdentity {
  WindowExecutionId?: string;
  TaskExecutionId: string;
  Status?: string;
  StatusDetails?: string;
  StartTime?: Timestamp;
  EndTime?: Timestamp;
  TaskArn?: string;
  TaskType?: string;
}

/** DescribeMaintenanceWindowExecutionTaskInvocations' MaintenanceWindowExecutionTaskInvocationIdentity. */
export interface MaintenanceWindowExecutionTaskInvocationIdentity {
  WindowExecutionId?: string;
  TaskExecutionId?: string;
  InvocationId: string;
  /** The Run Command command id, or the automation execution id. */
  ExecutionId?: string;
  TaskType?: string;
  /** What the invocation sent, as JSON text (`instanceIds` names the node of a Run Command one). */
  Parameters?: string;
  Status?: string;
  StatusDetails?: string;
  StartTime?: Timestamp;
  EndTime?: Timestamp;
  OwnerInformation?: string;
  WindowTargetId?: string;
}
