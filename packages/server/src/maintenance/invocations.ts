import { commandService } from '../commands/index.js';
import { actorCall, callAs, type Actor } from '../protocol/actor.js';
import type { Core } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import { documentParameters, fill, fillMap, type InvocationParameters, type PseudoValues } from './task-definition.js';
import type { InvocationRow, TaskRow } from './tables.js';
import { sendWebhook, type WebhookOutcome } from './webhook.js';

type Json = Record<string, unknown>;
/** What an invocation's row learns from one look at its command or automation. */
export type Change = Pick<InvocationRow, 'status' | 'status_details'> & Partial<Pick<InvocationRow, 'execution_id' | 'end_time'>>;

const COMMAND_STATUS: Record<string, string> = { Pending: 'IN_PROGRESS', InProgress: 'IN_PROGRESS', Delayed: 'IN_PROGRESS', Cancelling: 'CANCELLING', Success: 'SUCCESS', Failed: 'FAILED', TimedOut: 'TIMED_OUT', Cancelled: 'CANCELLED' };
const AUTOMATION_STATUS: Record<string, string> = { Success: 'SUCCESS', Failed: 'FAILED', TimedOut: 'TIMED_OUT', Cancelled: 'CANCELLED', Cancelling: 'CANCELLING', CompletedWithSuccess: 'SUCCESS', CompletedWithFailure: 'FAILED', Rejected: 'FAILED' };
export const ENDED = new Set(['SUCCESS', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

const capitalized = (o: Json): Json => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));
const failed = (err: unknown, now: number): Change => {
  if (!isAwsError(err)) throw err;
  return { status: 'FAILED', status_details: `${err.code}: ${err.message}`.slice(0, 250), end_time: now };
};

/** Where one invocation runs, and the ids its pseudo-parameters name. */
export interface Placement {
  windowId: string;
  windowExecutionId: string;
  taskExecutionId: string;
  invocationId: string;
  resourceId: string;
  windowTargetId: string;
}

export function pseudoValues(task: TaskRow, p: Placement): PseudoValues {
  return {
    WINDOW_ID: p.windowId,
    WINDOW_EXECUTION_ID: p.windowExecutionId,
    TASK_EXECUTION_ID: p.taskExecutionId,
    WINDOW_TASK_ID: task.window_task_id,
    WINDOW_TARGET_ID: p.windowTargetId,
    TARGET_ID: p.resourceId,
    TARGET_TYPE: p.resourceId ? 'INSTANCE' : '',
    RESOURCE_ID: p.resourceId,
    RESOURCE_TYPE: !p.resourceId ? '' : p.resourceId.startsWith('mi-') ? 'AWS::SSM::ManagedInstance' : 'AWS::EC2::Instance',
  };
}

/**
 * What one invocation sends, pseudo-parameters filled in, as AWS shows it in an invocation's
 * Parameters (lower-camel keys). A RUN_COMMAND invocation is one command to one node, so the
 * task's MaxConcurrency and MaxErrors are the window's to apply, across invocations.
 */
