import { throttleKindOf } from '../../protocol/registry.js';
import { callAs, findOperation } from '../../protocol/actor.js';
import { StepFailure } from '../errors.js';
import { select } from '../selectors.js';
import type { Action, Json, StepContext } from './types.js';

/** The call's input: every step input except the action's own. */
function apiInput(inputs: Json, own: readonly string[]): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(inputs)) if (!own.includes(k)) out[k] = v;
  return out;
}

async function call(ctx: StepContext, own: readonly string[]): Promise<Json> {
  const { Service: service, Api: api } = ctx.inputs;
  try {
    return await callAs(ctx.core, ctx.actor, ctx.execution.region, String(service), String(api), apiInput(ctx.inputs, own));
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new StepFailure(e.code ? `${String(service)}:${String(api)} failed with ${e.code}: ${e.message}` : String(e.message ?? err));
  }
}

/**
 * aws:executeAwsApi: any operation of Capstan's services, called as the automation's actor
 * through the normal pipeline (IAM, audit). The response is what output Selectors read. A call
 * that changes something is not repeated after a crash; a read is.
 */
export const executeAwsApi: Action = {
  repeatable(ctx) {
    const op = findOperation(ctx.core, String(ctx.inputs.Service), String(ctx.inputs.Api));
    return op ? throttleKindOf(op) === 'read' : false;
  },
  async run(ctx) {
    const response = await call(ctx, ['Service', 'Api']);
    return { status: 'Success', response, responseText: JSON.stringify(response).slice(0, 10_000) };
  },
};

const PROPERTY_INPUTS = ['Service', 'Api', 'PropertySelector', 'DesiredValues'];

function matches(response: Json, ctx: StepContext): { ok: boolean; actual: unknown[] } {
  const actual = select(response, String(ctx.inputs.PropertySelector));
  const desired = (Array.isArray(ctx.inputs.DesiredValues) ? ctx.inputs.DesiredValues : [ctx.inputs.DesiredValues]).map(String);
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return { ok: actual.length > 0 && actual.every((v) => desired.includes(text(v))), actual };
}

/** aws:waitForAwsResourceProperty: calls the read until the selected property has one of DesiredValues, up to the step's timeout. */
export const waitForAwsResourceProperty: Action = {
  repeatable: () => true,
  async run(ctx) {
    const response = await call(ctx, PROPERTY_INPUTS);
    if (matches(response, ctx).ok) return { status: 'Success', response };
    return { status: 'InProgress', wakeAt: ctx.now + 5_000 };
  },
};

/** aws:assertAwsResourceProperty: one call; the step fails unless the property has one of DesiredValues. */
export const assertAwsResourceProperty: Action = {
  repeatable: () => true,
  async run(ctx) {
    const response = await call(ctx, PROPERTY_INPUTS);
    const { ok, actual } = matches(response, ctx);
    if (ok) return { status: 'Success', response };
    return { status: 'Failed', message: `${String(ctx.inputs.PropertySelector)} is ${JSON.stringify(actual)}, not one of ${JSON.stringify(ctx.inputs.DesiredValues)}.`, failureType: 'Verification' };
  },
};
