/**
 * The Condition element, compiled. Each (operator, key) pair becomes one CompiledCondition
 * whose `test` answers "does this single request value match any of the policy values";
 * negation, IfExists, set qualifiers and missing keys are layered on top in `holds`.
 */
import type { ConditionBlock } from './document.js';
import { MalformedPolicyDocumentError } from './document.js';
import type { EvaluationRequest } from './evaluate.js';
import { isList, keyRef, resolveKey, type ContextValue, type KeyRef, type Scalar } from './context.js';
import { compilePattern, compileTemplate, type CompileOptions, type ValueTemplate } from './glob.js';
import { cidrContains, parseCidr, parseIpCached, type CidrBlock } from './ip.js';
import { parseOperatorName, type Comparison, type ParsedOperator } from './operators.js';

type ValueTest = (value: Scalar, req: EvaluationRequest) => boolean;

export interface CompiledCondition {
  readonly key: KeyRef;
  readonly operator: ParsedOperator;
  readonly test: ValueTest;
  /** For Null only: the outcomes when the key is absent / present. */
  readonly nullWhenAbsent: boolean;
  readonly nullWhenPresent: boolean;
}

export function compileConditions(block: ConditionBlock | undefined, options: CompileOptions): CompiledCondition[] {
  if (block === undefined) return [];
  const compiled: CompiledCondition[] = [];
  for (const [operatorName, keys] of Object.entries(block)) {
    const operator = parseOperatorName(operatorName);
    if (!operator) throw new MalformedPolicyDocumentError(`Unknown condition operator ${operatorName}`);
    for (const [key, values] of Object.entries(keys)) {
      compiled.push(compileCondition(operator, key, values, options));
    }
  }
  return compiled;
}

function compileCondition(operator: ParsedOperator, key: string, values: readonly string[], options: CompileOptions): CompiledCondition {
  const lowered = values.map((v) => v.toLowerCase());
  return {
    key: keyRef(key),
    operator,
    test: operator.family === 'Null' ? () => false : buildTest(operator, values, options),
    nullWhenAbsent: lowered.includes('true'),
    nullWhenPresent: lowered.includes('false'),
  };
}

/** Every condition of a statement must hold (operators and keys are AND'ed). */
export function conditionsHold(conditions: readonly CompiledCondition[], req: EvaluationRequest): boolean {
  for (let i = 0; i < conditions.length; i++) {
    const condition = conditions[i];
    if (condition !== undefined && !holds(condition, req)) return false;
  }
  return true;
}

/** AWS treats an absent key, and a multivalued key with no values, as missing. */
function isMissing(value: ContextValue | undefined, setOperator: boolean): value is undefined {
  if (value === undefined) return true;
  if (isList(value)) return value.length === 0;
  // The set operators document an empty string as an empty (null) data set too.
  return setOperator && value === '';
}

function holds(condition: CompiledCondition, req: EvaluationRequest): boolean {
  const { operator } = condition;
  const value = resolveKey(condition.key, req);
  const setOperator = operator.qualifier !== 'none';
  if (operator.family === 'Null') {
    return isMissing(value, false) ? condition.nullWhenAbsent : condition.nullWhenPresent;
  }
  if (isMissing(value, setOperator)) return missingKeyOutcome(operator);
  switch (operator.qualifier) {
    case 'ForAnyValue':
      return someValue(value, condition, req);
    case 'ForAllValues':
      return everyValue(value, condition, req);
    default: {
      const matched = anyPolicyMatch(value, condition.test, req);
      return operator.negated ? !matched : matched;
    }
  }
}

function missingKeyOutcome(operator: ParsedOperator): boolean {
  if (operator.ifExists) return true;
  if (operator.qualifier === 'ForAllValues') return true;
  if (operator.qualifier === 'ForAnyValue') return false;
  return operator.negated;
}

/** Without a set qualifier a list value matches when any member does. */
function anyPolicyMatch(value: ContextValue, test: ValueTest, req: EvaluationRequest): boolean {
  if (!isList(value)) return test(value, req);
  for (let i = 0; i < value.length; i++) if (test(value[i] ?? '', req)) return true;
  return false;
}

/** For a negated operator, a single request value "matches" when it equals none of the policy values. */
function matchesOne(member: Scalar, condition: CompiledCondition, req: EvaluationRequest): boolean {
  const matched = condition.test(member, req);
  return condition.operator.negated ? !matched : matched;
}

function someValue(value: ContextValue, condition: CompiledCondition, req: EvaluationRequest): boolean {
  if (!isList(value)) return matchesOne(value, condition, req);
  for (let i = 0; i < value.length; i++) if (matchesOne(value[i] ?? '', condition, req)) return true;
  return false;
}

