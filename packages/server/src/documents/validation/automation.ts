import { ACTION_NAMES, ACTIONS, checkActionInputs, NOT_CANCEL_TARGETS, scopeHint, type ActionContext } from './automation-actions.js';
import { parseParameters } from './parameters.js';
import { describeValue, fail, isObject, isPositiveInteger, isWholeReference, join, list, onlyKeys, show, stepLabel, type Obj } from './shared.js';

// Step names appear in `{{ Step.Output }}` references, so unlike Command steps they take no dots or dashes.
const STEP_NAME = /^[A-Za-z0-9_]+$/;
const TOP_FIELDS = ['schemaVersion', 'description', 'assumeRole', 'parameters', 'mainSteps', 'outputs', 'files', 'variables'];
const STEP_FIELDS = ['name', 'action', 'inputs', 'description', 'maxAttempts', 'timeoutSeconds', 'onFailure', 'onCancel', 'isEnd', 'nextStep', 'isCritical', 'outputs'];
const OUTPUT_TYPES = ['String', 'Integer', 'Boolean', 'StringList', 'StringMap', 'MapList'];
const SHA256 = /^[0-9a-fA-F]{64}$/;

export interface RunbookResult {
  stepNames: string[];
  variables: Set<string>;
}

/** Automation runbooks (schema 0.3): steps, the jumps between them, their outputs and attachments. */
export function validateAutomation(doc: Obj): RunbookResult {
  onlyKeys(doc, TOP_FIELDS, '');
  if (doc.assumeRole !== undefined && typeof doc.assumeRole !== 'string') fail('', `assumeRole must be a string (a role ARN or a {{ reference }}), not ${describeValue(doc.assumeRole)}`);
  const files = parseFiles(doc.files);
  const variables = new Set(parseParameters(doc.variables, 'variables').map((v) => v.name));
  const steps = doc.mainSteps;
  if (steps === undefined) fail('', 'mainSteps is required');
  if (!Array.isArray(steps)) fail('', `mainSteps must be a list of steps, not ${describeValue(steps)}`);
  if (steps.length === 0) fail('', 'mainSteps must contain at least one step');

  // Names first: a step may jump forward, and a reference may name any step in the runbook.
  const all = new Map<string, string>();
  collectNames(steps, 'mainSteps', all);
  const checkList = (list: unknown[], listField: string) => {
    const scope = new Map(list.map((s) => [(s as Obj).name as string, (s as Obj).action as string]));
    list.forEach((step, i) => checkStep(step as Obj, stepLabel(listField, i, (step as Obj).name), { scope, files, checkLoopSteps: (s, f) => checkList(s as unknown[], f) }));
  };
  checkList(steps, 'mainSteps');
  checkRunbookOutputs(doc.outputs, all);
  return { stepNames: [...all.keys()], variables };
}

/** Checks every step's name and action, loop steps included, and returns them all by name. */
function collectNames(steps: unknown, listField: string, all: Map<string, string>): void {
  if (!Array.isArray(steps)) fail('', `${listField} must be a list of steps, not ${describeValue(steps)}`);
  if (steps.length === 0) fail('', `${listField} must contain at least one step`);
  steps.forEach((step, i) => {
    const where = stepLabel(listField, i, isObject(step) ? step.name : undefined);
    if (!isObject(step)) fail(where, `a step must be an object, not ${describeValue(step)}`);
    const { name, action } = step;
    if (name === undefined) fail(where, 'name is required');
    if (typeof name !== 'string' || !STEP_NAME.test(name)) fail(where, `name ${show(name)} is not valid: use letters, digits and underscores ([A-Za-z0-9_]+)`);
    if (all.has(name)) fail(where, `name ${show(name)} is already used by another step; step names must be unique in a runbook`);
    if (action === undefined) fail(where, 'action is required');
    if (typeof action !== 'string' || !ACTIONS[action]) fail(where, `action ${show(action)} is not an Automation action (known actions: ${list(ACTION_NAMES)})`);
    all.set(name, action);
    if (action === 'aws:loop' && isObject(step.inputs) && step.inputs.Steps !== undefined) collectNames(step.inputs.Steps, `${where}.inputs.Steps`, all);
  });
}

