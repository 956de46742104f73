import { resolveDocument } from '../documents/index.js';
import { bindParameters, type SuppliedParameters } from '../documents/resolve/index.js';
import type { Target } from '../nodes/index.js';
import { actorOf, passedRole, type Actor } from '../protocol/actor.js';
import type { CallContext } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import { doesNotExist, featureNotAvailable, validation } from './errors.js';
import type { MaintenanceDb } from './store.js';
import type { TaskRow, WindowRow } from './tables.js';
import { webhookTarget } from './webhook.js';

export interface InvocationParameters {
  RunCommand?: {
    Comment?: string;
    CloudWatchOutputConfig?: unknown;
    DocumentHash?: string;
    DocumentHashType?: string;
    DocumentVersion?: string;
    NotificationConfig?: unknown;
    OutputS3BucketName?: string;
    OutputS3KeyPrefix?: string;
    Parameters?: Record<string, string[]>;
    ServiceRoleArn?: string;
    TimeoutSeconds?: number;
  };
  Automation?: { DocumentVersion?: string; Parameters?: Record<string, string[]> };
  StepFunctions?: { Input?: string; Name?: string };
  /** Payload is base64 on the wire, as the SDK sends a blob. */
  Lambda?: { ClientContext?: string; Qualifier?: string; Payload?: string };
}

export interface TaskInput {
  Targets?: Target[];
  TaskArn?: string;
  ServiceRoleArn?: string;
  TaskType?: string;
  TaskParameters?: Record<string, { Values?: string[] }>;
  TaskInvocationParameters?: InvocationParameters;
  Priority?: number;
  MaxConcurrency?: string;
  MaxErrors?: string;
  LoggingInfo?: { S3BucketName: string; S3KeyPrefix?: string; S3Region: string };
  Name?: string;
  Description?: string;
  CutoffBehavior?: string;
  AlarmConfiguration?: unknown;
}

const MEMBER: Record<string, keyof InvocationParameters> = { RUN_COMMAND: 'RunCommand', AUTOMATION: 'Automation', STEP_FUNCTIONS: 'StepFunctions', LAMBDA: 'Lambda' };
const TARGET_SCOPED = ['RESOURCE_ID', 'RESOURCE_TYPE', 'TARGET_ID', 'TARGET_TYPE', 'WINDOW_TARGET_ID'];
const PSEUDO = /\{\{\s*(WINDOW_ID|WINDOW_EXECUTION_ID|TASK_EXECUTION_ID|WINDOW_TASK_ID|WINDOW_TARGET_ID|TARGET_ID|TARGET_TYPE|RESOURCE_ID|RESOURCE_TYPE)\s*\}\}/g;

export type PseudoValues = Record<'WINDOW_ID' | 'WINDOW_EXECUTION_ID' | 'TASK_EXECUTION_ID' | 'WINDOW_TASK_ID' | 'WINDOW_TARGET_ID' | 'TARGET_ID' | 'TARGET_TYPE' | 'RESOURCE_ID' | 'RESOURCE_TYPE', string>;

/** Fills in the pseudo-parameters (`{{RESOURCE_ID}}`, …); `{{ssm:…}}` references are left for the task's own service. */
export const fill = (text: string, v: PseudoValues): string => text.replace(PSEUDO, (_, k: keyof PseudoValues) => v[k]);
export const fillMap = (m: Record<string, string[]>, v: PseudoValues): Record<string, string[]> => Object.fromEntries(Object.entries(m).map(([k, vals]) => [k, vals.map((x) => fill(x, v))]));

/** Values that pass a document's checks in place of pseudo-parameters, to validate parameters at registration. */
const SAMPLE: PseudoValues = {
  WINDOW_ID: 'mw-0123456789abcdef0',
  WINDOW_EXECUTION_ID: '00000000-0000-4000-8000-000000000000',
  TASK_EXECUTION_ID: '00000000-0000-4000-8000-000000000000',
  WINDOW_TASK_ID: '00000000-0000-4000-8000-000000000000',
  WINDOW_TARGET_ID: '00000000-0000-4000-8000-000000000000',
  TARGET_ID: 'mi-0123456789abcdef0',
  TARGET_TYPE: 'INSTANCE',
  RESOURCE_ID: 'mi-0123456789abcdef0',
  RESOURCE_TYPE: 'AWS::SSM::ManagedInstance',
};

