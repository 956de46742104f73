/** A step as the runbook declares it (already validated by the documents module at creation). */
export interface StepDef {
  name: string;
  action: string;
  inputs?: Record<string, unknown>;
  outputs?: { Name: string; Selector: string; Type: string }[];
  description?: string;
  onFailure?: string;
  onCancel?: string;
  isEnd?: boolean;
  nextStep?: string;
  isCritical?: boolean;
  maxAttempts?: number | string;
  timeoutSeconds?: number | string;
}

export interface Runbook {
  mainSteps: StepDef[];
  outputs?: string[];
  assumeRole?: string;
  variables?: Record<string, { type?: string; default?: unknown }>;
}

/** Where a step lives: the runbook's mainSteps, or the Steps of an aws:loop. */
export type StepList = readonly StepDef[];

export const DEFAULT_STEP_TIMEOUT_S = 172_800; // AWS: 48 hours unless the action has its own.

export function findStep(list: StepList, name: string): StepDef | undefined {
  return list.find((s) => s.name === name);
}

/** The step after `step` on success, or undefined at the end of its list. */
export function following(list: StepList, step: StepDef): StepDef | undefined {
  if (step.isEnd) return undefined;
  if (step.nextStep) return findStep(list, step.nextStep);
  const i = list.findIndex((s) => s.name === step.name);
  return list[i + 1];
}

/** What ValidNextSteps lists for a step: where it may go on success. */
export function validNextSteps(list: StepList, step: StepDef): string[] {
  if (step.action === 'aws:branch') {
    const inputs = step.inputs ?? {};
    const choices = Array.isArray(inputs.Choices) ? (inputs.Choices as { NextStep?: unknown }[]) : [];
    const names = choices.map((c) => String(c.NextStep ?? ''));
    if (typeof inputs.Default === 'string') names.push(inputs.Default);
    return [...new Set(names.filter(Boolean))];
  }
  const next = following(list, step);
  return next ? [next.name] : [];
}

export const onFailureOf = (step: StepDef): string => step.onFailure ?? 'Abort';
export const onCancelOf = (step: StepDef): string => step.onCancel ?? 'Abort';
export const isCritical = (step: StepDef): boolean => step.isCritical ?? true;
