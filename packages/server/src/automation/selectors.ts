import { StepFailure } from './errors.js';

/**
 * The JSONPath subset runbook outputs use: `$`, `.name`, `['name']`, `[n]`, `[*]` and `..name`.
 * Returns every match; a path through something missing matches nothing.
 */
export function select(root: unknown, path: string): unknown[] {
  if (!path.startsWith('$')) throw new StepFailure(`Selector ${path} must start with $`);
  let current: unknown[] = [root];
  let rest = path.slice(1);
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if ((m = /^\.\.([A-Za-z0-9_$-]+)/.exec(rest))) {
      const key = m[1]!;
      current = current.flatMap((v) => descend(v, key));
    } else if ((m = /^\.([A-Za-z0-9_$-]+)/.exec(rest)) || (m = /^\[['"]([^'"]+)['"]\]/.exec(rest))) {
      const key = m[1]!;
      current = current.flatMap((v) => (v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, key) ? [(v as Record<string, unknown>)[key]] : []));
    } else if ((m = /^\[(-?\d+)\]/.exec(rest))) {
      const i = Number(m[1]);
      current = current.flatMap((v) => (Array.isArray(v) ? (i < 0 ? (v.length + i >= 0 ? [v[v.length + i]] : []) : i < v.length ? [v[i]] : []) : []));
    } else if ((m = /^(\[\*\]|\.\*)/.exec(rest))) {
      current = current.flatMap((v) => (Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : []));
    } else {
      throw new StepFailure(`Selector ${path} is not a JSONPath this runbook engine reads (near ${rest.slice(0, 20)})`);
    }
    rest = rest.slice(m[0].length);
  }
  return current;
}

function descend(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => descend(v, key));
  if (!value || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  return [...(Object.hasOwn(obj, key) ? [obj[key]] : []), ...Object.values(obj).flatMap((v) => descend(v, key))];
}

/** A selected value as the output's declared Type; a wildcard's matches make the list. */
export function convertOutput(matches: unknown[], type: string, name: string): unknown {
  const many = matches.length === 1 ? matches[0] : matches;
  const bad = (what: string) => new StepFailure(`Output ${name}: ${JSON.stringify(many)?.slice(0, 200)} is not ${what}`, 'Verification');
  switch (type) {
    case 'String':
      if (typeof many === 'string') return many;
      if (many instanceof Date) return many.toISOString();
      if (typeof many === 'number' || typeof many === 'boolean') return String(many);
      return JSON.stringify(many);
    case 'Integer': {
      const n = typeof many === 'number' ? many : Number(many);
      if (!Number.isInteger(n)) throw bad('an integer');
      return n;
    }
    case 'Boolean':
      if (typeof many === 'boolean') return many;
      if (many === 'true' || many === 'false') return many === 'true';
      throw bad('a boolean');
    case 'StringList': {
      const list = Array.isArray(many) ? many : [many];
      return list.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    }
    case 'StringMap':
      if (!many || typeof many !== 'object' || Array.isArray(many)) throw bad('a map');
      return many;
    case 'MapList': {
      const list = Array.isArray(many) ? many : [many];
      if (!list.every((v) => v && typeof v === 'object' && !Array.isArray(v))) throw bad('a list of maps');
      return list;
    }
    default:
      return many;
  }
}

/** A value as AWS's Outputs map holds it: a list of strings. */
export function toWireValues(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return [JSON.stringify(value)];
}
