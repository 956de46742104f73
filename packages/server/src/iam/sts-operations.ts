import { z } from 'zod';
import { AwsError } from '../protocol/errors.js';
import { defineOperation } from '../protocol/registry.js';
import { STS } from '../protocol/services.js';
import { parseEntityArn } from './arn.js';
import { MalformedPolicyDocumentError, parsePolicyDocument } from './policy/index.js';
import type { Principal } from './credentials.js';
import { trustPolicyAllows } from './trust-policy.js';
import { iamStore } from './store.js';

const getCallerIdentity = defineOperation({
  service: STS,
  name: 'GetCallerIdentity',
  // AWS answers GetCallerIdentity for every valid credential, whatever its policies say.
  authorization: 'none',
  throttle: 'read',
  input: z.object({}).passthrough(),
  handler: async (_input, call) => ({ UserId: call.principal.userId, Account: call.principal.accountId, Arn: call.principal.arn }),
});

const assumeRoleInput = z.object({
  RoleArn: z.string().min(20).max(2048),
  RoleSessionName: z.string().min(2).max(64).regex(/^[\w+=,.@-]*$/),
  DurationSeconds: z.coerce.number().int().min(900).max(43200).optional(),
  Policy: z.string().min(1).max(2048).optional(),
});

const assumeRole = defineOperation({
  service: STS,
  name: 'AssumeRole',
  input: assumeRoleInput,
  resources: (input) => [input.RoleArn],
  handler: async (input, call) => {
    const target = parseEntityArn(input.RoleArn, 'role');
    if (!target) throw new AwsError('ValidationError', `${input.RoleArn} is not a valid role ARN`);
    const role = await iamStore.getRole(call.core.iam.db, target.account, target.name);
    if (!role || role.path !== target.path) throw accessDenied(call.principal, input.RoleArn);
    if (!trustAllows(role.assume_role_policy, call.principal, call.now)) throw accessDenied(call.principal, input.RoleArn);
    const duration = input.DurationSeconds ?? 3600;
    if (duration > role.max_session_duration) {
      throw new AwsError('ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`);
    }
    if (input.Policy !== undefined) {
      try {
        parsePolicyDocument(input.Policy);
      } catch (e) {
        if (e instanceof MalformedPolicyDocumentError) throw new AwsError('MalformedPolicyDocument', e.message);
        throw e;
      }
    }
    const creds = await call.core.credentials.issueSession(role, input.RoleSessionName, duration, input.Policy);
    return {
      Credentials: { AccessKeyId: creds.accessKeyId, SecretAccessKey: creds.secretAccessKey, SessionToken: creds.sessionToken, Expiration: new Date(creds.expiration) },
      AssumedRoleUser: { AssumedRoleId: creds.assumedRoleId, Arn: creds.assumedRoleArn },
    };
  },
  sensitive: ['Policy'],
});

function accessDenied(principal: Principal, roleArn: string): AwsError {
  return new AwsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
}

/**
 * The role's trust policy must name the caller: its ARN, its account's root, or `*`.
 * The caller's own policies were already checked for sts:AssumeRole by the pipeline.
 */
function trustAllows(trustPolicy: string, principal: Principal, now: number): boolean {
  return trustPolicyAllows(trustPolicy, (spec) => principalMatches(spec, principal), { arn: principal.arn, accountId: principal.accountId, userId: principal.userId, tags: principal.tags }, now);
}

function principalMatches(spec: unknown, principal: Principal): boolean {
  if (spec === '*') return true;
  if (!spec || typeof spec !== 'object') return false;
  const aws = (spec as { AWS?: unknown }).AWS;
  const list = Array.isArray(aws) ? aws : aws === undefined ? [] : [aws];
  const userArn = principal.kind === 'user' ? principal.arn : undefined;
  return list.some((p) => p === '*' || p === principal.accountId || p === `arn:aws:iam::${principal.accountId}:root` || (userArn !== undefined && p === userArn));
}

export const stsOperations = [getCallerIdentity, assumeRole];