/** The parameters a task passes to its document: TaskInvocationParameters', else the deprecated TaskParameters'. */
export function documentParameters(task: Pick<TaskRow, 'task_type' | 'invocation_parameters' | 'task_parameters'>): Record<string, string[]> {
  const inv = JSON.parse(task.invocation_parameters) as InvocationParameters;
  const own = task.task_type === 'RUN_COMMAND' ? inv.RunCommand?.Parameters : task.task_type === 'AUTOMATION' ? inv.Automation?.Parameters : undefined;
  if (own) return own;
  return Object.fromEntries(Object.entries(JSON.parse(task.task_parameters) as Record<string, { Values?: string[] }>).map(([k, v]) => [k, v.Values ?? []]));
}

/**
 * Checks a task's complete definition (a registration, or an update merged with what it leaves
 * alone) and returns the row's definition fields. ValidationException names the field at fault.
 */
export async function checkTask(call: CallContext, db: MaintenanceDb, window: WindowRow, taskId: string, i: TaskInput): Promise<Omit<TaskRow, 'created_at' | 'updated_at' | 'client_token' | 'request_hash'>> {
  const type = i.TaskType!;
  const taskArn = i.TaskArn;
  if (!taskArn) throw validation('TaskArn is required: the document, runbook or webhook the task runs.');
  if (i.AlarmConfiguration !== undefined) throw validation('AlarmConfiguration: CloudWatch alarms are not available in Capstan, so a task cannot be stopped by one; leave it out.');
  const inv = i.TaskInvocationParameters ?? {};
  for (const key of Object.keys(inv) as (keyof InvocationParameters)[]) {
    if (inv[key] !== undefined && key !== MEMBER[type]) throw validation(`TaskInvocationParameters.${key} does not go with a ${type} task; give only TaskInvocationParameters.${MEMBER[type]}.`);
  }
  const targets = i.Targets ?? [];
  await checkTargets(db, window, targets, type);
  if (targets.length) {
    if (!i.MaxConcurrency) throw validation('MaxConcurrency is required for a task with targets: how many targets it runs on at once.');
    if (!i.MaxErrors) throw validation('MaxErrors is required for a task with targets: how many may fail before it stops starting more.');
  }
  const text = JSON.stringify({ p: i.TaskParameters ?? {}, i: inv });
  if (!targets.length) {
    const scoped = [...text.matchAll(PSEUDO)].map((m) => m[1]!).find((k) => TARGET_SCOPED.includes(k));
    if (scoped) throw validation(`{{${scoped}}} needs targets: a task without Targets runs once, for no particular node.`);
  }
  const row = { task_type: type, task_arn: taskArn, invocation_parameters: JSON.stringify(inv), task_parameters: JSON.stringify(i.TaskParameters ?? {}) };
  if (type === 'RUN_COMMAND' || type === 'AUTOMATION') await checkDocument(call, type, taskArn, inv, documentParameters(row));
  else {
    if (inv.Lambda?.Payload !== undefined && Buffer.from(inv.Lambda.Payload, 'base64').length > 4096) throw validation('TaskInvocationParameters.Lambda.Payload is longer than 4096 bytes.');
    await webhookTarget(call.core, call.accountId, call.region, taskArn, (m) => (/^arn:aws[^:]*:(lambda|states):/.test(taskArn) ? featureNotAvailable(m) : validation(m)));
  }
  const actor: Actor = i.ServiceRoleArn
    ? await passedRole(call, i.ServiceRoleArn, `mw-task-${taskId}`.slice(0, 64), 'a maintenance window task', (r) => validation(`ServiceRoleArn: ${r}`))
    : actorOf(call.principal, `mw-task-${taskId}`.slice(0, 64));
  return {
    window_task_id: taskId,
    window_id: window.window_id,
    account_id: window.account_id,
    region: window.region,
    ...row,
    targets: JSON.stringify(targets),
    service_role_arn: i.ServiceRoleArn ?? '',
    priority: i.Priority ?? 1,
    max_concurrency: i.MaxConcurrency ?? '1',
    max_errors: i.MaxErrors ?? '1',
    logging_info: JSON.stringify(i.LoggingInfo ?? {}),
    name: i.Name ?? '',
    description: i.Description ?? '',
    cutoff_behavior: i.CutoffBehavior ?? 'CONTINUE_TASK',
    actor: JSON.stringify(actor),
  };
}

