import fc from 'fast-check';

/**
 * Walks zod v4 schemas (through `_zod.def`, the shape zod itself builds on) to derive, for each
 * operation, a plausible input and the places in it where a value can be made wrong.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = any;
type Path = readonly (string | number)[];

const MAX_DEPTH = 6;

interface Bounds {
  min?: number;
  max?: number;
  pattern?: RegExp;
  int?: boolean;
}

function boundsOf(s: Schema): Bounds {
  const b: Bounds = {};
  for (const c of (s._zod.def.checks ?? []) as Schema[]) {
    const d = c._zod.def;
    if (d.check === 'min_length') b.min = d.minimum;
    else if (d.check === 'max_length') b.max = d.maximum;
    else if (d.check === 'length_equals') b.min = b.max = d.length;
    else if (d.check === 'string_format' && d.pattern) b.pattern = d.pattern;
    else if (d.check === 'greater_than') b.min = Number(d.value) + (d.inclusive ? 0 : 1);
    else if (d.check === 'less_than') b.max = Number(d.value) - (d.inclusive ? 0 : 1);
    else if (d.check === 'number_format') b.int = true;
  }
  return b;
}

/** Strips wrappers that do not change what is on the wire. */
export function unwrap(s: Schema, depth = 0): Schema {
  const d = s._zod.def;
  if (depth > MAX_DEPTH) return s;
  if (['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional'].includes(d.type)) return unwrap(d.innerType, depth + 1);
  if (d.type === 'pipe') return unwrap(d.in.type === 'transform' ? d.out : d.in, depth + 1);
  if (d.type === 'lazy') return unwrap(d.getter(), depth + 1);
  return s;
}

const isOptional = (s: Schema): boolean => ['optional', 'default', 'prefault', 'catch'].includes(s._zod.def.type);

/** A value of the schema's shape, every member present: something for a mutation to break. */
export function plausible(s: Schema, depth = 0): unknown {
  const u = unwrap(s);
  const d = u._zod.def;
  if (depth > MAX_DEPTH) return undefined;
  switch (d.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(d.shape as Record<string, Schema>)) {
        const value = plausible(v, depth + 1);
        if (value !== undefined) out[k] = value;
      }
      return out;
    }
    case 'string': {
      const b = boundsOf(u);
      return 'a'.repeat(Math.max(b.min ?? 1, 1));
    }
    case 'number': {
      const b = boundsOf(u);
      return b.min ?? 1;
    }
    case 'boolean':
      return true;
    case 'enum':
      return Object.values(d.entries)[0];
    case 'literal':
      return d.values[0];
    case 'array': {
      const b = boundsOf(u);
      const one = plausible(d.element, depth + 1);
      return one === undefined ? [] : Array.from({ length: Math.max(b.min ?? 1, 1) }, () => one);
    }
    case 'record': {
      const value = plausible(d.valueType, depth + 1);
      return value === undefined ? {} : { k: value };
    }
    case 'union':
      return plausible(d.options[0], depth + 1);
    case 'date':
      return 1_700_000_000;
    case 'unknown':
    case 'any':
      return 'x';
    default:
      return undefined;
  }
}

/** Every member of the plausible value, with the schema that checks it. */
export function targets(s: Schema, value: unknown, path: Path = [], out: { path: Path; schema: Schema; optional: boolean }[] = [], depth = 0): typeof out {
  if (depth > MAX_DEPTH) return out;
  const u = unwrap(s);
  const d = u._zod.def;
  if (d.type === 'object' && value && typeof value === 'object') {
    for (const [k, v] of Object.entries(d.shape as Record<string, Schema>)) {
      out.push({ path: [...path, k], schema: v, optional: isOptional(v) });
      targets(v, (value as Record<string, unknown>)[k], [...path, k], out, depth + 1);
    }
  } else if (d.type === 'array' && Array.isArray(value) && value.length > 0) {
    out.push({ path: [...path, 0], schema: d.element, optional: false });
    targets(d.element, value[0], [...path, 0], out, depth + 1);
  } else if (d.type === 'record' && value && typeof value === 'object') {
    out.push({ path: [...path, 'k'], schema: d.valueType, optional: false });
  }
  return out;
}

