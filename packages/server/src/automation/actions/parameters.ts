import { StepFailure } from '../errors.js';
import { callAs } from '../../protocol/actor.js';
import type { StepContext } from './types.js';

/** A parameter's value read as the automation's actor (decrypted if it is a SecureString). */
export async function parameterValue(ctx: StepContext, name: string): Promise<string> {
  try {
    const out = await callAs(ctx.core, ctx.actor, ctx.execution.region, 'ssm', 'GetParameter', { Name: name, WithDecryption: true });
    return String((out.Parameter as { Value?: unknown } | undefined)?.Value ?? '');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new StepFailure(e.code === 'ParameterNotFound' ? `Parameter ${name} does not exist.` : `Reading parameter ${name} failed: ${e.code ?? ''} ${e.message ?? ''}`.trim());
  }
}
