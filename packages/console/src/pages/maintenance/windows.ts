import type { MaintenanceWindow, MaintenanceWindowExecutionTaskInvocationIdentity, MaintenanceWindowTarget, Target, Timestamp } from '../../api/types';
import { toDate } from '../../lib/format';
import { formTargets, NAME_PATTERN } from '../associations/associations';
import { parameterNamed } from '../automation/params';
import { toCommandParameters, validateAll, type ParamSpec } from '../run-command/params';
import type { TagTarget } from '../run-command/targets';
import { instantOf, isKnownZone, parseExecutionTime, wallOf } from './calendar';

/** Statuses of executions, tasks and invocations that may still change. */
export const RUNNING = ['PENDING', 'IN_PROGRESS', 'CANCELLING'];
export const isRunning = (status: string | undefined): boolean => RUNNING.includes(status ?? '');

/** The window's name, or its id when it has none to show. */
export const windowLabel = (w: Pick<MaintenanceWindow, 'Name' | 'WindowId'>): string => w.Name || w.WindowId;

/** Zones people pick most; the form takes any other IANA name as text. */
export const COMMON_ZONES = [
  'UTC',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
  'America/Toronto',
  'America/Mexico_City',
  'America/Sao_Paulo',
  'Europe/London',
  'Europe/Dublin',
  'Europe/Lisbon',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Madrid',
  'Europe/Rome',
  'Europe/Amsterdam',
  'Europe/Stockholm',
  'Europe/Warsaw',
  'Europe/Helsinki',
  'Europe/Istanbul',
  'Europe/Moscow',
  'Africa/Lagos',
  'Africa/Johannesburg',
  'Asia/Dubai',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Tokyo',
  'Asia/Seoul',
  'Australia/Perth',
  'Australia/Sydney',
  'Pacific/Auckland',
];

/** How a schedule reads: the expression, its zone, the ScheduleOffset. */
export function scheduleSummary(w: Pick<MaintenanceWindow, 'Schedule' | 'ScheduleTimezone' | 'ScheduleOffset'>): string {
  if (!w.Schedule) return '—';
  const offset = w.ScheduleOffset ? `, ${w.ScheduleOffset} day${w.ScheduleOffset === 1 ? '' : 's'} later` : '';
  return `${w.Schedule} in ${w.ScheduleTimezone || 'UTC'}${offset}`;
}

/** `4 h, no new task in the last 1 h`. */
export function durationSummary(w: Pick<MaintenanceWindow, 'Duration' | 'Cutoff'>): string {
  if (w.Duration === undefined) return '—';
  return `${w.Duration} h, ${w.Cutoff ? `no new task in the last ${w.Cutoff} h` : 'tasks may start until the end'}`;
}

/** What a window's next start reads as: AWS's text is in the window's zone with its offset. */
export function nextStartInstant(w: Pick<MaintenanceWindow, 'NextExecutionTime'>): number | undefined {
  return parseExecutionTime(w.NextExecutionTime)?.ms;
}

/** Which of the window's registered targets a task names, by name where they have one. */
export function taskTargetsSummary(targets: Target[] | undefined, registered: MaintenanceWindowTarget[]): string {
  const list = targets ?? [];
  if (!list.length) return '—';
  const windowTargets = list.find((t) => t.Key === 'WindowTargetIds');
  if (windowTargets) {
    return windowTargets.Values.map((id) => {
      const r = registered.find((x) => x.WindowTargetId === id);
      return r?.Name || (r ? `target ${id.slice(0, 8)}` : `${id.slice(0, 8)} (deregistered)`);
    }).join(', ');
  }
  return list.map((t) => `${t.Key} = ${t.Values.join(', ')}`).join(' and ');
}

/**
 * The node an invocation ran on. AWS's invocation has no node member: a Run Command one names
 * it in its Parameters (`instanceIds`), a webhook in `resourceId`.
 */
