/**
 * Parsing and validation of IAM JSON identity policies.
 *
 * The parsed form keeps AWS's element names and shape, only normalised (single strings
 * become one-element arrays, condition values become strings), so `JSON.stringify` of a
 * PolicyDocument is itself a valid policy that means the same thing.
 */
import { AwsError } from '../../protocol/errors.js';
import { deepFreeze } from '../../protocol/freeze.js';
import { parseOperatorName } from './operators.js';

export type PolicyVersion = '2012-10-17' | '2008-10-17';
export type Effect = 'Allow' | 'Deny';

/** Condition operator → condition key → the values, which are OR'ed. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource?: readonly string[];
  readonly NotResource?: readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  /** Absent means 2008-10-17, under which policy variables are plain text. */
  readonly Version?: PolicyVersion;
  readonly Id?: string;
  readonly Statement: readonly PolicyStatement[];
}

/** AWS's quota for a customer managed policy, counted with whitespace removed. */
export const MANAGED_POLICY_MAX_SIZE = 6144;

export interface ParsePolicyOptions {
  /** Inline policies have other quotas (users 2,048, groups 5,120, roles 10,240). */
  maxSize?: number;
}

/**
 * Thrown for any policy AWS would refuse. It is an AwsError so the protocol layer renders
 * it as IAM's `MalformedPolicyDocument` (or `LimitExceeded` for the size quota) directly.
 */
export class MalformedPolicyDocumentError extends AwsError {
  constructor(message: string, code: 'MalformedPolicyDocument' | 'LimitExceeded' = 'MalformedPolicyDocument') {
    super(code, message, { status: code === 'LimitExceeded' ? 409 : 400 });
  }
}

export const VERSIONS: readonly PolicyVersion[] = ['2012-10-17', '2008-10-17'];

const TOP_LEVEL_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_ELEMENTS = new Set(['Principal', 'NotPrincipal']);

// The service prefix may not be wildcarded; the action name may.
const ACTION_PATTERN = /^[A-Za-z0-9-]+:[A-Za-z0-9*?_.-]+$/;
const SID_PATTERN = /^[A-Za-z0-9]*$/;
const CONDITION_KEY_PATTERN = /^[A-Za-z0-9-]+:\S+$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function fail(message: string): never {
  throw new MalformedPolicyDocumentError(message);
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const has = (obj: JsonObject, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

function nonWhitespaceLength(text: string): number {
  return text.replace(/\s+/g, '').length;
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    const detail = e instanceof Error ? `: ${e.message}` : '';
    return fail(`Policy document must be valid JSON${detail}`);
  }
}

export function parsePolicyDocument(text: string, options: ParsePolicyOptions = {}): PolicyDocument {
  if (typeof text !== 'string') fail('Policy document must be valid JSON');
  const maxSize = options.maxSize ?? MANAGED_POLICY_MAX_SIZE;
  const size = nonWhitespaceLength(text);
  if (size > maxSize) {
    // AWS's wording, plus the measured size so the caller knows how far over it is.
    throw new MalformedPolicyDocumentError(
      `Cannot exceed quota for PolicySize: ${maxSize} (document has ${size} characters excluding whitespace)`,
      'LimitExceeded',
    );
  }
  const root = parseJson(text);
  if (!isObject(root)) fail('Policy document must be a JSON object');
  // Frozen documents let compilePolicy cache by identity without going stale.
  return deepFreeze(readDocument(root));
}

function readDocument(root: JsonObject): PolicyDocument {
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_ELEMENTS.has(key)) fail(`Unknown policy element ${key}`);
  }
  const version = readVersion(root.Version);
  const id = root.Id;
  if (id !== undefined && typeof id !== 'string') fail('Id must be a string');
  const statements = readStatementList(root.Statement);
  const sids = new Set<string>();
  const parsed = statements.map((raw, i) => readStatement(raw, `Statement ${i + 1}`, sids));
  return {
    ...(version !== undefined ? { Version: version } : {}),
    ...(typeof id === 'string' ? { Id: id } : {}),
    Statement: parsed,
  };
}

function readVersion(value: Json | undefined): PolicyVersion | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (VERSIONS as readonly string[]).includes(value)) return value as PolicyVersion;
  return fail('Version must be "2012-10-17" or "2008-10-17"');
}

function readStatementList(value: Json | undefined): JsonObject[] {
  if (value === undefined) return fail('Policy document must contain a Statement');
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => (isObject(item) ? item : fail(`Statement ${i + 1}: a statement must be a JSON object`)));
}

