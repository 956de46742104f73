import { invalidSignal } from '../errors.js';
import type { Action, Json, StepContext } from './types.js';
import { postJson } from './webhook.js';

interface Decision {
  approver: string;
  decision: 'Approved' | 'Rejected';
  comment: string;
  time: number;
}

const approversOf = (inputs: Json): string[] => (Array.isArray(inputs.Approvers) ? inputs.Approvers.map(String) : typeof inputs.Approvers === 'string' ? [inputs.Approvers] : []);

/** Whether an approver entry (a user or role name, or an ARN) names this caller. */
function names(entry: string, who: { arn: string; names: string[] }): boolean {
  return entry === who.arn || who.names.includes(entry);
}

/**
 * aws:approve: waits until MinRequiredApprovals of the Approvers approve; one rejection ends it.
 * Each approver counts once. With a NotificationArn that is an http(s) URL, the approvers are
 * told by a webhook when the step starts waiting.
 */
export const approve: Action = {
  repeatable: () => true,
  async run(ctx) {
    const decisions = (ctx.state.decisions ?? []) as Decision[];
    const min = Number(ctx.inputs.MinRequiredApprovals ?? 1);
    const rejected = decisions.find((d) => d.decision === 'Rejected');
    const outputs = {
      ApprovalStatus: rejected ? 'Rejected' : decisions.filter((d) => d.decision === 'Approved').length >= min ? 'Approved' : 'Pending',
      ApproverDecisions: decisions.map((d) => ({ Approver: d.approver, Decision: d.decision, Comment: d.comment, ApprovalTime: new Date(d.time).toISOString() })),
    };
    if (rejected) return { status: 'Failed', message: `Rejected by ${rejected.approver}${rejected.comment ? `: ${rejected.comment}` : ''}`, failureType: 'Verification', outputs };
    if (outputs.ApprovalStatus === 'Approved') return { status: 'Success', outputs };
    if (!ctx.state.notified) await notify(ctx);
    return { status: 'Waiting' };
  },
  signal(ctx, signal) {
    if (signal.type !== 'Approve' && signal.type !== 'Reject') throw invalidSignal(`Step ${ctx.def.name} waits for an approval: send Approve or Reject, not ${signal.type}.`);
    const approvers = approversOf(ctx.inputs);
    const entry = approvers.find((a) => names(a, signal.who));
    if (!entry) throw invalidSignal(`${signal.who.arn} is not among the approvers of step ${ctx.def.name} (${approvers.join(', ')}).`);
    const decisions = (ctx.state.decisions ?? []) as Decision[];
    if (decisions.some((d) => d.approver === signal.who.arn)) throw invalidSignal(`${signal.who.arn} has already decided on step ${ctx.def.name}.`);
    decisions.push({ approver: signal.who.arn, decision: signal.type === 'Approve' ? 'Approved' : 'Rejected', comment: (signal.payload.Comment ?? []).join('\n').slice(0, 4096), time: signal.now });
    ctx.state.decisions = decisions;
  },
};

async function notify(ctx: StepContext): Promise<void> {
  ctx.state.notified = true;
  const target = ctx.inputs.NotificationArn;
  if (typeof target !== 'string' || !/^https?:\/\//.test(target)) return;
  // Best effort: an unreachable webhook must not block the approval itself.
  await postJson(target, {
    type: 'AutomationApprovalRequested',
    automationExecutionId: ctx.execution.execution_id,
    stepName: ctx.def.name,
    approvers: approversOf(ctx.inputs),
    minRequiredApprovals: Number(ctx.inputs.MinRequiredApprovals ?? 1),
    message: ctx.inputs.Message ?? '',
  }, {}, 10_000).catch(() => undefined);
}
