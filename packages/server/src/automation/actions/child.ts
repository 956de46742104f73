import { randomUUID } from 'node:crypto';
import { isTerminal } from '../store.js';
import { asParameterMap } from './run-command.js';
import type { Action, Json } from './types.js';

/**
 * aws:executeAutomation: runs another runbook as a child execution and waits for it. The child's
 * id is saved before it starts, so after a crash the step finds its child rather than starting
 * another. Its outputs are the child's: ExecutionId, Status, Output (the child's Outputs).
 */
export const executeAutomation: Action = {
  repeatable: () => true,
  prepare: () => ({ childId: randomUUID() }),
  async run(ctx) {
    const childId = String(ctx.state.childId);
    let child = await ctx.child(childId);
    if (!child) {
      const i = ctx.inputs;
      await ctx.startChild({
        executionId: childId,
        documentName: String(i.DocumentName),
        ...(i.DocumentVersion !== undefined ? { documentVersion: String(i.DocumentVersion) } : {}),
        parameters: asParameterMap(i.RuntimeParameters),
        ...(i.TargetParameterName !== undefined ? { targetParameterName: String(i.TargetParameterName) } : {}),
        ...(Array.isArray(i.Targets) ? { targets: i.Targets } : {}),
        ...(Array.isArray(i.TargetMaps) ? { targetMaps: i.TargetMaps as Record<string, string[]>[] } : {}),
        ...(i.MaxConcurrency !== undefined ? { maxConcurrency: String(i.MaxConcurrency) } : {}),
        ...(i.MaxErrors !== undefined ? { maxErrors: String(i.MaxErrors) } : {}),
      });
      child = await ctx.child(childId);
    }
    // The child wakes this execution when it ends; the later wake-up only guards against a lost one.
    if (!child || !isTerminal(child.status)) return { status: 'InProgress', wakeAt: ctx.now + 30_000 };
    const outputs: Json = { ExecutionId: childId, Status: child.status, Output: JSON.stringify(child.outputs) };
    if (child.status === 'Success') return { status: 'Success', outputs, response: { ...outputs, Outputs: child.outputs } };
    return { status: 'Failed', message: `Child automation ${childId} ended ${child.status}${child.failureMessage ? `: ${child.failureMessage}` : ''}`, outputs };
  },
  async cancel(ctx) {
    await ctx.stopChild(String(ctx.state.childId));
  },
};
