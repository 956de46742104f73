import type { CallContext } from '../protocol/context.js';
import { actionOf } from '../protocol/registry.js';
import { parseInput } from '../protocol/validation.js';
import { SSM } from '../protocol/services.js';

/**
 * Calls another SSM operation for the caller, as the caller: with their permissions on the
 * resources that operation names (undefined when they may not), its input checked by its own
 * schema and its answer in AWS's shape. OpsCenter's context and runbooks read and act this way
 * rather than through other capabilities' tables.
 */
export async function callAs<O = Record<string, unknown>>(c: CallContext, name: string, input: Record<string, unknown>, opts: { orThrow?: boolean } = {}): Promise<O | undefined> {
  const op = c.core.registry.byJsonTarget(`${SSM.targetPrefix}.${name}`);
  if (!op) return undefined;
  const parsed = parseInput(op.input, input, new Set(op.sensitive ?? [])) as unknown;
  const resources = op.resources ? await op.resources(parsed, c) : ['*'];
  if (opts.orThrow) await c.authorize(actionOf(op), resources);
  else for (const r of resources) if (!(await c.isAllowed(actionOf(op), r))) return undefined;
  return (await op.handler(parsed, c)) as O;
}
