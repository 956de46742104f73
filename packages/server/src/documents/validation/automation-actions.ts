import { checkKind, containsReference, describeValue, fail, isObject, isWholeReference, join, list, onlyKeys, show, type Kind, type Obj } from './shared.js';

export interface ActionContext {
  /** Steps a jump from this step may land on (its own list: mainSteps, or the loop's Steps), with their actions. */
  scope: ReadonlyMap<string, string>;
  /** Attachment names declared under the runbook's `files`. */
  files: ReadonlySet<string>;
  /** Validates the steps of an `aws:loop`, which follow the same rules in a scope of their own. */
  checkLoopSteps(steps: unknown, listField: string): void;
}

interface ActionSpec {
  required?: readonly string[];
  /** Exactly one of each group must be given. */
  exactlyOne?: readonly (readonly string[])[];
  types?: Record<string, Kind>;
  check?(inputs: Obj, where: string, ctx: ActionContext): void;
}

const awsApi: ActionSpec = { required: ['Service', 'Api'], types: { Service: 'string', Api: 'string' } };
const property: ActionSpec = {
  required: ['Service', 'Api', 'PropertySelector', 'DesiredValues'],
  types: { Service: 'string', Api: 'string', PropertySelector: 'string', DesiredValues: 'list' },
};

/** Automation actions with their required inputs, from the Automation actions reference. */
export const ACTIONS: Record<string, ActionSpec> = {
  'aws:approve': { required: ['Approvers'], types: { Approvers: 'stringList', MinRequiredApprovals: 'integer', NotificationArn: 'string', Message: 'string' }, check: checkApprove },
  'aws:assertAwsResourceProperty': property,
  'aws:branch': { required: ['Choices'], check: checkBranch },
  'aws:changeInstanceState': { required: ['InstanceIds', 'DesiredState'], types: { InstanceIds: 'stringList', DesiredState: 'string' }, check: checkDesiredState },
  'aws:copyImage': { required: ['SourceRegion', 'SourceImageId', 'ImageName'] },
  'aws:createImage': { required: ['InstanceId', 'ImageName'] },
  'aws:createStack': { required: ['StackName'], exactlyOne: [['TemplateBody', 'TemplateURL']] },
  'aws:createTags': { required: ['ResourceIds', 'Tags'], types: { ResourceIds: 'stringList', Tags: 'mapList' } },
  'aws:deleteImage': { required: ['ImageId'] },
  'aws:deleteStack': { required: ['StackName'] },
  'aws:executeAutomation': { required: ['DocumentName'], types: { DocumentName: 'string', RuntimeParameters: 'map' } },
  'aws:executeAwsApi': awsApi,
  'aws:executeScript': { required: ['Runtime'], exactlyOne: [['Script', 'Attachment']], types: { Runtime: 'string', Handler: 'string', Script: 'string', Attachment: 'string' }, check: checkScript },
  'aws:executeStateMachine': { required: ['stateMachineArn'] },
  'aws:invokeLambdaFunction': { required: ['FunctionName'] },
  'aws:invokeWebhook': { required: ['IntegrationName'] },
  'aws:loop': { required: ['Steps'], exactlyOne: [['Iterators', 'LoopCondition']], types: { MaxIterations: 'integer' }, check: checkLoop },
  'aws:pause': {},
  'aws:runCommand': { required: ['DocumentName'], exactlyOne: [['InstanceIds', 'Targets']], types: { DocumentName: 'string', InstanceIds: 'stringList', Targets: 'mapList', Parameters: 'map' } },
  'aws:runInstances': { required: ['ImageId'] },
  'aws:sleep': { exactlyOne: [['Duration', 'Timestamp']], types: { Duration: 'string', Timestamp: 'string' }, check: checkSleep },
  'aws:updateVariable': { required: ['Name', 'Value'], types: { Name: 'string' } },
  'aws:waitForAwsResourceProperty': property,
};

export const ACTION_NAMES = Object.keys(ACTIONS);

/** Actions AWS will not move to when an automation is cancelled. */
export const NOT_CANCEL_TARGETS = ['aws:approve', 'aws:copyImage', 'aws:createImage', 'aws:createStack', 'aws:createTags', 'aws:pause', 'aws:runInstances', 'aws:sleep'];

