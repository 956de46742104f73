import { EXACT_PLACEHOLDER, PLACEHOLDER, cloneJson, isPlainObject } from './syntax.js';
import type { ResolvedValue } from './types.js';

/**
 * Interpolates {{ name }} (whitespace allowed inside braces) throughout a parsed document:
 * every string in objects and arrays, never keys. A string that is exactly one reference
 * becomes the value itself, typed (so `runCommand: "{{ commands }}"` becomes the list); inside
 * a longer string a value is written as text, and a non-string value as its JSON, which is
 * what the SSM Agent does (`echo {{ list }}` gives `echo ["a","b"]`).
 *
 * Names that are not parameters (`{{ssm:…}}`, `{{resolve:…}}`, `{{ automation:EXECUTION_ID }}`,
 * `{{ step.Output }}`) are left for whoever understands them. Replacement is one pass over the
 * document's own text: a value that itself contains `{{ other }}` is not expanded again, so a
 * caller cannot pull another parameter (say, a secret) into a place it does not belong.
 */
export function interpolate<T>(content: T, values: Record<string, ResolvedValue>): T {
  return walk(content, values) as T;
}

function walk(node: unknown, values: Record<string, ResolvedValue>): unknown {
  if (typeof node === 'string') return interpolateString(node, values);
  if (Array.isArray(node)) return node.map((item) => walk(item, values));
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, values);
    return out;
  }
  return node;
}

function interpolateString(text: string, values: Record<string, ResolvedValue>): unknown {
  const exact = EXACT_PLACEHOLDER.exec(text);
  if (exact && Object.hasOwn(values, exact[1]!)) return cloneJson(values[exact[1]!]);
  return text.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? asText(values[name]!) : whole));
}

/** A value as it reads inside a longer string. */
export const asText = (value: ResolvedValue): string => (typeof value === 'string' ? value : JSON.stringify(value));
