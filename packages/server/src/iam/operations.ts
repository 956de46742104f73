import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { IAM } from '../protocol/services.js';
import type { CallContext } from '../protocol/context.js';
import { invalidUserType, noSuchEntity } from './errors.js';
import { noSuchPolicy, type LoginProfile, type PasswordPolicy } from './login-profiles.js';
import type { Tags } from './service.js';
import type { RoleRow, UserRow } from './tables.js';

// Shapes and limits from the IAM API reference.
const name64 = z.string().min(1).max(64).regex(/^[\w+=,.@-]+$/);
const policyName = z.string().min(1).max(128).regex(/^[\w+=,.@-]+$/);
const path = z.string().min(1).max(512).regex(/^(\/|\/[\u0021-\u007E]+\/)$/);
const policyDocument = z.string().min(1).max(131072);
const policyArn = z.string().min(20).max(2048);
const accessKeyId = z.string().min(16).max(128).regex(/^[\w]+$/);
const tagList = z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).max(50);
const paging = { Marker: z.string().optional(), MaxItems: z.coerce.number().int().min(1).max(1000).optional() };
const password = z.string().min(1).max(128).regex(/^[\u0009\u000A\u000D\u0020-\u00FF]+$/);
/** The Query protocol carries booleans as the words `true` and `false`. */
const queryBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

const userResource = (call: CallContext, name?: string) => [`arn:aws:iam::${call.accountId}:user/${name ?? callerUserName(call)}`];
const roleResource = (call: CallContext, name: string) => [`arn:aws:iam::${call.accountId}:role/${name}`];

/** Operations that default to "the calling user" when UserName is absent, as IAM's do. */
function callerUserName(call: CallContext): string {
  if (call.principal.kind !== 'user') throw noSuchEntity('Must specify userName when calling with non-User credentials');
  return call.principal.name;
}

const tagsToList = (json: string) => Object.entries(JSON.parse(json) as Tags).map(([Key, Value]) => ({ Key, Value }));
const listToTags = (list: { Key: string; Value: string }[] | undefined): Tags => Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value]));

const userOut = (u: UserRow) => ({
  Path: u.path,
  UserName: u.name,
  UserId: u.user_id,
  Arn: `arn:aws:iam::${u.account_id}:user${u.path}${u.name}`,
  CreateDate: new Date(u.created_at),
  ...(u.tags !== '{}' ? { Tags: tagsToList(u.tags) } : {}),
});

const roleOut = (r: RoleRow) => ({
  Path: r.path,
  RoleName: r.name,
  RoleId: r.role_id,
  Arn: `arn:aws:iam::${r.account_id}:role${r.path}${r.name}`,
  CreateDate: new Date(r.created_at),
  // IAM returns policy documents URL-encoded; the AWS CLI decodes them.
  AssumeRolePolicyDocument: encodeURIComponent(r.assume_role_policy),
  Description: r.description || undefined,
  MaxSessionDuration: r.max_session_duration,
  ...(r.tags !== '{}' ? { Tags: tagsToList(r.tags) } : {}),
});

const page = <T>(items: T[], key: string, marker: string | undefined, maxItems: number | undefined) => {
  const start = marker ? Number.parseInt(Buffer.from(marker, 'base64').toString('utf8'), 10) || 0 : 0;
  const size = maxItems ?? 100;
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  return { [key]: slice, IsTruncated: more, ...(more ? { Marker: Buffer.from(String(start + size)).toString('base64') } : {}) };
};

const op = defineOperation;
/** The owner's name is a computed key, which widens the input type; the paging members keep theirs. */
const pageArgs = (i: object) => i as { Marker?: string; MaxItems?: number };

