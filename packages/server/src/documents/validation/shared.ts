import { AwsError } from '../../protocol/errors.js';

export type Obj = Record<string, unknown>;
export type Platform = 'Windows' | 'Linux' | 'MacOS';
/** The order AWS lists platform types in. */
export const ALL_PLATFORMS: readonly Platform[] = ['Windows', 'Linux', 'MacOS'];

// SSM's document exceptions all declare an upper-case `Message` member.
const ssmError = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });
export const invalidContent = ssmError('InvalidDocumentContent');
export const invalidSchemaVersion = ssmError('InvalidDocumentSchemaVersion');
export const invalidDocument = ssmError('InvalidDocument');

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws InvalidDocumentContent for a problem found at `where` (a step label, a field path, or both). */
export function fail(where: string, problem: string): never {
  throw invalidContent(where ? `${where}: ${problem}` : problem);
}

/** `a` + `b` → `a.b`; `a` + 2 → `a[2]`. */
export const join = (base: string, key: string | number): string => (typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key);

/** `mainSteps[1] (name: runScript)`: a step is named by its place and its name, so either finds it. */
export const stepLabel = (list: string, index: number, name: unknown): string =>
  `${list}[${index}]` + (typeof name === 'string' && name !== '' ? ` (name: ${name})` : '');

/** A short rendering of a value for messages; documents can be large, messages should not be. */
export function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty object' : 'an object';
  return `${typeof value} ${show(value)}`;
}

export const list = (items: readonly string[]): string => items.join(', ');

/** Rejects fields outside `allowed`: a misspelt field would otherwise be ignored without a word. */
export function onlyKeys(obj: Obj, allowed: readonly string[], where: string, fieldPrefix = ''): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(where, `unknown field ${join(fieldPrefix, key)} (allowed: ${list(allowed)})`);
  }
}

const WHOLE_REFERENCE = /^\{\{\s*[^{}\s][^{}]*?\s*\}\}$/;
/** A value that is exactly one `{{ … }}` is replaced by a typed value at run time, so its shape cannot be checked now. */
export const isWholeReference = (v: unknown): v is string => typeof v === 'string' && WHOLE_REFERENCE.test(v);
export const containsReference = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');

/** The shapes plugin and action inputs take; a whole `{{ reference }}` stands in for any of them. */
export type Kind = 'string' | 'scalar' | 'boolean' | 'integer' | 'stringList' | 'stringOrList' | 'map' | 'mapOrJson' | 'list' | 'mapList' | 'any';

const KIND_TEXT: Record<Kind, string> = {
  string: 'a string',
  scalar: 'a string or a number',
  boolean: 'true or false',
  integer: 'an integer',
  stringList: 'a list of strings',
  stringOrList: 'a string or a non-empty list of strings',
  map: 'an object',
  mapOrJson: 'an object or a JSON object in a string',
  list: 'a list',
  mapList: 'a list of objects',
  any: 'a value',
};

function fitsKind(value: unknown, kind: Kind): boolean {
  if (kind === 'any') return value !== null && value !== undefined;
  if (kind === 'string') return typeof value === 'string';
  if (kind === 'scalar') return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  if (isWholeReference(value)) return true;
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false';
    case 'integer':
      return Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value));
    case 'stringList':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'stringOrList':
      return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'));
    case 'map':
      return isObject(value);
    case 'mapOrJson':
      return isObject(value) || (typeof value === 'string' && (containsReference(value) || isJsonObject(value)));
    case 'list':
      return Array.isArray(value);
    case 'mapList':
      return Array.isArray(value) && value.every((v) => isObject(v) || isWholeReference(v));
  }
}

function isJsonObject(text: string): boolean {
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

/** Checks one input against its kind and, for a literal (non-reference) string, its allowed values. */
export function checkKind(value: unknown, kind: Kind, where: string, name: string, values?: readonly string[]): void {
  if (!fitsKind(value, kind)) fail(where, `${name} must be ${KIND_TEXT[kind]}, not ${describeValue(value)}`);
  if (values && typeof value === 'string' && !containsReference(value) && !values.includes(value)) {
    fail(where, `${name} must be one of ${list(values)}, not ${show(value)}`);
  }
}

export const isPositiveInteger = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** The platforms two sets share, in AWS's order. */
export const intersect = (a: readonly Platform[], b: readonly Platform[]): Platform[] => ALL_PLATFORMS.filter((p) => a.includes(p) && b.includes(p));
export const union = (sets: readonly (readonly Platform[])[]): Platform[] => ALL_PLATFORMS.filter((p) => sets.some((s) => s.includes(p)));
