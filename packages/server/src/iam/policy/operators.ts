/**
 * The condition-operator vocabulary, shared by the parser (to reject unknown names up
 * front) and the compiler (to pick a comparison). Names are case-sensitive, as the
 * operator list in AWS's policy grammar spells them.
 */

export type OperatorFamily = 'String' | 'StringIgnoreCase' | 'StringLike' | 'Numeric' | 'Date' | 'Bool' | 'Binary' | 'Ip' | 'Arn' | 'Null';

/** How a typed comparison relates the request value (left) to a policy value (right). */
export type Comparison = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

export interface BaseOperator {
  readonly family: OperatorFamily;
  readonly comparison: Comparison;
  /** Negated operators match when no policy value matches, and when the key is absent. */
  readonly negated: boolean;
}

export type SetQualifier = 'none' | 'ForAnyValue' | 'ForAllValues';

export interface ParsedOperator extends BaseOperator {
  readonly name: string;
  readonly qualifier: SetQualifier;
  readonly ifExists: boolean;
}

const op = (family: OperatorFamily, comparison: Comparison = 'eq', negated = false): BaseOperator => ({ family, comparison, negated });

const typedOrderings = (family: 'Numeric' | 'Date'): Array<[string, BaseOperator]> => [
  [`${family}Equals`, op(family)],
  [`${family}NotEquals`, op(family, 'eq', true)],
  [`${family}LessThan`, op(family, 'lt')],
  [`${family}LessThanEquals`, op(family, 'lte')],
  [`${family}GreaterThan`, op(family, 'gt')],
  [`${family}GreaterThanEquals`, op(family, 'gte')],
];

const BASE_OPERATORS: ReadonlyMap<string, BaseOperator> = new Map<string, BaseOperator>([
  ['StringEquals', op('String')],
  ['StringNotEquals', op('String', 'eq', true)],
  ['StringEqualsIgnoreCase', op('StringIgnoreCase')],
  ['StringNotEqualsIgnoreCase', op('StringIgnoreCase', 'eq', true)],
  ['StringLike', op('StringLike')],
  ['StringNotLike', op('StringLike', 'eq', true)],
  ...typedOrderings('Numeric'),
  ...typedOrderings('Date'),
  ['Bool', op('Bool')],
  ['BinaryEquals', op('Binary')],
  ['IpAddress', op('Ip')],
  ['NotIpAddress', op('Ip', 'eq', true)],
  // AWS documents ArnEquals and ArnLike as the same comparison: both honour wildcards.
  ['ArnEquals', op('Arn')],
  ['ArnLike', op('Arn')],
  ['ArnNotEquals', op('Arn', 'eq', true)],
  ['ArnNotLike', op('Arn', 'eq', true)],
  ['Null', op('Null')],
]);

const IF_EXISTS = 'IfExists';

/** Returns undefined for a name AWS would reject as an unknown condition type. */
export function parseOperatorName(name: string): ParsedOperator | undefined {
  let rest = name;
  let qualifier: SetQualifier = 'none';
  if (rest.startsWith('ForAnyValue:')) {
    qualifier = 'ForAnyValue';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    qualifier = 'ForAllValues';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith(IF_EXISTS) && rest.length > IF_EXISTS.length) {
    ifExists = true;
    rest = rest.slice(0, -IF_EXISTS.length);
  }
  const base = BASE_OPERATORS.get(rest);
  if (!base) return undefined;
  // Null asks only whether the key exists, so "if it exists" and set qualifiers make no sense on it.
  if (base.family === 'Null' && (ifExists || qualifier !== 'none')) return undefined;
  return { ...base, name, qualifier, ifExists };
}
