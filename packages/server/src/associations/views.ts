import type { AssociationRow, ExecutionRow, ExecutionTargetRow, VersionRow } from './tables.js';

const date = (ms: number | null) => (ms === null ? undefined : new Date(ms));
const json = <T>(text: string): T => JSON.parse(text) as T;
const nonEmpty = <T>(v: T[]) => (v.length ? v : undefined);

/** The definition fields AssociationDescription and AssociationVersionInfo share. */
function definition(r: Pick<AssociationRow, 'name' | 'document_version' | 'parameters' | 'targets' | 'target_maps' | 'schedule_expression' | 'output_location' | 'association_name' | 'max_errors' | 'max_concurrency' | 'compliance_severity' | 'sync_compliance' | 'apply_only_at_cron_interval' | 'calendar_names' | 'schedule_offset' | 'duration' | 'instance_id' | 'automation_target_parameter_name'>) {
  const output = json<Record<string, unknown>>(r.output_location);
  return {
    Name: r.name,
    DocumentVersion: r.document_version || '$DEFAULT',
    Parameters: json<Record<string, string[]>>(r.parameters),
    ...(r.instance_id ? {} : { Targets: json<unknown[]>(r.targets) }),
    ...(nonEmpty(json<unknown[]>(r.target_maps)) ? { TargetMaps: json<unknown[]>(r.target_maps) } : {}),
    ...(r.schedule_expression ? { ScheduleExpression: r.schedule_expression } : {}),
    ...(Object.keys(output).length ? { OutputLocation: output } : {}),
    ...(r.association_name ? { AssociationName: r.association_name } : {}),
    ...(r.max_errors ? { MaxErrors: r.max_errors } : {}),
    ...(r.max_concurrency ? { MaxConcurrency: r.max_concurrency } : {}),
    ComplianceSeverity: r.compliance_severity,
    SyncCompliance: r.sync_compliance,
    ApplyOnlyAtCronInterval: r.apply_only_at_cron_interval === 1,
    CalendarNames: json<string[]>(r.calendar_names),
    ...(r.schedule_offset !== null ? { ScheduleOffset: r.schedule_offset } : {}),
    ...(r.duration !== null ? { Duration: r.duration } : {}),
    ...(r.automation_target_parameter_name ? { AutomationTargetParameterName: r.automation_target_parameter_name } : {}),
  };
}

function overview(r: AssociationRow) {
  return { Status: r.status, DetailedStatus: r.detailed_status, AssociationStatusAggregatedCount: json<Record<string, number>>(r.status_counts) };
}

export function descriptionView(r: AssociationRow) {
  return {
    ...definition(r),
    AssociationId: r.association_id,
    AssociationVersion: String(r.association_version),
    ...(r.instance_id ? { InstanceId: r.instance_id } : {}),
    Date: date(r.created_at),
    LastUpdateAssociationDate: date(r.updated_at),
    Status: { Date: date(r.last_execution_at ?? r.updated_at), Name: r.status, Message: r.detailed_status },
    Overview: overview(r),
    ...(r.last_execution_at !== null ? { LastExecutionDate: date(r.last_execution_at) } : {}),
    ...(r.last_success_at !== null ? { LastSuccessfulExecutionDate: date(r.last_success_at) } : {}),
    ...(r.dispatch_role ? { AssociationDispatchAssumeRole: r.dispatch_role } : {}),
  };
}

/** ListAssociations' Association. */
export function associationView(r: AssociationRow) {
  const d = definition(r);
  return {
    Name: r.name,
    AssociationId: r.association_id,
    AssociationVersion: String(r.association_version),
    DocumentVersion: d.DocumentVersion,
    ...(r.instance_id ? { InstanceId: r.instance_id } : { Targets: d.Targets }),
    ...(r.last_execution_at !== null ? { LastExecutionDate: date(r.last_execution_at) } : {}),
    Overview: overview(r),
    ...(d.ScheduleExpression ? { ScheduleExpression: d.ScheduleExpression } : {}),
    ...(d.AssociationName ? { AssociationName: d.AssociationName } : {}),
    ...(d.ScheduleOffset !== undefined ? { ScheduleOffset: d.ScheduleOffset } : {}),
    ...(d.Duration !== undefined ? { Duration: d.Duration } : {}),
    ...(d.TargetMaps ? { TargetMaps: d.TargetMaps } : {}),
  };
}

export function versionView(associationId: string, v: VersionRow) {
  const snapshot = json<AssociationRow>(v.snapshot);
  return { AssociationId: associationId, AssociationVersion: String(v.version), CreatedDate: date(v.created_at), ...definition(snapshot) };
}

/** `{Success=2, Failed=1}`, as AWS writes ResourceCountByStatus. */
const countText = (counts: Record<string, number>) => `{${Object.entries(counts).map(([k, n]) => `${k}=${n}`).join(', ')}}`;

export function executionView(e: ExecutionRow) {
  return {
    AssociationId: e.association_id,
    AssociationVersion: String(e.association_version),
    ExecutionId: e.execution_id,
    Status: e.status,
    DetailedStatus: e.detailed_status,
    CreatedTime: date(e.created_at),
    ...(e.ended_at !== null ? { LastExecutionDate: date(e.ended_at) } : {}),
    ResourceCountByStatus: countText(json<Record<string, number>>(e.resource_counts)),
  };
}

export function targetView(e: ExecutionRow, t: ExecutionTargetRow) {
  return {
    AssociationId: t.association_id,
    AssociationVersion: String(e.association_version),
    ExecutionId: t.execution_id,
    ResourceId: t.resource_id,
    ResourceType: t.resource_type,
    Status: t.status,
    DetailedStatus: t.detailed_status,
    LastExecutionDate: date(t.updated_at),
    OutputSource: { OutputSourceId: e.command_id || e.automation_id, OutputSourceType: e.command_id ? 'RunCommand' : 'Automation' },
  };
}
