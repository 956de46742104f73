import { StepFailure } from '../errors.js';
import { runScript } from '../script/index.js';
import type { Action } from './types.js';

/**
 * aws:executeScript: the script runs in a sandboxed process of its own (see script/); InputPayload
 * is its `events`, its return value the step's Payload output, which output Selectors read as
 * `$.Payload…`. A script is not run twice after a crash.
 */
export const executeScript: Action = {
  repeatable: () => false,
  async run(ctx) {
    const i = ctx.inputs;
    if (i.Attachment !== undefined) throw new StepFailure('Scripts from runbook attachments are not supported yet; put the script inline in Script.');
    const events = typeof i.InputPayload === 'string' ? safeJson(i.InputPayload) : (i.InputPayload ?? {});
    const result = await runScript(
      {
        runtime: String(i.Runtime),
        handler: String(i.Handler ?? ''),
        script: String(i.Script ?? ''),
        events,
        context: { 'automation:EXECUTION_ID': ctx.execution.execution_id, 'global:ACCOUNT_ID': ctx.execution.account_id, 'global:REGION': ctx.execution.region, StepName: ctx.def.name },
        timeoutMs: Math.max(1_000, ctx.deadline - ctx.now),
      },
      ctx.signal,
    );
    const logs = result.logs.slice(-10_000);
    const logOutput = logs ? { Logs: logs } : {};
    if (!result.ok) {
      if (result.kind === 'timeout') return { status: 'TimedOut', message: `The script did not finish in time. ${result.error}`.trim(), outputs: logOutput };
      return { status: 'Failed', message: result.error, outputs: logOutput };
    }
    const payload = result.payload;
    return { status: 'Success', outputs: { Payload: payload === undefined ? null : payload, ...logOutput }, response: { Payload: payload }, responseText: logs };
  },
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
