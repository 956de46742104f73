import type { Json } from './actions/types.js';
import type { Runbook, StepDef } from './runbook.js';
import type { ExecutionRow } from './tables.js';

export const APPROVAL_STEP = 'ChangeRequestApproval';

export interface RunbookRef {
  DocumentName: string;
  DocumentVersion?: string;
  Parameters?: Record<string, string[]>;
  TargetParameterName?: string;
  Targets?: unknown[];
  TargetMaps?: Record<string, string[]>[];
  MaxConcurrency?: string;
  MaxErrors?: string;
}

/**
 * A change request as an execution: the change template's approval (its first aws:approve step,
 * unless AutoApprove), a wait until ScheduledTime, then the runbook as a child execution.
 */
export function changeRequestRunbook(template: unknown, runbook: RunbookRef, o: { autoApprove: boolean; scheduledTime?: number }): Runbook {
  const t = (template ?? {}) as { mainSteps?: StepDef[]; parameters?: unknown; assumeRole?: string };
  const steps: StepDef[] = [];
  const approval = (t.mainSteps ?? []).find((s) => s.action === 'aws:approve');
  if (!o.autoApprove && approval) steps.push({ ...approval, name: APPROVAL_STEP, onFailure: 'Abort', isEnd: false, nextStep: undefined } as StepDef);
  if (o.scheduledTime !== undefined) steps.push({ name: 'ScheduledStart', action: 'aws:sleep', inputs: { Timestamp: new Date(o.scheduledTime).toISOString() } });
  const inputs: Json = { DocumentName: runbook.DocumentName, RuntimeParameters: runbook.Parameters ?? {} };
  for (const key of ['DocumentVersion', 'TargetParameterName', 'Targets', 'TargetMaps', 'MaxConcurrency', 'MaxErrors'] as const) if (runbook[key] !== undefined) inputs[key] = runbook[key];
  steps.push({ name: 'RunRunbook', action: 'aws:executeAutomation', inputs, isEnd: true });
  return { mainSteps: steps.map((s) => JSON.parse(JSON.stringify(s)) as StepDef), outputs: ['RunRunbook.ExecutionId'], ...(t.assumeRole ? { assumeRole: t.assumeRole } : {}) };
}

/** Change Manager's statuses, read from where the change request's execution is. */
export function changeRequestStatus(r: ExecutionRow): string {
  switch (r.status) {
    case 'Success':
      return 'CompletedWithSuccess';
    case 'Failed':
    case 'TimedOut':
      return r.failure_message.startsWith(`Step ${APPROVAL_STEP} failed: Rejected`) ? 'Rejected' : 'CompletedWithFailure';
    case 'InProgress':
    case 'Waiting':
      if (r.current_step === APPROVAL_STEP) return 'PendingApproval';
      if (r.current_step === 'ScheduledStart') return 'Scheduled';
      return 'RunbookInProgress';
    default:
      return r.status;
  }
}
