import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A pattern that cannot be used, with what is wrong and where. */
export class PatternError extends Error {}

/** An event pattern, checked and compiled once; `matches` is then pure and cheap. */
export interface EventPattern {
  matches(event: unknown): boolean;
}

type Node = (value: unknown) => boolean;

/** One element of a leaf array: a test of one scalar value. */
interface Test {
  /** True for `{"exists": false}`: the test passes when the field has no scalar value at all. */
  readonly absent?: boolean;
  /** True for `{"exists": true}`. */
  readonly present?: boolean;
  readonly scalar?: (v: Scalar) => boolean;
}

type Scalar = string | number | boolean | null;

const NUMERIC_LIMIT = 5e9;

/**
 * EventBridge's event patterns: a JSON object whose keys name event fields; an object value
 * descends into the field, an array value lists what the field may be (any one of them), `$or`
 * lists alternative patterns. Matching a field that holds an array matches any of its elements.
 */
export function parsePattern(text: string): EventPattern {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PatternError(`the pattern is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new PatternError('the pattern must be a JSON object');
  const root = compileObject(json, '');
  return { matches: (event) => root(event) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

function compileObject(pattern: Record<string, unknown>, path: string): Node {
  const keys = Object.keys(pattern);
  if (keys.length === 0) throw new PatternError(`empty objects are not allowed${path ? ` (at ${path})` : ''}`);
  const clauses: Node[] = [];
  for (const key of keys) {
    const value = pattern[key];
    const here = at(path, key);
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) throw new PatternError(`$or must be an array of at least two pattern objects (at ${here})`);
      const alternatives = value.map((alt, i) => compileObject(alt, at(here, i)));
      clauses.push((v) => alternatives.some((alt) => alt(v)));
    } else if (Array.isArray(value)) {
      const leaf = compileLeaf(value, here);
      clauses.push((v) => leaf(field(v, key)));
    } else if (isObject(value)) {
      const inner = compileObject(value, here);
      clauses.push((v) => nested(inner, field(v, key)));
    } else {
      throw new PatternError(`the value of ${here} must be an array of match values or an object, not ${JSON.stringify(value)}`);
    }
  }
  return (v) => clauses.every((c) => c(v));
}

function field(v: unknown, key: string): unknown {
  return isObject(v) ? v[key] : undefined;
}

/** An object pattern against a field: an array of objects matches when any element does. */
function nested(inner: Node, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((item) => nested(inner, item));
  return inner(isObject(value) ? value : undefined);
}

function scalarsOf(value: unknown): Scalar[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(scalarsOf);
  if (isObject(value)) return [];
  return [value as Scalar];
}

function compileLeaf(list: unknown[], path: string): Node {
  if (list.length === 0) throw new PatternError(`empty arrays are not allowed (at ${path})`);
  const tests = list.map((item, i) => compileTest(item, at(path, i)));
  return (value) => {
    const scalars = scalarsOf(value);
    return tests.some((t) => {
      if (t.absent) return scalars.length === 0;
      if (t.present) return scalars.length > 0;
      return scalars.some(t.scalar!);
    });
  };
}

function compileTest(item: unknown, path: string): Test {
  if (item === null || typeof item === 'string' || typeof item === 'boolean') return { scalar: (v) => v === item };
  if (typeof item === 'number') {
    if (!Number.isFinite(item)) throw new PatternError(`${item} is not a number that can be matched (at ${path})`);
    return { scalar: (v) => typeof v === 'number' && v === item };
  }
  if (!isObject(item)) throw new PatternError(`a match value must be a string, a number, true, false, null or a filter object (at ${path})`);
  const keys = Object.keys(item);
  if (keys.length !== 1) throw new PatternError(`a filter object has exactly one match type, not ${keys.length} (at ${path})`);
  const kind = keys[0]!;
  const arg = item[kind];
  switch (kind) {
    case 'prefix':
      return { scalar: affix(arg, path, 'prefix', (s, p) => s.startsWith(p)) };
    case 'suffix':
      return { scalar: affix(arg, path, 'suffix', (s, p) => s.endsWith(p)) };
    case 'equals-ignore-case': {
      const want = str(arg, path, kind).toLowerCase();
      return { scalar: (v) => typeof v === 'string' && v.toLowerCase() === want };
    }
    case 'wildcard': {
      const re = wildcard(str(arg, path, kind), path);
      return { scalar: (v) => typeof v === 'string' && re.test(v) };
    }
    case 'anything-but':
      return { scalar: anythingBut(arg, path) };
    case 'numeric':
      return { scalar: numeric(arg, path) };
    case 'exists':
      if (typeof arg !== 'boolean') throw new PatternError(`exists takes true or false, not ${JSON.stringify(arg)} (at ${path})`);
      return arg ? { present: true } : { absent: true };
    case 'cidr':
      return { scalar: cidr(arg, path) };
    default:
      throw new PatternError(`unrecognized match type ${kind} (at ${path}); EventBridge knows prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists and cidr`);
  }
}

function str(arg: unknown, path: string, kind: string): string {
  if (typeof arg !== 'string') throw new PatternError(`${kind} takes a string, not ${JSON.stringify(arg)} (at ${path})`);
  return arg;
}

/** prefix/suffix: a string, or `{"equals-ignore-case": "…"}`. */
function affix(arg: unknown, path: string, kind: string, test: (s: string, p: string) => boolean): (v: Scalar) => boolean {
  if (isObject(arg) && Object.keys(arg).length === 1 && 'equals-ignore-case' in arg) {
    const want = str(arg['equals-ignore-case'], path, `${kind} equals-ignore-case`).toLowerCase();
    return (v) => typeof v === 'string' && test(v.toLowerCase(), want);
  }
  const want = str(arg, path, kind);
  return (v) => typeof v === 'string' && test(v, want);
}

function wildcard(text: string, path: string): RegExp {
  let re = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (text[i + 1] === '*' || text[i + 1] === '\\')) {
      re += `\\${text[++i]}`;
    } else if (c === '*') {
      if (text[i + 1] === '*') throw new PatternError(`consecutive wildcard characters are not allowed (at ${path}, position ${i})`);
      re += '.*';
    } else {
      re += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`, 's');
}

