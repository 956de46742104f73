import type { DocumentParameter } from '../../api/types';

/**
 * A document parameter as the form needs it. DescribeDocument gives only name, type,
 * description and default; the rules (allowed values, pattern, sizes, display) come from the
 * `parameters` section of the document's content.
 */
export interface ParamSpec {
  name: string;
  type: 'String' | 'StringList' | 'Integer' | 'Boolean' | 'StringMap' | 'MapList' | string;
  description?: string | undefined;
  /** The default as the form shows it; undefined means the parameter is required. */
  defaultText?: string | undefined;
  allowedValues?: string[] | undefined;
  allowedPattern?: string | undefined;
  displayType?: string | undefined;
  minItems?: number | undefined;
  maxItems?: number | undefined;
  minChars?: number | undefined;
  maxChars?: number | undefined;
}

type Declaration = {
  type?: unknown;
  description?: unknown;
  default?: unknown;
  allowedValues?: unknown;
  allowedPattern?: unknown;
  displayType?: unknown;
  minItems?: unknown;
  maxItems?: unknown;
  minChars?: unknown;
  maxChars?: unknown;
};

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The text a value has in the form: lists one item a line, maps and lists of maps as JSON. */
export function valueToText(type: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (type === 'StringList') {
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');
    if (typeof v === 'string') {
      const parsed = tryJson(v);
      if (Array.isArray(parsed)) return parsed.map(String).join('\n');
      return v;
    }
  }
  if (type === 'StringMap' || type === 'MapList') return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Merges the declarations found in the content (JSON) over DescribeDocument's list. */
export function paramSpecs(described: DocumentParameter[] | undefined, contentJson: string | undefined): ParamSpec[] {
  let declared: Record<string, Declaration> = {};
  if (contentJson) {
    const doc = tryJson(contentJson) as { parameters?: Record<string, Declaration> } | undefined;
    if (doc && typeof doc.parameters === 'object' && doc.parameters) declared = doc.parameters;
  }
  const names = described?.length ? described.map((d) => d.Name) : Object.keys(declared);
  return names.map((name) => {
    const d = declared[name] ?? {};
    const api = described?.find((p) => p.Name === name);
    const type = str(d.type) ?? api?.Type ?? 'String';
    const hasDefault = 'default' in d || api?.DefaultValue !== undefined;
    return {
      name,
      type,
      description: str(d.description) ?? api?.Description,
      defaultText: hasDefault ? valueToText(type, 'default' in d ? d.default : api?.DefaultValue) : undefined,
      allowedValues: Array.isArray(d.allowedValues) ? d.allowedValues.map(String) : undefined,
      allowedPattern: str(d.allowedPattern),
      displayType: str(d.displayType),
      minItems: num(d.minItems),
      maxItems: num(d.maxItems),
      minChars: num(d.minChars),
      maxChars: num(d.maxChars),
    };
  });
}

export const initialValues = (specs: ParamSpec[]): Record<string, string> => Object.fromEntries(specs.map((s) => [s.name, s.defaultText ?? '']));

export const listItems = (text: string) =>
  text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');

/** A whole-value reference to a parameter is resolved by the server, so local rules do not apply to it. */
const REFERENCE = /^\{\{\s*ssm(-secure)?:[^}]+\}\}$/;

function checkText(s: ParamSpec, v: string, what: string): string | undefined {
  if (REFERENCE.test(v.trim())) return undefined;
  if (s.allowedValues && !s.allowedValues.includes(v)) return `${what} must be one of: ${s.allowedValues.join(', ')}.`;
  if (s.minChars !== undefined && v.length < s.minChars) return `${what} needs at least ${s.minChars} characters.`;
  if (s.maxChars !== undefined && v.length > s.maxChars) return `${what} can have at most ${s.maxChars} characters.`;
  if (s.allowedPattern) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(s.allowedPattern);
    } catch {
      // A pattern JavaScript cannot read is left to the server.
    }
    if (re && !re.test(v)) return `${what} does not match the pattern ${s.allowedPattern}.`;
  }
  return undefined;
}

/** The reason a value is refused, or undefined when it is acceptable. */
export function validateParam(s: ParamSpec, text: string): string | undefined {
  const required = s.defaultText === undefined;
  if (s.type === 'StringList') {
    const items = listItems(text);
    if (required && items.length === 0) return 'Required: give at least one value, one a line.';
    if (s.minItems !== undefined && items.length < s.minItems && (required || items.length > 0)) return `Give at least ${s.minItems} ${s.minItems === 1 ? 'value' : 'values'}.`;
    if (s.maxItems !== undefined && items.length > s.maxItems) return `Give at most ${s.maxItems} values.`;
    for (const [i, item] of items.entries()) {
      const e = checkText(s, item, `Line ${i + 1}`);
      if (e) return e;
    }
    return undefined;
  }
  if (text.trim() === '') return required ? 'Required.' : undefined;
  if (s.type === 'Integer') {
    if (!/^-?\d+$/.test(text.trim())) return 'Must be a whole number.';
    return s.allowedValues && !s.allowedValues.includes(text.trim()) ? `Must be one of: ${s.allowedValues.join(', ')}.` : undefined;
  }
  if (s.type === 'Boolean') return text === 'true' || text === 'false' ? undefined : 'Must be true or false.';
  if (s.type === 'StringMap' || s.type === 'MapList') {
    const v = tryJson(text);
    if (s.type === 'StringMap' && (typeof v !== 'object' || v === null || Array.isArray(v))) return 'Must be a JSON object, such as {"key": "value"}.';
    if (s.type === 'MapList' && (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x)))) return 'Must be a JSON list of objects, such as [{"key": "value"}].';
    return undefined;
  }
  return checkText(s, text, 'The value');
}

export function validateAll(specs: ParamSpec[], values: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const s of specs) {
    const e = validateParam(s, values[s.name] ?? '');
    if (e) errors[s.name] = e;
  }
  return errors;
}

/**
 * SendCommand's Parameters. A value left at its default is left out, so the document's own
 * default applies (as the CLI behaves when a parameter is not given).
 */
export function toCommandParameters(specs: ParamSpec[], values: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of specs) {
    const text = values[s.name] ?? '';
    if (s.defaultText !== undefined && text === s.defaultText) continue;
    if (s.type === 'StringList') {
      const items = listItems(text);
      if (items.length || s.defaultText === undefined) out[s.name] = items;
      else out[s.name] = [];
    } else {
      out[s.name] = [s.type === 'Integer' || s.type === 'Boolean' ? text.trim() : text];
    }
  }
  return out;
}
