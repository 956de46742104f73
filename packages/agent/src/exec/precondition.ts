import type { PlatformType } from './types.js';

export type PreconditionVerdict = { kind: 'satisfied' } | { kind: 'unsatisfied'; details: string } | { kind: 'unrecognized'; details: string };

/**
 * AWS's only operator: `StringEquals` with two arguments. One of them may be the literal
 * `platformType`, compared case-insensitively with the node's platform; otherwise the two values
 * (parameters are substituted by now) must be equal.
 */
export function evaluatePrecondition(precondition: unknown, platformType: PlatformType): PreconditionVerdict {
  const unrecognized = (why: string): PreconditionVerdict => ({ kind: 'unrecognized', details: `Unrecognized precondition(s) (${why}); please update the agent` });
  if (typeof precondition !== 'object' || precondition === null || Array.isArray(precondition)) return unrecognized('not an object');
  const entries = Object.entries(precondition);
  if (entries.length === 0) return { kind: 'satisfied' };
  const unsatisfied: string[] = [];
  for (const [operator, args] of entries) {
    if (operator !== 'StringEquals') return unrecognized(`operator ${operator}`);
    if (!Array.isArray(args) || args.length !== 2 || !args.every((a) => typeof a === 'string')) return unrecognized('StringEquals takes two strings');
    const [a, b] = args as [string, string];
    if (a === 'platformType' && b === 'platformType') return unrecognized('StringEquals compares platformType with itself');
    if (/\{\{\s*ssm(-secure)?:/.test(a + b)) return unrecognized('a precondition may not use parameter store references');
    const ok = a === 'platformType' || b === 'platformType' ? (a === 'platformType' ? b : a).toLowerCase() === platformType.toLowerCase() : a === b;
    if (!ok) unsatisfied.push(`StringEquals [${a}, ${b}]`);
  }
  return unsatisfied.length ? { kind: 'unsatisfied', details: `Step execution skipped due to unsatisfied preconditions: ${unsatisfied.join(', ')}` } : { kind: 'satisfied' };
}