function readStatement(raw: JsonObject, where: string, sids: Set<string>): PolicyStatement {
  for (const key of Object.keys(raw)) {
    if (PRINCIPAL_ELEMENTS.has(key)) fail(`${where}: ${key} is not allowed; an identity policy should not specify a principal`);
    if (!STATEMENT_ELEMENTS.has(key)) fail(`${where}: Unknown element ${key}`);
  }
  const sid = readSid(raw.Sid, where, sids);
  const effect = readEffect(raw.Effect, where);
  const actions = readExclusivePair(raw, 'Action', where, validateAction);
  const resources = readExclusivePair(raw, 'Resource', where, validateResource);
  const condition = raw.Condition === undefined ? undefined : readCondition(raw.Condition, where);
  return {
    ...(sid !== undefined ? { Sid: sid } : {}),
    Effect: effect,
    ...(actions.negated ? { NotAction: actions.values } : { Action: actions.values }),
    ...(resources.negated ? { NotResource: resources.values } : { Resource: resources.values }),
    ...(condition !== undefined ? { Condition: condition } : {}),
  };
}

function readSid(value: Json | undefined, where: string, seen: Set<string>): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return fail(`${where}: Sid must be a string`);
  if (!SID_PATTERN.test(value)) fail(`${where}: Sid must be alphanumeric ([0-9A-Za-z]*)`);
  if (value !== '' && seen.has(value)) fail(`${where}: Sid ${value} is not unique; statement IDs in a policy must be unique`);
  seen.add(value);
  return value;
}

function readEffect(value: Json | undefined, where: string): 'Allow' | 'Deny' {
  if (value === undefined) return fail(`${where}: Effect is required`);
  if (value !== 'Allow' && value !== 'Deny') return fail(`${where}: Effect must be Allow or Deny`);
  return value;
}

/** Action/NotAction and Resource/NotResource: exactly one of the pair, as a string or list. */
function readExclusivePair(
  raw: JsonObject,
  positive: 'Action' | 'Resource',
  where: string,
  validate: (value: string, element: string, where: string) => void,
): { negated: boolean; values: string[] } {
  const negative = `Not${positive}`;
  const hasPositive = has(raw, positive);
  const hasNegative = has(raw, negative);
  if (hasPositive && hasNegative) fail(`${where}: ${positive} and ${negative} cannot both be present`);
  if (!hasPositive && !hasNegative) fail(`${where}: ${positive} or ${negative} is required`);
  const element = hasPositive ? positive : negative;
  const values = readStringList(raw[element], element, where);
  for (const value of values) validate(value, element, where);
  return { negated: !hasPositive, values };
}

function readStringList(value: Json | undefined, element: string, where: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value as string[];
  if (Array.isArray(value) && value.length === 0) return fail(`${where}: ${element} must not be empty`);
  return fail(`${where}: ${element} must be a string or an array of strings`);
}

function validateAction(value: string, element: string, where: string): void {
  if (value === '*' || ACTION_PATTERN.test(value)) return;
  fail(`${where}: ${element} ${JSON.stringify(value)} must be "*" or "<service>:<action>" (actions must be prefaced by a service prefix)`);
}

function validateResource(value: string, element: string, where: string): void {
  if (value === '*') return;
  // A `*` ending an ARN field may stand for several fields ("arn:aws:ssm:*"), so with a
  // wildcard present fewer than six fields can still be a valid pattern.
  const fields = value.split(':').length;
  if (value.startsWith('arn:') && (fields >= 6 || value.includes('*'))) return;
  fail(`${where}: ${element} ${JSON.stringify(value)} must be in ARN format or "*"`);
}

function readCondition(value: Json, where: string): ConditionBlock {
  if (!isObject(value)) return fail(`${where}: Condition must be a JSON object`);
  const block: Record<string, Record<string, readonly string[]>> = {};
  for (const [operatorName, entries] of Object.entries(value)) {
    const operator = parseOperatorName(operatorName);
    if (!operator) fail(`${where}: Unknown condition operator ${operatorName}`);
    if (!isObject(entries)) fail(`${where}: Condition operator ${operatorName} must map condition keys to values`);
    const keys: Record<string, readonly string[]> = {};
    for (const [key, raw] of Object.entries(entries)) {
      if (!CONDITION_KEY_PATTERN.test(key)) fail(`${where}: Condition key ${JSON.stringify(key)} must be prefaced by a service prefix, e.g. aws:username`);
      const values = readConditionValues(raw, operatorName, key, where);
      if (operator.family === 'Null') validateNullValues(values, key, where);
      keys[key] = values;
    }
    block[operatorName] = keys;
  }
  return block;
}

function conditionScalar(value: Json): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  return undefined;
}

function readConditionValues(raw: Json, operatorName: string, key: string, where: string): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map(
    (item) =>
      conditionScalar(item) ??
      fail(`${where}: ${operatorName} value for ${key} must be a string, number, boolean or an array of them`),
  );
}

function validateNullValues(values: readonly string[], key: string, where: string): void {
  for (const value of values) {
    const lower = value.toLowerCase();
    if (lower !== 'true' && lower !== 'false') fail(`${where}: Null condition on ${key} takes true or false, not ${JSON.stringify(value)}`);
  }
}

