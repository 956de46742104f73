import type { ParameterDeclaration, ParameterType } from './index.js';
import { describeValue, fail, isObject, isWholeReference, join, list, onlyKeys, show, type Obj } from './shared.js';

export const PARAMETER_TYPES: readonly ParameterType[] = ['String', 'StringList', 'Integer', 'Boolean', 'MapList', 'StringMap'];
const NAME = /^[A-Za-z0-9_]+$/;
const FIELDS = ['type', 'description', 'default', 'allowedValues', 'allowedPattern', 'minItems', 'maxItems', 'minChars', 'maxChars', 'displayType', 'interpolationType'];
const LIST_TYPES: readonly ParameterType[] = ['StringList', 'MapList'];
const CHAR_TYPES: readonly ParameterType[] = ['String', 'StringList', 'StringMap', 'MapList'];
const VALUE_TYPES: readonly ParameterType[] = ['String', 'StringList', 'Integer', 'Boolean'];
const PATTERN_TYPES: readonly ParameterType[] = ['String', 'StringList', 'Integer'];

/** Reads and checks the `parameters` block; the result keeps declaration order. */
export function parseParameters(raw: unknown, where = 'parameters'): ParameterDeclaration[] {
  if (raw === undefined) return [];
  if (!isObject(raw)) fail('', `${where} must be an object keyed by parameter name, not ${describeValue(raw)}`);
  return Object.entries(raw).map(([name, decl]) => parseOne(name, decl, join(where, name)));
}

function parseOne(name: string, raw: unknown, where: string): ParameterDeclaration {
  if (!NAME.test(name)) fail(where, `parameter name ${show(name)} is not valid: use only letters, digits and underscores ([A-Za-z0-9_]+)`);
  if (!isObject(raw)) fail(where, `a parameter declaration must be an object with at least a type, not ${describeValue(raw)}`);
  onlyKeys(raw, FIELDS, where);
  const type = parseType(raw.type, where);
  const decl: ParameterDeclaration = { name, type };
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string') fail(where, `description must be a string, not ${describeValue(raw.description)}`);
    decl.description = raw.description;
  }
  if (raw.allowedValues !== undefined) decl.allowedValues = parseAllowedValues(raw.allowedValues, type, where);
  if (raw.allowedPattern !== undefined) {
    if (typeof raw.allowedPattern !== 'string') fail(where, `allowedPattern must be a string, not ${describeValue(raw.allowedPattern)}`);
    if (!PATTERN_TYPES.includes(type)) fail(where, `allowedPattern applies to ${list(PATTERN_TYPES)} parameters, not ${type}`);
    compilePattern(raw.allowedPattern, where);
    decl.allowedPattern = raw.allowedPattern;
  }
  readBounds(raw, decl, 'minItems', 'maxItems', LIST_TYPES, where);
  readBounds(raw, decl, 'minChars', 'maxChars', CHAR_TYPES, where);
  if (raw.displayType !== undefined) {
    if (raw.displayType !== 'textarea' && raw.displayType !== 'textfield') fail(where, `displayType must be textarea or textfield, not ${show(raw.displayType)}`);
    decl.displayType = raw.displayType;
  }
  if (raw.interpolationType !== undefined) {
    if (raw.interpolationType !== 'ENV_VAR') fail(where, `interpolationType must be ENV_VAR, not ${show(raw.interpolationType)}`);
    if (type !== 'String') fail(where, `interpolationType applies only to String parameters, not ${type}`);
  }
  if ('default' in raw) {
    checkDefault(raw.default, decl, join(where, 'default'));
    decl.default = raw.default;
  }
  return decl;
}

function parseType(type: unknown, where: string): ParameterType {
  if (type === undefined) fail(where, `type is required (one of ${list(PARAMETER_TYPES)})`);
  if (typeof type === 'string' && (PARAMETER_TYPES as readonly string[]).includes(type)) return type as ParameterType;
  const near = typeof type === 'string' ? PARAMETER_TYPES.find((t) => t.toLowerCase() === type.toLowerCase()) : undefined;
  fail(where, `type must be one of ${list(PARAMETER_TYPES)}, not ${show(type)}` + (near ? ` (types are case-sensitive: did you mean ${near}?)` : ''));
}