export function invocationRequest(task: TaskRow, p: Placement): Json {
  const v = pseudoValues(task, p);
  const inv = JSON.parse(task.invocation_parameters) as InvocationParameters;
  const params = fillMap(documentParameters(task), v);
  if (task.task_type === 'RUN_COMMAND') {
    const rc = inv.RunCommand ?? {};
    const logging = JSON.parse(task.logging_info) as { S3BucketName?: string; S3KeyPrefix?: string };
    const bucket = rc.OutputS3BucketName ?? logging.S3BucketName;
    const prefix = rc.OutputS3KeyPrefix ?? logging.S3KeyPrefix;
    return {
      documentName: task.task_arn,
      ...(rc.DocumentVersion ? { documentVersion: rc.DocumentVersion } : {}),
      ...(rc.DocumentHash ? { documentHash: rc.DocumentHash, documentHashType: rc.DocumentHashType ?? 'Sha256' } : {}),
      instanceIds: [p.resourceId],
      parameters: params,
      comment: fill(rc.Comment ?? `Maintenance window ${p.windowId}`, v).slice(0, 100),
      ...(rc.TimeoutSeconds ? { timeoutSeconds: rc.TimeoutSeconds } : {}),
      ...(bucket ? { outputS3BucketName: bucket, ...(prefix ? { outputS3KeyPrefix: fill(prefix, v) } : {}) } : {}),
      ...(rc.NotificationConfig ? { notificationConfig: rc.NotificationConfig } : {}),
      ...(rc.CloudWatchOutputConfig ? { cloudWatchOutputConfig: rc.CloudWatchOutputConfig } : {}),
      ...(rc.ServiceRoleArn ? { serviceRoleArn: rc.ServiceRoleArn } : {}),
      maxConcurrency: '1',
      maxErrors: '1',
    };
  }
  if (task.task_type === 'AUTOMATION') return { documentName: task.task_arn, ...(inv.Automation?.DocumentVersion ? { documentVersion: inv.Automation.DocumentVersion } : {}), parameters: params };
  // A webhook: what it posts, and what rides along in headers.
  const event = JSON.stringify({ windowId: p.windowId, windowExecutionId: p.windowExecutionId, taskExecutionId: p.taskExecutionId, windowTaskId: task.window_task_id, invocationId: p.invocationId, ...(p.resourceId ? { resourceId: p.resourceId } : {}), ...(p.windowTargetId ? { windowTargetId: p.windowTargetId } : {}) });
  if (task.task_type === 'LAMBDA') {
    const l = inv.Lambda ?? {};
    return { url: task.task_arn, payload: l.Payload !== undefined ? fill(Buffer.from(l.Payload, 'base64').toString('utf8'), v) : event, ...(l.Qualifier ? { qualifier: l.Qualifier } : {}), ...(l.ClientContext ? { clientContext: l.ClientContext } : {}) };
  }
  const s = inv.StepFunctions ?? {};
  return { url: task.task_arn, input: s.Input !== undefined ? fill(s.Input, v) : event, ...(s.Name ? { name: fill(s.Name, v) } : {}) };
}

/** Sending an invocation's work, looking at it, stopping it: each task type through its own service. */
export class Invocations {
  constructor(private readonly core: Core) {}

  /** Sends what the row says (its token chosen already); a second call finds what the first sent. */
  async send(task: TaskRow, region: string, inv: InvocationRow, now: number): Promise<Change> {
    const actor = JSON.parse(task.actor) as Actor;
    const request = JSON.parse(inv.parameters) as Json;
    try {
      if (task.task_type === 'RUN_COMMAND') {
        const call = await actorCall(this.core, actor, region);
        const svc = commandService(this.core);
        const known = await svc.command(call, inv.token).catch((err: unknown) => {
          if (isAwsError(err) && err.code === 'InvalidCommandId') return undefined;
          throw err;
        });
        if (!known) await svc.send(call, capitalized(request) as never, { commandId: inv.token });
        return { status: 'IN_PROGRESS', status_details: 'InProgress', execution_id: inv.token };
      }
      const out = await callAs(this.core, actor, region, 'ssm', 'StartAutomationExecution', { ...capitalized(request), ClientToken: inv.token });
      return { status: 'IN_PROGRESS', status_details: 'InProgress', execution_id: String(out.AutomationExecutionId) };
    } catch (err) {
      return failed(err, now);
    }
  }

