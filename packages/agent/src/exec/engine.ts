import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepResult } from '@capstan/wire';
import { afterStep, decideOperation, runsDespiteStop } from './flow.js';
import type { OutputSink } from './output.js';
import { handlerFor } from './plugins/index.js';
import type { ParsedDocument, ParsedStep, PluginResult, RunEnvironment } from './types.js';

export interface StepsRun {
  doc: ParsedDocument;
  /** The document's orchestration dir: each step runs in `<docDir>/<step.dir>`. */
  docDir: string;
  run: RunEnvironment;
  /** False for nested documents: only the command's own document may reboot the node. */
  canReboot: boolean;
  openSink(step: ParsedStep, index: number, stepDir: string): Promise<OutputSink>;
  closeSink(sink: OutputSink): Promise<void>;
  /** For a resumed document: a result to keep as is, or a verdict that still goes through control flow. */
  prior?(index: number, stepDir: string): Promise<{ keep: StepResult } | { crashed: StepResult } | undefined>;
  /** Whether an earlier run of this document already asked to skip the remaining steps. */
  stopped?: boolean;
  onStart?(index: number, result: StepResult): void;
  onEnd?(index: number, result: StepResult, stopped: boolean): void;
}

export interface StepsOutcome {
  results: StepResult[];
  /** Set when a step asked for a reboot: the steps after it have not run. */
  rebootAt?: number;
}

/** Runs a document's steps in order under AWS's skip, fail and stop rules. */
export async function runSteps(o: StepsRun): Promise<StepsOutcome> {
  const { steps, preconditionsEnabled } = o.doc;
  const results: StepResult[] = [];
  let stopped = o.stopped ?? false;
  for (const [i, step] of steps.entries()) {
    const stepDir = join(o.docDir, step.dir);
    const prior = await o.prior?.(i, stepDir);
    if (prior && 'keep' in prior) {
      results.push(prior.keep);
      continue;
    }
    let result: StepResult;
    if (prior) result = prior.crashed;
    else if (o.run.signal.aborted) result = notRun(step, 'Cancelled', 'The command was cancelled before this step started');
    else if (stopped && !runsDespiteStop(step, i === steps.length - 1)) result = notRun(step, 'Skipped', 'Step skipped: an earlier step ended the document');
    else {
      const handler = handlerFor(step.action);
      const op = decideOperation(step, preconditionsEnabled, o.run.platformType, handler !== undefined);
      if (op.kind === 'skip') result = notRun(step, 'Skipped', op.details);
      else if (op.kind === 'fail' || !handler) result = { ...notRun(step, 'Failed', op.kind === 'fail' ? op.details : ''), code: 1, startedAt: Date.now(), endedAt: Date.now() };
      else result = await runStep(o, i, step, stepDir, handler);
    }
    if (result.status === 'SuccessAndReboot' && !o.canReboot) result = { ...result, status: 'Failed', details: 'A document run by aws:runDocument cannot reboot the node' };
    const after = afterStep(step, result);
    stopped ||= after.stop;
    results.push(after.result);
    o.onEnd?.(i, after.result, stopped);
    if (after.result.status === 'SuccessAndReboot') return { results, rebootAt: i };
  }
  return { results };
}

async function runStep(o: StepsRun, index: number, step: ParsedStep, stepDir: string, handler: NonNullable<ReturnType<typeof handlerFor>>): Promise<StepResult> {
  const startedAt = Date.now();
  o.onStart?.(index, { ...notRun(step, 'InProgress', undefined), startedAt });
  await mkdir(stepDir, { recursive: true });
  const sink = await o.openSink(step, index, stepDir);
  let r: PluginResult;
  try {
    r = await handler({ step, stepDir, sink, run: o.run });
  } catch (e) {
    r = { status: 'Failed', code: 1, details: `${step.action} failed: ${(e as Error).message}` };
  }
  await o.closeSink(sink);
  return {
    name: step.name,
    action: step.action,
    status: r.status,
    code: r.code,
    ...(r.details ? { details: r.details } : {}),
    startedAt,
    endedAt: Date.now(),
    stdout: sink.preview('stdout'),
    stderr: sink.preview('stderr'),
    stdoutBytes: sink.bytes('stdout'),
    stderrBytes: sink.bytes('stderr'),
  };
}

function notRun(step: ParsedStep, status: StepResult['status'], details: string | undefined): StepResult {
  return { name: step.name, action: step.action, status, code: -1, ...(details ? { details } : {}), stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0 };
}
