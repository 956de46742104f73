/**
 * Parameter Store references inside parameter values. The name part is the agent's own
 * character class (`[/\w.:-]`), which also admits `name:version`, `name:label` and ARNs.
 */
export const REFERENCE = /\{\{\s*(ssm|ssm-secure):([/\w.:-]+)\s*\}\}/g;
export const EXACT_REFERENCE = /^\s*\{\{\s*(ssm|ssm-secure):([/\w.:-]+)\s*\}\}\s*$/;

/** `{{ name }}` placeholders of document parameters; anything else in braces is left alone. */
export const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;
export const EXACT_PLACEHOLDER = /^\{\{\s*([^{}\s]+)\s*\}\}$/;

export type ReferenceKind = 'ssm' | 'ssm-secure';

export const referenceKey = (kind: string, name: string) => `${kind}|${name}`;

/** Whether a value holds a Parameter Store reference anywhere inside it. */
export function hasReference(value: unknown): boolean {
  if (typeof value === 'string') return new RegExp(REFERENCE.source).test(value);
  if (Array.isArray(value)) return value.some(hasReference);
  if (isPlainObject(value)) return Object.values(value).some(hasReference);
  return false;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of JSON-shaped data, so callers never share arrays or maps with a declaration. */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneJson(v);
    return out as T;
  }
  return value;
}
