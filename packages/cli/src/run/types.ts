/** CapstanFollowCommand's answer, as the server sends it (AWS JSON 1.1: blobs base64, times epoch seconds). */

export interface FollowStep {
  Name: string;
  /** The agent's step status: Pending, InProgress, Success, Failed, TimedOut, Cancelled, Skipped… */
  Status: string;
  ResponseCode: number;
  StdoutBytes: number;
  StderrBytes: number;
}

export interface FollowInvocation {
  InstanceId: string;
  InstanceName: string;
  Status: string;
  StatusDetails: string;
  ResponseCode: number;
  Steps: FollowStep[];
}

export interface FollowPiece {
  InstanceId: string;
  PluginName: string;
  Stream: 'stdout' | 'stderr';
  Offset: number;
  /** base64 */
  Data: string;
}

export interface CommandSummary {
  CommandId: string;
  DocumentName?: string;
  Status: string;
  StatusDetails: string;
  TargetCount: number;
  CompletedCount: number;
  ErrorCount: number;
  DeliveryTimedOutCount: number;
}

export interface FollowAnswer {
  Command: CommandSummary;
  Invocations: FollowInvocation[];
  Output: FollowPiece[];
  Cursor: string;
  Done: boolean;
}

/** An invocation's Status once nothing more will happen to it. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
/** A step's status once it ran (or never will). */
export const FINAL_STEP_STATUSES: ReadonlySet<string> = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled', 'Skipped']);
