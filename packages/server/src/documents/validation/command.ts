import type { ParameterDeclaration } from './index.js';
import { checkPluginInputs, PLUGIN_NAMES, PLUGINS } from './plugins.js';
import {
  ALL_PLATFORMS,
  checkKind,
  describeValue,
  fail,
  intersect,
  isObject,
  isPositiveInteger,
  isWholeReference,
  join,
  list,
  onlyKeys,
  show,
  stepLabel,
  union,
  type Obj,
  type Platform,
} from './shared.js';

export interface StepsResult {
  stepNames: string[];
  platformTypes: Platform[];
}

const STEP_NAME = /^[A-Za-z0-9_.-]+$/;
const STEP_FIELDS = ['action', 'name', 'inputs', 'description', 'maxAttempts', 'onFailure', 'timeoutSeconds', 'isEnd', 'isCritical', 'settings', 'precondition'];

/**
 * Command and Policy documents: schema 1.2 lists plugins under `runtimeConfig`; 2.0 and 2.2 run
 * `mainSteps` in order, and only 2.2 may gate a step on the node's platform.
 */
export function validateCommand(doc: Obj, schemaVersion: string, parameters: ParameterDeclaration[]): StepsResult {
  if (schemaVersion === '1.2') return validateRuntimeConfig(doc);
  if (doc.runtimeConfig !== undefined) fail('', `runtimeConfig belongs to schemaVersion 1.2; schemaVersion ${schemaVersion} documents list their steps in mainSteps`);
  onlyKeys(doc, ['schemaVersion', 'description', 'parameters', 'mainSteps'], '');
  return validateMainSteps(doc.mainSteps, schemaVersion, parameters);
}

function validateMainSteps(raw: unknown, schemaVersion: string, parameters: ParameterDeclaration[]): StepsResult {
  if (raw === undefined) fail('', `mainSteps is required for schemaVersion ${schemaVersion}`);
  if (!Array.isArray(raw)) fail('', `mainSteps must be a list of steps, not ${describeValue(raw)}`);
  if (raw.length === 0) fail('', 'mainSteps must contain at least one step');
  const seen = new Map<string, number>();
  const platforms: Platform[][] = [];
  raw.forEach((step, i) => {
    const where = stepLabel('mainSteps', i, isObject(step) ? step.name : undefined);
    if (!isObject(step)) fail(where, `a step must be an object, not ${describeValue(step)}`);
    if (schemaVersion !== '2.2' && step.precondition !== undefined) fail(where, `precondition requires schemaVersion 2.2 (this document is ${schemaVersion})`);
    onlyKeys(step, STEP_FIELDS, where);
    const name = stepName(step, where, seen);
    const action = stepAction(step, where);
    checkStepSettings(step, where);
    const inputs = step.inputs;
    if (inputs === undefined) fail(where, `inputs is required (action ${action} reads its inputs from there)`);
    if (!isObject(inputs)) fail(where, `inputs must be an object, not ${describeValue(inputs)}`);
    checkPluginInputs(action, inputs, where, 'inputs');
    if (inputs.finallyStep === true && i !== raw.length - 1) fail(where, 'inputs.finallyStep can only be set on the last step of mainSteps');
    checkScriptParameterTypes(inputs, where, parameters);
    let stepPlatforms = [...PLUGINS[action]!.platforms];
    if (step.precondition !== undefined) {
      const only = precondition(step.precondition, where);
      stepPlatforms = intersect(stepPlatforms, [only]);
      if (stepPlatforms.length === 0) fail(where, `precondition platformType ${only} can never hold: action ${action} runs on ${list(PLUGINS[action]!.platforms)}`);
    }
    platforms.push(stepPlatforms);
    seen.set(name, i);
  });
  return { stepNames: [...seen.keys()], platformTypes: union(platforms) };
}

function stepName(step: Obj, where: string, seen: Map<string, number>): string {
  const name = step.name;
  if (name === undefined) fail(where, 'name is required');
  if (typeof name !== 'string' || !STEP_NAME.test(name)) fail(where, `name ${show(name)} is not valid: use letters, digits, '.', '-' and '_' ([A-Za-z0-9_.-]+)`);
  const earlier = seen.get(name);
  if (earlier !== undefined) fail(where, `name ${show(name)} is already used by mainSteps[${earlier}]; step names must be unique`);
  return name;
}

function stepAction(step: Obj, where: string): string {
  const action = step.action;
  if (action === undefined) fail(where, 'action is required');
  if (typeof action !== 'string' || !PLUGINS[action]) {
    fail(where, `action ${show(action)} is not a Command document plugin (known plugins: ${list(PLUGIN_NAMES)})`);
  }
  return action;
}

function checkStepSettings(step: Obj, where: string): void {
  if (step.description !== undefined && typeof step.description !== 'string') fail(where, `description must be a string, not ${describeValue(step.description)}`);
  if (step.maxAttempts !== undefined && !isPositiveInteger(step.maxAttempts)) fail(where, `maxAttempts must be a whole number of at least 1, not ${describeValue(step.maxAttempts)}`);
  if (step.timeoutSeconds !== undefined && !isPositiveInteger(step.timeoutSeconds)) fail(where, `timeoutSeconds must be a whole number of at least 1, not ${describeValue(step.timeoutSeconds)}`);
  if (step.onFailure !== undefined) checkKind(step.onFailure, 'string', where, 'onFailure', ['exit', 'successAndExit']);
  for (const flag of ['isEnd', 'isCritical'] as const) {
    if (step[flag] !== undefined && typeof step[flag] !== 'boolean') fail(where, `${flag} must be true or false, not ${describeValue(step[flag])}`);
  }
  if (step.settings !== undefined && !isObject(step.settings)) fail(where, `settings must be an object, not ${describeValue(step.settings)}`);
}

