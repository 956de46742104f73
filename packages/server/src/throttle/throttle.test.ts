import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetServiceSettingCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ManualClock } from '../scheduler/clock.js';
import { probeOperation } from '../test-support/probe-operation.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { checkLimit, DEFAULT_LIMITS } from './throttle.js';

let t: TestServer;
const clock = new ManualClock(Date.now());
before(async () => {
  t = await startTestServer({ operations: [probeOperation], clock });
});
after(async () => {
  await t.stop();
});

/** The SDK signs with its own clock; keep it level with the server's manual one. */
const ssm = (o: Parameters<TestServer['clientConfig']>[0] = {}) => new SSMClient({ ...t.clientConfig(o), systemClockOffset: clock.now() - Date.now() });
const read = (client = ssm()) => client.send(new GetServiceSettingCommand({ SettingId: '/ssm/t' }));

describe('throttling', () => {
  test('defaults are generous: reads at least 50,000/s, every family at least 1,000/s', () => {
    assert.ok(DEFAULT_LIMITS.read.rate >= 50_000);
    assert.ok(DEFAULT_LIMITS.write.rate >= 1_000);
  });

  test('over the limit is ThrottlingException ("Rate exceeded"), and tokens come back with time', async () => {
    await t.server.core.throttle.setLimit(t.accountId, 'ssm:read', { rate: 2, burst: 3 });
    for (let i = 0; i < 3; i++) await read();
    await assert.rejects(read(), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, 'ThrottlingException');
      assert.equal(e.message, 'Rate exceeded');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
    clock.advance(500);
    await read();
    await assert.rejects(read(), { name: 'ThrottlingException' });
    await t.server.core.throttle.resetLimit(t.accountId, 'ssm:read');
    for (let i = 0; i < 10; i++) await read();
  });

  test('limits are per account and per family', async () => {
    await t.server.core.throttle.setLimit(t.accountId, 'ssm:read', { rate: 1, burst: 1 });
    try {
      await read();
      await assert.rejects(read(), { name: 'ThrottlingException' });
      // Another family of the same account is untouched.
      await new STSClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() }).send(new GetCallerIdentityCommand({}));
      // Another account is untouched.
      const other = await t.server.core.iam.createAccount({ name: 'throttle-other' });
      const theirs = ssm({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } });
      for (let i = 0; i < 5; i++) await read(theirs);
    } finally {
      await t.server.core.throttle.resetLimit(t.accountId, 'ssm:read');
    }
  });

  test('a throttled call is retried by the SDK with its standard retry strategy', async () => {
    await t.server.core.throttle.setLimit(t.accountId, 'ssm:read', { rate: 1000, burst: 1 });
    try {
      await read();
      // The bucket is empty at this instant; time moves on while the SDK backs off.
      const retrying = new SSMClient({ ...t.clientConfig(), maxAttempts: 3, systemClockOffset: clock.now() - Date.now() });
      // Time moves on only once an attempt was throttled, however slowly this machine runs the test.
      retrying.middlewareStack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (e) {
            clock.advance(10);
            throw e;
          }
        },
        { step: 'finalizeRequest', priority: 'low' },
      );
      const out = await retrying.send(new GetServiceSettingCommand({ SettingId: '/ssm/t' }));
      assert.ok(out.$metadata.attempts! >= 2, `took ${out.$metadata.attempts} attempts`);
    } finally {
      await t.server.core.throttle.resetLimit(t.accountId, 'ssm:read');
    }
  });

  test('bad limits are refused', () => {
    assert.throws(() => checkLimit('ssm', { rate: 10, burst: 10 }), /ssm:read/);
    assert.throws(() => checkLimit('ssm:read', { rate: 0, burst: 10 }), /at least 1/);
    assert.throws(() => checkLimit('ssm:read', { rate: 1.5, burst: 10 }), /whole number/);
    assert.throws(() => checkLimit('ssm:write', { rate: 10, burst: 0 }), /burst/);
  });
});