export function checkActionInputs(action: string, inputs: Obj, where: string, ctx: ActionContext): void {
  const spec = ACTIONS[action]!;
  for (const name of spec.required ?? []) if (inputs[name] === undefined) fail(where, `action ${action} requires inputs.${name}`);
  for (const group of spec.exactlyOne ?? []) {
    const given = group.filter((name) => inputs[name] !== undefined);
    if (given.length !== 1) {
      fail(where, `action ${action} requires exactly one of ${group.map((n) => `inputs.${n}`).join(' or ')}` + (given.length ? ` (both are given)` : ''));
    }
  }
  for (const [name, kind] of Object.entries(spec.types ?? {})) if (inputs[name] !== undefined) checkKind(inputs[name], kind, where, `inputs.${name}`);
  spec.check?.(inputs, where, ctx);
}

function checkApprove(inputs: Obj, where: string): void {
  const approvers = inputs.Approvers;
  if (Array.isArray(approvers) && (approvers.length === 0 || approvers.length > 10)) fail(where, `inputs.Approvers must name 1 to 10 principals, not ${approvers.length}`);
  const min = inputs.MinRequiredApprovals;
  if (typeof min === 'number') {
    if (min < 1) fail(where, `inputs.MinRequiredApprovals must be at least 1, not ${min}`);
    if (Array.isArray(approvers) && min > approvers.length) fail(where, `inputs.MinRequiredApprovals (${min}) is more than the ${approvers.length} approvers listed`);
  }
}

function checkDesiredState(inputs: Obj, where: string): void {
  checkKind(inputs.DesiredState, 'string', where, 'inputs.DesiredState', ['running', 'stopped', 'terminated']);
}

// AWS's python3.x and PowerShell runtimes, and Capstan's own JavaScript runtime nodejsN.x (run on
// the server's node whatever N says); the same names as automation/script's runner.
const RUNTIME = /^(python3\.\d+|nodejs\d+\.x|PowerShell (Core 6\.0|7\.\d+))$/;

function checkScript(inputs: Obj, where: string, ctx: ActionContext): void {
  const runtime = inputs.Runtime as string;
  if (!containsReference(runtime) && !RUNTIME.test(runtime)) fail(where, `inputs.Runtime ${show(runtime)} is not a supported runtime (python3.x, nodejsN.x, PowerShell Core 6.0 or PowerShell 7.x)`);
  const needsHandler = runtime.startsWith('python') || runtime.startsWith('nodejs');
  if (needsHandler && inputs.Handler === undefined) fail(where, `action aws:executeScript requires inputs.Handler for the ${runtime} runtime`);
  if (runtime.startsWith('PowerShell') && inputs.Handler !== undefined) fail(where, `inputs.Handler is not supported for the ${runtime} runtime`);
  const attachment = inputs.Attachment;
  if (typeof attachment === 'string' && !containsReference(attachment) && !ctx.files.has(attachment)) {
    fail(where, `inputs.Attachment ${show(attachment)} is not declared under the runbook's files`);
  }
  if (inputs.InputPayload !== undefined && !isObject(inputs.InputPayload) && typeof inputs.InputPayload !== 'string') {
    fail(where, `inputs.InputPayload must be an object, not ${describeValue(inputs.InputPayload)}`);
  }
}

const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

function checkSleep(inputs: Obj, where: string): void {
  const { Duration: duration, Timestamp: timestamp } = inputs;
  if (typeof duration === 'string' && !containsReference(duration) && !DURATION.test(duration)) {
    fail(where, `inputs.Duration ${show(duration)} is not an ISO 8601 duration such as PT10M`);
  }
  if (typeof timestamp === 'string' && !containsReference(timestamp) && (!TIMESTAMP.test(timestamp) || Number.isNaN(Date.parse(timestamp)))) {
    fail(where, `inputs.Timestamp ${show(timestamp)} is not an ISO 8601 timestamp such as 2024-01-31T12:00:00Z`);
  }
}

function checkLoop(inputs: Obj, where: string, ctx: ActionContext): void {
  const max = inputs.MaxIterations;
  if (typeof max === 'number' && (max < 1 || max > 100)) fail(where, `inputs.MaxIterations must be from 1 to 100, not ${max}`);
  if (inputs.Iterators !== undefined && !Array.isArray(inputs.Iterators) && !isWholeReference(inputs.Iterators)) {
    fail(where, `inputs.Iterators must be a list or a reference to one, not ${describeValue(inputs.Iterators)}`);
  }
  ctx.checkLoopSteps(inputs.Steps, `${where}.inputs.Steps`);
}

