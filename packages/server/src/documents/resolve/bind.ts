import { checkValue, fromDefault, fromWire, hasDefault } from './convert.js';
import { hasReference } from './syntax.js';
import { invalidParameters, type ParameterDeclaration, type ResolvedValue, type SuppliedParameters } from './types.js';

/**
 * Merges defaults, checks supplied values against the declarations (unknown name, missing
 * required, wrong type, not in allowedValues, pattern mismatch, too many/few items,
 * min/maxChars) and converts to the declared type. Throws AwsError('InvalidParameters').
 *
 * Defaults are the document author's and are not checked against the rules (AWS's own
 * documents have defaults outside their patterns). A value that holds a Parameter Store
 * reference can only be checked once resolved: `resolveReferences` does that when given the
 * declarations.
 */
export function bindParameters(declarations: readonly ParameterDeclaration[], supplied: SuppliedParameters): Record<string, ResolvedValue> {
  const declared = new Map(declarations.map((d) => [d.name, d]));
  const unknown = Object.keys(supplied).filter((name) => !declared.has(name));
  if (unknown.length) {
    throw invalidParameters(`${unknown.length === 1 ? 'Parameter' : 'Parameters'} ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not declared by the document.`);
  }
  const values: Record<string, ResolvedValue> = {};
  for (const d of declarations) {
    const given = Object.hasOwn(supplied, d.name) ? supplied[d.name] : undefined;
    if (given === undefined) {
      if (!hasDefault(d)) throw invalidParameters(`Parameter "${d.name}" is required: the document gives it no default value.`);
      values[d.name] = fromDefault(d);
      continue;
    }
    const value = fromWire(d, given);
    if (!hasReference(value)) checkValue(d, value);
    values[d.name] = value;
  }
  return values;
}
