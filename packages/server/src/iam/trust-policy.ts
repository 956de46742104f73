import { evaluatePolicies, parsePolicyDocument } from './policy/index.js';

export interface TrustRequester {
  arn: string;
  accountId: string;
  userId: string;
  tags: Record<string, string>;
}

/**
 * Whether a role's trust policy lets `requester` assume it: some statement that names it
 * (`names` reads the statement's Principal) allows sts:AssumeRole with its conditions met, and
 * none denies it. A policy that does not parse allows nothing.
 */
export function trustPolicyAllows(policy: string, names: (principal: unknown) => boolean, requester: TrustRequester, now: number, context: Record<string, string> = {}): boolean {
  let statements: Record<string, unknown>[];
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Record<string, unknown>[];
  } catch {
    return false;
  }
  let allowed = false;
  for (const st of statements) {
    if (!st || typeof st !== 'object' || !names(st.Principal)) continue;
    const { Principal: _p, ...rest } = st;
    let decision: string;
    try {
      const doc = parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: [{ ...rest, Resource: '*' }] }));
      decision = evaluatePolicies([doc], { action: 'sts:AssumeRole', resource: '*', principal: requester, context: { 'aws:CurrentTime': new Date(now).toISOString(), ...context } }).decision;
    } catch {
      continue;
    }
    if (decision === 'ExplicitDeny') return false;
    if (decision === 'Allow') allowed = true;
  }
  return allowed;
}
