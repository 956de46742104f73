import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand, CreateKeyCommand, DeleteAliasCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyRotationCommand, EncryptCommand,
  GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand, ListKeysCommand, ListResourceTagsCommand, ScheduleKeyDeletionCommand,
  TagResourceCommand, UntagResourceCommand, DecryptCommand,
} from '@aws-sdk/client-kms';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { kmsService } from './index.js';
import { postgresSkipReason } from '../test-support/postgres.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { fails } from './test-support/errors.js';

const skip = await postgresSkipReason();


for (const engine of ['sqlite', 'postgres'] as Engine[]) {
describe(`KMS keys, aliases and tags on ${engine}`, { skip: engine === 'postgres' ? skip ?? false : false }, () => {
  let t: TestServer;
  let kms: KMSClient;
  let arnPrefix: string;
  before(async () => {
    t = await startTestServer({ engine });
    kms = new KMSClient(t.clientConfig());
    arnPrefix = `arn:aws:kms:us-east-1:${t.accountId}`;
  });
  after(async () => {
    await t.stop();
  });

  const newKey = async (description = 'test key') => (await kms.send(new CreateKeyCommand({ Description: description }))).KeyMetadata!;

  describe('keys', () => {
    test('CreateKey answers the full KeyMetadata of an enabled symmetric customer managed key', async () => {
      const md = await newKey('orders database');
      assert.match(md.KeyId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(md.Arn, `${arnPrefix}:key/${md.KeyId}`);
      assert.equal(md.AWSAccountId, t.accountId);
      assert.equal(md.Description, 'orders database');
      assert.equal(md.Enabled, true);
      assert.equal(md.KeyState, 'Enabled');
      assert.equal(md.KeyUsage, 'ENCRYPT_DECRYPT');
      assert.equal(md.KeySpec, 'SYMMETRIC_DEFAULT');
      assert.equal(md.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT');
      assert.equal(md.KeyManager, 'CUSTOMER');
      assert.equal(md.Origin, 'AWS_KMS');
      assert.equal(md.MultiRegion, false);
      assert.deepEqual(md.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
      assert.match(md.CurrentKeyMaterialId!, /^[0-9a-f]{64}$/);
      assert.ok(md.CreationDate instanceof Date && Math.abs(md.CreationDate.getTime() - Date.now()) < 60_000);
    });

    test('DescribeKey finds a key by id, key ARN, alias name and alias ARN', async () => {
      const md = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/describe-me', TargetKeyId: md.KeyId! }));
      for (const id of [md.KeyId!, md.Arn!, 'alias/describe-me', `${arnPrefix}:alias/describe-me`]) {
        const got = await kms.send(new DescribeKeyCommand({ KeyId: id }));
        assert.equal(got.KeyMetadata?.KeyId, md.KeyId, id);
      }
    });

    test('unknown keys and aliases are NotFoundException with the messages KMS gives', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      await fails(kms.send(new DescribeKeyCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnPrefix}:key/${missing}' does not exist`);
      await fails(kms.send(new DescribeKeyCommand({ KeyId: 'not-a-key' })), 'NotFoundException', "Invalid keyId 'not-a-key'");
      await fails(kms.send(new DescribeKeyCommand({ KeyId: 'alias/nothing-here' })), 'NotFoundException', `Alias ${arnPrefix}:alias/nothing-here is not found.`);
      // A key of the same id in another region is another key.
      await fails(kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:${t.accountId}:key/${missing}` })), 'NotFoundException');
    });

    test('CreateKey refuses what AWS refuses (ValidationException) and what Capstan does not build (UnsupportedOperationException)', async () => {
      await fails(kms.send(new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY' })), 'ValidationException', 'KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT');
      await fails(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })), 'UnsupportedOperationException', /RSA_2048/);
      await fails(kms.send(new CreateKeyCommand({ MultiRegion: true })), 'UnsupportedOperationException');
      await fails(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' })), 'UnsupportedOperationException');
      await fails(kms.send(new CreateKeyCommand({ Description: 'x'.repeat(8193) })), 'ValidationException', /at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192/);
    });

    test('ListKeys pages with Limit, Marker, NextMarker and Truncated', async () => {
      const eu = new KMSClient(t.clientConfig({ region: 'eu-central-1' }));
      const made = new Set<string>();
      for (let i = 0; i < 5; i++) made.add((await eu.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!);
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const out = await eu.send(new ListKeysCommand({ Limit: 2, ...(marker ? { Marker: marker } : {}) }));
        pages++;
        assert.ok(out.Keys!.length <= 2);
        for (const k of out.Keys!) {
          assert.equal(k.KeyArn, `arn:aws:kms:eu-central-1:${t.accountId}:key/${k.KeyId}`);
          seen.push(k.KeyId!);
        }
        assert.equal(out.Truncated, out.NextMarker !== undefined);
        marker = out.NextMarker;
      } while (marker);
      assert.equal(pages, 3);
      assert.deepEqual(new Set(seen), made);
      assert.deepEqual(seen, [...seen].sort());
      const all = await eu.send(new ListKeysCommand({}));
      assert.equal(all.Keys?.length, 5);
      assert.equal(all.Truncated, false);
      await fails(eu.send(new ListKeysCommand({ Marker: 'bm90IGEga2V5' })), 'InvalidMarkerException');
      await fails(eu.send(new ListKeysCommand({ Limit: 0 })), 'ValidationException', /at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1/);
      await fails(eu.send(new ListKeysCommand({ Limit: 1001 })), 'ValidationException', /Member must have value less than or equal to 1000/);
    });
  });

  describe('aliases', () => {
    test('CreateAlias names a key; ListAliases shows it, also filtered by KeyId; the alias works in cryptographic calls', async () => {
      const md = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/app/orders_key-1', TargetKeyId: md.Arn! }));
      const listed = (await kms.send(new ListAliasesCommand({ KeyId: md.KeyId! }))).Aliases!;
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.AliasName, 'alias/app/orders_key-1');
      assert.equal(listed[0]!.AliasArn, `${arnPrefix}:alias/app/orders_key-1`);
      assert.equal(listed[0]!.TargetKeyId, md.KeyId);
      assert.ok(listed[0]!.CreationDate instanceof Date && listed[0]!.LastUpdatedDate instanceof Date);
      const all = (await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
      assert.ok(all.includes('alias/app/orders_key-1'));
      const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/app/orders_key-1', Plaintext: Buffer.from('hi') }));
      assert.equal(enc.KeyId, md.Arn);
    });

    test('a taken alias name is AlreadyExistsException', async () => {
      const md = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: md.KeyId! }));
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: md.KeyId! })), 'AlreadyExistsException', `An alias with the name ${arnPrefix}:alias/taken already exists`);
    });

    test('alias names: the alias/aws/ prefix is reserved (NotAuthorizedException); other bad names are ValidationException', async () => {
      const md = await newKey();
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: md.KeyId! })), 'NotAuthorizedException');
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'orders', TargetKeyId: md.KeyId! })), 'ValidationException', /^Alias must start with the prefix "alias\/"/);
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'alias/bad name', TargetKeyId: md.KeyId! })), 'ValidationException',
        "1 validation error detected: Value 'alias/bad name' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'alias/a:b', TargetKeyId: md.KeyId! })), 'ValidationException', 'alias/a:b contains invalid characters for an alias');
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/first', TargetKeyId: md.KeyId! }));
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'alias/second', TargetKeyId: 'alias/first' })), 'ValidationException', 'Aliases must refer to keys. Not aliases');
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'alias/orphan', TargetKeyId: '00000000-0000-4000-8000-000000000001' })), 'NotFoundException');
    });

    test('DeleteAlias removes the alias but not the key; a missing alias is NotFoundException', async () => {
      const md = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/short-lived', TargetKeyId: md.KeyId! }));
      await kms.send(new DeleteAliasCommand({ AliasName: 'alias/short-lived' }));
      await fails(kms.send(new DescribeKeyCommand({ KeyId: 'alias/short-lived' })), 'NotFoundException', `Alias ${arnPrefix}:alias/short-lived is not found.`);
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: md.KeyId! }))).KeyMetadata?.KeyState, 'Enabled');
      await fails(kms.send(new DeleteAliasCommand({ AliasName: 'alias/short-lived' })), 'NotFoundException', `Alias ${arnPrefix}:alias/short-lived is not found.`);
    });

    test('ListAliases pages with Limit and Marker', async () => {
      const eu = new KMSClient(t.clientConfig({ region: 'eu-west-3' }));
      const key = (await eu.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      for (const n of ['c', 'a', 'b']) await eu.send(new CreateAliasCommand({ AliasName: `alias/page-${n}`, TargetKeyId: key }));
      const first = await eu.send(new ListAliasesCommand({ Limit: 2 }));
      assert.deepEqual(first.Aliases!.map((a) => a.AliasName), ['alias/page-a', 'alias/page-b']);
      assert.equal(first.Truncated, true);
      const second = await eu.send(new ListAliasesCommand({ Limit: 2, Marker: first.NextMarker! }));
      assert.deepEqual(second.Aliases!.map((a) => a.AliasName), ['alias/page-c']);
      assert.equal(second.Truncated, false);
      assert.equal(second.NextMarker, undefined);
    });
  });

  describe('tags', () => {
    test('TagResource, ListResourceTags (paged, sorted) and UntagResource', async () => {
      const md = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'ops' }] }))).KeyMetadata!;
      await kms.send(new TagResourceCommand({ KeyId: md.KeyId!, Tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'sre' }] }));
      const all = await kms.send(new ListResourceTagsCommand({ KeyId: md.Arn! }));
      assert.deepEqual(all.Tags, [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'sre' }]);
      assert.equal(all.Truncated, false);
      const p1 = await kms.send(new ListResourceTagsCommand({ KeyId: md.KeyId!, Limit: 1 }));
      assert.deepEqual(p1.Tags, [{ TagKey: 'env', TagValue: 'prod' }]);
      assert.equal(p1.Truncated, true);
      const p2 = await kms.send(new ListResourceTagsCommand({ KeyId: md.KeyId!, Limit: 1, Marker: p1.NextMarker! }));
      assert.deepEqual(p2.Tags, [{ TagKey: 'team', TagValue: 'sre' }]);
      await kms.send(new UntagResourceCommand({ KeyId: md.KeyId!, TagKeys: ['env', 'absent'] }));
      assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: md.KeyId! }))).Tags, [{ TagKey: 'team', TagValue: 'sre' }]);
    });

    test('tags beginning with aws: are TagException; tags on a key pending deletion are KMSInvalidStateException', async () => {
      const md = await newKey();
      await fails(kms.send(new TagResourceCommand({ KeyId: md.KeyId!, Tags: [{ TagKey: 'aws:owner', TagValue: 'x' }] })), 'TagException');
      await fails(kms.send(new TagResourceCommand({ KeyId: md.KeyId!, Tags: [{ TagKey: 'k', TagValue: '1' }, { TagKey: 'k', TagValue: '2' }] })), 'TagException');
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId!, PendingWindowInDays: 7 }));
      await fails(kms.send(new TagResourceCommand({ KeyId: md.KeyId!, Tags: [{ TagKey: 'k', TagValue: 'v' }] })), 'KMSInvalidStateException', `${md.Arn} is pending deletion.`);
    });
  });

  describe('the AWS managed key alias/aws/ssm', () => {
    test('kmsService.describe creates it on first use, once, as an AWS managed key that rotates yearly', async () => {
      const service = kmsService(t.server.core);
      const first = await service.describe(t.accountId, 'us-east-1', 'alias/aws/ssm');
      const again = await service.describe(t.accountId, 'us-east-1', `${arnPrefix}:alias/aws/ssm`);
      assert.equal(first.keyId, again.keyId);
      assert.equal(first.manager, 'AWS');
      assert.equal(first.state, 'Enabled');
      assert.equal(first.arn, `${arnPrefix}:key/${first.keyId}`);
      const listed = (await kms.send(new ListAliasesCommand({}))).Aliases!.find((a) => a.AliasName === 'alias/aws/ssm');
      assert.equal(listed?.TargetKeyId, first.keyId);
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ssm' }))).KeyMetadata!;
      assert.equal(md.KeyManager, 'AWS');
      const rotation = await kms.send(new GetKeyRotationStatusCommand({ KeyId: first.keyId }));
      assert.equal(rotation.KeyRotationEnabled, true);
      assert.equal(rotation.RotationPeriodInDays, 365);
    });

    test('callers cannot disable, delete, re-alias or directly use it (AccessDeniedException from its key policy)', async () => {
      const key = await kmsService(t.server.core).describe(t.accountId, 'us-east-1', 'alias/aws/ssm');
      const denied = (action: string) => new RegExp(`is not authorized to perform: kms:${action} on resource: ${key.arn} because no resource-based policy allows`);
      await fails(kms.send(new DisableKeyCommand({ KeyId: key.keyId })), 'AccessDeniedException', denied('DisableKey'));
      await fails(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.keyId })), 'AccessDeniedException', denied('ScheduleKeyDeletion'));
      await fails(kms.send(new EnableKeyRotationCommand({ KeyId: key.keyId })), 'AccessDeniedException', denied('EnableKeyRotation'));
      await fails(kms.send(new TagResourceCommand({ KeyId: key.keyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] })), 'AccessDeniedException', denied('TagResource'));
      await fails(kms.send(new CreateAliasCommand({ AliasName: 'alias/ssm-too', TargetKeyId: key.keyId })), 'AccessDeniedException', denied('CreateAlias'));
      await fails(kms.send(new EncryptCommand({ KeyId: 'alias/aws/ssm', Plaintext: Buffer.from('x') })), 'AccessDeniedException', denied('Encrypt'));
      await fails(kms.send(new DeleteAliasCommand({ AliasName: 'alias/aws/ssm' })), 'NotAuthorizedException');
      // Parameter Store, acting as the owning service, still uses it.
      const blob = await kmsService(t.server.core).encrypt(t.accountId, 'us-east-1', 'alias/aws/ssm', Buffer.from('secret'), { PARAMETER_ARN: 'p' });
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: blob.ciphertextBlob, EncryptionContext: { PARAMETER_ARN: 'p' } })), 'AccessDeniedException', denied('Decrypt'));
      const back = await kmsService(t.server.core).decrypt(t.accountId, 'us-east-1', blob.ciphertextBlob, { PARAMETER_ARN: 'p' });
      assert.equal(back.plaintext.toString(), 'secret');
      assert.equal(back.keyArn, key.arn);
    });
  });

  describe('IAM', () => {
    test('a user allowed only kms:Encrypt on one key can encrypt with it, and nothing else (AccessDeniedException)', async () => {
      const allowed = await newKey();
      const other = await newKey();
      const iam = new IAMClient(t.clientConfig());
      await iam.send(new CreateUserCommand({ UserName: 'encrypt-only' }));
      await iam.send(new PutUserPolicyCommand({
        UserName: 'encrypt-only', PolicyName: 'encrypt',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: allowed.Arn }] }),
      }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'encrypt-only' }))).AccessKey!;
      const theirs = new KMSClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
      const enc = await theirs.send(new EncryptCommand({ KeyId: allowed.KeyId!, Plaintext: Buffer.from('payload') }));
      await fails(theirs.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob! })), 'AccessDeniedException',
        `User: arn:aws:iam::${t.accountId}:user/encrypt-only is not authorized to perform: kms:Decrypt on resource: ${allowed.Arn} because no identity-based policy allows the kms:Decrypt action`);
      await fails(theirs.send(new EncryptCommand({ KeyId: other.KeyId!, Plaintext: Buffer.from('payload') })), 'AccessDeniedException', /kms:Encrypt on resource: .*key\//);
      await fails(theirs.send(new CreateKeyCommand({})), 'AccessDeniedException', /kms:CreateKey on resource: \*/);
    });
  });
});
}