const OPERATORS: Record<string, 'string' | 'number' | 'boolean'> = {
  StringEquals: 'string',
  EqualsIgnoreCase: 'string',
  StartsWith: 'string',
  EndsWith: 'string',
  Contains: 'string',
  NumericEquals: 'number',
  NumericGreater: 'number',
  NumericLesser: 'number',
  NumericGreaterOrEquals: 'number',
  NumericLesserOrEquals: 'number',
  BooleanEquals: 'boolean',
};

function jumpTarget(target: unknown, where: string, field: string, ctx: ActionContext): void {
  if (typeof target !== 'string' || target === '') fail(where, `${field} must name a step, not ${describeValue(target)}`);
  if (!ctx.scope.has(target)) fail(where, `${field} names step ${show(target)}, which does not exist${scopeHint(ctx)}`);
}

export const scopeHint = (ctx: ActionContext): string => ` (steps here: ${list([...ctx.scope.keys()])})`;

function checkBranch(inputs: Obj, where: string, ctx: ActionContext): void {
  onlyKeys(inputs, ['Choices', 'Default'], where, 'inputs');
  const choices = inputs.Choices;
  if (!Array.isArray(choices) || choices.length === 0) fail(where, `inputs.Choices must be a non-empty list of choices, not ${describeValue(choices)}`);
  choices.forEach((choice, i) => {
    const field = `inputs.Choices[${i}]`;
    if (!isObject(choice)) fail(where, `${field} must be an object, not ${describeValue(choice)}`);
    if (choice.NextStep === undefined) fail(where, `${field}.NextStep is required`);
    jumpTarget(choice.NextStep, where, `${field}.NextStep`, ctx);
    const { NextStep: _next, ...condition } = choice;
    checkCondition(condition, where, field);
  });
  if (inputs.Default !== undefined) jumpTarget(inputs.Default, where, 'inputs.Default', ctx);
}

/** A condition is `Variable` plus one operator, or one of And / Or (lists) / Not (one condition). */
function checkCondition(cond: Obj, where: string, field: string): void {
  const keys = Object.keys(cond);
  for (const combinator of ['And', 'Or', 'Not']) {
    if (cond[combinator] === undefined) continue;
    if (keys.length !== 1) fail(where, `${field}: ${combinator} cannot be combined with ${list(keys.filter((k) => k !== combinator))}`);
    const inner = cond[combinator];
    if (combinator === 'Not') {
      if (!isObject(inner)) fail(where, `${field}.Not must be one condition (an object), not ${describeValue(inner)}`);
      checkCondition(inner, where, `${field}.Not`);
    } else {
      if (!Array.isArray(inner) || inner.length === 0) fail(where, `${field}.${combinator} must be a non-empty list of conditions, not ${describeValue(inner)}`);
      inner.forEach((c, j) => {
        if (!isObject(c)) fail(where, `${field}.${combinator}[${j}] must be a condition (an object), not ${describeValue(c)}`);
        checkCondition(c, where, `${field}.${combinator}[${j}]`);
      });
    }
    return;
  }
  const ops = keys.filter((k) => k !== 'Variable');
  const unknown = ops.filter((k) => !OPERATORS[k]);
  if (unknown.length) fail(where, `${join(field, unknown[0]!)} is not a supported operator (supported: ${list([...Object.keys(OPERATORS), 'And', 'Or', 'Not'])})`);
  if (ops.length !== 1) fail(where, `${field} needs exactly one operator (${ops.length ? list(ops) : 'none'} given)`);
  if (cond.Variable === undefined) fail(where, `${field}.Variable is required`);
  if (!isWholeReference(cond.Variable)) fail(where, `${field}.Variable must be one {{ reference }} to a parameter or a step output, not ${show(cond.Variable)}`);
  const op = ops[0]!;
  const value = cond[op];
  const kind = OPERATORS[op]!;
  const ok =
    isWholeReference(value) ||
    (kind === 'string' && typeof value === 'string') ||
    (kind === 'number' && (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))))) ||
    (kind === 'boolean' && typeof value === 'boolean');
  if (!ok) fail(where, `${field}.${op} must be a ${kind}, not ${describeValue(value)}`);
}
