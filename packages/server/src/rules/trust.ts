import type { Principal } from '../iam/credentials.js';
import { checkServiceRole, type RoleCheck } from '../iam/service-roles.js';
import type { Core } from '../protocol/context.js';

/** The service principal a rule acts as, as IAM trust policies name it. */
export const EVENTS_SERVICE = 'events.amazonaws.com';

export type { RoleCheck };

/** Whether a rule may act as the role: it exists and trusts EventBridge, conditions evaluated with the rule's account and ARN. */
export function checkRole(core: Core, roleArn: string, accountId: string, ruleArn: string): Promise<RoleCheck> {
  return checkServiceRole(core, roleArn, accountId, EVENTS_SERVICE, 'a rule', { 'aws:SourceAccount': accountId, 'aws:SourceArn': ruleArn });
}

/** The role as the principal a firing acts as, its session named for the rule (as CloudTrail shows it). */
export async function rolePrincipal(core: Core, accountId: string, roleName: string, ruleName: string): Promise<Principal | undefined> {
  const session = `events-${ruleName}`.slice(0, 64);
  return core.credentials.principalOfRole(accountId, roleName, session);
}
