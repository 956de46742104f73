import type { StepResult } from '@capstan/wire';
import { invocationStatus } from './status.js';
import { pluginOutput, stderrContent, stdoutContent } from './output.js';
import type { CommandRow, InvocationRow } from './tables.js';

const json = <T>(text: string, empty: T): T => (text ? (JSON.parse(text) as T) : empty);

export function commandView(r: CommandRow) {
  return {
    CommandId: r.command_id,
    DocumentName: r.document_name,
    DocumentVersion: r.document_version,
    Comment: r.comment,
    ExpiresAfter: new Date(r.expires_at),
    Parameters: json<Record<string, string[]>>(r.parameters, {}),
    InstanceIds: json<string[]>(r.instance_ids, []),
    Targets: json<unknown[]>(r.targets, []),
    RequestedDateTime: new Date(r.requested_at),
    Status: r.status,
    StatusDetails: r.status_details,
    OutputS3Region: r.region,
    OutputS3BucketName: r.output_s3_bucket,
    OutputS3KeyPrefix: r.output_s3_prefix,
    MaxConcurrency: r.max_concurrency,
    MaxErrors: r.max_errors,
    TargetCount: r.target_count,
    CompletedCount: r.completed_count,
    ErrorCount: r.error_count,
    DeliveryTimedOutCount: r.delivery_timed_out_count,
    ServiceRole: r.service_role,
    ...(r.notification_config ? { NotificationConfig: JSON.parse(r.notification_config) as unknown } : { NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' } }),
    CloudWatchOutputConfig: json<unknown>(r.cloudwatch_config, { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false }),
    TimeoutSeconds: r.timeout_seconds,
  };
}

/** Where the whole of a step's stream can be downloaded (signed GET, like an S3 object). */
export type OutputUrl = (cmd: CommandRow, r: Pick<InvocationRow, 'command_id' | 'instance_id' | 'plugins'>, step: StepResult, stream: 'stdout' | 'stderr') => string;

/** An agent step status as CommandPlugin's Status and StatusDetails. */
export function stepStatus(s: StepResult): { Status: string; StatusDetails: string } {
  switch (s.status) {
    case 'Pending':
      return { Status: 'Pending', StatusDetails: 'Pending' };
    case 'InProgress':
    case 'SuccessAndReboot':
      return { Status: 'InProgress', StatusDetails: 'InProgress' };
    case 'Success':
      return { Status: 'Success', StatusDetails: 'Success' };
    case 'Skipped':
      return { Status: 'Success', StatusDetails: 'Skipped' };
    case 'TimedOut':
      return { Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' };
    case 'Cancelled':
      return { Status: 'Cancelled', StatusDetails: 'Canceled' };
    default:
      return { Status: 'Failed', StatusDetails: 'Failed' };
  }
}

/** Schema 1.2 steps are `0.aws:runShellScript` inside; AWS shows them by the plugin's name. */
export const pluginName = (s: StepResult) => (/^\d+\.aws:/.test(s.name) ? s.action : s.name);

function pluginView(cmd: CommandRow, r: InvocationRow, s: StepResult, url: OutputUrl) {
  return {
    Name: pluginName(s),
    ...stepStatus(s),
    ResponseCode: s.code,
    ...(s.startedAt !== undefined ? { ResponseStartDateTime: new Date(s.startedAt) } : {}),
    ...(s.endedAt !== undefined ? { ResponseFinishDateTime: new Date(s.endedAt) } : {}),
    Output: pluginOutput(s.stdout, s.stderr, Buffer.byteLength(s.stdout) >= s.stdoutBytes, Buffer.byteLength(s.stderr) >= s.stderrBytes),
    StandardOutputUrl: url(cmd, r, s, 'stdout'),
    StandardErrorUrl: url(cmd, r, s, 'stderr'),
    OutputS3Region: r.region,
    OutputS3BucketName: cmd.output_s3_bucket,
    OutputS3KeyPrefix: cmd.output_s3_prefix,
  };
}

export function invocationView(r: InvocationRow, cmd: CommandRow, details: boolean, url: OutputUrl) {
  const steps = json<StepResult[]>(r.plugins, []);
  const first = steps[0];
  return {
    CommandId: r.command_id,
    InstanceId: r.instance_id,
    InstanceName: r.instance_name,
    Comment: cmd.comment,
    DocumentName: cmd.document_name,
    DocumentVersion: cmd.document_version,
    RequestedDateTime: new Date(r.requested_at),
    Status: invocationStatus(r.status_details),
    StatusDetails: r.status_details,
    TraceOutput: r.trace_output,
    StandardOutputUrl: first ? url(cmd, r, first, 'stdout') : '',
    StandardErrorUrl: first ? url(cmd, r, first, 'stderr') : '',
    CommandPlugins: details ? steps.map((s) => pluginView(cmd, r, s, url)) : [],
    ServiceRole: cmd.service_role,
    NotificationConfig: commandView(cmd).NotificationConfig,
    CloudWatchOutputConfig: commandView(cmd).CloudWatchOutputConfig,
  };
}

/** ISO 8601 duration, as AWS gives ExecutionElapsedTime. */
const elapsed = (ms: number) => `PT${(ms / 1000).toFixed(3)}S`;

/** GetCommandInvocation for one step (the only one, or the one named). */
export function stepInvocationView(r: InvocationRow, cmd: CommandRow, step: StepResult | undefined, url: OutputUrl) {
  const base = {
    CommandId: r.command_id,
    InstanceId: r.instance_id,
    Comment: cmd.comment,
    DocumentName: cmd.document_name,
    DocumentVersion: cmd.document_version,
    CloudWatchOutputConfig: commandView(cmd).CloudWatchOutputConfig,
  };
  if (!step) {
    return { ...base, PluginName: '', ResponseCode: -1, ExecutionStartDateTime: '', ExecutionElapsedTime: '', ExecutionEndDateTime: '', Status: invocationStatus(r.status_details), StatusDetails: r.status_details, StandardOutputContent: '', StandardOutputUrl: '', StandardErrorContent: '', StandardErrorUrl: '' };
  }
  // While the document runs, the invocation's status speaks for the step that is not done yet.
  const running = step.status === 'InProgress' || step.status === 'Pending';
  const status = running ? { Status: invocationStatus(r.status_details), StatusDetails: r.status_details } : stepStatus(step);
  const end = step.endedAt;
  return {
    ...base,
    PluginName: pluginName(step),
    ResponseCode: step.code,
    ExecutionStartDateTime: step.startedAt !== undefined ? new Date(step.startedAt).toISOString() : '',
    ExecutionElapsedTime: step.startedAt !== undefined && end !== undefined ? elapsed(end - step.startedAt) : '',
    ExecutionEndDateTime: end !== undefined ? new Date(end).toISOString() : '',
    ...status,
    StandardOutputContent: stdoutContent(step.stdout, step.stdoutBytes),
    StandardOutputUrl: url(cmd, r, step, 'stdout'),
    StandardErrorContent: stderrContent(step.stderr, step.stderrBytes),
    StandardErrorUrl: url(cmd, r, step, 'stderr'),
  };
}
