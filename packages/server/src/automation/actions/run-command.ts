import { randomUUID } from 'node:crypto';
import { commandService } from '../../commands/index.js';
import { documentArnFor } from '../../documents/index.js';
import { isAwsError } from '../../protocol/errors.js';
import { callAs } from '../../protocol/actor.js';
import type { Action, Json, StepContext } from './types.js';

const FINISHED = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
/** How often a waiting step looks at its command: soon at first, then every few seconds. */
const pollDelay = (ctx: StepContext) => (ctx.now - (ctx.step.started_at ?? ctx.now) < 30_000 ? 1_000 : 5_000);

/** Document parameters as SendCommand takes them: every value a list of strings. */
export function asParameterMap(value: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!value || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value as Json)) {
    if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    else if (v !== undefined && v !== null) out[k] = [typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)];
  }
  return out;
}

const strings = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * aws:runCommand: sends the command as the automation's actor and waits for it. The command's id
 * is chosen and saved before it is sent, so after a crash the step finds the command it sent
 * instead of sending a second one.
 */
export const runCommand: Action = {
  repeatable: () => true,
  prepare: () => ({ commandId: randomUUID() }),
  async run(ctx) {
    const commandId = String(ctx.state.commandId);
    const { core, execution } = ctx;
    let command = await findCommand(ctx, commandId);
    if (!command) {
      const i = ctx.inputs;
      const call = await ctx.call();
      await call.authorize('ssm:SendCommand', [await documentArnFor(call, String(i.DocumentName))]);
      await commandService(core).send(
        call,
        {
          DocumentName: String(i.DocumentName),
          ...(i.DocumentVersion !== undefined ? { DocumentVersion: String(i.DocumentVersion) } : {}),
          ...(i.DocumentHash !== undefined ? { DocumentHash: String(i.DocumentHash), DocumentHashType: String(i.DocumentHashType ?? 'Sha256') } : {}),
          ...(i.InstanceIds !== undefined ? { InstanceIds: strings(i.InstanceIds)! } : {}),
          ...(i.Targets !== undefined ? { Targets: i.Targets as never } : {}),
          Parameters: asParameterMap(i.Parameters),
          Comment: String(i.Comment ?? `Automation ${execution.execution_id} step ${ctx.def.name}`).slice(0, 100),
          ...(i.TimeoutSeconds !== undefined ? { TimeoutSeconds: Number(i.TimeoutSeconds) } : {}),
          ...(i.MaxConcurrency !== undefined ? { MaxConcurrency: String(i.MaxConcurrency) } : {}),
          ...(i.MaxErrors !== undefined ? { MaxErrors: String(i.MaxErrors) } : {}),
          ...(i.OutputS3BucketName !== undefined ? { OutputS3BucketName: String(i.OutputS3BucketName), OutputS3KeyPrefix: String(i.OutputS3KeyPrefix ?? '') } : {}),
        },
        { commandId },
      );
      command = await findCommand(ctx, commandId);
    }
    const status = String(command?.Status ?? 'Pending');
    if (!FINISHED.has(status)) return { status: 'InProgress', wakeAt: ctx.now + pollDelay(ctx) };
    const invocations = ((await callAs(core, ctx.actor, execution.region, 'ssm', 'ListCommandInvocations', { CommandId: commandId, Details: true })).CommandInvocations ?? []) as Json[];
    const output = invocations
      .map((inv) => {
        const plugins = (inv.CommandPlugins ?? []) as Json[];
        const text = plugins.map((p) => String(p.Output ?? '')).join('');
        return invocations.length > 1 ? `${String(inv.InstanceId)}:\n${text}` : text;
      })
      .join('\n');
    const code = invocations.length ? String((invocations[0]!.CommandPlugins as Json[] | undefined)?.[0]?.ResponseCode ?? '') : '';
    const outputs = { CommandId: commandId, Status: status, ResponseCode: code, Output: output };
    if (status === 'Success') return { status: 'Success', outputs, response: { ...outputs, Command: command }, responseCode: code };
    const failedOn = invocations.filter((inv) => inv.Status !== 'Success').map((inv) => `${String(inv.InstanceId)} (${String(inv.StatusDetails ?? inv.Status)})`);
    return { status: 'Failed', message: `Command ${commandId} ended ${status}${failedOn.length ? ` on ${failedOn.join(', ')}` : ''}.`, outputs, responseCode: code };
  },
  async cancel(ctx) {
    await callAs(ctx.core, ctx.actor, ctx.execution.region, 'ssm', 'CancelCommand', { CommandId: String(ctx.state.commandId) }).catch(() => undefined);
  },
};

async function findCommand(ctx: StepContext, commandId: string): Promise<Json | undefined> {
  try {
    const out = await callAs(ctx.core, ctx.actor, ctx.execution.region, 'ssm', 'ListCommands', { CommandId: commandId });
    return ((out.Commands ?? []) as Json[])[0];
  } catch (err) {
    if (isAwsError(err) && err.code === 'InvalidCommandId') return undefined;
    throw err;
  }
}
