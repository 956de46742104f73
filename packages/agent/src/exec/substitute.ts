/** A `{{ name }}` reference; `{{ssm:…}}` and friends never match (the colon), so they pass through. */
const REFERENCE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;

interface ParameterDeclaration {
  type?: string;
  default?: unknown;
}

/**
 * The values a nested document runs with: given values, then declared defaults. A declared
 * parameter with neither is an error, and so is a given one the document does not declare.
 */
export function resolveParameters(document: unknown, given: Record<string, unknown>): Record<string, unknown> {
  const declared = (typeof document === 'object' && document !== null && (document as { parameters?: unknown }).parameters) || {};
  if (typeof declared !== 'object' || Array.isArray(declared)) throw new Error('the document parameters are not an object');
  const decls = declared as Record<string, ParameterDeclaration | undefined>;
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(given)) if (!(name in decls)) throw new Error(`the document has no parameter ${name}`);
  for (const [name, decl] of Object.entries(decls)) {
    if (name in given) values[name] = given[name];
    else if (decl && 'default' in decl) values[name] = decl.default;
    else throw new Error(`parameter ${name} is required`);
  }
  return values;
}

/** Substitutes into everything but the `parameters` declaration itself. */
export function substituteDocument(document: unknown, values: Record<string, unknown>): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return substitute(document, values);
  return Object.fromEntries(Object.entries(document).map(([k, v]) => [k, k === 'parameters' ? v : substitute(v, values)]));
}

/** A string that is exactly one reference takes the typed value (a StringList stays a list). */
export function substitute(value: unknown, values: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole && whole[1]! in values) return values[whole[1]!];
    return value.replace(REFERENCE, (ref, name: string) => (name in values ? asText(values[name]) : ref));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, values));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]));
  return value;
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}
