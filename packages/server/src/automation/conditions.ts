import { StepFailure } from './errors.js';

/** An aws:branch Choice (without NextStep) or an aws:loop LoopCondition, references already resolved. */
export type Condition = Record<string, unknown>;

const asNumber = (v: unknown, op: string): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(n)) throw new StepFailure(`${op} compares numbers, and ${JSON.stringify(v)} is not one`);
  return n;
};
const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const asBool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);

/** True when the condition holds. A Variable that is a list matches if any item does, as AWS compares StringList outputs. */
export function holds(cond: Condition): boolean {
  if (Array.isArray(cond.And)) return (cond.And as Condition[]).every(holds);
  if (Array.isArray(cond.Or)) return (cond.Or as Condition[]).some(holds);
  if (cond.Not && typeof cond.Not === 'object') return !holds(cond.Not as Condition);
  const op = Object.keys(cond).find((k) => k !== 'Variable');
  if (!op) return false;
  const expected = cond[op];
  const values = Array.isArray(cond.Variable) ? cond.Variable : [cond.Variable];
  return values.some((value) => compare(op, value, expected));
}

function compare(op: string, value: unknown, expected: unknown): boolean {
  switch (op) {
    case 'StringEquals':
      return asText(value) === asText(expected);
    case 'EqualsIgnoreCase':
      return asText(value).toLowerCase() === asText(expected).toLowerCase();
    case 'StartsWith':
      return asText(value).startsWith(asText(expected));
    case 'EndsWith':
      return asText(value).endsWith(asText(expected));
    case 'Contains':
      return asText(value).includes(asText(expected));
    case 'NumericEquals':
      return asNumber(value, op) === asNumber(expected, op);
    case 'NumericGreater':
      return asNumber(value, op) > asNumber(expected, op);
    case 'NumericLesser':
      return asNumber(value, op) < asNumber(expected, op);
    case 'NumericGreaterOrEquals':
      return asNumber(value, op) >= asNumber(expected, op);
    case 'NumericLesserOrEquals':
      return asNumber(value, op) <= asNumber(expected, op);
    case 'BooleanEquals':
      return asBool(value) === asBool(expected);
    default:
      throw new StepFailure(`${op} is not a comparison operator`);
  }
}
