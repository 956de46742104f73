import { randomUUID } from 'node:crypto';
import { authorize } from '../iam/authorize.js';
import type { Principal } from '../iam/credentials.js';
import { checkServiceRole } from '../iam/service-roles.js';
import { AwsError, isAwsError } from './errors.js';
import type { CallContext, Core } from './context.js';
import { invokeAs } from './pipeline.js';
import type { AnyOperation } from './registry.js';

/** The service name CloudTrail shows for calls Automation makes; also the principal roles must trust. */
export const AUTOMATION_SERVICE = 'ssm.amazonaws.com';

/**
 * Who an execution's steps act as: its assumeRole, or else whoever started it. Stored by name and
 * resolved afresh at every step, so a policy narrowed (or a user deleted) while an execution
 * waits takes effect at its next step.
 */
export type Actor = { kind: 'role'; accountId: string; roleName: string; sessionName: string } | { kind: 'user'; accountId: string; userName: string; accessKeyId: string };

export function actorOf(principal: Principal, executionId: string): Actor {
  if (principal.kind === 'user') return { kind: 'user', accountId: principal.accountId, userName: principal.name, accessKeyId: principal.accessKeyId };
  // A role session starting an automation without assumeRole: its steps act as a session of the same role.
  return { kind: 'role', accountId: principal.accountId, roleName: principal.name, sessionName: principal.sessionName ?? executionId };
}

/**
 * The role work is to act as (an automation's assumeRole, an association's dispatch role): one
 * of the caller's account that trusts ssm.amazonaws.com and that the caller may pass
 * (iam:PassRole), as AWS requires. `refuse` makes the capability's own error.
 */
export async function passedRole(call: CallContext, roleArn: string, sessionName: string, what: string, refuse: (message: string) => Error): Promise<Actor> {
  const check = await checkServiceRole(call.core, roleArn, call.accountId, AUTOMATION_SERVICE, what, { 'aws:SourceAccount': call.accountId });
  if (!check.ok) throw refuse(check.reason);
  await call.authorize('iam:PassRole', [roleArn]);
  return { kind: 'role', accountId: check.accountId, roleName: check.roleName, sessionName };
}

export async function principalOf(core: Core, actor: Actor): Promise<Principal> {
  const principal =
    actor.kind === 'user'
      ? await core.credentials.principalOfUser(actor.accountId, actor.userName, actor.accessKeyId)
      : await core.credentials.principalOfRole(actor.accountId, actor.roleName, actor.sessionName);
  if (!principal) {
    const who = actor.kind === 'user' ? `user ${actor.userName}` : `role ${actor.roleName}`;
    throw new AwsError('AccessDeniedException', `The automation acts as ${who}, which no longer exists.`, { messageMember: 'Message' });
  }
  return principal;
}

/** A call context for service code run on the actor's behalf (prepareParameters, resolveDocument, SendCommand). */
export async function actorCall(core: Core, actor: Actor, region: string): Promise<CallContext> {
  const principal = await principalOf(core, actor);
  const now = core.clock.now();
  const context = { 'aws:CurrentTime': new Date(now).toISOString(), 'aws:EpochTime': Math.floor(now / 1000), 'aws:RequestedRegion': region, 'aws:SecureTransport': true, 'aws:UserAgent': AUTOMATION_SERVICE };
  const check = (action: string, resources: readonly string[]) => authorize({ principal, action, resources, context, tags: core.resourceTags });
  return {
    requestId: randomUUID(),
    accountId: principal.accountId,
    region,
    principal,
    sourceIp: AUTOMATION_SERVICE,
    userAgent: AUTOMATION_SERVICE,
    now,
    core,
    authorize: check,
    isAllowed: (action, resource) =>
      check(action, [resource]).then(
        () => true,
        (e: unknown) => {
          if (isAwsError(e) && e.code === 'AccessDeniedException') return false;
          throw e;
        },
      ),
  };
}

/** `ssm` + `GetParameter` (or boto3's `get_parameter`) → the operation, on any service Capstan speaks. */
export function findOperation(core: Core, service: string, api: string): AnyOperation | undefined {
  const name = /_/.test(api) || /^[a-z]/.test(api) ? api.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') : api;
  const svc = service.toLowerCase();
  return core.registry.all().find((op) => op.name === name && (op.service.key === svc || op.service.signingName === svc || op.service.iamPrefix === svc));
}

/** Runs an AWS operation as the actor through the full pipeline (authorization, audit); returns its output or throws its AwsError. */
export async function callAs(core: Core, actor: Actor, region: string, service: string, api: string, input: unknown): Promise<Record<string, unknown>> {
  const op = findOperation(core, service, api);
  if (!op) throw new AwsError('ValidationException', `Capstan has no operation ${api} on service ${service}.`, { messageMember: 'message' });
  const principal = await principalOf(core, actor);
  const outcome = await invokeAs(core, { service: op.service, op, principal, region, input, sourceIp: AUTOMATION_SERVICE, userAgent: AUTOMATION_SERVICE });
  if ('error' in outcome) throw outcome.error;
  return (outcome.output ?? {}) as Record<string, unknown>;
}
