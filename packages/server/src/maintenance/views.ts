import { formatInZone } from './schedule.js';
import { documentParameters } from './task-definition.js';
import type { ExecutionRow, InvocationRow, TargetRow, TaskExecutionRow, TaskRow, WindowRow } from './tables.js';

const date = (ms: number | null) => (ms === null ? undefined : new Date(ms));
const opt = <K extends string>(key: K, v: string) => (v ? ({ [key]: v } as Record<K, string>) : {});
const json = <T>(text: string): T => JSON.parse(text) as T;
const nonEmpty = (v: Record<string, unknown>) => (Object.keys(v).length ? v : undefined);

/** The fields UpdateMaintenanceWindow answers with; the others add to them. */
export function windowDefinition(w: WindowRow) {
  return {
    WindowId: w.window_id,
    Name: w.name,
    ...opt('Description', w.description),
    ...opt('StartDate', w.start_date),
    ...opt('EndDate', w.end_date),
    Schedule: w.schedule,
    ...opt('ScheduleTimezone', w.schedule_timezone),
    ...(w.schedule_offset !== null ? { ScheduleOffset: w.schedule_offset } : {}),
    Duration: w.duration,
    Cutoff: w.cutoff,
    AllowUnassociatedTargets: w.allow_unassociated_targets === 1,
    Enabled: w.enabled === 1,
  };
}

const nextText = (w: WindowRow, next: number | undefined) => (next === undefined ? {} : { NextExecutionTime: formatInZone(next, w.schedule_timezone) });

export function windowView(w: WindowRow, next: number | undefined) {
  return { ...windowDefinition(w), ...nextText(w, next), CreatedDate: date(w.created_at), ModifiedDate: date(w.updated_at) };
}

export function windowIdentity(w: WindowRow, next: number | undefined) {
  const { AllowUnassociatedTargets: _a, ...d } = windowDefinition(w);
  return { ...d, ...nextText(w, next) };
}

export function targetView(t: TargetRow) {
  return {
    WindowId: t.window_id,
    WindowTargetId: t.window_target_id,
    ResourceType: t.resource_type,
    Targets: json<unknown[]>(t.targets),
    ...opt('OwnerInformation', t.owner_information),
    ...opt('Name', t.name),
    ...opt('Description', t.description),
  };
}

/** Deprecated TaskParameters as AWS shows them: a map of name → {Values}. */
function taskParameters(t: TaskRow) {
  return Object.fromEntries(Object.entries(documentParameters(t)).map(([k, v]) => [k, { Values: v }]));
}

function taskCommon(t: TaskRow) {
  return {
    WindowId: t.window_id,
    WindowTaskId: t.window_task_id,
    TaskArn: t.task_arn,
    Targets: json<unknown[]>(t.targets),
    ...opt('ServiceRoleArn', t.service_role_arn),
    ...(t.task_type === 'RUN_COMMAND' || t.task_type === 'AUTOMATION' ? { TaskParameters: taskParameters(t) } : {}),
    Priority: t.priority,
    MaxConcurrency: t.max_concurrency,
    MaxErrors: t.max_errors,
    ...(nonEmpty(json(t.logging_info)) ? { LoggingInfo: json(t.logging_info) } : {}),
    ...opt('Name', t.name),
    ...opt('Description', t.description),
    CutoffBehavior: t.cutoff_behavior,
  };
}

/** DescribeMaintenanceWindowTasks' MaintenanceWindowTask. */
export function taskView(t: TaskRow) {
  return { ...taskCommon(t), Type: t.task_type };
}

/** GetMaintenanceWindowTask, UpdateMaintenanceWindowTask. */
export function taskDetailView(t: TaskRow) {
  return { ...taskCommon(t), TaskType: t.task_type, TaskInvocationParameters: json<Record<string, unknown>>(t.invocation_parameters) };
}

export function executionView(e: ExecutionRow) {
  return { WindowId: e.window_id, WindowExecutionId: e.window_execution_id, Status: e.status, ...opt('StatusDetails', e.status_details), StartTime: date(e.start_time), ...(e.end_time !== null ? { EndTime: date(e.end_time) } : {}) };
}

export function executionDetailView(e: ExecutionRow, taskIds: string[]) {
  const { WindowId: _w, ...rest } = executionView(e);
  return { ...rest, TaskIds: taskIds };
}

function taskExecutionTimes(t: TaskExecutionRow) {
  return { ...(t.start_time !== null ? { StartTime: date(t.start_time) } : {}), ...(t.end_time !== null ? { EndTime: date(t.end_time) } : {}) };
}

export function taskExecutionIdentity(t: TaskExecutionRow) {
  return { WindowExecutionId: t.window_execution_id, TaskExecutionId: t.task_execution_id, Status: t.status, ...opt('StatusDetails', t.status_details), ...taskExecutionTimes(t), TaskArn: t.task_arn, TaskType: t.task_type };
}

export function taskExecutionView(t: TaskExecutionRow) {
  const def = json<TaskRow>(t.definition);
  return {
    WindowExecutionId: t.window_execution_id,
    TaskExecutionId: t.task_execution_id,
    TaskArn: t.task_arn,
    ...opt('ServiceRole', def.service_role_arn),
    Type: t.task_type,
    TaskParameters: [taskParameters(def)],
    Priority: t.priority,
    MaxConcurrency: def.max_concurrency,
    MaxErrors: def.max_errors,
    Status: t.status,
    ...opt('StatusDetails', t.status_details),
    ...taskExecutionTimes(t),
  };
}

export function invocationView(i: InvocationRow) {
  return {
    WindowExecutionId: i.window_execution_id,
    TaskExecutionId: i.task_execution_id,
    InvocationId: i.invocation_id,
    ...opt('ExecutionId', i.execution_id),
    TaskType: i.task_type,
    Parameters: i.parameters,
    Status: i.status,
    ...opt('StatusDetails', i.status_details),
    ...(i.start_time !== null ? { StartTime: date(i.start_time) } : {}),
    ...(i.end_time !== null ? { EndTime: date(i.end_time) } : {}),
    ...opt('OwnerInformation', i.owner_information),
    ...opt('WindowTargetId', i.window_target_id),
  };
}