export function invocationNode(inv: Pick<MaintenanceWindowExecutionTaskInvocationIdentity, 'Parameters'>): string | undefined {
  if (!inv.Parameters) return undefined;
  try {
    const p = JSON.parse(inv.Parameters) as { instanceIds?: unknown; resourceId?: unknown; payload?: unknown };
    if (Array.isArray(p.instanceIds) && typeof p.instanceIds[0] === 'string') return p.instanceIds[0];
    if (typeof p.resourceId === 'string' && p.resourceId) return p.resourceId;
  } catch {
    // Not JSON: nothing to read a node from.
  }
  return undefined;
}

/** The console page of what an invocation started: Run Command's command or an automation execution. */
export function invocationTarget(inv: Pick<MaintenanceWindowExecutionTaskInvocationIdentity, 'TaskType' | 'ExecutionId'>): string | undefined {
  if (!inv.ExecutionId) return undefined;
  if (inv.TaskType === 'RUN_COMMAND') return `/run-command/commands/${encodeURIComponent(inv.ExecutionId)}`;
  if (inv.TaskType === 'AUTOMATION') return `/automation/executions/${encodeURIComponent(inv.ExecutionId)}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The create form.

export interface WindowForm {
  name: string;
  description: string;
  schedule: string;
  /** '' leaves ScheduleTimezone out: UTC. */
  timeZone: string;
  /** ScheduleOffset in days, '' for none. */
  offset: string;
  /** `2026-11-01T03:00` from a datetime-local input, read by the server in the window's zone. */
  startDate: string;
  endDate: string;
  duration: string;
  cutoff: string;
  allowUnassociatedTargets: boolean;
}

export type WindowField = 'name' | 'description' | 'schedule' | 'timeZone' | 'offset' | 'startDate' | 'endDate' | 'duration' | 'cutoff';

const whole = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : undefined);

/** What the page can tell before asking; the server still judges (a cron's fields, the dates) and its refusal lands by the field. */
export function validateWindowForm(f: WindowForm): Partial<Record<WindowField, string>> {
  const e: Partial<Record<WindowField, string>> = {};
  if (!NAME_PATTERN.test(f.name.trim())) e.name = '3 to 128 letters, digits, _, - or .';
  if (f.description.length > 128) e.description = 'At most 128 characters.';
  const schedule = f.schedule.trim();
  if (!schedule) e.schedule = 'Required: a cron(…), rate(…) or at(…) expression.';
  else if (!/^(cron|rate|at)\(.*\)$/.test(schedule)) e.schedule = 'Write a cron(…), rate(…) or at(…) expression, such as cron(0 3 ? * SUN *).';
  if (f.timeZone.trim() && !isKnownZone(f.timeZone.trim())) e.timeZone = `${f.timeZone.trim()} is not an IANA time zone such as Europe/Paris.`;
  if (f.offset.trim()) {
    const o = whole(f.offset);
    if (o === undefined || o < 1 || o > 6) e.offset = 'A number of days from 1 to 6.';
    else if (!schedule.startsWith('cron(')) e.offset = 'An offset needs a cron(…) schedule.';
  }
  const duration = whole(f.duration);
  if (duration === undefined || duration < 1 || duration > 24) e.duration = 'A whole number of hours from 1 to 24.';
  const cutoff = whole(f.cutoff);
  if (cutoff === undefined || cutoff > 23) e.cutoff = 'A whole number of hours from 0 to 23.';
  else if (duration !== undefined && cutoff >= duration) e.cutoff = 'Less than the duration, or no task could start.';
  if (f.startDate && f.endDate && f.endDate <= f.startDate) e.endDate = 'After the start date.';
  return e;
}

/** CreateMaintenanceWindow's input from a form that validated; empty options are left out. */
export function toCreateWindowInput(f: WindowForm): Record<string, unknown> {
  const offset = whole(f.offset);
  return {
    Name: f.name.trim(),
    ...(f.description.trim() ? { Description: f.description.trim() } : {}),
    Schedule: f.schedule.trim(),
    ...(f.timeZone.trim() ? { ScheduleTimezone: f.timeZone.trim() } : {}),
    ...(offset !== undefined ? { ScheduleOffset: offset } : {}),
    ...(f.startDate ? { StartDate: f.startDate } : {}),
    ...(f.endDate ? { EndDate: f.endDate } : {}),
    Duration: whole(f.duration),
    Cutoff: whole(f.cutoff),
    AllowUnassociatedTargets: f.allowUnassociatedTargets,
  };
}

/**
 * The field a refusal is about. Capstan words its own checks `Field: …` and the protocol's
 * `Value … at 'field' …`; the more specific names are tried first (ScheduleTimezone before
 * Schedule, Cutoff before Duration, whose check names both).
 */
const WINDOW_FIELDS: [RegExp, WindowField][] = [
  [/\bScheduleTimezone\b|'scheduleTimezone'/, 'timeZone'],
  [/\bScheduleOffset\b|'scheduleOffset'/, 'offset'],
  [/\bStartDate\b|'startDate'/, 'startDate'],
  [/\bEndDate\b|'endDate'/, 'endDate'],
  [/\bCutoff\b|'cutoff'/, 'cutoff'],
  [/\bDuration\b|'duration'/, 'duration'],
  [/\bSchedule\b|'schedule'/, 'schedule'],
  [/\bDescription\b|'description'/, 'description'],
  [/\bName\b|'name'/, 'name'],
];

export function windowRefusalField(code: string, message: string): WindowField | undefined {
  if (code !== 'ValidationException') return undefined;
  return WINDOW_FIELDS.find(([re]) => re.test(message))?.[1];
}

/** An at() one-off at the next 03:00 in a zone, as an example that is always in the future. */
export function atExample(now: number, timeZone: string): string {
  const w = wallOf(now, timeZone || 'UTC');
  let at = instantOf({ ...w, hour: 3, minute: 0, second: 0 }, timeZone || 'UTC');
  if (at <= now) {
    const d = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
    at = instantOf({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 3, minute: 0, second: 0 }, timeZone || 'UTC');
  }
  const x = wallOf(at, timeZone || 'UTC');
  const p = (n: number, l = 2) => String(n).padStart(l, '0');
  return `at(${p(x.year, 4)}-${p(x.month)}-${p(x.day)}T${p(x.hour)}:${p(x.minute)}:00)`;
}

// ---------------------------------------------------------------------------------------------
// Registering targets.

export interface TargetForm {
  mode: 'ids' | 'tags';
  ids: string[];
  tags: TagTarget[];
  name: string;
  description: string;
  ownerInformation: string;
}

export type TargetField = 'targets' | 'name' | 'description' | 'ownerInformation';

export function validateTargetForm(f: TargetForm): Partial<Record<TargetField, string>> {
  const e: Partial<Record<TargetField, string>> = {};
  const targets = formTargets(f.mode, f.ids, f.tags);
  if (typeof targets === 'string') e.targets = targets;
  if (f.name.trim() && !NAME_PATTERN.test(f.name.trim())) e.name = 'Optional: 3 to 128 letters, digits, _, - or .';
  if (f.description.length > 128) e.description = 'At most 128 characters.';
  if (f.ownerInformation.length > 128) e.ownerInformation = 'At most 128 characters.';
  return e;
}

/** RegisterTargetWithMaintenanceWindow's input: nodes by id or by tag (Capstan has no resource groups yet). */
export function toRegisterTargetInput(windowId: string, f: TargetForm): Record<string, unknown> {
  const targets = formTargets(f.mode, f.ids, f.tags);
  if (typeof targets === 'string') throw new Error(targets);
  return {
    WindowId: windowId,
    ResourceType: 'INSTANCE',
    Targets: targets,
    ...(f.name.trim() ? { Name: f.name.trim() } : {}),
    ...(f.description.trim() ? { Description: f.description.trim() } : {}),
    ...(f.ownerInformation.trim() ? { OwnerInformation: f.ownerInformation.trim() } : {}),
  };
}

export function targetRefusalField(code: string, message: string): TargetField | undefined {
  if (/\bOwnerInformation\b|'ownerInformation'/.test(message)) return 'ownerInformation';
  if (/\bDescription\b|'description'/.test(message)) return 'description';
  if (/\bTargets?\b|'targets|\bInstanceIds\b/.test(message)) return 'targets';
  if (code === 'ValidationException' && /\bName\b|'name'/.test(message)) return 'name';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Registering a Run Command task.

export interface TaskForm {
  document: string;
  /** `$DEFAULT` leaves DocumentVersion out. */
  version: string;
  values: Record<string, string>;
  /** The window's registered targets, or (when it allows unregistered targets) nodes by id or tag. */
  targetMode: 'window' | 'ids' | 'tags';
  windowTargetIds: string[];
  ids: string[];
  tags: TagTarget[];
  priority: string;
  maxConcurrency: string;
  maxErrors: string;
  cutoffBehavior: 'CONTINUE_TASK' | 'CANCEL_TASK';
  name: string;
  timeoutSeconds: string;
  comment: string;
}

export type TaskField = 'document' | 'parameters' | 'targets' | 'priority' | 'maxConcurrency' | 'maxErrors' | 'name' | 'timeoutSeconds' | 'comment';

/** AWS's patterns for a task's MaxConcurrency and MaxErrors. */
const CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const ERRORS = /^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$/;

function taskTargets(f: TaskForm): Target[] | string {
  if (f.targetMode === 'window') return f.windowTargetIds.length ? [{ Key: 'WindowTargetIds', Values: f.windowTargetIds }] : 'Choose at least one of the window’s targets.';
  return formTargets(f.targetMode, f.ids, f.tags);
}

export function validateTaskForm(f: TaskForm, specs: ParamSpec[]): { fields: Partial<Record<TaskField, string>>; params: Record<string, string> } {
  const fields: Partial<Record<TaskField, string>> = {};
  if (!f.document) fields.document = 'Choose a document.';
  const targets = taskTargets(f);
  if (typeof targets === 'string') fields.targets = targets;
  if (!/^\d+$/.test(f.priority.trim())) fields.priority = 'A whole number, 0 or more; lower runs first.';
  if (!CONCURRENCY.test(f.maxConcurrency.trim())) fields.maxConcurrency = 'A number of nodes (1 or more) or a percentage such as 10%.';
  if (!ERRORS.test(f.maxErrors.trim())) fields.maxErrors = 'A number of errors (0 or more) or a percentage such as 10%.';
  if (f.name.trim() && !NAME_PATTERN.test(f.name.trim())) fields.name = 'Optional: 3 to 128 letters, digits, _, - or .';
  if (f.timeoutSeconds.trim()) {
    const t = whole(f.timeoutSeconds);
    if (t === undefined || t < 30 || t > 2_592_000) fields.timeoutSeconds = 'Seconds, from 30 to 2592000.';
  }
  if (f.comment.length > 100) fields.comment = 'At most 100 characters.';
  return { fields, params: validateAll(specs, f.values) };
}

export const taskFormIsValid = (v: ReturnType<typeof validateTaskForm>) => Object.keys(v.fields).length === 0 && Object.keys(v.params).length === 0;

/** RegisterTaskWithMaintenanceWindow's input for a RUN_COMMAND task; parameters left at their defaults are left out, as Run Command does. */
export function toRegisterTaskInput(windowId: string, f: TaskForm, specs: ParamSpec[]): Record<string, unknown> {
  const targets = taskTargets(f);
  if (typeof targets === 'string') throw new Error(targets);
  const parameters = toCommandParameters(specs, f.values);
  const timeout = whole(f.timeoutSeconds);
  const runCommand = {
    ...(Object.keys(parameters).length ? { Parameters: parameters } : {}),
    ...(f.version && f.version !== '$DEFAULT' ? { DocumentVersion: f.version } : {}),
    ...(timeout !== undefined ? { TimeoutSeconds: timeout } : {}),
    ...(f.comment.trim() ? { Comment: f.comment.trim() } : {}),
  };
  return {
    WindowId: windowId,
    TaskType: 'RUN_COMMAND',
    TaskArn: f.document,
    Targets: targets,
    Priority: Number(f.priority.trim()),
    MaxConcurrency: f.maxConcurrency.trim(),
    MaxErrors: f.maxErrors.trim(),
    CutoffBehavior: f.cutoffBehavior,
    ...(f.name.trim() ? { Name: f.name.trim() } : {}),
    TaskInvocationParameters: { RunCommand: runCommand },
  };
}

const TASK_FIELDS: [RegExp, TaskField][] = [
  [/\bTaskInvocationParameters\.RunCommand\.Parameters\b|\{\{\w+\}\} needs targets/, 'parameters'],
  [/\bTimeoutSeconds\b|'taskInvocationParameters\.runCommand\.timeoutSeconds'/, 'timeoutSeconds'],
  [/\bComment\b|'taskInvocationParameters\.runCommand\.comment'/, 'comment'],
  [/\bMaxConcurrency\b|'maxConcurrency'/, 'maxConcurrency'],
  [/\bMaxErrors\b|'maxErrors'/, 'maxErrors'],
  [/\bPriority\b|'priority'/, 'priority'],
  [/\bTaskArn\b|'taskArn'|\bDocumentVersion\b/, 'document'],
  [/\bTargets?\b|'targets|\bWindow target\b/i, 'targets'],
  [/'name'/, 'name'],
];

/** Where a refusal of RegisterTaskWithMaintenanceWindow belongs: the field, and the parameter when it names one. */
export function taskRefusalPlace(code: string, message: string, specs: ParamSpec[]): { field?: TaskField; param?: string } {
  const field = code === 'DoesNotExistException' && /target/i.test(message) ? 'targets' : TASK_FIELDS.find(([re]) => re.test(message))?.[1];
  if (field === 'parameters') {
    const param = parameterNamed(message.replace(/^.*?Parameters:\s*/, ''), specs);
    return param ? { field, param } : { field };
  }
  return field ? { field } : {};
}

/**
 * `in 40 s`, `in 3 min`, `in 5 h`, `in 2 days`. AWS writes a next start to the minute, so one
 * at 05:00:30 reads 05:00 and may seem to have passed: that is `within a minute`.
 */
export function inHowLong(at: number, now: number): string {
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return s > -60 ? 'within a minute' : 'due';
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 2 * 86400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86400)} days`;
}

/** Fast while something runs or a start is due; slow otherwise; not at all for a disabled window with nothing running. */
export const FAST_POLL_MS = 2000;
export const SLOW_POLL_MS = 30_000;

/**
 * How long the window page waits before asking for its executions again: an execution that
 * runs changes in seconds, and one is due around the next start (from 90 s before it until
 * its execution shows up, or 2 minutes after it, whichever is first).
 */
export function executionsPollDelay(w: Pick<MaintenanceWindow, 'NextExecutionTime' | 'Enabled'>, rows: { Status?: string | undefined; StartTime?: Timestamp | undefined }[], now: number): number | undefined {
  if (rows.some((r) => isRunning(r.Status))) return FAST_POLL_MS;
  const next = nextStartInstant(w);
  if (next !== undefined && now >= next - 90_000 && now <= next + 120_000) {
    const seen = rows.some((r) => (toDate(r.StartTime)?.getTime() ?? 0) >= next - 5_000);
    if (!seen) return FAST_POLL_MS;
  }
  return w.Enabled ? SLOW_POLL_MS : undefined;
}
