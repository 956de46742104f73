import type { ZodType, core } from 'zod';
import { AwsError } from './errors.js';

type Issue = core.$ZodIssue;

/**
 * Parses an operation's input and, on failure, answers the way AWS's front end does:
 * `N validation error(s) detected: Value 'x' at 'memberPath' failed to satisfy constraint: …`.
 */
export function parseInput<T>(schema: ZodType<T>, input: unknown, sensitive?: ReadonlySet<string>): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationFailure(result.error.issues, input, sensitive);
}

/** `sensitive` names members (e.g. `Value`) whose content must never be echoed back. */
export function validationFailure(issues: readonly Issue[], input: unknown, sensitive?: ReadonlySet<string>): AwsError {
  const messages = issues.slice(0, 10).map((issue) => describeIssue(issue, input, sensitive));
  const count = issues.length;
  const head = `${count} validation error${count === 1 ? '' : 's'} detected: `;
  return new AwsError('ValidationException', head + messages.join('; '));
}

function describeIssue(issue: Issue, input: unknown, sensitive?: ReadonlySet<string>): string {
  const path = memberPath(issue.path);
  const value = valueAt(input, issue.path);
  const constraint = constraintOf(issue, value);
  if (issue.path.some((seg) => typeof seg === 'string' && sensitive?.has(seg))) return `Value at '${path}' failed to satisfy constraint: ${constraint}`;
  if (value === undefined || value === null) return `Value null at '${path}' failed to satisfy constraint: ${constraint}`;
  return `Value ${render(value)} at '${path}' failed to satisfy constraint: ${constraint}`;
}

function constraintOf(issue: Issue, value: unknown): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return `Member must have length greater than or equal to ${issue.minimum}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `Member must have length greater than or equal to ${issue.minimum}`;
      return `Member must have value greater than or equal to ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `Member must have length less than or equal to ${issue.maximum}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `Member must have length less than or equal to ${issue.maximum}`;
      return `Member must have value less than or equal to ${issue.maximum}`;
    case 'invalid_format':
      if (issue.format === 'regex' && 'pattern' in issue) return `Member must satisfy regular expression pattern: ${stripSlashes(String(issue.pattern))}`;
      return `Member must be a valid ${issue.format}`;
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`;
    case 'invalid_type':
      if (value === undefined || value === null) return 'Member must not be null';
      return `Member must be of type ${awsTypeName(issue.expected)}`;
    case 'unrecognized_keys':
      return `Member has unknown fields: ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

function awsTypeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'integer';
    case 'array':
      return 'list';
    case 'object':
    case 'record':
      return 'structure';
    default:
      return expected;
  }
}

/** AWS names members lower-camel and lists as `.N.member` with 1-based indexes. */
export function memberPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'input';
  const parts: string[] = [];
  for (const seg of path) {
    if (typeof seg === 'number') parts.push(`${seg + 1}.member`);
    else {
      const s = String(seg);
      parts.push(s.charAt(0).toLowerCase() + s.slice(1));
    }
  }
  return parts.join('.');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function render(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 256 ? value.slice(0, 256) + '…' : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `'${value}'`;
  const text = JSON.stringify(value);
  return `'${text.length > 256 ? text.slice(0, 256) + '…' : text}'`;
}

function stripSlashes(pattern: string): string {
  const m = /^\/(.*)\/[a-z]*$/s.exec(pattern);
  return m ? m[1]! : pattern;
}