function checkStep(step: Obj, where: string, ctx: ActionContext): void {
  onlyKeys(step, STEP_FIELDS, where);
  const action = step.action as string;
  if (step.description !== undefined && typeof step.description !== 'string') fail(where, `description must be a string, not ${describeValue(step.description)}`);
  for (const key of ['maxAttempts', 'timeoutSeconds'] as const) {
    const v = step[key];
    if (v !== undefined && !isPositiveInteger(v) && !isWholeReference(v)) fail(where, `${key} must be a whole number of at least 1, not ${describeValue(v)}`);
  }
  for (const key of ['isEnd', 'isCritical'] as const) {
    if (step[key] !== undefined && typeof step[key] !== 'boolean') fail(where, `${key} must be true or false, not ${describeValue(step[key])}`);
  }
  if (step.onFailure !== undefined) checkJump(step.onFailure, where, 'onFailure', ['Abort', 'Continue'], ctx);
  if (step.onCancel !== undefined) {
    const target = checkJump(step.onCancel, where, 'onCancel', ['Abort'], ctx);
    const targetAction = target && ctx.scope.get(target);
    if (targetAction && NOT_CANCEL_TARGETS.includes(targetAction)) fail(where, `onCancel cannot move to step ${show(target)}: a cancelled automation does not run ${targetAction} steps`);
  }
  if (step.nextStep !== undefined) {
    if (action === 'aws:branch') fail(where, 'nextStep is not allowed on an aws:branch step: its Choices and Default choose the next step');
    if (step.isEnd === true) fail(where, 'nextStep and isEnd: true contradict each other');
    if (typeof step.nextStep !== 'string') fail(where, `nextStep must name a step, not ${describeValue(step.nextStep)}`);
    if (!ctx.scope.has(step.nextStep)) fail(where, `nextStep names step ${show(step.nextStep)}, which does not exist${scopeHint(ctx)}`);
  }
  if (step.outputs !== undefined) checkStepOutputs(step.outputs, where);
  const inputs = step.inputs ?? {};
  if (!isObject(inputs)) fail(where, `inputs must be an object, not ${describeValue(inputs)}`);
  checkActionInputs(action, inputs, where, ctx);
}

/** `Abort`, `Continue` (onFailure only) or `step:<name>` of a step in the same list. Returns the named step. */
function checkJump(value: unknown, where: string, field: string, words: readonly string[], ctx: ActionContext): string | undefined {
  const expected = `${list(words)} or step:<step name>`;
  if (typeof value !== 'string') fail(where, `${field} must be ${expected}, not ${describeValue(value)}`);
  if (words.includes(value)) return undefined;
  if (!value.startsWith('step:')) fail(where, `${field} must be ${expected}, not ${show(value)}`);
  const target = value.slice('step:'.length);
  if (!ctx.scope.has(target)) fail(where, `${field} names step ${show(target)}, which does not exist${scopeHint(ctx)}`);
  return target;
}

function checkStepOutputs(outputs: unknown, where: string): void {
  if (!Array.isArray(outputs)) fail(where, `outputs must be a list of {Name, Selector, Type}, not ${describeValue(outputs)}`);
  const names = new Set<string>();
  outputs.forEach((o, i) => {
    const field = `outputs[${i}]`;
    if (!isObject(o)) fail(where, `${field} must be an object with Name, Selector and Type, not ${describeValue(o)}`);
    onlyKeys(o, ['Name', 'Selector', 'Type'], where, field);
    for (const key of ['Name', 'Selector', 'Type']) if (o[key] === undefined) fail(where, `${field}.${key} is required`);
    if (typeof o.Name !== 'string' || !STEP_NAME.test(o.Name)) fail(where, `${field}.Name ${show(o.Name)} is not valid: use letters, digits and underscores`);
    if (names.has(o.Name)) fail(where, `${field}.Name ${show(o.Name)} is declared twice`);
    names.add(o.Name);
    if (typeof o.Selector !== 'string' || !o.Selector.startsWith('$')) fail(where, `${field}.Selector must be a JSONPath starting with $, not ${show(o.Selector)}`);
    if (typeof o.Type !== 'string' || !OUTPUT_TYPES.includes(o.Type)) fail(where, `${field}.Type must be one of ${list(OUTPUT_TYPES)}, not ${show(o.Type)}`);
  });
}

function checkRunbookOutputs(outputs: unknown, steps: ReadonlyMap<string, string>): void {
  if (outputs === undefined) return;
  if (!Array.isArray(outputs)) fail('', `outputs must be a list of StepName.OutputName strings, not ${describeValue(outputs)}`);
  outputs.forEach((o, i) => {
    const where = join('outputs', i);
    if (typeof o !== 'string' || !/^[A-Za-z0-9_]+\.[A-Za-z0-9_.]+$/.test(o)) fail(where, `${show(o)} must have the form StepName.OutputName`);
    const step = o.slice(0, o.indexOf('.'));
    if (!steps.has(step)) fail(where, `${show(o)} names step ${show(step)}, which does not exist`);
  });
}

/** Attachments the runbook carries, each with the SHA-256 the service checks it against. */
function parseFiles(raw: unknown): Set<string> {
  if (raw === undefined) return new Set();
  if (!isObject(raw)) fail('', `files must be an object keyed by file name, not ${describeValue(raw)}`);
  for (const [name, entry] of Object.entries(raw)) {
    const where = join('files', name);
    if (!isObject(entry)) fail(where, `a file entry must be an object with checksums.sha256, not ${describeValue(entry)}`);
    onlyKeys(entry, ['checksums'], where);
    if (!isObject(entry.checksums) || typeof entry.checksums.sha256 !== 'string') fail(where, 'checksums.sha256 is required');
    onlyKeys(entry.checksums, ['sha256'], where, 'checksums');
    if (!SHA256.test(entry.checksums.sha256)) fail(where, `checksums.sha256 must be 64 hexadecimal digits, not ${show(entry.checksums.sha256)}`);
  }
  return new Set(Object.keys(raw));
}