async function checkTargets(db: MaintenanceDb, window: WindowRow, targets: Target[], type: string): Promise<void> {
  if (type === 'RUN_COMMAND' && !targets.length) throw validation('Targets is required for a RUN_COMMAND task: WindowTargetIds of the window, or InstanceIds if the window allows unregistered targets.');
  const keys = new Set(targets.map((t) => t.Key));
  if (keys.has('WindowTargetIds') && keys.size > 1) throw validation('Targets: WindowTargetIds cannot be combined with other target keys.');
  for (const t of targets) {
    if (!t.Values.length) throw validation(`Targets: ${t.Key} needs at least one value.`);
    if (t.Key === 'WindowTargetIds') {
      for (const id of t.Values) {
        const found = await db.selectFrom('maintenance_window_targets').select('window_target_id').where('window_id', '=', window.window_id).where('window_target_id', '=', id).executeTakeFirst();
        if (!found) throw doesNotExist(`Window target ${id} is not registered with maintenance window ${window.window_id}.`);
      }
      continue;
    }
    if (t.Key !== 'InstanceIds' && t.Key !== 'tag-key' && !/^tag:.+/.test(t.Key) && t.Key !== 'resource-groups:Name' && t.Key !== 'resource-groups:ResourceTypeFilters') throw validation(`Targets: key ${t.Key} is not supported; use WindowTargetIds, InstanceIds, tag:KEY, tag-key or resource-groups:Name.`);
    if (!window.allow_unassociated_targets) throw validation(`Targets: maintenance window ${window.window_id} does not allow unregistered targets (AllowUnassociatedTargets is false); register them with RegisterTargetWithMaintenanceWindow and name them by WindowTargetIds.`);
    if (t.Key === 'InstanceIds') for (const v of t.Values) if (!/^(mi-[0-9a-f]{17}|i-[0-9a-f]{8,17})$/.test(v)) throw validation(`Targets: ${v} is not a managed node id (mi-… or i-…).`);
  }
}

async function checkDocument(call: CallContext, type: string, name: string, inv: InvocationParameters, params: Record<string, string[]>): Promise<void> {
  const version = type === 'RUN_COMMAND' ? inv.RunCommand?.DocumentVersion : inv.Automation?.DocumentVersion;
  const doc = await resolveDocument(call, name, version).catch((err: unknown) => {
    throw isAwsError(err) ? validation(`TaskArn: ${err.message}`) : err;
  });
  const wanted = type === 'RUN_COMMAND' ? 'Command' : 'Automation';
  if (doc.documentType !== wanted) throw validation(`TaskArn: ${doc.name} is a ${doc.documentType} document; a ${type} task runs ${wanted === 'Command' ? 'a Command document' : 'an Automation runbook'}.`);
  const sample: SuppliedParameters = fillMap(params, SAMPLE);
  try {
    bindParameters(doc.parameters, sample);
  } catch (err) {
    throw isAwsError(err) ? validation(`${type === 'RUN_COMMAND' ? 'TaskInvocationParameters.RunCommand.Parameters' : 'TaskInvocationParameters.Automation.Parameters'}: ${err.message}`) : err;
  }
}
