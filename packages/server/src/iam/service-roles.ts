import { isAwsError } from '../protocol/errors.js';
import type { Core } from '../protocol/context.js';
import { parseEntityArn } from './arn.js';
import { trustPolicyAllows } from './trust-policy.js';

export type RoleCheck = { ok: true; accountId: string; roleName: string } | { ok: false; reason: string };

/**
 * Whether the role exists in `accountId` and its trust policy lets `service` (an AWS service
 * principal such as `events.amazonaws.com`) assume it: an Allow of sts:AssumeRole to
 * `{"Service": service}`, conditions evaluated with `context` (aws:SourceAccount,
 * aws:SourceArn), and no Deny. `what` names the acting thing in messages ("a rule").
 */
export async function checkServiceRole(core: Core, roleArn: string, accountId: string, service: string, what: string, context: Record<string, string>): Promise<RoleCheck> {
  const parsed = parseEntityArn(roleArn, 'role');
  if (!parsed || !parsed.name) return { ok: false, reason: `${roleArn} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME).` };
  if (parsed.account !== accountId) return { ok: false, reason: `Role ${roleArn} belongs to another account; ${what} acts only as a role of its own account.` };
  let trust: string;
  try {
    const role = await core.iam.getRole(parsed.account, parsed.name);
    if (role.path !== parsed.path) return { ok: false, reason: `Role ${roleArn} does not exist.` };
    trust = role.assume_role_policy;
  } catch (e) {
    if (isAwsError(e) && e.code === 'NoSuchEntity') return { ok: false, reason: `Role ${roleArn} does not exist.` };
    throw e;
  }
  if (!trustPolicyAllows(trust, (p) => namesService(p, service), { arn: service, accountId: '', userId: service, tags: {} }, core.clock.now(), context)) {
    return { ok: false, reason: `Role ${roleArn} does not trust ${service}: its trust policy must allow sts:AssumeRole to the principal {"Service": "${service}"}.` };
  }
  return { ok: true, accountId: parsed.account, roleName: parsed.name };
}

function namesService(spec: unknown, service: string): boolean {
  if (spec === '*') return true;
  if (!spec || typeof spec !== 'object') return false;
  const named = (spec as { Service?: unknown }).Service;
  const list = Array.isArray(named) ? named : [named];
  return list.includes(service);
}