/** Text that has broken real parsers: lone surrogates, NUL, BOM, bidi overrides, astral, combining runs. */
export const UNICODE_EDGES = ['\uD800', '\uDFFF', 'a\uDC00b', '\u0000', '\uFEFF', '\u202Eevil', '\u{1F4A9}'.repeat(3), 'e\u0301'.repeat(40), '\u0085\u2028\u2029', '../../etc/passwd', "'; drop table x; --", '%00%ff'];

const DROP = Symbol('drop');

/** What replaces the member at a path, given the schema that checks it. */
function badValues(s: Schema): fc.Arbitrary<unknown> {
  const u = unwrap(s);
  const d = u._zod.def;
  const wrongTypes: unknown[] = d.type === 'string' || d.type === 'enum' ? [7, true, [], {}, null] : d.type === 'number' ? ['1', true, [], {}, null, 'NaN'] : d.type === 'boolean' ? ['true', 0, [], {}, null] : d.type === 'array' ? ['x', 1, {}, null] : ['x', 1, [], null, true];
  const options: fc.Arbitrary<unknown>[] = [fc.constantFrom(...wrongTypes), fc.constant(DROP)];
  const b = boundsOf(u);
  if (d.type === 'string') {
    options.push(fc.constant('x'.repeat((b.max ?? 200_000) + 1)));
    if ((b.min ?? 0) > 0) options.push(fc.constant('x'.repeat(b.min! - 1)));
    options.push(fc.constantFrom(...UNICODE_EDGES));
    if (b.pattern) options.push(fc.string({ unit: 'binary', maxLength: 40 }).filter((x) => !b.pattern!.test(x)));
  } else if (d.type === 'number') {
    if (b.max !== undefined) options.push(fc.constantFrom(b.max + 1, 1e308));
    if (b.min !== undefined) options.push(fc.constantFrom(b.min - 1, -1e308));
    options.push(fc.constantFrom(0.5, -0, 2 ** 53 + 2, 1e400 /* Infinity: serialises as null */));
  } else if (d.type === 'enum') {
    options.push(fc.constantFrom('NOT_A_MEMBER', '', String(Object.values(d.entries)[0]).toLowerCase() + 'x'));
  } else if (d.type === 'array') {
    const one = plausible(d.element);
    if (b.max !== undefined) options.push(fc.constant(Array.from({ length: b.max + 1 }, () => one)));
    if ((b.min ?? 0) > 0) options.push(fc.constant([]));
  }
  options.push(fc.constant(nested(200)));
  return fc.oneof(...options);
}

function nested(n: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value === DROP ? undefined : value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === DROP) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return copy;
}

/** One to three members of the plausible input made wrong; whole-input replacements too. */
export function invalidInputs(schema: Schema): fc.Arbitrary<unknown> {
  const base = plausible(schema) ?? {};
  const spots = targets(schema, base);
  const wholes = fc.constantFrom<unknown>({}, [], [base], 'text', 0, nested(300), { ...(base as object), ...(JSON.parse('{"__proto__":{"polluted":true}}') as object) });
  if (spots.length === 0) return wholes;
  const one = fc.constantFrom(...spots).chain((spot) => badValues(spot.schema).map((v) => ({ path: spot.path, v })));
  const edits = fc.array(one, { minLength: 1, maxLength: 3 }).map((list) => list.reduce<unknown>((acc, e) => (acc && typeof acc === 'object' && pathExists(acc, e.path) ? setAt(acc, e.path, e.v) : acc), base));
  return fc.oneof({ arbitrary: edits, weight: 6 }, { arbitrary: wholes, weight: 1 });
}

function pathExists(root: unknown, path: Path): boolean {
  let cur = root;
  for (const seg of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return false;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur !== null && typeof cur === 'object';
}
