import { incompatiblePolicy, invalidPolicyAttribute, invalidPolicyType, policiesLimitExceeded } from './errors.js';

export const MAX_POLICIES = 10;

export const POLICY_TYPES = ['Expiration', 'ExpirationNotification', 'NoChangeNotification'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

/** A parameter policy as stored with its parameter version. */
export interface StoredPolicy {
  type: PolicyType;
  /** The policy's JSON as the caller wrote it (AWS echoes it as PolicyText). */
  text: string;
  status: 'Pending' | 'Finished' | 'InProgress' | 'Failed';
  /** Expiration: when; notifications: how long before expiry / after the last change, in ms. */
  at?: number;
  offsetMs?: number;
}

const HOUR = 3_600_000;
const UNIT_MS: Record<string, number> = { Days: 24 * HOUR, Hours: HOUR };

/** Parses the `Policies` member of PutParameter with AWS's rules and errors. */
export function parsePolicies(text: string, now: number): StoredPolicy[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw invalidPolicyAttribute('Policies must be a JSON array of parameter policies.');
  }
  if (!Array.isArray(list)) throw invalidPolicyAttribute('Policies must be a JSON array of parameter policies.');
  if (list.length > MAX_POLICIES) throw policiesLimitExceeded(`A parameter can have at most ${MAX_POLICIES} policies; ${list.length} were given.`);
  const out = list.map((p) => parseOne(p, now));
  const seen = new Set<PolicyType>();
  for (const p of out) {
    if (seen.has(p.type)) throw incompatiblePolicy(`A parameter can have only one ${p.type} policy.`);
    seen.add(p.type);
  }
  if (seen.has('ExpirationNotification') && !seen.has('Expiration')) {
    throw incompatiblePolicy('An ExpirationNotification policy needs an Expiration policy on the same parameter.');
  }
  const expiry = out.find((p) => p.type === 'Expiration');
  const notice = out.find((p) => p.type === 'ExpirationNotification');
  if (expiry && notice && expiry.at! - notice.offsetMs! <= now) {
    throw incompatiblePolicy('The ExpirationNotification would fire before now: its Before is longer than the time left until the Expiration.');
  }
  return out;
}

function parseOne(p: unknown, now: number): StoredPolicy {
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw invalidPolicyAttribute('Each parameter policy must be a JSON object with Type, Version and Attributes.');
  const { Type, Version, Attributes } = p as { Type?: unknown; Version?: unknown; Attributes?: unknown };
  if (Type !== 'Expiration' && Type !== 'ExpirationNotification' && Type !== 'NoChangeNotification') {
    throw invalidPolicyType(`The policy type ${String(Type)} is not supported. Parameter Store supports Expiration, ExpirationNotification and NoChangeNotification.`);
  }
  if (Version !== undefined && Version !== '1.0') throw invalidPolicyAttribute(`${Type}: Version must be "1.0".`);
  if (!Attributes || typeof Attributes !== 'object') throw invalidPolicyAttribute(`${Type}: Attributes are required.`);
  const attrs = Attributes as Record<string, unknown>;
  const text = JSON.stringify(p);
  if (Type === 'Expiration') {
    const ts = typeof attrs.Timestamp === 'string' ? Date.parse(attrs.Timestamp) : NaN;
    if (Number.isNaN(ts)) throw invalidPolicyAttribute('Expiration: Attributes.Timestamp must be an ISO 8601 time, e.g. 2030-12-02T21:34:33.000Z.');
    if (ts <= now) throw invalidPolicyAttribute(`Expiration: the Timestamp ${attrs.Timestamp} is in the past.`);
    return { type: Type, text, status: 'Pending', at: ts };
  }
  const field = Type === 'ExpirationNotification' ? 'Before' : 'After';
  const amount = typeof attrs[field] === 'string' || typeof attrs[field] === 'number' ? Number(attrs[field]) : NaN;
  if (!Number.isInteger(amount) || amount < 1) throw invalidPolicyAttribute(`${Type}: Attributes.${field} must be a whole number of at least 1.`);
  const unit = attrs.Unit ?? 'Days';
  if (typeof unit !== 'string' || !(unit in UNIT_MS)) throw invalidPolicyAttribute(`${Type}: Attributes.Unit must be Days or Hours.`);
  return { type: Type, text, status: 'Pending', offsetMs: amount * UNIT_MS[unit]! };
}

/** When each policy acts, given when the parameter version was written. */
export function dueTimes(policies: readonly StoredPolicy[], modifiedAt: number): { type: PolicyType; dueAt: number }[] {
  const expiry = policies.find((p) => p.type === 'Expiration')?.at;
  return policies.flatMap((p): { type: PolicyType; dueAt: number }[] => {
    if (p.type === 'Expiration') return [{ type: p.type, dueAt: p.at! }];
    if (p.type === 'ExpirationNotification') return expiry === undefined ? [] : [{ type: p.type, dueAt: expiry - p.offsetMs! }];
    return [{ type: p.type, dueAt: modifiedAt + p.offsetMs! }];
  });
}

export const policiesOut = (policies: readonly StoredPolicy[]) => policies.map((p) => ({ PolicyText: p.text, PolicyType: p.type, PolicyStatus: p.status }));
