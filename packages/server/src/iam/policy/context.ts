/**
 * Resolution of condition keys (and policy variables, which name the same keys) against
 * a request. Keys are classified once, when a policy is compiled, so a lookup at
 * evaluation time is a switch and a property read.
 */
import type { EvaluationRequest } from './evaluate.js';

/** A value a request carries for a key: multivalued keys such as aws:TagKeys are lists. */
export type ContextValue = string | readonly string[] | boolean | number;
export type Scalar = string | boolean | number;

type KeyKind =
  | 'principalTag'
  | 'resourceTag'
  | 'principalArn'
  | 'principalAccount'
  | 'username'
  | 'userid'
  | 'resourceAccount'
  | 'currentTime'
  | 'epochTime'
  | 'context';

export interface KeyRef {
  /** As written in the policy; tried first against `context` since callers usually agree on case. */
  readonly name: string;
  readonly kind: KeyKind;
  /** The tag key for PrincipalTag/ResourceTag keys. */
  readonly tag: string;
}

const TAG_PREFIXES: ReadonlyArray<[string, KeyKind]> = [
  ['aws:principaltag/', 'principalTag'],
  ['aws:resourcetag/', 'resourceTag'],
  // SSM's own spelling of the resource-tag key; it reads the same tags.
  ['ssm:resourcetag/', 'resourceTag'],
];

const PLAIN_KEYS: ReadonlyMap<string, KeyKind> = new Map<string, KeyKind>([
  ['aws:principalarn', 'principalArn'],
  ['aws:principalaccount', 'principalAccount'],
  ['aws:username', 'username'],
  ['aws:userid', 'userid'],
  ['aws:resourceaccount', 'resourceAccount'],
  ['aws:currenttime', 'currentTime'],
  ['aws:epochtime', 'epochTime'],
]);

/** Condition key names are case-insensitive in AWS, so classification ignores case. */
export function keyRef(name: string): KeyRef {
  const lower = name.toLowerCase();
  for (const [prefix, kind] of TAG_PREFIXES) {
    if (lower.startsWith(prefix)) return { name, kind, tag: name.slice(prefix.length) };
  }
  return { name, kind: PLAIN_KEYS.get(lower) ?? 'context', tag: '' };
}

export function resolveKey(ref: KeyRef, req: EvaluationRequest): ContextValue | undefined {
  const derived = derivedValue(ref, req);
  if (derived !== undefined) return derived;
  const fromContext = req.context === undefined ? undefined : lookupIgnoreCase(req.context, ref.name);
  if (fromContext !== undefined) return fromContext;
  // AWS puts the request time into every request context.
  if (ref.kind === 'currentTime') return new Date().toISOString();
  if (ref.kind === 'epochTime') return Math.floor(Date.now() / 1000);
  return undefined;
}

function derivedValue(ref: KeyRef, req: EvaluationRequest): ContextValue | undefined {
  switch (ref.kind) {
    case 'principalTag':
      return lookupIgnoreCase(req.principal.tags, ref.tag);
    case 'resourceTag':
      return req.resourceTags === undefined ? undefined : lookupIgnoreCase(req.resourceTags, ref.tag);
    case 'principalArn':
      return req.principal.arn;
    case 'principalAccount':
      return req.principal.accountId;
    case 'username':
      return req.principal.username;
    case 'userid':
      return req.principal.userId;
    case 'resourceAccount':
      return arnAccount(req.resource);
    default:
      return undefined;
  }
}

/** The text a policy variable is replaced with; multivalued keys cannot be variables. */
export function scalarText(value: ContextValue | undefined): string | undefined {
  if (value === undefined || isList(value)) return undefined;
  return typeof value === 'string' ? value : String(value);
}

export const isList = (value: ContextValue): value is readonly string[] => Array.isArray(value);

/** Own-property lookup, exact spelling first, then ignoring case (tag keys and context keys). */
export function lookupIgnoreCase<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  if (Object.hasOwn(record, key)) return record[key];
  for (const candidate in record) {
    if (candidate.length === key.length && equalsIgnoreCase(candidate, key) && Object.hasOwn(record, candidate)) {
      return record[candidate];
    }
  }
  return undefined;
}

/** Allocation-free for ASCII, which every AWS key and nearly every tag key is. */
export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 128 || y >= 128) return a.toLowerCase() === b.toLowerCase();
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}

/** The account field of `arn:partition:service:region:account:resource`, if non-empty. */
export function arnAccount(arn: string): string | undefined {
  if (!arn.startsWith('arn:')) return undefined;
  let start = 3;
  for (let field = 1; field < 4; field++) {
    start = arn.indexOf(':', start + 1);
    if (start < 0) return undefined;
  }
  const end = arn.indexOf(':', start + 1);
  if (end < 0 || end === start + 1) return undefined;
  return arn.slice(start + 1, end);
}
