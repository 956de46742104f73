import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttachUserPolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand, DeleteUserCommand,
  DeleteUserPolicyCommand, DetachUserPolicyCommand, GetRoleCommand, GetUserCommand, IAMClient, ListAccessKeysCommand, ListUsersCommand,
  PutRolePolicyCommand, PutUserPolicyCommand, TagUserCommand, UpdateAccessKeyCommand, CreatePolicyCommand, DeletePolicyCommand, GetPolicyVersionCommand,
  AttachRolePolicyCommand, DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand, GetPolicyCommand, GetRolePolicyCommand,
  GetUserPolicyCommand, ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand, ListPoliciesCommand, ListRolePoliciesCommand,
  ListRolesCommand, ListUserPoliciesCommand, ListUserTagsCommand, UntagUserCommand, UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetServiceSettingCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ManualClock } from '../scheduler/clock.js';
import { probeOperation, probeTags } from '../test-support/probe-operation.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { postgresSkipReason } from '../test-support/postgres.js';

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const skip = await postgresSkipReason();

for (const engine of ['sqlite', 'postgres'] as Engine[]) {
describe(`IAM on ${engine}`, { skip: engine === 'postgres' ? skip ?? false : false }, () => {
  let t: TestServer;
  let iam: IAMClient;
  before(async () => {
    t = await startTestServer({ operations: [probeOperation], engine });
    t.server.core.resourceTags.register('ssm', 'servicesetting', probeTags);
    iam = new IAMClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });

  let counter = 0;
  async function newUser(): Promise<{ name: string; creds: Creds }> {
    const name = `user${++counter}`;
    await iam.send(new CreateUserCommand({ UserName: name }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { name, creds: { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! } };
  }

  const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

  async function probe(creds: Creds, settingId = '/ssm/a'): Promise<string> {
    try {
      await new SSMClient(t.clientConfig({ credentials: creds })).send(new GetServiceSettingCommand({ SettingId: settingId }));
      return 'allowed';
    } catch (e) {
      const err = e as Error;
      if (err.name !== 'AccessDeniedException') throw err;
      return err.message;
    }
  }

  describe('IAM users, keys and policies through @aws-sdk/client-iam', () => {
    test('a user without policies is denied, with AccessDeniedException naming the action and the resource', async () => {
      const bob = await newUser();
      const message = await probe(bob.creds);
      assert.equal(
        message,
        `User: arn:aws:iam::${t.accountId}:user/${bob.name} is not authorized to perform: ssm:GetServiceSetting on resource: arn:aws:ssm:us-east-1:${t.accountId}:servicesetting/ssm/a because no identity-based policy allows the ssm:GetServiceSetting action`,
      );
    });

    test('an attached AWS managed policy takes effect at once, and detaching it revokes', async () => {
      const u = await newUser();
      await iam.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }));
      assert.equal(await probe(u.creds), 'allowed');
      await iam.send(new DetachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }));
      assert.match(await probe(u.creds), /not authorized/);
    });

    test('an explicit deny beats an allow', async () => {
      const u = await newUser();
      await iam.send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: 'all', PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:*', Resource: '*' }) }));
      await iam.send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: 'no-secrets', PolicyDocument: policy({ Effect: 'Deny', Action: 'ssm:Get*', Resource: 'arn:aws:ssm:*:*:servicesetting/ssm/secret*' }) }));
      assert.equal(await probe(u.creds, '/ssm/public'), 'allowed');
      assert.match(await probe(u.creds, '/ssm/secret/db'), /with an explicit deny in an identity-based policy$/);
      await iam.send(new DeleteUserPolicyCommand({ UserName: u.name, PolicyName: 'no-secrets' }));
      assert.equal(await probe(u.creds, '/ssm/secret/db'), 'allowed');
    });

    test('ssm:resourceTag conditions read the tags of the resource', async () => {
      const u = await newUser();
      await iam.send(new PutUserPolicyCommand({
        UserName: u.name, PolicyName: 'dev-only',
        PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:GetServiceSetting', Resource: '*', Condition: { StringEquals: { 'ssm:resourceTag/env': 'dev' } } }),
      }));
      assert.equal(await probe(u.creds, '/ssm/tagged/env=dev'), 'allowed');
      assert.match(await probe(u.creds, '/ssm/tagged/env=prod'), /not authorized/);
      assert.match(await probe(u.creds, '/ssm/untagged'), /not authorized/);
    });

    test('aws:PrincipalTag conditions read the tags of the caller', async () => {
      const u = await newUser();
      await iam.send(new PutUserPolicyCommand({
        UserName: u.name, PolicyName: 'ops',
        PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:GetServiceSetting', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'ops' } } }),
      }));
      assert.match(await probe(u.creds), /not authorized/);
      await iam.send(new TagUserCommand({ UserName: u.name, Tags: [{ Key: 'team', Value: 'ops' }] }));
      assert.equal(await probe(u.creds), 'allowed');
    });

    test('IpAddress conditions see the caller\'s source address', async () => {
      const u = await newUser();
      await iam.send(new PutUserPolicyCommand({
        UserName: u.name, PolicyName: 'net',
        PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:GetServiceSetting', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }),
      }));
      assert.match(await probe(u.creds), /not authorized/);
      await iam.send(new PutUserPolicyCommand({
        UserName: u.name, PolicyName: 'net',
        PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:GetServiceSetting', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '127.0.0.0/8'] } } }),
      }));
      assert.equal(await probe(u.creds), 'allowed');
    });

    test('a user without IAM permissions cannot manage IAM (AccessDenied over the Query protocol)', async () => {
      const u = await newUser();
      const their = new IAMClient(t.clientConfig({ credentials: u.creds }));
      await assert.rejects(their.send(new CreateUserCommand({ UserName: 'mallory' })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
        assert.equal(e.name, 'AccessDenied');
        assert.equal(e.$metadata.httpStatusCode, 403);
        assert.match(e.message, /iam:CreateUser/);
        return true;
      });
      await assert.rejects(iam.send(new GetUserCommand({ UserName: 'mallory' })), { name: 'NoSuchEntityException' });
    });

    test('a deactivated key is refused, a reactivated one works again, a deleted one is gone', async () => {
      const u = await newUser();
      await iam.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }));
      await iam.send(new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId, Status: 'Inactive' }));
      await assert.rejects(probe(u.creds), { name: 'UnrecognizedClientException' });
      await iam.send(new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId, Status: 'Active' }));
      assert.equal(await probe(u.creds), 'allowed');
      await iam.send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId }));
      await assert.rejects(probe(u.creds), { name: 'UnrecognizedClientException' });
    });

    test('a user holds at most two access keys', async () => {
      const u = await newUser();
      await iam.send(new CreateAccessKeyCommand({ UserName: u.name }));
      await assert.rejects(iam.send(new CreateAccessKeyCommand({ UserName: u.name })), { name: 'LimitExceededException' });
      const keys = await iam.send(new ListAccessKeysCommand({ UserName: u.name }));
      assert.equal(keys.AccessKeyMetadata?.length, 2);
    });

    test('a user with keys or policies cannot be deleted until they are removed', async () => {
      const u = await newUser();
      await assert.rejects(iam.send(new DeleteUserCommand({ UserName: u.name })), { name: 'DeleteConflictException' });
      await iam.send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId }));
      await iam.send(new DeleteUserCommand({ UserName: u.name }));
      await assert.rejects(iam.send(new GetUserCommand({ UserName: u.name })), { name: 'NoSuchEntityException' });
    });

    test('a duplicate user name is EntityAlreadyExists; a bad name is a ValidationError', async () => {
      const u = await newUser();
      await assert.rejects(iam.send(new CreateUserCommand({ UserName: u.name })), { name: 'EntityAlreadyExistsException' });
      await assert.rejects(iam.send(new CreateUserCommand({ UserName: 'bad name!' })), (e: Error) => {
        assert.equal(e.name, 'ValidationError');
        assert.match(e.message, /userName/);
        return true;
      });
    });

    test('a malformed policy document is MalformedPolicyDocument and changes nothing', async () => {
      const u = await newUser();
      await assert.rejects(iam.send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: 'p', PolicyDocument: '{"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}' })), { name: 'MalformedPolicyDocumentException' });
      await assert.rejects(iam.send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: 'p', PolicyDocument: 'not json' })), { name: 'MalformedPolicyDocumentException' });
      assert.match(await probe(u.creds), /not authorized/);
    });

    test('customer managed policies can be created, read back, attached, and not deleted while attached', async () => {
      const u = await newUser();
      const doc = policy({ Effect: 'Allow', Action: 'ssm:GetServiceSetting', Resource: '*' });
      const created = await iam.send(new CreatePolicyCommand({ PolicyName: `read-${u.name}`, PolicyDocument: doc }));
      const arn = created.Policy!.Arn!;
      assert.equal(arn, `arn:aws:iam::${t.accountId}:policy/read-${u.name}`);
      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
      assert.equal(decodeURIComponent(version.PolicyVersion!.Document!), doc);
      await iam.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: arn }));
      assert.equal(await probe(u.creds), 'allowed');
      await assert.rejects(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), { name: 'DeleteConflictException' });
    });

    test('user policies and tags read back as written', async () => {
      const u = await newUser();
      const doc = policy({ Effect: 'Allow', Action: 'ssm:Describe*', Resource: '*' });
      await iam.send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: 'describe', PolicyDocument: doc }));
      const got = await iam.send(new GetUserPolicyCommand({ UserName: u.name, PolicyName: 'describe' }));
      assert.equal(decodeURIComponent(got.PolicyDocument!), doc);
      assert.deepEqual((await iam.send(new ListUserPoliciesCommand({ UserName: u.name }))).PolicyNames, ['describe']);
      await iam.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }));
      const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: u.name }));
      assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'AmazonSSMReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }]);
      await iam.send(new TagUserCommand({ UserName: u.name, Tags: [{ Key: 'team', Value: 'ops' }, { Key: 'tier', Value: '1' }] }));
      await iam.send(new UntagUserCommand({ UserName: u.name, TagKeys: ['tier'] }));
      assert.deepEqual((await iam.send(new ListUserTagsCommand({ UserName: u.name }))).Tags, [{ Key: 'team', Value: 'ops' }]);
      await assert.rejects(iam.send(new GetUserPolicyCommand({ UserName: u.name, PolicyName: 'nope' })), { name: 'NoSuchEntityException' });
    });

    test('roles read back as written and come apart in order', async () => {
      const trustDoc = policy({ Effect: 'Allow', Principal: { AWS: t.accountId }, Action: 'sts:AssumeRole' });
      await iam.send(new CreateRoleCommand({ RoleName: 'lifecycle', AssumeRolePolicyDocument: trustDoc, Description: 'for the lifecycle test' }));
      const listed = (await iam.send(new ListRolesCommand({}))).Roles!.find((r) => r.RoleName === 'lifecycle')!;
      assert.equal(decodeURIComponent(listed.AssumeRolePolicyDocument!), trustDoc);
      assert.equal(listed.Description, 'for the lifecycle test');
      const newTrust = policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${t.accountId}:root` }, Action: 'sts:AssumeRole' });
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'lifecycle', PolicyDocument: newTrust }));
      assert.equal(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'lifecycle' }))).Role!.AssumeRolePolicyDocument!), newTrust);
      const inline = policy({ Effect: 'Allow', Action: 'ssm:List*', Resource: '*' });
      await iam.send(new PutRolePolicyCommand({ RoleName: 'lifecycle', PolicyName: 'inline', PolicyDocument: inline }));
      assert.equal(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'lifecycle', PolicyName: 'inline' }))).PolicyDocument!), inline);
      assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'lifecycle' }))).PolicyNames, ['inline']);
      await iam.send(new AttachRolePolicyCommand({ RoleName: 'lifecycle', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' }));
      assert.equal((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'lifecycle' }))).AttachedPolicies?.[0]?.PolicyName, 'AmazonSSMManagedInstanceCore');
      await assert.rejects(iam.send(new DeleteRoleCommand({ RoleName: 'lifecycle' })), { name: 'DeleteConflictException' });
      await iam.send(new DeleteRolePolicyCommand({ RoleName: 'lifecycle', PolicyName: 'inline' }));
      await assert.rejects(iam.send(new DeleteRoleCommand({ RoleName: 'lifecycle' })), { name: 'DeleteConflictException' });
      await iam.send(new DetachRolePolicyCommand({ RoleName: 'lifecycle', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' }));
      await iam.send(new DeleteRoleCommand({ RoleName: 'lifecycle' }));
      await assert.rejects(iam.send(new GetRoleCommand({ RoleName: 'lifecycle' })), { name: 'NoSuchEntityException' });
      await assert.rejects(iam.send(new CreateRoleCommand({ RoleName: 'no-principal', AssumeRolePolicyDocument: policy({ Effect: 'Allow', Action: 'sts:AssumeRole' }) })), { name: 'MalformedPolicyDocumentException' });
    });

    test('AWS managed policies are listed and readable by ARN', async () => {
      const ro = await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }));
      assert.equal(ro.Policy?.PolicyName, 'AmazonSSMReadOnlyAccess');
      const aws = (await iam.send(new ListPoliciesCommand({ Scope: 'AWS', MaxItems: 1000 }))).Policies!.map((p) => p.PolicyName);
      for (const name of ['AdministratorAccess', 'AmazonSSMFullAccess', 'AmazonSSMReadOnlyAccess', 'AmazonSSMManagedInstanceCore']) assert.ok(aws.includes(name), name);
      const doc = JSON.parse(decodeURIComponent((await iam.send(new GetPolicyVersionCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess', VersionId: 'v1' }))).PolicyVersion!.Document!));
      assert.ok(JSON.stringify(doc).includes('ssm:Get*'));
      const local = (await iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!;
      assert.ok(local.every((p) => p.Arn!.startsWith(`arn:aws:iam::${t.accountId}:policy/`)));
      await assert.rejects(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicy' })), { name: 'NoSuchEntityException' });
    });

    test('attaching a policy that does not exist is NoSuchEntity', async () => {
      const u = await newUser();
      await assert.rejects(iam.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: `arn:aws:iam::${t.accountId}:policy/nope` })), { name: 'NoSuchEntityException' });
    });
  });

  describe('accounts are isolated', () => {
    test('another account\'s admin sees only its own users and cannot use the first account\'s keys', async () => {
      const other = await t.server.core.iam.createAccount({ name: 'other' });
      const theirs = new IAMClient(t.clientConfig({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }));
      await newUser();
      const users = await theirs.send(new ListUsersCommand({}));
      assert.deepEqual(users.Users?.map((u) => u.UserName), ['admin']);
      assert.match(users.Users![0]!.Arn!, new RegExp(`^arn:aws:iam::${other.accountId}:user/admin$`));
      await assert.rejects(theirs.send(new GetUserCommand({ UserName: 'user1' })), { name: 'NoSuchEntityException' });
    });
  });

  describe('STS AssumeRole', () => {
    const trust = (principal: string) => policy({ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole' });

    test('a trusted caller gets temporary credentials that act as the role', async () => {
      await iam.send(new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: trust(`arn:aws:iam::${t.accountId}:root`) }));
      await iam.send(new PutRolePolicyCommand({ RoleName: 'reader', PolicyName: 'read', PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:Get*', Resource: '*' }) }));
      const out = await new STSClient(t.clientConfig()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${t.accountId}:role/reader`, RoleSessionName: 'deploy-42' }));
      const c = out.Credentials!;
      assert.match(c.AccessKeyId!, /^ASIA/);
      assert.ok(c.SessionToken);
      assert.ok(c.Expiration!.getTime() > Date.now() + 50 * 60_000);
      const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
      const who = await new STSClient(t.clientConfig({ credentials: creds })).send(new GetCallerIdentityCommand({}));
      assert.equal(who.Arn, `arn:aws:sts::${t.accountId}:assumed-role/reader/deploy-42`);
      assert.equal(out.AssumedRoleUser?.Arn, who.Arn);
      assert.equal(await probe(creds), 'allowed');
      // The role grants nothing in IAM.
      await assert.rejects(new IAMClient(t.clientConfig({ credentials: creds })).send(new ListUsersCommand({})), { name: 'AccessDenied' });
    });

    test('temporary credentials need their own session token', async () => {
      const role = await iam.send(new GetRoleCommand({ RoleName: 'reader' }));
      const out = await new STSClient(t.clientConfig()).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 's2' }));
      const c = out.Credentials!;
      await assert.rejects(probe({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey! }), { name: 'UnrecognizedClientException' });
      await assert.rejects(probe({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! + 'x' }), { name: 'UnrecognizedClientException' });
    });

    test('a session policy narrows what the role allows', async () => {
      const role = await iam.send(new GetRoleCommand({ RoleName: 'reader' }));
      const out = await new STSClient(t.clientConfig()).send(new AssumeRoleCommand({
        RoleArn: role.Role!.Arn!, RoleSessionName: 'narrow',
        Policy: policy({ Effect: 'Allow', Action: 'ssm:GetServiceSetting', Resource: 'arn:aws:ssm:*:*:servicesetting/ssm/only-this' }),
      }));
      const c = out.Credentials!;
      const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
      assert.equal(await probe(creds, '/ssm/only-this'), 'allowed');
      assert.match(await probe(creds, '/ssm/other'), /because no session policy allows/);
    });

    test('a role whose trust policy does not name the caller cannot be assumed', async () => {
      await iam.send(new CreateRoleCommand({ RoleName: 'stranger', AssumeRolePolicyDocument: trust('arn:aws:iam::999999999999:root') }));
      await assert.rejects(new STSClient(t.clientConfig()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${t.accountId}:role/stranger`, RoleSessionName: 'x1' })), { name: 'AccessDenied' });
      await assert.rejects(new STSClient(t.clientConfig()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${t.accountId}:role/nope`, RoleSessionName: 'x1' })), { name: 'AccessDenied' });
    });

    test('a caller whose policies do not allow sts:AssumeRole cannot assume a role that trusts the account', async () => {
      const u = await newUser();
      await assert.rejects(new STSClient(t.clientConfig({ credentials: u.creds })).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${t.accountId}:role/reader`, RoleSessionName: 'x1' })), { name: 'AccessDenied' });
    });

    test('a duration beyond the role\'s maximum is a ValidationError', async () => {
      await assert.rejects(new STSClient(t.clientConfig()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${t.accountId}:role/reader`, RoleSessionName: 'long', DurationSeconds: 7200 })), { name: 'ValidationError' });
    });
  });

  describe('temporary credentials expire', () => {
    test('after expiry, calls fail with ExpiredTokenException', async () => {
      const clock = new ManualClock(Date.now());
      const s = await startTestServer({ operations: [probeOperation], clock, engine });
      try {
        const admin = new IAMClient(s.clientConfig());
        await admin.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: trust(s.accountId) }));
        await admin.send(new PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'p', PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:*', Resource: '*' }) }));
        const out = await new STSClient(s.clientConfig()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${s.accountId}:role/r`, RoleSessionName: 'short', DurationSeconds: 900 }));
        const c = out.Credentials!;
        const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
        const ssmAt = () => new SSMClient({ ...s.clientConfig({ credentials: creds }), systemClockOffset: clock.now() - Date.now() });
        await ssmAt().send(new GetServiceSettingCommand({ SettingId: '/ssm/a' }));
        clock.advance(901_000);
        await assert.rejects(ssmAt().send(new GetServiceSettingCommand({ SettingId: '/ssm/a' })), { name: 'ExpiredTokenException' });
      } finally {
        await s.stop();
      }
    });

    function trust(account: string) {
      return policy({ Effect: 'Allow', Principal: { AWS: account }, Action: 'sts:AssumeRole' });
    }
  });
});
}