function anythingBut(arg: unknown, path: string): (v: Scalar) => boolean {
  const where = `anything-but (at ${path})`;
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1) throw new PatternError(`${where} takes one of prefix, suffix, equals-ignore-case or wildcard`);
    const kind = keys[0]!;
    const inner = arg[kind];
    const strings = (): string[] => {
      const list = Array.isArray(inner) ? inner : [inner];
      if (list.length === 0 || !list.every((s) => typeof s === 'string')) throw new PatternError(`${where}: ${kind} takes a string or a non-empty array of strings`);
      return list as string[];
    };
    let test: (s: string) => boolean;
    if (kind === 'prefix') {
      const ps = strings();
      test = (s) => ps.some((p) => s.startsWith(p));
    } else if (kind === 'suffix') {
      const ps = strings();
      test = (s) => ps.some((p) => s.endsWith(p));
    } else if (kind === 'equals-ignore-case') {
      const ps = strings().map((s) => s.toLowerCase());
      test = (s) => ps.includes(s.toLowerCase());
    } else if (kind === 'wildcard') {
      const res = strings().map((s) => wildcard(s, path));
      test = (s) => res.some((r) => r.test(s));
    } else {
      throw new PatternError(`${where}: ${kind} cannot be used inside anything-but; use prefix, suffix, equals-ignore-case or wildcard`);
    }
    return (v) => typeof v === 'string' && !test(v);
  }
  const list = Array.isArray(arg) ? arg : [arg];
  if (list.length === 0) throw new PatternError(`${where} takes a value or a non-empty array of values`);
  const allStrings = list.every((x) => typeof x === 'string');
  const allNumbers = list.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!allStrings && !allNumbers) throw new PatternError(`${where} takes strings only or numbers only, not ${JSON.stringify(arg)}`);
  const excluded = new Set<unknown>(list);
  return allStrings ? (v) => typeof v === 'string' && !excluded.has(v) : (v) => typeof v === 'number' && !excluded.has(v);
}

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);
const compare: Record<string, (a: number, b: number) => boolean> = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '=': (a, b) => a === b, '>': (a, b) => a > b, '>=': (a, b) => a >= b };

function numeric(arg: unknown, path: string): (v: Scalar) => boolean {
  const where = `numeric (at ${path})`;
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw new PatternError(`${where} takes [operator, number] or [lower operator, number, upper operator, number], e.g. [">", 0, "<=", 5]`);
  const pairs: [string, number][] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof op !== 'string' || !(op in compare)) throw new PatternError(`${where}: unknown operator ${JSON.stringify(op)}; use <, <=, =, > or >=`);
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new PatternError(`${where}: the value after ${op} must be a number, not ${JSON.stringify(n)}`);
    if (Math.abs(n) > NUMERIC_LIMIT) throw new PatternError(`${where}: ${n} is outside the range EventBridge compares, -5.0E9 to 5.0E9`);
    pairs.push([op, n]);
  }
  if (pairs.length === 2 && !(LOWER.has(pairs[0]![0]) && UPPER.has(pairs[1]![0]))) throw new PatternError(`${where}: a range is a lower bound (> or >=) followed by an upper bound (< or <=)`);
  return (v) => typeof v === 'number' && pairs.every(([op, n]) => compare[op]!(v, n));
}

function cidr(arg: unknown, path: string): (v: Scalar) => boolean {
  const text = str(arg, path, 'cidr');
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const family = m && isIPv4(m[1]!) ? 'ipv4' : m && isIPv6(m[1]!) ? 'ipv6' : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (!m || !family || bits > (family === 'ipv4' ? 32 : 128)) throw new PatternError(`cidr takes an IPv4 or IPv6 block such as 10.0.0.0/24, not ${JSON.stringify(text)} (at ${path})`);
  const list = new BlockList();
  list.addSubnet(m[1]!, bits, family);
  return (v) => {
    if (typeof v !== 'string') return false;
    const type = isIPv4(v) ? 'ipv4' : isIPv6(v) ? 'ipv6' : undefined;
    return type !== undefined && list.check(v, type);
  };
}