const userOps: AnyOperation[] = [
  op({
    service: IAM, name: 'CreateUser',
    input: z.object({ UserName: name64, Path: path.optional(), Tags: tagList.optional() }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => ({ User: userOut(await c.core.iam.createUser(c.accountId, i.UserName, i.Path, listToTags(i.Tags))) }),
  }),
  op({
    service: IAM, name: 'GetUser',
    input: z.object({ UserName: name64.optional() }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => ({ User: userOut(await c.core.iam.getUser(c.accountId, i.UserName ?? callerUserName(c))) }),
  }),
  op({
    service: IAM, name: 'ListUsers',
    input: z.object({ PathPrefix: z.string().min(1).max(512).optional(), ...paging }),
    handler: async (i, c) => page((await c.core.iam.listUsers(c.accountId, i.PathPrefix)).map(userOut), 'Users', i.Marker, i.MaxItems),
  }),
  op({
    service: IAM, name: 'DeleteUser',
    input: z.object({ UserName: name64 }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => (await c.core.iam.deleteUser(c.accountId, i.UserName), {}),
  }),
  op({
    service: IAM, name: 'TagUser',
    input: z.object({ UserName: name64, Tags: tagList }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => (await c.core.iam.tagUser(c.accountId, i.UserName, listToTags(i.Tags)), {}),
  }),
  op({
    service: IAM, name: 'UntagUser',
    input: z.object({ UserName: name64, TagKeys: z.array(z.string().min(1).max(128)).max(50) }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => (await c.core.iam.untagUser(c.accountId, i.UserName, i.TagKeys), {}),
  }),
  op({
    service: IAM, name: 'ListUserTags',
    input: z.object({ UserName: name64, ...paging }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => page(tagsToList((await c.core.iam.getUser(c.accountId, i.UserName)).tags), 'Tags', i.Marker, i.MaxItems),
  }),
];

const keyOps: AnyOperation[] = [
  op({
    service: IAM, name: 'CreateAccessKey',
    input: z.object({ UserName: name64.optional() }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => {
      const key = await c.core.iam.createAccessKey(c.accountId, i.UserName ?? callerUserName(c));
      return { AccessKey: { UserName: key.userName, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: new Date(key.createdAt) } };
    },
  }),
  op({
    service: IAM, name: 'ListAccessKeys',
    input: z.object({ UserName: name64.optional(), ...paging }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => {
      const user = i.UserName ?? callerUserName(c);
      const keys = await c.core.iam.listAccessKeys(c.accountId, user);
      return page(keys.map((k) => ({ UserName: user, AccessKeyId: k.access_key_id, Status: k.status, CreateDate: new Date(k.created_at) })), 'AccessKeyMetadata', i.Marker, i.MaxItems);
    },
  }),
  op({
    service: IAM, name: 'UpdateAccessKey',
    input: z.object({ UserName: name64.optional(), AccessKeyId: accessKeyId, Status: z.enum(['Active', 'Inactive']) }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => (await c.core.iam.updateAccessKey(c.accountId, i.UserName ?? callerUserName(c), i.AccessKeyId, i.Status), {}),
  }),
  op({
    service: IAM, name: 'DeleteAccessKey',
    input: z.object({ UserName: name64.optional(), AccessKeyId: accessKeyId }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => (await c.core.iam.deleteAccessKey(c.accountId, i.UserName ?? callerUserName(c), i.AccessKeyId), {}),
  }),
];

const roleOps: AnyOperation[] = [
  op({
    service: IAM, name: 'CreateRole',
    input: z.object({
      RoleName: name64, Path: path.optional(), AssumeRolePolicyDocument: policyDocument, Description: z.string().max(1000).optional(),
      MaxSessionDuration: z.coerce.number().int().min(3600).max(43200).optional(), Tags: tagList.optional(),
    }),
    resources: (i, c) => roleResource(c, i.RoleName),
    handler: async (i, c) => ({
      Role: roleOut(
        await c.core.iam.createRole(c.accountId, {
          name: i.RoleName, assumeRolePolicy: i.AssumeRolePolicyDocument, tags: listToTags(i.Tags),
          ...(i.Path ? { path: i.Path } : {}), ...(i.Description ? { description: i.Description } : {}), ...(i.MaxSessionDuration ? { maxSessionDuration: i.MaxSessionDuration } : {}),
        }),
      ),
    }),
  }),
  op({
    service: IAM, name: 'GetRole',
    input: z.object({ RoleName: name64 }),
    resources: (i, c) => roleResource(c, i.RoleName),
    handler: async (i, c) => ({ Role: roleOut(await c.core.iam.getRole(c.accountId, i.RoleName)) }),
  }),
  op({
    service: IAM, name: 'ListRoles',
    input: z.object({ PathPrefix: z.string().min(1).max(512).optional(), ...paging }),
    handler: async (i, c) => page((await c.core.iam.listRoles(c.accountId, i.PathPrefix)).map(roleOut), 'Roles', i.Marker, i.MaxItems),
  }),
  op({
    service: IAM, name: 'DeleteRole',
    input: z.object({ RoleName: name64 }),
    resources: (i, c) => roleResource(c, i.RoleName),
    handler: async (i, c) => (await c.core.iam.deleteRole(c.accountId, i.RoleName), {}),
  }),
  op({
    service: IAM, name: 'UpdateAssumeRolePolicy',
    input: z.object({ RoleName: name64, PolicyDocument: policyDocument }),
    resources: (i, c) => roleResource(c, i.RoleName),
    handler: async (i, c) => (await c.core.iam.updateAssumeRolePolicy(c.accountId, i.RoleName, i.PolicyDocument), {}),
  }),
];

/** Inline and attached policy operations exist for users and roles alike; build both from one table. */
function ownerPolicyOps(kind: 'user' | 'role'): AnyOperation[] {
  const Kind = kind === 'user' ? 'User' : 'Role';
  const ownerKey = `${Kind}Name`;
  const ownerOf = (i: Record<string, unknown>) => i[ownerKey] as string;
  const resource = (i: Record<string, unknown>, c: CallContext) => (kind === 'user' ? userResource(c, ownerOf(i)) : roleResource(c, ownerOf(i)));
  const owner = z.object({ [ownerKey]: name64 });
  return [
    op({
      service: IAM, name: `Put${Kind}Policy`,
      input: owner.extend({ PolicyName: policyName, PolicyDocument: policyDocument }),
      resources: resource,
      handler: async (i, c) => (await c.core.iam.putInlinePolicy(c.accountId, kind, ownerOf(i), i.PolicyName as string, i.PolicyDocument as string), {}),
    }),
    op({
      service: IAM, name: `Get${Kind}Policy`,
      input: owner.extend({ PolicyName: policyName }),
      resources: resource,
      handler: async (i, c) => ({
        [ownerKey]: ownerOf(i),
        PolicyName: i.PolicyName,
        PolicyDocument: encodeURIComponent(await c.core.iam.getInlinePolicy(c.accountId, kind, ownerOf(i), i.PolicyName as string)),
      }),
    }),
    op({
      service: IAM, name: `Delete${Kind}Policy`,
      input: owner.extend({ PolicyName: policyName }),
      resources: resource,
      handler: async (i, c) => (await c.core.iam.deleteInlinePolicy(c.accountId, kind, ownerOf(i), i.PolicyName as string), {}),
    }),
    op({
      service: IAM, name: `List${Kind}Policies`,
      input: owner.extend(paging),
      resources: resource,
      handler: async (i, c) => page(await c.core.iam.listInlinePolicies(c.accountId, kind, ownerOf(i)), 'PolicyNames', pageArgs(i).Marker, pageArgs(i).MaxItems),
    }),
    op({
      service: IAM, name: `Attach${Kind}Policy`,
      input: owner.extend({ PolicyArn: policyArn }),
      resources: resource,
      handler: async (i, c) => (await c.core.iam.attachPolicy(c.accountId, kind, ownerOf(i), i.PolicyArn as string), {}),
    }),
    op({
      service: IAM, name: `Detach${Kind}Policy`,
      input: owner.extend({ PolicyArn: policyArn }),
      resources: resource,
      handler: async (i, c) => (await c.core.iam.detachPolicy(c.accountId, kind, ownerOf(i), i.PolicyArn as string), {}),
    }),
    op({
      service: IAM, name: `ListAttached${Kind}Policies`,
      input: owner.extend(paging),
      resources: resource,
      handler: async (i, c) =>
        page((await c.core.iam.listAttachedPolicies(c.accountId, kind, ownerOf(i))).map((p) => ({ PolicyName: p.name, PolicyArn: p.arn })), 'AttachedPolicies', pageArgs(i).Marker, pageArgs(i).MaxItems),
    }),
  ];
}

const loginProfileOut = (p: LoginProfile) => ({ UserName: p.userName, CreateDate: new Date(p.createdAt), PasswordResetRequired: p.passwordResetRequired });

const loginProfileOps: AnyOperation[] = [
  op({
    service: IAM, name: 'CreateLoginProfile',
    input: z.object({ UserName: name64.optional(), Password: password, PasswordResetRequired: queryBoolean.optional() }),
    sensitive: ['Password'],
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => ({ LoginProfile: loginProfileOut(await c.core.iam.loginProfiles.create(c.accountId, i.UserName ?? callerUserName(c), i.Password, i.PasswordResetRequired ?? false)) }),
  }),
  op({
    service: IAM, name: 'GetLoginProfile',
    input: z.object({ UserName: name64.optional() }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => ({ LoginProfile: loginProfileOut(await c.core.iam.loginProfiles.get(c.accountId, i.UserName ?? callerUserName(c))) }),
  }),
  op({
    service: IAM, name: 'UpdateLoginProfile',
    input: z.object({ UserName: name64, Password: password.optional(), PasswordResetRequired: queryBoolean.optional() }),
    sensitive: ['Password'],
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => {
      await c.core.iam.loginProfiles.update(c.accountId, i.UserName, {
        ...(i.Password !== undefined ? { password: i.Password } : {}),
        ...(i.PasswordResetRequired !== undefined ? { passwordResetRequired: i.PasswordResetRequired } : {}),
      });
      return {};
    },
  }),
  op({
    service: IAM, name: 'DeleteLoginProfile',
    input: z.object({ UserName: name64.optional() }),
    resources: (i, c) => userResource(c, i.UserName),
    handler: async (i, c) => (await c.core.iam.loginProfiles.delete(c.accountId, i.UserName ?? callerUserName(c)), {}),
  }),
];

const passwordPolicyOut = (p: PasswordPolicy) => ({
  MinimumPasswordLength: p.minimumLength,
  RequireSymbols: p.requireSymbols,
  RequireNumbers: p.requireNumbers,
  RequireUppercaseCharacters: p.requireUppercase,
  RequireLowercaseCharacters: p.requireLowercase,
  AllowUsersToChangePassword: p.allowUsersToChangePassword,
  ExpirePasswords: p.maxPasswordAge !== undefined,
  MaxPasswordAge: p.maxPasswordAge,
  PasswordReusePrevention: p.passwordReusePrevention,
  HardExpiry: p.hardExpiry,
});

/** The integers of the Query protocol arrive as text. */
const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const passwordPolicyOps: AnyOperation[] = [
  op({
    service: IAM, name: 'UpdateAccountPasswordPolicy',
    input: z.object({
      MinimumPasswordLength: queryInt(6, 128).optional(),
      RequireSymbols: queryBoolean.optional(),
      RequireNumbers: queryBoolean.optional(),
      RequireUppercaseCharacters: queryBoolean.optional(),
      RequireLowercaseCharacters: queryBoolean.optional(),
      AllowUsersToChangePassword: queryBoolean.optional(),
      MaxPasswordAge: queryInt(1, 1095).optional(),
      PasswordReusePrevention: queryInt(1, 24).optional(),
      HardExpiry: queryBoolean.optional(),
    }),
    handler: async (i, c) => {
      await c.core.iam.loginProfiles.setPolicy(c.accountId, {
        ...(i.MinimumPasswordLength !== undefined ? { minimumLength: i.MinimumPasswordLength } : {}),
        ...(i.RequireSymbols !== undefined ? { requireSymbols: i.RequireSymbols } : {}),
        ...(i.RequireNumbers !== undefined ? { requireNumbers: i.RequireNumbers } : {}),
        ...(i.RequireUppercaseCharacters !== undefined ? { requireUppercase: i.RequireUppercaseCharacters } : {}),
        ...(i.RequireLowercaseCharacters !== undefined ? { requireLowercase: i.RequireLowercaseCharacters } : {}),
        ...(i.AllowUsersToChangePassword !== undefined ? { allowUsersToChangePassword: i.AllowUsersToChangePassword } : {}),
        ...(i.MaxPasswordAge !== undefined ? { maxPasswordAge: i.MaxPasswordAge } : {}),
        ...(i.PasswordReusePrevention !== undefined ? { passwordReusePrevention: i.PasswordReusePrevention } : {}),
        ...(i.HardExpiry !== undefined ? { hardExpiry: i.HardExpiry } : {}),
      });
      return {};
    },
  }),
  op({
    service: IAM, name: 'GetAccountPasswordPolicy',
    input: z.object({}),
    handler: async (_i, c) => {
      const policy = await c.core.iam.loginProfiles.policy(c.accountId);
      if (!policy) throw noSuchPolicy(c.accountId);
      return { PasswordPolicy: passwordPolicyOut(policy) };
    },
  }),
  op({
    service: IAM, name: 'DeleteAccountPasswordPolicy',
    input: z.object({}),
    handler: async (_i, c) => (await c.core.iam.loginProfiles.deletePolicy(c.accountId), {}),
  }),
  op({
    service: IAM, name: 'ChangePassword',
    input: z.object({ OldPassword: password, NewPassword: password }),
    sensitive: ['OldPassword', 'NewPassword'],
    // The caller's own user: allowed by iam:ChangePassword on it, or by the account's AllowUsersToChangePassword.
    resources: (_i, c) => {
      if (c.principal.kind !== 'user') throw invalidUserType('Only an IAM user can change its own password.');
      return [c.principal.arn];
    },
    handler: async (i, c) => (await c.core.iam.loginProfiles.change(c.accountId, c.principal.name, i.OldPassword, i.NewPassword), {}),
  }),
];

type PolicyInfo = Awaited<ReturnType<CallContext['core']['iam']['getPolicy']>>;
const policyOut = (p: PolicyInfo) => ({
  PolicyName: p.name, PolicyId: p.policyId, Arn: p.arn, Path: p.path, DefaultVersionId: 'v1', IsAttachable: true,
  Description: p.description || undefined, CreateDate: new Date(p.createdAt), UpdateDate: new Date(p.updatedAt),
});

const policyOps: AnyOperation[] = [
  op({
    service: IAM, name: 'CreatePolicy',
    input: z.object({ PolicyName: policyName, Path: path.optional(), PolicyDocument: policyDocument, Description: z.string().max(1000).optional() }),
    resources: (i, c) => [`arn:aws:iam::${c.accountId}:policy${i.Path ?? '/'}${i.PolicyName}`],
    handler: async (i, c) => {
      const row = await c.core.iam.createPolicy(c.accountId, { name: i.PolicyName, document: i.PolicyDocument, ...(i.Path ? { path: i.Path } : {}), ...(i.Description ? { description: i.Description } : {}) });
      return { Policy: policyOut(await c.core.iam.getPolicy(c.accountId, row.arn)) };
    },
  }),
  op({
    service: IAM, name: 'GetPolicy',
    input: z.object({ PolicyArn: policyArn }),
    resources: (i) => [i.PolicyArn],
    handler: async (i, c) => ({ Policy: policyOut(await c.core.iam.getPolicy(c.accountId, i.PolicyArn)) }),
  }),
  op({
    service: IAM, name: 'GetPolicyVersion',
    input: z.object({ PolicyArn: policyArn, VersionId: z.string().regex(/^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/) }),
    resources: (i) => [i.PolicyArn],
    handler: async (i, c) => {
      const p = await c.core.iam.getPolicy(c.accountId, i.PolicyArn);
      if (i.VersionId !== 'v1') throw noSuchEntity(`Policy ${i.PolicyArn} version ${i.VersionId} does not exist or is not attachable.`);
      return { PolicyVersion: { Document: encodeURIComponent(p.document), VersionId: 'v1', IsDefaultVersion: true, CreateDate: new Date(p.createdAt) } };
    },
  }),
  op({
    service: IAM, name: 'ListPolicies',
    input: z.object({ Scope: z.enum(['All', 'AWS', 'Local']).optional(), ...paging }),
    handler: async (i, c) => page((await c.core.iam.listPolicies(c.accountId, i.Scope)).map(policyOut), 'Policies', i.Marker, i.MaxItems),
  }),
  op({
    service: IAM, name: 'DeletePolicy',
    input: z.object({ PolicyArn: policyArn }),
    resources: (i) => [i.PolicyArn],
    handler: async (i, c) => (await c.core.iam.deletePolicy(c.accountId, i.PolicyArn), {}),
  }),
];

export const iamOperations: AnyOperation[] = [...userOps, ...keyOps, ...loginProfileOps, ...passwordPolicyOps, ...roleOps, ...ownerPolicyOps('user'), ...ownerPolicyOps('role'), ...policyOps];