function parseAllowedValues(raw: unknown, type: ParameterType, where: string): string[] {
  if (!VALUE_TYPES.includes(type)) fail(where, `allowedValues applies to ${list(VALUE_TYPES)} parameters, not ${type}`);
  if (!Array.isArray(raw) || raw.length === 0) fail(where, `allowedValues must be a non-empty list of strings, not ${describeValue(raw)}`);
  raw.forEach((v, i) => {
    if (typeof v !== 'string') fail(where, `allowedValues[${i}] must be a string, not ${describeValue(v)} (quote it in YAML)`);
  });
  return raw as string[];
}

type BoundKey = 'minItems' | 'maxItems' | 'minChars' | 'maxChars';

function readBounds(raw: Obj, decl: ParameterDeclaration, minKey: BoundKey, maxKey: BoundKey, types: readonly ParameterType[], where: string): void {
  for (const key of [minKey, maxKey]) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!types.includes(decl.type)) fail(where, `${key} applies only to ${list(types)} parameters, not ${decl.type}`);
    if (!Number.isInteger(v) || (v as number) < 0) fail(where, `${key} must be a whole number of at least 0, not ${describeValue(v)}`);
    decl[key] = v as number;
  }
  const min = decl[minKey];
  const max = decl[maxKey];
  if (min !== undefined && max !== undefined && min > max) fail(where, `${minKey} (${min}) is greater than ${maxKey} (${max})`);
}

/**
 * AWS checks allowedPattern with Java's regex library. The few Java spellings that JavaScript
 * lacks and documents use (a leading `(?i)`, `\A`, `\Z`, `\z`) are translated; anything else
 * JavaScript cannot compile is refused, since values could never be checked against it here.
 */
export function compilePattern(pattern: string, where: string): RegExp {
  let source = pattern;
  let flags = '';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'i';
  }
  source = source.replace(/(^|[^\\])\\A/g, '$1^').replace(/(^|[^\\])\\[Zz]/g, '$1$');
  try {
    return new RegExp(source, flags);
  } catch (e) {
    fail(where, `allowedPattern ${show(pattern)} is not a valid regular expression: ${(e as Error).message}`);
  }
}

function checkDefault(value: unknown, decl: ParameterDeclaration, where: string): void {
  // A whole `{{ssm:name}}` default is resolved when the document runs; its value is unknown now.
  if (isWholeReference(value)) return;
  const { type } = decl;
  const ok =
    (type === 'String' && typeof value === 'string') ||
    (type === 'StringList' && Array.isArray(value) && value.every((v) => typeof v === 'string')) ||
    (type === 'Integer' && Number.isInteger(value)) ||
    (type === 'Boolean' && typeof value === 'boolean') ||
    (type === 'StringMap' && isObject(value)) ||
    (type === 'MapList' && Array.isArray(value) && value.every(isObject));
  if (!ok) fail(where, `the default must match the parameter type ${type}${TYPE_HINT[type]}, not ${describeValue(value)}`);
  const items: unknown[] = type === 'StringList' ? (value as string[]) : [value];
  if (decl.minItems !== undefined && (value as unknown[]).length < decl.minItems) fail(where, `the default has ${(value as unknown[]).length} items, fewer than minItems ${decl.minItems}`);
  if (decl.maxItems !== undefined && (value as unknown[]).length > decl.maxItems) fail(where, `the default has ${(value as unknown[]).length} items, more than maxItems ${decl.maxItems}`);
  for (const item of items) {
    if (decl.allowedValues && !decl.allowedValues.includes(String(item))) fail(where, `the default ${show(item)} is not one of the allowedValues (${list(decl.allowedValues)})`);
    // An empty default means "no value": AWS's own documents pair `default: ''` with patterns that reject it.
    if (item === '' || (typeof item !== 'string' && typeof item !== 'number')) continue;
    const text = String(item);
    if (decl.allowedPattern !== undefined && !compilePattern(decl.allowedPattern, where).test(text)) {
      fail(where, `the default ${show(item)} does not match the allowedPattern ${show(decl.allowedPattern)}`);
    }
    if (typeof item === 'string' && decl.minChars !== undefined && text.length < decl.minChars) fail(where, `the default ${show(item)} is shorter than minChars ${decl.minChars}`);
    if (typeof item === 'string' && decl.maxChars !== undefined && text.length > decl.maxChars) fail(where, `the default ${show(item)} is longer than maxChars ${decl.maxChars}`);
  }
}

const TYPE_HINT: Record<ParameterType, string> = {
  String: ' (a string; quote numbers and booleans)',
  StringList: ' (a list of strings)',
  Integer: ' (a whole number, not a quoted one)',
  Boolean: ' (true or false, not a quoted one)',
  StringMap: ' (an object)',
  MapList: ' (a list of objects)',
};
