import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient, ListAliasesCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { GetParameterCommand, GetParameterHistoryCommand, GetParametersCommand, PutParameterCommand, SSMClient, type PutParameterCommandInput } from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

onEveryEngine('SecureString', (engine) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    t = await startTestServer({ engine, clock });
  });
  after(async () => {
    await t.stop();
  });
  const cfg = (credentials?: { accessKeyId: string; secretAccessKey: string }) => ({ ...t.clientConfig(credentials ? { credentials } : {}), systemClockOffset: clock.now() - Date.now() });
  const ssm = (credentials?: { accessKeyId: string; secretAccessKey: string }) => new SSMClient(cfg(credentials));
  const kms = () => new KMSClient(cfg());
  const put = (input: PutParameterCommandInput) => ssm().send(new PutParameterCommand(input));
  const read = async (Name: string, WithDecryption = true, client = ssm()) => (await client.send(new GetParameterCommand({ Name, WithDecryption }))).Parameter!;

  test('a SecureString under the default key reads back decrypted only WithDecryption', async () => {
    await put({ Name: '/sec/db/password', Value: 'correct horse battery', Type: 'SecureString' });
    const hidden = await read('/sec/db/password', false);
    assert.equal(hidden.Type, 'SecureString');
    assert.notEqual(hidden.Value, 'correct horse battery');
    assert.ok(!hidden.Value!.includes('horse'));
    assert.equal((await read('/sec/db/password')).Value, 'correct horse battery');
    const aliases = (await kms().send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
    assert.ok(aliases.includes('alias/aws/ssm'), 'alias/aws/ssm is created on first use');
  });

  test('a customer key can be named by alias, key id or ARN', async () => {
    const key = (await kms().send(new CreateKeyCommand({ Description: 'app secrets' }))).KeyMetadata!;
    await kms().send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: key.KeyId! }));
    for (const [i, KeyId] of ['alias/app', key.KeyId!, key.Arn!].entries()) {
      await put({ Name: `/sec/custom/${i}`, Value: `secret-${i}`, Type: 'SecureString', KeyId });
      assert.equal((await read(`/sec/custom/${i}`)).Value, `secret-${i}`);
    }
    const history = (await ssm().send(new GetParameterHistoryCommand({ Name: '/sec/custom/0', WithDecryption: true }))).Parameters![0]!;
    assert.deepEqual([history.KeyId, history.Value], ['alias/app', 'secret-0']);
  });

  test('an unknown key is InvalidKeyId and creates nothing', async () => {
    const e = await failure(put({ Name: '/sec/nokey', Value: 'x', Type: 'SecureString', KeyId: 'alias/does-not-exist' }));
    assert.equal(e.name, 'InvalidKeyId');
    assert.equal((await failure(read('/sec/nokey'))).name, 'ParameterNotFound');
  });

  test('a disabled key stops encryption and decryption with KMS\'s error, and enabling restores them', async () => {
    const key = (await kms().send(new CreateKeyCommand({}))).KeyMetadata!;
    await put({ Name: '/sec/disabled', Value: 'before', Type: 'SecureString', KeyId: key.KeyId! });
    await kms().send(new DisableKeyCommand({ KeyId: key.KeyId! }));
    assert.equal((await failure(read('/sec/disabled'))).name, 'DisabledException');
    assert.equal((await failure(put({ Name: '/sec/disabled', Value: 'after', Overwrite: true }))).name, 'DisabledException');
    assert.equal((await read('/sec/disabled', false)).Version, 1, 'reading without decryption still works');
    await kms().send(new EnableKeyCommand({ KeyId: key.KeyId! }));
    assert.equal((await read('/sec/disabled')).Value, 'before');
  });

  test('a deleted key makes its SecureStrings undecryptable', async () => {
    const key = (await kms().send(new CreateKeyCommand({}))).KeyMetadata!;
    await put({ Name: '/sec/doomed', Value: 'gone soon', Type: 'SecureString', KeyId: key.Arn! });
    await kms().send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId!, PendingWindowInDays: 7 }));
    assert.equal((await failure(read('/sec/doomed'))).name, 'KMSInvalidStateException');
    clock.advance(8 * 24 * 3_600_000);
    await t.server.core.scheduler.tick();
    assert.equal((await failure(read('/sec/doomed'))).name, 'InvalidKeyId');
  });

  test('rotation keeps old SecureStrings readable', async () => {
    const key = (await kms().send(new CreateKeyCommand({}))).KeyMetadata!;
    await put({ Name: '/sec/rotated', Value: 'old material', Type: 'SecureString', KeyId: key.KeyId! });
    await kms().send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId! }));
    await put({ Name: '/sec/rotated', Value: 'new material', Overwrite: true });
    assert.equal((await read('/sec/rotated:1')).Value, 'old material');
    assert.equal((await read('/sec/rotated')).Value, 'new material');
  });

  test('a ciphertext copied onto another parameter does not decrypt there', async () => {
    await put({ Name: '/sec/source', Value: 'belongs to source', Type: 'SecureString' });
    await put({ Name: '/sec/target', Value: 'belongs to target', Type: 'SecureString' });
    const db = t.server.core.database.db;
    const src = await sql<{ secret: string }>`select secret from parameters where name = '/sec/source'`.execute(db);
    await sql`update parameters set secret = ${src.rows[0]!.secret} where name = '/sec/target'`.execute(db);
    const e = await failure(read('/sec/target'));
    assert.equal(e.name, 'InvalidCiphertextException');
    assert.ok(!e.message.includes('belongs to source'));
  });

  test('a user needs kms:Decrypt on a customer key to decrypt, but not on the AWS-managed key', async () => {
    const key = (await kms().send(new CreateKeyCommand({}))).KeyMetadata!;
    await put({ Name: '/sec/iam/custom', Value: 'needs kms', Type: 'SecureString', KeyId: key.KeyId! });
    await put({ Name: '/sec/iam/default', Value: 'ssm key', Type: 'SecureString' });
    const iam = new IAMClient(cfg());
    await iam.send(new CreateUserCommand({ UserName: 'sec-reader' }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'sec-reader' }))).AccessKey!;
    const creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    const allow = (statements: object[]) =>
      iam.send(new PutUserPolicyCommand({ UserName: 'sec-reader', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    await allow([{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: '*' }]);
    assert.equal((await read('/sec/iam/default', true, ssm(creds))).Value, 'ssm key');
    const denied = await failure(read('/sec/iam/custom', true, ssm(creds)));
    assert.equal(denied.name, 'AccessDeniedException');
    assert.match(denied.message, new RegExp(`kms:Decrypt on resource: ${key.Arn}`));
    assert.equal((await read('/sec/iam/custom', false, ssm(creds))).Version, 1);
    await assert.rejects(ssm(creds).send(new GetParametersCommand({ Names: ['/sec/iam/custom'], WithDecryption: true })), { name: 'AccessDeniedException' });
    await allow([
      { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: '*' },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: key.Arn },
    ]);
    assert.equal((await read('/sec/iam/custom', true, ssm(creds))).Value, 'needs kms');
  });

  test('writing with a customer key needs kms:Encrypt on it', async () => {
    const key = (await kms().send(new CreateKeyCommand({}))).KeyMetadata!;
    const iam = new IAMClient(cfg());
    await iam.send(new CreateUserCommand({ UserName: 'sec-writer' }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'sec-writer' }))).AccessKey!;
    const creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    await iam.send(new PutUserPolicyCommand({ UserName: 'sec-writer', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:PutParameter', Resource: '*' }] }) }));
    const e = await failure(ssm(creds).send(new PutParameterCommand({ Name: '/sec/w', Value: 'x', Type: 'SecureString', KeyId: key.KeyId! })));
    assert.equal(e.name, 'AccessDeniedException');
    assert.match(e.message, /kms:Encrypt/);
    await ssm(creds).send(new PutParameterCommand({ Name: '/sec/w', Value: 'x', Type: 'SecureString' }));
  });

  test('no SecureString plaintext reaches the database files, the audit trail or error messages', async () => {
    const secrets = Array.from({ length: 20 }, (_, i) => `Pl41nT3xt-${i}-${'q'.repeat(12)}`);
    for (const [i, s] of secrets.entries()) await put({ Name: `/sec/disk/${i}`, Value: s, Type: 'SecureString' });
    await put({ Name: '/sec/disk/0', Value: `${secrets[0]}-v2`, Overwrite: true });
    const mismatch = await failure(put({ Name: '/sec/disk/pattern', Value: secrets[1]!, Type: 'SecureString', AllowedPattern: '\\d+' }));
    assert.ok(!mismatch.message.includes(secrets[1]!));
    await t.server.core.audit.flush();
    if (engine === 'sqlite') {
      for (const f of readdirSync(t.dataDir).filter((n) => n.startsWith('capstan.db'))) {
        const bytes = readFileSync(join(t.dataDir, f));
        for (const s of secrets) assert.ok(!bytes.includes(s), `${f} holds ${s}`);
      }
    } else {
      const dump = await sql<{ t: string }>`select string_agg(p::text, '|') as t from parameters p`.execute(t.server.core.database.db);
      const versions = await sql<{ t: string }>`select string_agg(v::text, '|') as t from parameter_versions v`.execute(t.server.core.database.db);
      const audit = await sql<{ t: string }>`select string_agg(a::text, '|') as t from audit_events a`.execute(t.server.core.database.db);
      for (const s of secrets) for (const d of [dump, versions, audit]) assert.ok(!String(d.rows[0]?.t ?? '').includes(s));
    }
  });
});
