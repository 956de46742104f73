import type { Core } from '../protocol/context.js';
import { nodeService, resolveTargets, type Target } from '../nodes/index.js';
import { invalidTarget } from './errors.js';
import { automationStore as store, isTerminal, type AutomationDb } from './store.js';
import type { ExecutionRow, StepRow } from './tables.js';
import { randomUUID } from 'node:crypto';

/** AWS lists at most this many resolved targets in ResolvedTargets. */
const RESOLVED_SHOWN = 100;
/** A rate-controlled execution fans out to at most this many children. */
export const MAX_TARGETS = 1000;

export const isRateControlled = (ex: ExecutionRow) => ex.target_parameter_name !== '' || ex.target_maps !== '[]';

/**
 * The children a rate-controlled execution will run, one parameter set each: from TargetMaps as
 * given, or from Targets resolved now (`ParameterValues`, node ids, node tags), each value put in
 * TargetParameterName.
 */
export async function planTargets(core: Core, accountId: string, region: string, i: { TargetParameterName?: string; Targets?: Target[]; TargetMaps?: Record<string, string[]>[] }): Promise<Record<string, string[]>[]> {
  if (i.TargetMaps?.length) return i.TargetMaps;
  const target = i.Targets?.[0];
  if (!target || !i.TargetParameterName) return [];
  let values: string[];
  if (target.Key === 'ParameterValues') values = target.Values;
  // A group's managed nodes, by their ids: the resources Capstan's automations act on.
  else if (target.Key === 'ResourceGroup') values = (await resolveTargets(nodeService(core), accountId, region, [{ Key: 'resource-groups:Name', Values: target.Values }])).map((n) => n.instance_id);
  else if (target.Key === 'InstanceIds' || target.Key.startsWith('tag:') || target.Key === 'tag-key') values = (await resolveTargets(nodeService(core), accountId, region, [target])).map((n) => n.instance_id);
  else throw invalidTarget(`Target key ${target.Key} is not one rate control understands (ParameterValues, InstanceIds, tag:KEY, tag-key, ResourceGroup).`);
  if (values.length === 0) throw invalidTarget(`Targets ${target.Key}=${target.Values.join(',')} match no resources.`);
  if (values.length > MAX_TARGETS) throw invalidTarget(`Targets match ${values.length} resources; one execution handles at most ${MAX_TARGETS}.`);
  return values.map((v) => ({ [i.TargetParameterName!]: [v] }));
}

export function resolvedTargets(plan: Record<string, string[]>[], parameterName: string): { ParameterValues: string[]; Truncated: boolean } {
  const values = parameterName ? plan.map((p) => (p[parameterName] ?? []).join(',')) : plan.map((p) => JSON.stringify(p));
  return { ParameterValues: values.slice(0, RESOLVED_SHOWN), Truncated: values.length > RESOLVED_SHOWN };
}

/** `10` or `10%` of `total`, at least 1 for concurrency. */
export function limitOf(spec: string, total: number, minimum: number): number {
  if (spec.endsWith('%')) return Math.max(minimum, Math.floor((Number(spec.slice(0, -1)) / 100) * total));
  return Math.max(minimum, Number(spec));
}

interface RateDeps {
  spawn(db: AutomationDb, parent: ExecutionRow, parentSeq: number, child: { executionId: string; parameters: Record<string, string[]>; target: string }): Promise<void>;
  stop(db: AutomationDb, executionId: string): Promise<void>;
  finish(db: AutomationDb, ex: ExecutionRow, forced?: 'Failed'): Promise<Unit>;
  setStatus(db: AutomationDb, ex: ExecutionRow, status: string): Promise<void>;
}

type Unit = { kind: 'again' } | { kind: 'wait'; wakeAt?: number } | { kind: 'done' };

/**
 * One pass over a rate-controlled parent: record children that ended, start new ones up to
 * MaxConcurrency unless MaxErrors is exceeded, end when nothing is left. Each child is a step
 * row of the parent (aws:executeAutomation) whose state names the child; children wake the
 * parent when they end.
 */
export async function advanceRateControl(core: Core, db: AutomationDb, ex: ExecutionRow, deps: RateDeps): Promise<Unit> {
  const plan = JSON.parse(ex.resolved_targets) as { plan?: Record<string, string[]>[] };
  const all = plan.plan ?? [];
  const rows = await store.steps(db, ex.execution_id);
  const now = core.clock.now();
  let running = 0;
  let errors = 0;
  for (const row of rows) {
    const state = JSON.parse(row.state) as { childId?: string };
    if (row.status === 'InProgress' || row.status === 'Pending') {
      const child = state.childId ? await store.get(db, state.childId) : undefined;
      if (child && isTerminal(child.status)) {
        const ok = child.status === 'Success';
        await store.updateStep(db, ex.execution_id, row.seq, {
          status: child.status,
          ended_at: now,
          outputs: JSON.stringify({ ExecutionId: child.execution_id, Status: child.status }),
          ...(ok ? {} : { failure_message: child.failure_message || `Execution ${child.execution_id} ended ${child.status}` }),
        });
        if (!ok) errors += 1;
      } else running += 1;
    } else if (row.status !== 'Success') errors += 1;
  }
  const total = all.length;
  const maxErrors = limitOf(ex.max_errors || '0', total, 0);
  const tooMany = errors > maxErrors;
  if (ex.status === 'Pending') await deps.setStatus(db, ex, 'InProgress');
  if (ex.stop_requested.startsWith('Cancel') || tooMany) {
    if (running > 0) {
      for (const row of rows) {
        const childId = (JSON.parse(row.state) as { childId?: string }).childId;
        if (childId && (row.status === 'InProgress' || row.status === 'Pending') && ex.stop_requested.startsWith('Cancel')) await deps.stop(db, childId);
      }
      return { kind: 'wait', wakeAt: now + 60_000 };
    }
    if (tooMany && !ex.stop_requested) {
      ex.failure_message = `${errors} of ${total} targets failed, more than MaxErrors (${ex.max_errors}) allows; no further targets were started.`;
      await store.updateExecution(db, ex.execution_id, { failure_message: ex.failure_message });
      return deps.finish(db, ex, 'Failed');
    }
    return deps.finish(db, ex);
  }
  const started = rows.length;
  const concurrency = limitOf(ex.max_concurrency || '10', total, 1);
  let launched = 0;
  while (started + launched < total && running + launched < concurrency) {
    const params = { ...(JSON.parse(ex.parameters) as Record<string, string[]>), ...all[started + launched]! };
    const childId = randomUUID();
    const value = ex.target_parameter_name ? (params[ex.target_parameter_name] ?? []).join(',') : JSON.stringify(all[started + launched]);
    const row: StepRow = await store.addStep(db, ex, { name: `Invoke_${started + launched + 1}`, action: 'aws:executeAutomation', inputs: { DocumentName: ex.document_name, RuntimeParameters: params } }, { status: 'InProgress' });
    await store.updateStep(db, ex.execution_id, row.seq, { state: JSON.stringify({ childId }), started_at: now, attempt: 1, inputs: JSON.stringify({ DocumentName: ex.document_name, RuntimeParameters: JSON.stringify(params), Target: value }) });
    await deps.spawn(db, ex, row.seq, { executionId: childId, parameters: params, target: value });
    launched += 1;
  }
  if (started + launched >= total && running + launched === 0) return deps.finish(db, ex);
  // Children wake the parent when they end; the later wake-up only guards against a lost one.
  return { kind: 'wait', wakeAt: now + 60_000 };
}
