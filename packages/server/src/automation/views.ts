import type { Json } from './actions/types.js';
import { changeRequestStatus } from './change-requests.js';
import { toWireValues } from './selectors.js';
import type { ExecutionRow, StepRow } from './tables.js';

const date = (ms: number | null) => (ms === null ? undefined : new Date(ms));
const parse = <T>(text: string, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);

function wireMap(values: Json): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(values)) out[k] = toWireValues(v);
  return out;
}

function rateFields(r: ExecutionRow) {
  const resolved = parse<{ shown?: { ParameterValues: string[]; Truncated: boolean } }>(r.resolved_targets, {});
  const targets = parse<unknown[]>(r.targets, []);
  const maps = parse<unknown[]>(r.target_maps, []);
  return {
    ...(r.target_parameter_name ? { TargetParameterName: r.target_parameter_name } : {}),
    ...(targets.length ? { Targets: targets } : {}),
    ...(maps.length ? { TargetMaps: maps } : {}),
    ...(resolved.shown ? { ResolvedTargets: resolved.shown } : {}),
    ...(r.max_concurrency ? { MaxConcurrency: r.max_concurrency } : {}),
    ...(r.max_errors ? { MaxErrors: r.max_errors } : {}),
    ...(r.target ? { Target: r.target } : {}),
  };
}

function common(r: ExecutionRow) {
  return {
    AutomationExecutionId: r.execution_id,
    DocumentName: r.document_name,
    DocumentVersion: r.document_version,
    AutomationExecutionStatus: r.automation_subtype === 'ChangeRequest' ? changeRequestStatus(r) : r.status,
    ExecutionStartTime: date(r.started_at),
    ...(r.ended_at !== null ? { ExecutionEndTime: date(r.ended_at) } : {}),
    ExecutedBy: r.executed_by,
    Mode: r.mode,
    Outputs: parse<Record<string, string[]>>(r.outputs, {}),
    ...(r.failure_message ? { FailureMessage: r.failure_message } : {}),
    ...(r.parent_id ? { ParentAutomationExecutionId: r.parent_id } : {}),
    ...(r.current_step ? { CurrentStepName: r.current_step, CurrentAction: r.current_action } : {}),
    ...rateFields(r),
    ...(r.automation_subtype ? { AutomationSubtype: r.automation_subtype, ChangeRequestName: r.change_request_name, Runbooks: parse<unknown[]>(r.runbooks, []) } : {}),
    ...(r.scheduled_time !== null ? { ScheduledTime: date(r.scheduled_time) } : {}),
  };
}

export function stepView(s: StepRow) {
  const def = parse<Json>(s.definition, {});
  const failure = parse<Json | null>(s.failure_details, null);
  return {
    StepName: s.step_name,
    Action: s.action,
    StepExecutionId: s.step_execution_id,
    StepStatus: s.status,
    ...(def.timeoutSeconds !== undefined ? { TimeoutSeconds: Number(def.timeoutSeconds) } : {}),
    OnFailure: String(def.onFailure ?? 'Abort'),
    MaxAttempts: Number(def.maxAttempts ?? 1),
    ...(s.started_at !== null ? { ExecutionStartTime: date(s.started_at) } : {}),
    ...(s.ended_at !== null ? { ExecutionEndTime: date(s.ended_at) } : {}),
    Inputs: parse<Record<string, string>>(s.inputs, {}),
    Outputs: wireMap({ ...startedIds(parse<Json>(s.state, {})), ...parse<Json>(s.outputs, {}) }),
    ...(s.response ? { Response: s.response } : {}),
    ...(s.response_code ? { ResponseCode: s.response_code } : {}),
    ...(s.failure_message ? { FailureMessage: s.failure_message } : {}),
    ...(failure ? { FailureDetails: failure } : {}),
    OverriddenParameters: parse<Record<string, string[]>>(s.overridden_parameters, {}),
    IsEnd: def.isEnd === true,
    ...(typeof def.nextStep === 'string' ? { NextStep: def.nextStep } : {}),
    IsCritical: def.isCritical !== false,
    ValidNextSteps: validNext(def),
    ...(s.parent_seq !== null ? { ParentStepDetails: { StepExecutionId: '', StepName: '', Action: 'aws:loop', Iteration: s.iteration ?? 0, ...(s.iterator_value !== null ? { IteratorValue: s.iterator_value } : {}) } } : {}),
  };
}

/** The command or child a step started, shown from the moment it is chosen (and after a cancel), not only at the end. */
function startedIds(state: Json): Json {
  return { ...(typeof state.commandId === 'string' ? { CommandId: state.commandId } : {}), ...(typeof state.childId === 'string' ? { ExecutionId: state.childId } : {}) };
}

function validNext(def: Json): string[] {
  if (def.action === 'aws:branch') {
    const inputs = (def.inputs ?? {}) as Json;
    const names = ((inputs.Choices ?? []) as Json[]).map((c) => String(c.NextStep ?? ''));
    if (typeof inputs.Default === 'string') names.push(inputs.Default);
    return [...new Set(names.filter(Boolean))];
  }
  return typeof def.nextStep === 'string' ? [def.nextStep] : [];
}

/** GetAutomationExecution's AutomationExecution. */
export function executionView(r: ExecutionRow, steps: StepRow[], stepsTruncated: boolean, children: ExecutionRow[]) {
  const byId = new Map(steps.map((s) => [s.seq, s]));
  const stepViews = steps.map((s) => {
    const view = stepView(s);
    if (s.parent_seq !== null && view.ParentStepDetails) {
      const parent = byId.get(s.parent_seq);
      if (parent) Object.assign(view.ParentStepDetails, { StepExecutionId: parent.step_execution_id, StepName: parent.step_name });
    }
    return view;
  });
  const counters = children.length ? progress(children.map((c) => c.status)) : progress(steps.filter((s) => s.parent_seq === null).map((s) => s.status));
  return {
    ...common(r),
    Parameters: parse<Record<string, string[]>>(r.parameters, {}),
    StepExecutions: stepViews,
    StepExecutionsTruncated: stepsTruncated,
    ProgressCounters: counters,
    Variables: wireMap(parse<Json>(r.variables, {})),
  };
}

function progress(statuses: string[]) {
  const n = (s: string) => statuses.filter((x) => x === s).length;
  return { TotalSteps: statuses.length, SuccessSteps: n('Success'), FailedSteps: n('Failed'), CancelledSteps: n('Cancelled'), TimedOutSteps: n('TimedOut') };
}

/** DescribeAutomationExecutions' AutomationExecutionMetadata. */
export function metadataView(r: ExecutionRow) {
  return {
    ...common(r),
    AutomationType: r.automation_type,
  };
}
