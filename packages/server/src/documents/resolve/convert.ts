import { EXACT_REFERENCE, cloneJson, isPlainObject } from './syntax.js';
import { invalidParameters, type ParameterDeclaration, type ResolvedValue } from './types.js';

const INTEGER = /^[+-]?\d+$/;

/**
 * The wire's list of strings as the declared type. A single value that is exactly a Parameter
 * Store reference stays text for now: it only becomes a number, boolean or map once resolved.
 */
export function fromWire(d: ParameterDeclaration, given: readonly string[]): ResolvedValue {
  if (!Array.isArray(given) || given.some((v) => typeof v !== 'string')) throw invalidParameters(`Parameter "${d.name}" must be given as a list of strings.`);
  switch (d.type) {
    case 'StringList':
      return [...given];
    case 'MapList':
      return mapListFrom(d, given);
    default: {
      if (given.length !== 1) throw invalidParameters(`Parameter "${d.name}" is of type ${d.type} and takes exactly one value, but ${given.length} were given.`);
      const text = given[0]!;
      return d.type !== 'String' && EXACT_REFERENCE.test(text) ? text : fromText(d, text);
    }
  }
}

/** One textual value (from the wire, or a resolved reference) as the declared scalar or map type. */
export function fromText(d: ParameterDeclaration, text: string): ResolvedValue {
  switch (d.type) {
    case 'String':
      return text;
    case 'StringList':
      return [text];
    case 'Integer': {
      const n = Number(text.trim());
      if (!INTEGER.test(text.trim()) || !Number.isSafeInteger(n)) throw invalidParameters(`Parameter "${d.name}" is of type Integer and must be a whole number.`);
      return n;
    }
    case 'Boolean': {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') throw invalidParameters(`Parameter "${d.name}" is of type Boolean and must be true or false.`);
      return t === 'true';
    }
    case 'StringMap': {
      const parsed = parseJson(text);
      if (!isPlainObject(parsed)) throw invalidParameters(`Parameter "${d.name}" is of type StringMap and must be a JSON object.`);
      return parsed;
    }
    case 'MapList':
      return mapListFrom(d, [text]);
  }
}

/** Each wire item is one JSON object, or a JSON array of objects (what consoles and CLIs send). */
function mapListFrom(d: ParameterDeclaration, items: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const item of items) {
    const parsed = parseJson(item);
    const maps = Array.isArray(parsed) ? parsed : [parsed];
    if (!maps.every(isPlainObject)) throw invalidParameters(`Parameter "${d.name}" is of type MapList and each item must be a JSON object.`);
    out.push(...maps);
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export const hasDefault = (d: ParameterDeclaration) => d.default !== undefined && d.default !== null;

/**
 * A declared default as a value of the parameter's type. Documents write defaults typed
 * (`default: 100`, `default: true`, a list, a map); text is accepted too, as AWS's own
 * documents write numbers as strings.
 */
export function fromDefault(d: ParameterDeclaration): ResolvedValue {
  const v = d.default;
  const bad = () => invalidParameters(`The default value of parameter "${d.name}" is not a valid ${d.type}.`);
  switch (d.type) {
    case 'String':
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw bad();
    case 'StringList':
      if (typeof v === 'string') return [v];
      if (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) return v.map(String);
      throw bad();
    case 'Integer':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      if (typeof v === 'string') return EXACT_REFERENCE.test(v) ? v : convertOr(d, v, bad);
      throw bad();
    case 'Boolean':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string') return EXACT_REFERENCE.test(v) ? v : convertOr(d, v, bad);
      throw bad();
    case 'StringMap':
      if (isPlainObject(v)) return cloneJson(v);
      if (typeof v === 'string') return EXACT_REFERENCE.test(v) ? v : convertOr(d, v, bad);
      throw bad();
    case 'MapList':
      if (Array.isArray(v) && v.every(isPlainObject)) return cloneJson(v);
      if (typeof v === 'string') return convertOr(d, v, bad);
      throw bad();
  }
}

function convertOr(d: ParameterDeclaration, text: string, bad: () => Error): ResolvedValue {
  try {
    return fromText(d, text);
  } catch {
    throw bad();
  }
}

/**
 * allowedValues, allowedPattern, min/maxChars and min/maxItems. Messages name the parameter
 * and the rule but never repeat the value: it may be a password, or come from a SecureString.
 */
export function checkValue(d: ParameterDeclaration, value: ResolvedValue): void {
  const items = Array.isArray(value) ? value : undefined;
  if (items && (d.type === 'StringList' || d.type === 'MapList')) {
    if (d.minItems !== undefined && items.length < d.minItems) throw invalidParameters(`Parameter "${d.name}" takes at least ${d.minItems} item(s), but ${items.length} were given.`);
    if (d.maxItems !== undefined && items.length > d.maxItems) throw invalidParameters(`Parameter "${d.name}" takes at most ${d.maxItems} item(s), but ${items.length} were given.`);
  }
  const texts = textsOf(d, value);
  for (const [i, text] of texts.entries()) {
    const what = texts.length > 1 || d.type === 'StringList' ? `Item ${i + 1} of parameter "${d.name}"` : `Parameter "${d.name}"`;
    const length = [...text].length;
    if (d.minChars !== undefined && length < d.minChars) throw invalidParameters(`${what} must be at least ${d.minChars} character(s) long.`);
    if (d.maxChars !== undefined && length > d.maxChars) throw invalidParameters(`${what} must be at most ${d.maxChars} character(s) long.`);
    if (d.type === 'StringMap' || d.type === 'MapList') continue;
    if (d.allowedValues && !d.allowedValues.includes(text)) throw invalidParameters(`${what} must be one of: ${d.allowedValues.join(', ')}.`);
    if (d.allowedPattern !== undefined && !compilePattern(d).test(text)) throw invalidParameters(`${what} does not match the allowed pattern ${d.allowedPattern}.`);
  }
}

/** The texts the character and pattern rules apply to: each list item; maps as their JSON. */
function textsOf(d: ParameterDeclaration, value: ResolvedValue): string[] {
  if (d.type === 'StringMap' || d.type === 'MapList') return [JSON.stringify(value)];
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return [typeof value === 'string' ? value : String(value)];
}

const compiled = new Map<string, RegExp>();

/**
 * AWS evaluates allowedPattern with Go's RE2, unanchored. JavaScript's engine accepts nearly all
 * of RE2's syntax; the differences that occur in real documents (leading inline flags, `\A`/`\z`
 * and POSIX classes) are translated.
 */
export function compilePattern(d: ParameterDeclaration): RegExp {
  const source = d.allowedPattern!;
  let re = compiled.get(source);
  if (re) return re;
  let body = source;
  let flags = '';
  const inline = /^\(\?([ims]+)\)/.exec(body);
  if (inline) {
    flags = [...new Set(inline[1]!)].join('');
    body = body.slice(inline[0].length);
  }
  body = body
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\[:(alnum|alpha|digit|lower|upper|space|xdigit|word|punct):\]/g, (_, c: string) => POSIX[c]!);
  try {
    re = new RegExp(body, flags);
  } catch {
    throw invalidParameters(`Parameter "${d.name}" has an allowed pattern that cannot be evaluated.`);
  }
  if (compiled.size > 1000) compiled.clear();
  compiled.set(source, re);
  return re;
}

const POSIX: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  space: '\\s',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  punct: '!-\\/:-@\\[-`{-~',
};
