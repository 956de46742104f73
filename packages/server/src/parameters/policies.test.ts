import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeParametersCommand, GetParameterCommand, GetParameterHistoryCommand, PutParameterCommand, SSMClient, type PutParameterCommandInput } from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { POLICY_EVENT } from './index.js';

const HOUR = 3_600_000;

onEveryEngine('parameter policies', (engine) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    t = await startTestServer({ engine, clock });
  });
  after(async () => {
    await t.stop();
  });
  // The SDK signs with its own clock; keep it level with the server's.
  const ssm = () => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const put = (input: PutParameterCommandInput) => ssm().send(new PutParameterCommand(input));
  const iso = (ms: number) => new Date(ms).toISOString();
  const policy = (type: string, attributes: Record<string, string>) => ({ Type: type, Version: '1.0', Attributes: attributes });
  const policyEvents = () => t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: POLICY_EVENT });
  const advance = async (ms: number) => {
    clock.advance(ms);
    await t.server.core.scheduler.tick();
  };

  test('Expiration deletes the parameter at its time, after an ExpirationNotification event', async () => {
    const policies = [policy('Expiration', { Timestamp: iso(clock.now() + 2 * HOUR) }), policy('ExpirationNotification', { Before: '1', Unit: 'Hours' })];
    const out = await put({ Name: '/pol/expiring', Value: 'temp', Type: 'String', Tier: 'Advanced', Policies: JSON.stringify(policies) });
    assert.equal(out.Tier, 'Advanced');
    const meta = (await ssm().send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: ['/pol/expiring'] }] }))).Parameters![0]!;
    assert.deepEqual(meta.Policies!.map((p) => [p.PolicyType, p.PolicyStatus]).sort(), [['Expiration', 'Pending'], ['ExpirationNotification', 'Pending']]);
    assert.deepEqual(JSON.parse(meta.Policies!.find((p) => p.PolicyType === 'Expiration')!.PolicyText!), policies[0]);

    await advance(HOUR - 60_000);
    assert.equal((await policyEvents()).filter((e) => e.resources[0]!.endsWith('/pol/expiring')).length, 0, 'nothing fires early');
    await advance(60_000);
    const notices = (await policyEvents()).filter((e) => e.resources[0]!.endsWith('/pol/expiring'));
    assert.deepEqual(notices.map((e) => e.detail['policy-type']), ['ExpirationNotification']);
    const history = (await ssm().send(new GetParameterHistoryCommand({ Name: '/pol/expiring' }))).Parameters![0]!;
    assert.equal(history.Policies!.find((p) => p.PolicyType === 'ExpirationNotification')!.PolicyStatus, 'Finished');
    assert.equal((await ssm().send(new GetParameterCommand({ Name: '/pol/expiring' }))).Parameter!.Value, 'temp');

    await advance(HOUR);
    await assert.rejects(ssm().send(new GetParameterCommand({ Name: '/pol/expiring' })), { name: 'ParameterNotFound' });
    const all = (await policyEvents()).filter((e) => e.resources[0]!.endsWith('/pol/expiring'));
    assert.deepEqual(all.map((e) => e.detail['policy-type']), ['ExpirationNotification', 'Expiration']);
    assert.equal(all[1]!.detail['parameter-name'], '/pol/expiring');
  });

  test('NoChangeNotification fires after a quiet period, and a change restarts it', async () => {
    const policies = JSON.stringify([policy('NoChangeNotification', { After: '3', Unit: 'Hours' })]);
    await put({ Name: '/pol/stale', Value: 'v1', Type: 'String', Tier: 'Advanced', Policies: policies });
    await advance(2 * HOUR);
    await put({ Name: '/pol/stale', Value: 'v2', Overwrite: true });
    await advance(2 * HOUR);
    assert.equal((await policyEvents()).filter((e) => e.resources[0]!.endsWith('/pol/stale')).length, 0, 'the change re-armed it');
    await advance(HOUR);
    const events = (await policyEvents()).filter((e) => e.resources[0]!.endsWith('/pol/stale'));
    assert.deepEqual(events.map((e) => [e.detail['policy-type'], e.detail['parameter-version']]), [['NoChangeNotification', 2]]);
    assert.equal((await ssm().send(new GetParameterCommand({ Name: '/pol/stale' }))).Parameter!.Value, 'v2');
  });

  test('a parameter made again after its Expiration is left alone by the jobs the first one left, until its own policies replace them', async () => {
    const first = (name: string) =>
      put({ Name: name, Value: 'first', Type: 'String', Tier: 'Advanced', Policies: JSON.stringify([policy('Expiration', { Timestamp: iso(clock.now() + HOUR) }), policy('NoChangeNotification', { After: '4', Unit: 'Hours' })]) });
    const events = async (name: string) => (await policyEvents()).filter((e) => e.resources[0]!.endsWith(name)).map((e) => [e.detail['policy-type'], e.detail['parameter-version']]);
    await first('/pol/again/plain');
    await first('/pol/again/armed');
    await advance(HOUR);
    await assert.rejects(ssm().send(new GetParameterCommand({ Name: '/pol/again/plain' })), { name: 'ParameterNotFound' });
    // Version 1 again, with no policy: the first one's NoChangeNotification, due in 3 hours, finds nothing pending.
    await put({ Name: '/pol/again/plain', Value: 'second', Type: 'String' });
    await put({ Name: '/pol/again/armed', Value: 'second', Type: 'String' });
    await put({ Name: '/pol/again/armed', Value: 'third', Overwrite: true, Tier: 'Advanced', Policies: JSON.stringify([policy('NoChangeNotification', { After: '1', Unit: 'Hours' })]) });
    await advance(HOUR);
    assert.deepEqual(await events('/pol/again/armed'), [['Expiration', 1], ['NoChangeNotification', 2]]);
    await advance(3 * HOUR);
    assert.deepEqual(await events('/pol/again/plain'), [['Expiration', 1]], 'the old job did nothing to the new parameter');
    assert.deepEqual(await events('/pol/again/armed'), [['Expiration', 1], ['NoChangeNotification', 2]], 'the old job was replaced, not run as well');
    assert.equal((await ssm().send(new GetParameterCommand({ Name: '/pol/again/plain' }))).Parameter!.Value, 'second');
  });

  test('replacing an Expiration policy moves the deletion', async () => {
    await put({ Name: '/pol/moved', Value: 'x', Type: 'String', Tier: 'Advanced', Policies: JSON.stringify([policy('Expiration', { Timestamp: iso(clock.now() + HOUR) })]) });
    await put({ Name: '/pol/moved', Value: 'y', Overwrite: true, Policies: JSON.stringify([policy('Expiration', { Timestamp: iso(clock.now() + 3 * HOUR) })]) });
    await advance(2 * HOUR);
    assert.equal((await ssm().send(new GetParameterCommand({ Name: '/pol/moved' }))).Parameter!.Value, 'y');
    await advance(2 * HOUR);
    await assert.rejects(ssm().send(new GetParameterCommand({ Name: '/pol/moved' })), { name: 'ParameterNotFound' });
  });

  test('Intelligent-Tiering moves a parameter with policies to Advanced', async () => {
    const out = await put({ Name: '/pol/it', Value: 'x', Type: 'String', Tier: 'Intelligent-Tiering', Policies: JSON.stringify([policy('NoChangeNotification', { After: '10', Unit: 'Days' })]) });
    assert.equal(out.Tier, 'Advanced');
  });

  test('bad policies get AWS\'s errors and create nothing', async () => {
    const expiry = policy('Expiration', { Timestamp: iso(clock.now() + HOUR) });
    const bad = async (Policies: string, Tier: 'Standard' | 'Advanced' = 'Advanced') => (await failure(put({ Name: '/pol/bad', Value: 'x', Type: 'String', Tier, Policies }))).name;
    assert.equal(await bad(JSON.stringify([expiry]), 'Standard'), 'ValidationException');
    assert.equal(await bad(JSON.stringify([policy('Rotation', {})])), 'InvalidPolicyTypeException');
    assert.equal(await bad(JSON.stringify([policy('Expiration', { Timestamp: 'tomorrow' })])), 'InvalidPolicyAttributeException');
    assert.equal(await bad(JSON.stringify([policy('Expiration', { Timestamp: iso(clock.now() - HOUR) })])), 'InvalidPolicyAttributeException');
    assert.equal(await bad(JSON.stringify([policy('NoChangeNotification', { After: '0', Unit: 'Days' })])), 'InvalidPolicyAttributeException');
    assert.equal(await bad(JSON.stringify([policy('NoChangeNotification', { After: '2', Unit: 'Weeks' })])), 'InvalidPolicyAttributeException');
    assert.equal(await bad(JSON.stringify([expiry, expiry])), 'IncompatiblePolicyException');
    assert.equal(await bad(JSON.stringify([policy('ExpirationNotification', { Before: '1', Unit: 'Days' })])), 'IncompatiblePolicyException');
    assert.equal(await bad(JSON.stringify(Array.from({ length: 11 }, () => expiry))), 'PoliciesLimitExceededException');
    assert.equal(await bad('not json'), 'InvalidPolicyAttributeException');
    await assert.rejects(ssm().send(new GetParameterCommand({ Name: '/pol/bad' })), { name: 'ParameterNotFound' });
  });
});
