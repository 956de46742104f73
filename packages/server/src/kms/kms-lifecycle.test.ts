import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CancelKeyDeletionCommand, CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, DisableKeyRotationCommand,
  EnableKeyCommand, EnableKeyRotationCommand, EncryptCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand, ListKeyRotationsCommand,
  ListKeysCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { ManualClock } from '../scheduler/clock.js';
import { postgresSkipReason } from '../test-support/postgres.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { fails } from './test-support/errors.js';

const skip = await postgresSkipReason();
const DAY = 86_400_000;


for (const engine of ['sqlite', 'postgres'] as Engine[]) {
describe(`KMS key lifecycle on ${engine}`, { skip: engine === 'postgres' ? skip ?? false : false }, () => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    // The scheduler is ticked by hand after moving the clock; its own loop must not race the tests.
    t = await startTestServer({ engine, clock, schedulerPollMs: 3_600_000 });
  });
  after(async () => {
    await t.stop();
  });

  /** A client whose signatures carry the server's (moved) time. */
  const kms = () => new KMSClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const newKey = async () => (await kms().send(new CreateKeyCommand({}))).KeyMetadata!;
  const advance = async (ms: number) => {
    clock.advance(ms);
    while ((await t.server.core.scheduler.tick()) > 0);
  };
  const encrypt = async (keyId: string, text: string) => Buffer.from((await kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }))).CiphertextBlob!);
  const decrypt = async (blob: Buffer) => {
    const out = await kms().send(new DecryptCommand({ CiphertextBlob: blob }));
    return { text: Buffer.from(out.Plaintext!).toString(), materialId: out.KeyMaterialId };
  };

  describe('deletion', () => {
    test('ScheduleKeyDeletion takes 7 to 30 days, 30 by default, and answers the deletion date', async () => {
      const md = await newKey();
      await fails(kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId!, PendingWindowInDays: 6 })), 'ValidationException', 'PendingWindowInDays should be between 7 and 30, but it is 6');
      await fails(kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId!, PendingWindowInDays: 31 })), 'ValidationException', 'PendingWindowInDays should be between 7 and 30, but it is 31');
      await fails(kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId!, PendingWindowInDays: 366 })), 'ValidationException', /at 'pendingWindowInDays'/);
      const out = await kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId! }));
      assert.equal(out.KeyId, md.Arn);
      assert.equal(out.KeyState, 'PendingDeletion');
      assert.equal(out.PendingWindowInDays, 30);
      assert.equal(out.DeletionDate?.getTime(), clock.now() + 30 * DAY);
      const described = (await kms().send(new DescribeKeyCommand({ KeyId: md.KeyId! }))).KeyMetadata!;
      assert.equal(described.KeyState, 'PendingDeletion');
      assert.equal(described.Enabled, false);
      assert.equal(described.PendingDeletionWindowInDays, 30);
      assert.equal(described.DeletionDate?.getTime(), out.DeletionDate?.getTime());
    });

    test('a key pending deletion is KMSInvalidStateException for use, enabling and scheduling again', async () => {
      const md = await newKey();
      await kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId!, PendingWindowInDays: 7 }));
      const pending = `${md.Arn} is pending deletion.`;
      await fails(kms().send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('x') })), 'KMSInvalidStateException', pending);
      await fails(kms().send(new EnableKeyCommand({ KeyId: md.KeyId! })), 'KMSInvalidStateException', pending);
      await fails(kms().send(new DisableKeyCommand({ KeyId: md.KeyId! })), 'KMSInvalidStateException', pending);
      await fails(kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId! })), 'KMSInvalidStateException', pending);
      await fails(kms().send(new EnableKeyRotationCommand({ KeyId: md.KeyId! })), 'KMSInvalidStateException', pending);
    });

    test('CancelKeyDeletion leaves the key disabled, as in KMS; on a key not pending deletion it is KMSInvalidStateException', async () => {
      const md = await newKey();
      await kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId!, PendingWindowInDays: 7 }));
      const out = await kms().send(new CancelKeyDeletionCommand({ KeyId: md.KeyId! }));
      assert.equal(out.KeyId, md.Arn);
      const described = (await kms().send(new DescribeKeyCommand({ KeyId: md.KeyId! }))).KeyMetadata!;
      assert.equal(described.KeyState, 'Disabled');
      assert.equal(described.DeletionDate, undefined);
      await fails(kms().send(new EncryptCommand({ KeyId: md.KeyId!, Plaintext: Buffer.from('x') })), 'DisabledException');
      await fails(kms().send(new CancelKeyDeletionCommand({ KeyId: md.KeyId! })), 'KMSInvalidStateException', `${md.Arn} is not pending deletion.`);
      // The cancelled deletion job does not fire later.
      await advance(8 * DAY);
      await kms().send(new EnableKeyCommand({ KeyId: md.KeyId! }));
      await encrypt(md.KeyId!, 'still here');
    });

    test('when the waiting period ends the deletion job removes the key, its aliases and its material', async () => {
      const md = await newKey();
      await kms().send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: md.KeyId! }));
      const blob = await encrypt(md.KeyId!, 'last words');
      await kms().send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId!, PendingWindowInDays: 7 }));
      await advance(6 * DAY);
      assert.equal((await kms().send(new DescribeKeyCommand({ KeyId: md.KeyId! }))).KeyMetadata?.KeyState, 'PendingDeletion');
      await advance(1 * DAY + 1_000);
      await fails(kms().send(new DescribeKeyCommand({ KeyId: md.KeyId! })), 'NotFoundException', `Key '${md.Arn}' does not exist`);
      await fails(kms().send(new DecryptCommand({ CiphertextBlob: blob })), 'NotFoundException', `Key '${md.Arn}' does not exist`);
      await fails(kms().send(new DescribeKeyCommand({ KeyId: 'alias/doomed' })), 'NotFoundException');
      assert.ok(!(await kms().send(new ListAliasesCommand({}))).Aliases!.some((a) => a.AliasName === 'alias/doomed'));
      assert.ok(!(await kms().send(new ListKeysCommand({ Limit: 1000 }))).Keys!.some((k) => k.KeyId === md.KeyId));
    });
  });

  describe('rotation', () => {
    test('EnableKeyRotation takes 90 to 2560 days; GetKeyRotationStatus reports the period and the next date', async () => {
      const md = await newKey();
      assert.deepEqual(
        { ...(await kms().send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId! }))), $metadata: undefined },
        { KeyRotationEnabled: false, KeyId: md.Arn, $metadata: undefined },
      );
      await fails(kms().send(new EnableKeyRotationCommand({ KeyId: md.KeyId!, RotationPeriodInDays: 89 })), 'ValidationException', /at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90/);
      await fails(kms().send(new EnableKeyRotationCommand({ KeyId: md.KeyId!, RotationPeriodInDays: 2561 })), 'ValidationException');
      await kms().send(new EnableKeyRotationCommand({ KeyId: md.KeyId! }));
      const status = await kms().send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId! }));
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 365);
      assert.equal(status.NextRotationDate?.getTime(), md.CreationDate!.getTime() + 365 * DAY);
      await kms().send(new DisableKeyRotationCommand({ KeyId: md.KeyId! }));
      const off = await kms().send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId! }));
      assert.equal(off.KeyRotationEnabled, false);
      assert.equal(off.NextRotationDate, undefined);
      await kms().send(new DisableKeyCommand({ KeyId: md.KeyId! }));
      await fails(kms().send(new EnableKeyRotationCommand({ KeyId: md.KeyId! })), 'DisabledException', `${md.Arn} is disabled.`);
    });

    test('after each period the rotation job adds a material version: new blobs use it, old blobs still decrypt', async () => {
      const md = await newKey();
      const old = await encrypt(md.KeyId!, 'before rotation');
      const before = await decrypt(old);
      await kms().send(new EnableKeyRotationCommand({ KeyId: md.KeyId!, RotationPeriodInDays: 90 }));
      await advance(89 * DAY);
      assert.deepEqual((await kms().send(new ListKeyRotationsCommand({ KeyId: md.KeyId! }))).Rotations, []);
      await advance(2 * DAY);
      const rotations = (await kms().send(new ListKeyRotationsCommand({ KeyId: md.KeyId! }))).Rotations!;
      assert.equal(rotations.length, 1);
      assert.equal(rotations[0]!.RotationType, 'AUTOMATIC');
      assert.equal(rotations[0]!.RotationDate?.getTime(), clock.now());
      const current = (await kms().send(new DescribeKeyCommand({ KeyId: md.KeyId! }))).KeyMetadata!.CurrentKeyMaterialId;
      assert.notEqual(current, md.CurrentKeyMaterialId);
      assert.equal(rotations[0]!.KeyMaterialId, current);
      const fresh = await decrypt(await encrypt(md.KeyId!, 'after rotation'));
      assert.equal(fresh.text, 'after rotation');
      assert.equal(fresh.materialId, current);
      const stillOld = await decrypt(old);
      assert.equal(stillOld.text, 'before rotation');
      assert.equal(stillOld.materialId, before.materialId);
      const status = await kms().send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId! }));
      assert.equal(status.NextRotationDate?.getTime(), clock.now() + 90 * DAY);
      await advance(91 * DAY);
      assert.equal((await kms().send(new ListKeyRotationsCommand({ KeyId: md.KeyId! }))).Rotations!.length, 2);
    });

    test('a disabled key is not rotated; re-enabling it rotates what fell due', async () => {
      const md = await newKey();
      await kms().send(new EnableKeyRotationCommand({ KeyId: md.KeyId!, RotationPeriodInDays: 90 }));
      await kms().send(new DisableKeyCommand({ KeyId: md.KeyId! }));
      await advance(100 * DAY);
      assert.equal((await kms().send(new ListKeyRotationsCommand({ KeyId: md.KeyId! }))).Rotations!.length, 0);
      await kms().send(new EnableKeyCommand({ KeyId: md.KeyId! }));
      await advance(1_000);
      assert.equal((await kms().send(new ListKeyRotationsCommand({ KeyId: md.KeyId! }))).Rotations!.length, 1);
    });

    test('RotateKeyOnDemand rotates at once; ListKeyRotations pages the rotations', async () => {
      const md = await newKey();
      const old = await encrypt(md.KeyId!, 'v1');
      const out = await kms().send(new RotateKeyOnDemandCommand({ KeyId: md.KeyId! }));
      assert.equal(out.KeyId, md.KeyId);
      await kms().send(new RotateKeyOnDemandCommand({ KeyId: md.Arn! }));
      const first = await kms().send(new ListKeyRotationsCommand({ KeyId: md.KeyId!, Limit: 1 }));
      assert.equal(first.Rotations?.[0]?.RotationType, 'ON_DEMAND');
      assert.equal(first.Truncated, true);
      const second = await kms().send(new ListKeyRotationsCommand({ KeyId: md.KeyId!, Limit: 1, Marker: first.NextMarker! }));
      assert.equal(second.Rotations?.length, 1);
      assert.equal(second.Truncated, false);
      assert.notEqual(second.Rotations![0]!.KeyMaterialId, first.Rotations![0]!.KeyMaterialId);
      assert.equal((await decrypt(old)).text, 'v1');
      await kms().send(new DisableKeyCommand({ KeyId: md.KeyId! }));
      await fails(kms().send(new RotateKeyOnDemandCommand({ KeyId: md.KeyId! })), 'DisabledException');
    });
  });
});
}
