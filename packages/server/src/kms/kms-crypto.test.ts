import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient,
} from '@aws-sdk/client-kms';
import { decryptBlob, parseBlob, unsealMaterial } from './crypto.js';
import { kmsService } from './index.js';
import { postgresSkipReason } from '../test-support/postgres.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { fails } from './test-support/errors.js';

const skip = await postgresSkipReason();


for (const engine of ['sqlite', 'postgres'] as Engine[]) {
describe(`KMS cryptography on ${engine}`, { skip: engine === 'postgres' ? skip ?? false : false }, () => {
  let t: TestServer;
  let kms: KMSClient;
  before(async () => {
    t = await startTestServer({ engine });
    kms = new KMSClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });

  const newKey = async () => (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
  const text = (b: Uint8Array | undefined) => Buffer.from(b!).toString('utf8');

  describe('Encrypt and Decrypt', () => {
    test('a round trip with the key named or found from the blob; the encryption context binds but its order does not matter', async () => {
      const md = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('db password'), EncryptionContext: { app: 'orders', env: 'prod' } }));
      assert.equal(enc.KeyId, md.Arn);
      assert.equal(enc.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      assert.ok(!Buffer.from(enc.CiphertextBlob!).includes(Buffer.from('db password')));
      const ctx = { env: 'prod', app: 'orders' };
      const noKey = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: ctx }));
      assert.equal(text(noKey.Plaintext), 'db password');
      assert.equal(noKey.KeyId, md.Arn);
      assert.equal(noKey.KeyMaterialId, md.CurrentKeyMaterialId);
      const withKey = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: ctx, KeyId: md.Arn! }));
      assert.equal(text(withKey.Plaintext), 'db password');
      const again = await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('db password'), EncryptionContext: { app: 'orders', env: 'prod' } }));
      assert.notDeepEqual(Buffer.from(again.CiphertextBlob!), Buffer.from(enc.CiphertextBlob!), 'a fresh IV every time');
    });

    test('a different or missing encryption context is InvalidCiphertextException', async () => {
      const md = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('x'), EncryptionContext: { app: 'orders' } }));
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: { app: 'billing' } })), 'InvalidCiphertextException');
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob! })), 'InvalidCiphertextException');
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob!, EncryptionContext: { app: 'orders', extra: '1' } })), 'InvalidCiphertextException');
    });

    test('a tampered or foreign blob is InvalidCiphertextException', async () => {
      const md = await newKey();
      const blob = Buffer.from((await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('payload') }))).CiphertextBlob!);
      for (const at of [blob.length - 1, blob.length - 20, 20, 1]) {
        const bad = Buffer.from(blob);
        bad[at] = bad[at]! ^ 0x01;
        await fails(kms.send(new DecryptCommand({ CiphertextBlob: bad })), 'InvalidCiphertextException', undefined);
      }
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: blob.subarray(0, blob.length - 1) })), 'InvalidCiphertextException');
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: randomBytes(80) })), 'InvalidCiphertextException');
    });

    test('Decrypt naming another key than the blob is IncorrectKeyException; an alias of the right key works', async () => {
      const md = await newKey();
      const other = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/right-key', TargetKeyId: md.KeyId! }));
      const enc = await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('x') }));
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob!, KeyId: other.KeyId! })), 'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.');
      assert.equal(text((await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob!, KeyId: 'alias/right-key' }))).Plaintext), 'x');
    });

    test('a blob made in another account or region is refused there', async () => {
      const md = await newKey();
      const blob = (await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('x') }))).CiphertextBlob!;
      const otherRegion = new KMSClient(t.clientConfig({ region: 'eu-west-1' }));
      await fails(otherRegion.send(new DecryptCommand({ CiphertextBlob: blob })), 'InvalidCiphertextException');
      const acct = await t.server.core.iam.createAccount({ name: `other-${engine}` });
      const otherAccount = new KMSClient(t.clientConfig({ credentials: { accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey } }));
      await fails(otherAccount.send(new DecryptCommand({ CiphertextBlob: blob })), 'InvalidCiphertextException');
      const service = kmsService(t.server.core);
      assert.equal(service.keyArnOfBlob(t.accountId, 'us-east-1', Buffer.from(blob)), md.Arn);
      assert.equal(service.keyArnOfBlob(acct.accountId, 'us-east-1', Buffer.from(blob)), undefined);
      assert.equal(service.keyArnOfBlob(t.accountId, 'us-east-1', Buffer.from('not a blob')), undefined);
      await fails(service.decrypt(acct.accountId, 'us-east-1', Buffer.from(blob), {}), 'InvalidCiphertextException');
    });

    test('Plaintext over 4096 bytes is a ValidationException that does not echo the value', async () => {
      const md = await newKey();
      await fails(kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.alloc(4097, 7) })), 'ValidationException',
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096");
      await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.alloc(4096, 7) }));
    });

    test('a disabled key is DisabledException for Encrypt and Decrypt; EnableKey restores both', async () => {
      const md = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('kept') }));
      await kms.send(new DisableKeyCommand({ KeyId: md.KeyId! }));
      await fails(kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('x') })), 'DisabledException', `${md.Arn} is disabled.`);
      await fails(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob! })), 'DisabledException', `${md.Arn} is disabled.`);
      await fails(kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId!, KeySpec: 'AES_256' })), 'DisabledException');
      await fails(kmsService(t.server.core).decrypt(t.accountId, 'us-east-1', Buffer.from(enc.CiphertextBlob!), {}), 'DisabledException');
      await kms.send(new EnableKeyCommand({ KeyId: md.KeyId! }));
      assert.equal(text((await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob! }))).Plaintext), 'kept');
      await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('x') }));
    });
  });

  describe('GenerateDataKey', () => {
    test('AES_256, AES_128 and NumberOfBytes give data keys of that size whose blob decrypts to the same key', async () => {
      const md = await newKey();
      for (const [args, size] of [[{ KeySpec: 'AES_256' as const }, 32], [{ KeySpec: 'AES_128' as const }, 16], [{ NumberOfBytes: 1024 }, 1024], [{ NumberOfBytes: 1 }, 1]] as const) {
        const out = await kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId!, EncryptionContext: { purpose: 'test' }, ...args }));
        assert.equal(out.Plaintext?.length, size);
        assert.equal(out.KeyId, md.Arn);
        const back = await kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob!, EncryptionContext: { purpose: 'test' } }));
        assert.deepEqual(Buffer.from(back.Plaintext!), Buffer.from(out.Plaintext!));
      }
    });

    test('both or neither of KeySpec and NumberOfBytes is a ValidationException, checked before the key', async () => {
      const md = await newKey();
      const message = 'Please specify either number of bytes or key spec.';
      await fails(kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId!, KeySpec: 'AES_256', NumberOfBytes: 32 })), 'ValidationException', message);
      await fails(kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId! })), 'ValidationException', message);
      await fails(kms.send(new GenerateDataKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })), 'ValidationException', message);
      await fails(kms.send(new GenerateDataKeyCommand({ KeyId: md.KeyId!, NumberOfBytes: 1025 })), 'ValidationException', /at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024/);
    });

    test('kmsService.generateDataKey makes a 32-byte data key that kmsService.decrypt opens with the same context only', async () => {
      const md = await newKey();
      const service = kmsService(t.server.core);
      const dk = await service.generateDataKey(t.accountId, 'us-east-1', md.Arn!, { PARAMETER_ARN: 'arn:x' });
      assert.equal(dk.plaintext.length, 32);
      assert.equal(dk.keyArn, md.Arn);
      assert.deepEqual((await service.decrypt(t.accountId, 'us-east-1', dk.ciphertextBlob, { PARAMETER_ARN: 'arn:x' })).plaintext, dk.plaintext);
      await fails(service.decrypt(t.accountId, 'us-east-1', dk.ciphertextBlob, { PARAMETER_ARN: 'arn:y' }), 'InvalidCiphertextException');
    });
  });

  describe('keys at rest', { skip: engine === 'postgres' ? 'the data files checked are SQLite\'s' : false }, () => {
    const dataFiles = () => readdirSync(t.dataDir).filter((f) => f.startsWith('capstan.db')).map((f) => readFileSync(join(t.dataDir, f)));

    test('plaintext given to Encrypt is nowhere in the data files', async () => {
      const md = await newKey();
      const canary = `canary-${randomBytes(8).toString('hex')}`;
      await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from(canary) }));
      await t.server.core.audit.flush();
      for (const bytes of dataFiles()) {
        assert.ok(!bytes.includes(Buffer.from(canary)));
        assert.ok(!bytes.includes(Buffer.from(Buffer.from(canary).toString('base64'))));
      }
    });

    test('key material is stored sealed: only the root key opens it, and the raw material is in no data file', async () => {
      const md = await newKey();
      const blob = parseBlob(Buffer.from((await kms.send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('sealed?') }))).CiphertextBlob!))!;
      const db = new BetterSqlite3(join(t.dataDir, 'capstan.db'), { readonly: true });
      const { material_sealed: sealed } = db.prepare('select material_sealed from kms_key_material where key_id = ? and version = 1').get(md.KeyId) as { material_sealed: string };
      db.close();
      // Whatever a copied database holds, used as a key, does not decrypt.
      const parts = sealed.split('.').map((p) => Buffer.from(p, 'base64'));
      for (const candidate of [...parts, Buffer.from(sealed, 'utf8')]) {
        if (candidate.length !== 32) continue;
        assert.equal(decryptBlob(blob, createSecretKey(candidate), {}), undefined);
      }
      // With the root key, which lives outside the database, the same column does open it.
      const rootKey = Buffer.from(readFileSync(join(t.dataDir, 'root.key'), 'utf8').trim(), 'base64');
      const material = unsealMaterial(rootKey, blob, sealed);
      assert.equal(decryptBlob(blob, material, {})?.toString(), 'sealed?');
      const raw = material.export();
      for (const bytes of dataFiles()) assert.ok(!bytes.includes(raw));
    });
  });
});
}