/**
 * The agent evaluates `StringEquals: [platformType, <platform>]` (in either order, compared
 * without case); we accept nothing else, so a precondition the agent would fail on is refused now.
 */
function precondition(raw: unknown, where: string): Platform {
  const expected = 'precondition must be {"StringEquals": ["platformType", "Windows" | "Linux" | "MacOS"]}';
  if (!isObject(raw)) fail(where, `${expected}, not ${describeValue(raw)}`);
  const keys = Object.keys(raw);
  if (keys.length !== 1 || keys[0] !== 'StringEquals') fail(where, `${expected}; operator ${show(keys.find((k) => k !== 'StringEquals') ?? keys[0])} is not supported`);
  const args = raw.StringEquals;
  if (!Array.isArray(args) || args.length !== 2 || !args.every((a) => typeof a === 'string')) fail(where, `${expected}; StringEquals takes exactly two strings`);
  const [a, b] = args as [string, string];
  const other = a === 'platformType' ? b : b === 'platformType' ? a : undefined;
  if (other === undefined) fail(where, `${expected}; one of the two values must be platformType`);
  const platform = ALL_PLATFORMS.find((p) => p.toLowerCase() === other.toLowerCase());
  if (!platform) fail(where, `precondition platformType value ${show(other)} is not one of ${list(ALL_PLATFORMS)}`);
  return platform;
}

/** The script plugins take a string or a list of strings; a typed parameter in their place would be refused by the agent. */
function checkScriptParameterTypes(inputs: Obj, where: string, parameters: ParameterDeclaration[]): void {
  const check = (value: unknown, field: string) => {
    if (!isWholeReference(value)) return;
    const name = value.slice(2, -2).trim();
    const decl = parameters.find((p) => p.name === name);
    if (decl && decl.type !== 'String' && decl.type !== 'StringList') {
      fail(where, `${field} references parameter ${show(name)} of type ${decl.type}; only String and StringList parameters fit there`);
    }
  };
  const runCommand = inputs.runCommand;
  if (Array.isArray(runCommand)) runCommand.forEach((v, i) => check(v, `inputs.runCommand[${i}]`));
  else check(runCommand, 'inputs.runCommand');
}

const PLUGIN_CONFIG_FIELDS = ['properties', 'settings', 'description'];

function validateRuntimeConfig(doc: Obj): StepsResult {
  if (doc.mainSteps !== undefined) fail('', 'mainSteps requires schemaVersion 2.0 or 2.2; schemaVersion 1.2 documents list their plugins in runtimeConfig');
  onlyKeys(doc, ['schemaVersion', 'description', 'parameters', 'runtimeConfig'], '');
  const config = doc.runtimeConfig;
  if (config === undefined) fail('', 'runtimeConfig is required for schemaVersion 1.2');
  if (!isObject(config) || Object.keys(config).length === 0) fail('', `runtimeConfig must be an object keyed by plugin name with at least one plugin, not ${describeValue(config)}`);
  const platforms: Platform[][] = [];
  for (const [plugin, body] of Object.entries(config)) {
    const where = join('runtimeConfig', plugin);
    const spec = PLUGINS[plugin];
    if (!spec) fail(where, `${show(plugin)} is not a Command document plugin (known plugins: ${list(PLUGIN_NAMES)})`);
    if (spec.since20) fail(where, `plugin ${plugin} needs schemaVersion 2.0 or later`);
    if (!isObject(body)) fail(where, `a plugin configuration must be an object with properties, not ${describeValue(body)}`);
    onlyKeys(body, PLUGIN_CONFIG_FIELDS, where);
    checkProperties(plugin, body.properties, where);
    platforms.push([...spec.platforms]);
  }
  return { stepNames: Object.keys(config), platformTypes: union(platforms) };
}

/** 1.2 plugins take one set of properties or a list of them, each run in turn; each may carry an `id`. */
function checkProperties(plugin: string, properties: unknown, where: string): void {
  if (properties === undefined) {
    checkPluginInputs(plugin, {}, where, 'properties');
    return;
  }
  if (isWholeReference(properties) && PLUGINS[plugin]!.open) return;
  const entries = Array.isArray(properties) ? properties : [properties];
  if (Array.isArray(properties) && properties.length === 0) fail(where, 'properties must not be an empty list');
  entries.forEach((entry, i) => {
    const field = Array.isArray(properties) ? `properties[${i}]` : 'properties';
    if (!isObject(entry)) fail(where, `${field} must be an object, not ${describeValue(entry)}`);
    if (entry.id !== undefined && typeof entry.id !== 'string') fail(where, `${field}.id must be a string, not ${describeValue(entry.id)}`);
    checkPluginInputs(plugin, entry, where, field, ['id']);
  });
}
