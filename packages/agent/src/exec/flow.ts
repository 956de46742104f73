import type { DocumentStatus, StepResult } from '@capstan/wire';
import { evaluatePrecondition } from './precondition.js';
import type { ParsedStep, PlatformType } from './types.js';

/** Every plugin name AWS's agent knows, whether or not this agent (or this platform) runs it. */
export const KNOWN_PLUGINS = new Set([
  'aws:runShellScript',
  'aws:runPowerShellScript',
  'aws:runDocument',
  'aws:downloadContent',
  'aws:configurePackage',
  'aws:softwareInventory',
  'aws:runPatchBaseline',
  'aws:updateSsmAgent',
  'aws:refreshAssociation',
  'aws:configureDocker',
  'aws:runDockerAction',
  'aws:domainJoin',
  'aws:cloudWatch',
  'aws:applications',
  'aws:psModule',
  'aws:updateAgent',
  'aws:configureDaemon',
]);

export const EXIT_SUCCESS_AND_STOP = 168;
export const EXIT_FAILURE_AND_STOP = 169;

export type Operation = { kind: 'run' } | { kind: 'skip'; details: string } | { kind: 'fail'; details: string };

/** Whether to run, skip or fail a step before it starts (AWS's rules differ by schema version). */
export function decideOperation(step: ParsedStep, preconditionsEnabled: boolean, platformType: PlatformType, hasHandler: boolean): Operation {
  const known = KNOWN_PLUGINS.has(step.action);
  const unknown = `Plugin with name ${step.action} is not supported by this version of the agent; step name: ${step.name}`;
  const skipped = `Step execution skipped due to unsupported plugin: ${step.action} (step ${step.name})`;
  if (!preconditionsEnabled) {
    if (!known) return { kind: 'fail', details: unknown };
    if (step.precondition !== undefined) return { kind: 'fail', details: 'Precondition is not supported for document schema version prior to 2.2' };
    if (!hasHandler) return { kind: 'fail', details: `Plugin ${step.action} is not supported on this platform; step name: ${step.name}` };
    return { kind: 'run' };
  }
  if (step.precondition !== undefined) {
    const verdict = evaluatePrecondition(step.precondition, platformType);
    if (verdict.kind === 'unrecognized') return { kind: 'fail', details: verdict.details };
    if (!hasHandler) return { kind: 'skip', details: skipped };
    if (verdict.kind === 'unsatisfied') return { kind: 'skip', details: verdict.details };
    return { kind: 'run' };
  }
  if (!known) return { kind: 'fail', details: unknown };
  if (!hasHandler) return { kind: 'skip', details: skipped };
  return { kind: 'run' };
}

const input = (step: ParsedStep, key: string): string => {
  const v = step.inputs[key];
  return typeof v === 'string' || typeof v === 'boolean' ? String(v).toLowerCase() : '';
};

/** finallyStep runs even after a stop, but only when it is the document's last step (as AWS). */
export function runsDespiteStop(step: ParsedStep, isLast: boolean): boolean {
  return isLast && input(step, 'finallyStep') === 'true';
}

/**
 * Applies the exit-code conventions and the shared inputs onFailure/onSuccess to a finished
 * step. Returns the result as reported and whether the remaining steps are skipped.
 */
export function afterStep(step: ParsedStep, result: StepResult): { result: StepResult; stop: boolean } {
  const r = { ...result };
  let stop = false;
  if (r.code === EXIT_SUCCESS_AND_STOP && r.status === 'Failed') {
    r.status = 'Success';
    r.stderr = '';
    r.details = 'The step exited with 168: further document steps will be skipped';
    stop = true;
  } else if (r.code === EXIT_FAILURE_AND_STOP && r.status === 'Failed') {
    r.details = 'The step exited with 169: further document steps will be skipped';
    stop = true;
  } else if (r.status === 'Failed' && input(step, 'onFailure') === 'successandexit') {
    r.status = 'Success';
    r.code = EXIT_SUCCESS_AND_STOP;
    r.details = `${r.details ? `${r.details}; ` : ''}onFailure successAndExit: reported as Success, further document steps will be skipped`;
    stop = true;
  } else if (r.status === 'Failed' && input(step, 'onFailure') === 'exit') {
    r.details = `${r.details ? `${r.details}; ` : ''}onFailure exit: further document steps will be skipped`;
    stop = true;
  } else if (r.status === 'Success' && input(step, 'onSuccess') === 'exit') {
    r.details = 'onSuccess exit: further document steps will be skipped';
    stop = true;
  }
  if (r.status === 'Failed' && r.code === 0) r.code = 1;
  return { result: r, stop };
}

/** AWS's document status: reboot beats failure beats timeout beats cancel; all Success/Skipped is Success. */
export function aggregateStatus(steps: readonly StepResult[]): DocumentStatus {
  const has = (s: StepResult['status']) => steps.some((r) => r.status === s);
  if (has('SuccessAndReboot')) return 'SuccessAndReboot';
  if (has('Failed')) return 'Failed';
  if (has('TimedOut')) return 'TimedOut';
  if (has('Cancelled')) return 'Cancelled';
  if (steps.every((r) => r.status === 'Success' || r.status === 'Skipped')) return 'Success';
  return 'InProgress';
}
