import { GetCommandInvocationCommand, type GetCommandInvocationCommandOutput, type SSMClient } from '@aws-sdk/client-ssm';
import { until } from './until.js';

/** A command invocation's final statuses. */
export const INVOCATION_ENDED: readonly string[] = ['Success', 'Failed', 'TimedOut', 'Cancelled'];

/** Waits (up to a minute) for a command's invocation on one node to reach a final status, and returns it. */
export function invocationEnded(ssm: SSMClient, commandId: string, instanceId: string, detail?: () => string): Promise<GetCommandInvocationCommandOutput> {
  return until(
    `command ${commandId} to end on ${instanceId}`,
    async () => {
      const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })).catch(() => undefined);
      return inv && INVOCATION_ENDED.includes(inv.Status!) ? inv : undefined;
    },
    { ms: 60_000, every: 200, ...(detail ? { detail } : {}) },
  );
}