function everyValue(value: ContextValue, condition: CompiledCondition, req: EvaluationRequest): boolean {
  if (!isList(value)) return matchesOne(value, condition, req);
  for (let i = 0; i < value.length; i++) if (!matchesOne(value[i] ?? '', condition, req)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Per-family value tests

const text = (value: Scalar): string => (typeof value === 'string' ? value : String(value));

function buildTest(operator: ParsedOperator, values: readonly string[], options: CompileOptions): ValueTest {
  switch (operator.family) {
    case 'String':
      return stringTest(values, options, false);
    case 'StringIgnoreCase':
      return stringTest(values, options, true);
    case 'StringLike':
      return patternTest(values, 'plain', options);
    case 'Arn':
      return patternTest(values, 'arn', options);
    case 'Numeric':
      return orderedTest(values, options, operator.comparison, parseNumber);
    case 'Date':
      return orderedTest(values, options, operator.comparison, parseDate);
    case 'Bool':
      return boolTest(values, options);
    case 'Binary':
      return binaryTest(values, options);
    case 'Ip':
      return ipTest(values, options);
    case 'Null':
      return () => false;
  }
}

function stringTest(values: readonly string[], options: CompileOptions, ignoreCase: boolean): ValueTest {
  const fold = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  const templates = values.map((v) => compileTemplate(v, options));
  if (templates.every((t) => t.constant !== undefined)) {
    const constants = new Set(templates.map((t) => fold(t.constant ?? '')));
    return (value) => constants.has(fold(text(value)));
  }
  return (value, req) => {
    const left = fold(text(value));
    for (const template of templates) {
      const right = template.resolve(req);
      if (right !== undefined && fold(right) === left) return true;
    }
    return false;
  };
}

function patternTest(values: readonly string[], flavor: 'plain' | 'arn', options: CompileOptions): ValueTest {
  const patterns = values.map((v) => compilePattern(v, flavor, options));
  return (value, req) => {
    const subject = text(value);
    for (const pattern of patterns) if (pattern.test(subject, req)) return true;
    return false;
  };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseNumber(value: Scalar): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean' || !NUMBER.test(value)) return NaN;
  return Number(value);
}

const EPOCH_SECONDS = /^[+-]?\d+(?:\.\d+)?$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/** Milliseconds since the epoch. ISO 8601 without a zone is UTC, as AWS reads it. */
export function parseDate(value: Scalar): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'boolean') return NaN;
  if (EPOCH_SECONDS.test(value)) return Number(value) * 1000;
  const m = ISO_8601.exec(value);
  if (!m) return NaN;
  const n = (i: number): number => Number(m[i] ?? 0);
  const millis = m[7] === undefined ? 0 : Math.round(Number(m[7]) * 1000);
  const utc = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), millis);
  const offsetMinutes = m[9] === undefined ? 0 : (m[9] === '-' ? -1 : 1) * (n(10) * 60 + n(11));
  return utc - offsetMinutes * 60_000;
}

function compareNumbers(comparison: Comparison, left: number, right: number): boolean {
  switch (comparison) {
    case 'eq':
      return left === right;
    case 'lt':
      return left < right;
    case 'lte':
      return left <= right;
    case 'gt':
      return left > right;
    case 'gte':
      return left >= right;
  }
}

/** Numeric and Date: the request value is on the left, as in "CurrentTime LessThan <value>". */
function orderedTest(
  values: readonly string[],
  options: CompileOptions,
  comparison: Comparison,
  parse: (value: Scalar) => number,
): ValueTest {
  const templates = values.map((v) => compileTemplate(v, options));
  const constants = templates.map((t) => (t.constant === undefined ? undefined : parse(t.constant)));
  return (value, req) => {
    const left = parse(value);
    if (Number.isNaN(left)) return false;
    for (let i = 0; i < templates.length; i++) {
      const right = constants[i] ?? parseResolved(templates[i], req, parse);
      if (compareNumbers(comparison, left, right)) return true;
    }
    return false;
  };
}

function parseResolved(template: ValueTemplate | undefined, req: EvaluationRequest, parse: (value: Scalar) => number): number {
  const resolved = template?.resolve(req);
  return resolved === undefined ? NaN : parse(resolved);
}

function boolTest(values: readonly string[], options: CompileOptions): ValueTest {
  const templates = values.map((v) => compileTemplate(v, options));
  return (value, req) => {
    const left = typeof value === 'boolean' ? String(value) : text(value).toLowerCase();
    if (left !== 'true' && left !== 'false') return false;
    for (const template of templates) if (template.resolve(req)?.toLowerCase() === left) return true;
    return false;
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(value: string): Buffer | undefined {
  return BASE64.test(value) ? Buffer.from(value, 'base64') : undefined;
}

/** The request carries the binary value base64-encoded, like the policy; compared byte for byte. */
function binaryTest(values: readonly string[], options: CompileOptions): ValueTest {
  const templates = values.map((v) => compileTemplate(v, options));
  return (value, req) => {
    const left = typeof value === 'string' ? decodeBase64(value) : undefined;
    if (left === undefined) return false;
    for (const template of templates) {
      const resolved = template.resolve(req);
      const right = resolved === undefined ? undefined : decodeBase64(resolved);
      if (right !== undefined && right.equals(left)) return true;
    }
    return false;
  };
}

function ipTest(values: readonly string[], options: CompileOptions): ValueTest {
  const templates = values.map((v) => compileTemplate(v, options));
  const constants = templates.map((t) => (t.constant === undefined ? undefined : parseCidr(t.constant) ?? null));
  return (value, req) => {
    if (typeof value !== 'string') return false;
    const address = parseIpCached(value);
    if (address === undefined) return false;
    for (let i = 0; i < templates.length; i++) {
      const block: CidrBlock | null | undefined = constants[i] === undefined ? resolvedCidr(templates[i], req) : constants[i];
      if (block && cidrContains(block, address)) return true;
    }
    return false;
  };
}

function resolvedCidr(template: ValueTemplate | undefined, req: EvaluationRequest): CidrBlock | undefined {
  const resolved = template?.resolve(req);
  return resolved === undefined ? undefined : parseCidr(resolved);
}