  /** One look at a running invocation's command or automation; undefined when nothing changed. */
  async follow(task: TaskRow, region: string, inv: InvocationRow, now: number): Promise<Change | undefined> {
    const actor = JSON.parse(task.actor) as Actor;
    try {
      if (task.task_type === 'RUN_COMMAND') {
        const call = await actorCall(this.core, actor, region);
        const cmd = await commandService(this.core)
          .command(call, inv.token)
          .catch((err: unknown) => {
            if (isAwsError(err) && err.code === 'InvalidCommandId') return undefined;
            throw err;
          });
        // Marked started but never sent (the server stopped between the two): send it now.
        if (!cmd) return await this.send(task, region, inv, now);
        const change = this.changed(inv, COMMAND_STATUS[cmd.status] ?? 'IN_PROGRESS', cmd.status_details, now);
        // Sent, but the server stopped before it recorded the command as the invocation's: record it now.
        if (!inv.execution_id) return { ...(change ?? { status: inv.status, status_details: inv.status_details }), execution_id: inv.token };
        return change;
      }
      if (task.task_type === 'AUTOMATION') {
        if (!inv.execution_id) return await this.send(task, region, inv, now);
        const out = await callAs(this.core, actor, region, 'ssm', 'GetAutomationExecution', { AutomationExecutionId: inv.execution_id });
        const status = String((out.AutomationExecution as Json | undefined)?.AutomationExecutionStatus ?? 'Pending');
        const failure = String((out.AutomationExecution as Json | undefined)?.FailureMessage ?? '');
        return this.changed(inv, AUTOMATION_STATUS[status] ?? (inv.status === 'CANCELLING' ? 'CANCELLING' : 'IN_PROGRESS'), failure ? `${status}: ${failure}` : status, now);
      }
      return undefined; // webhooks report through their own job
    } catch (err) {
      return failed(err, now);
    }
  }

  private changed(inv: InvocationRow, status: string, details: string, now: number): Change | undefined {
    const s = inv.status === 'CANCELLING' && status === 'IN_PROGRESS' ? 'CANCELLING' : status;
    if (s === inv.status && details === inv.status_details) return undefined;
    return { status: s, status_details: details.slice(0, 250), ...(ENDED.has(s) ? { end_time: now } : {}) };
  }

  /** CancelCommand or StopAutomationExecution; false when there was nothing left to stop. */
  async stop(task: TaskRow, region: string, inv: InvocationRow): Promise<boolean> {
    const actor = JSON.parse(task.actor) as Actor;
    try {
      if (task.task_type === 'RUN_COMMAND') {
        await commandService(this.core).cancel(await actorCall(this.core, actor, region), inv.token);
        return true;
      }
      if (task.task_type === 'AUTOMATION' && inv.execution_id) {
        await callAs(this.core, actor, region, 'ssm', 'StopAutomationExecution', { AutomationExecutionId: inv.execution_id, Type: 'Cancel' });
        return true;
      }
    } catch (err) {
      if (!isAwsError(err)) throw err;
    }
    return false;
  }

  /** One try of a webhook invocation. */
  webhook(task: TaskRow, region: string, inv: InvocationRow, placement: Placement): Promise<WebhookOutcome> {
    const request = JSON.parse(inv.parameters) as { url: string; payload?: string; input?: string; qualifier?: string; clientContext?: string; name?: string };
    const headers: Record<string, string> = {
      'x-capstan-window-id': placement.windowId,
      'x-capstan-window-execution-id': placement.windowExecutionId,
      'x-capstan-task-execution-id': placement.taskExecutionId,
      'x-capstan-invocation-id': placement.invocationId,
      ...(placement.resourceId ? { 'x-capstan-resource-id': placement.resourceId } : {}),
      ...(request.qualifier ? { 'x-capstan-qualifier': request.qualifier } : {}),
      ...(request.clientContext ? { 'x-amz-client-context': request.clientContext } : {}),
      ...(request.name ? { 'x-capstan-execution-name': request.name } : {}),
    };
    return sendWebhook(this.core, { account: task.account_id, region, actor: JSON.parse(task.actor) as Actor, taskArn: task.task_arn, headers, body: request.payload ?? request.input ?? '' });
  }
}
