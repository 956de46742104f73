import { interpolate, prepareParameters, redactSecrets, type ParameterDeclaration, type ResolvedValue, type SuppliedParameters } from '../documents/resolve/index.js';
import type { CallContext } from '../protocol/context.js';
import type { ExecutionRow, StepRow } from './tables.js';

export interface StepValues {
  values: Record<string, ResolvedValue>;
  secret: Set<string>;
}

/**
 * Everything a step's `{{ }}` may name: the execution's parameters (`{{ssm-secure:…}}` resolved
 * now, with the actor's permissions), earlier steps' outputs as `Step.Output`, a loop's
 * `Loop.CurrentIteration` / `Loop.CurrentIteratorValue`, runbook variables as `variable:Name`,
 * and the built-in `automation:` and `global:` values.
 */
export async function stepValues(call: CallContext, execution: ExecutionRow, rows: readonly StepRow[]): Promise<StepValues> {
  const declarations = JSON.parse(execution.declarations) as ParameterDeclaration[];
  const supplied = JSON.parse(execution.parameters) as SuppliedParameters;
  const { values, secret } = await prepareParameters(call, declarations, supplied);
  const now = new Date(call.now);
  const iso = now.toISOString();
  Object.assign(values, {
    'automation:EXECUTION_ID': execution.execution_id,
    'automation:DOCUMENT_NAME': execution.document_name,
    'global:ACCOUNT_ID': execution.account_id,
    'global:REGION': execution.region,
    'global:AWS_PARTITION': 'aws',
    'global:DATE': iso.slice(0, 10),
    'global:DATE_TIME': `${iso.slice(0, 10)}_${iso.slice(11, 19).replace(/:/g, '.')}`,
  });
  for (const [name, value] of Object.entries(JSON.parse(execution.variables) as Record<string, ResolvedValue>)) values[`variable:${name}`] = value;
  for (const row of rows) {
    for (const [name, value] of Object.entries(JSON.parse(row.outputs) as Record<string, ResolvedValue>)) values[`${row.step_name}.${name}`] = value;
    if (row.action === 'aws:loop') {
      const state = JSON.parse(row.state) as { iteration?: number; iteratorValue?: ResolvedValue };
      if (state.iteration !== undefined) values[`${row.step_name}.CurrentIteration`] = state.iteration;
      if (state.iteratorValue !== undefined) values[`${row.step_name}.CurrentIteratorValue`] = state.iteratorValue;
    }
  }
  return { values, secret };
}

export function resolveInputs(inputs: unknown, v: StepValues): Record<string, unknown> {
  return (interpolate(inputs ?? {}, v.values) ?? {}) as Record<string, unknown>;
}

/** StepExecution.Inputs as AWS shows them: each input as a string, secrets masked. */
export function shownInputs(inputs: unknown, v: StepValues): Record<string, string> {
  const masked = interpolate(inputs ?? {}, redactSecrets(v.values, v.secret)) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(masked ?? {})) out[k] = typeof value === 'string' ? value : JSON.stringify(value);
  return out;
}
