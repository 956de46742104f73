import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DisableRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, ResetServiceSettingCommand, SSMClient, UpdateServiceSettingCommand } from '@aws-sdk/client-ssm';
import type { PostgresBus } from '../cluster/bus.js';
import { currentSchema } from '../store/database.js';
import { failure } from '../test-support/failure.js';
import { freshSchema, POSTGRES_URL, postgresSkipReason } from '../test-support/postgres.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';
import type { ParameterTables } from './tables.js';

const skip = await postgresSkipReason();

/**
 * Replicas keep parameters' rows, service settings and event rules in memory. These use an
 * hour-long cache lifetime, so only the database's change notices (and the bus's state) can
 * make a replica see another's change.
 */
describe('parameters, settings and rules changed on another replica', { skip: skip ?? false }, () => {
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  let a: TestServer;
  let b: TestServer;
  let onA: SSMClient;
  let onB: SSMClient;
  before(async () => {
    schema = await freshSchema();
    const rootKey = { value: randomBytes(32).toString('base64') };
    a = await startTestServer({ databaseUrl: schema.url, rootKey, sharedCacheTtlMs: 3_600_000 });
    b = await startTestServer({ databaseUrl: schema.url, rootKey, sharedCacheTtlMs: 3_600_000 });
    onA = new SSMClient(a.clientConfig());
    onB = new SSMClient(b.clientConfig());
  });
  after(async () => {
    onA.destroy();
    onB.destroy();
    await a.stop();
    await b.stop();
    await schema.drop();
  });
  const valueOn = async (client: SSMClient, Name: string) => (await client.send(new GetParameterCommand({ Name }))).Parameter!.Value;
  /** B's value of Name, or undefined while B does not find it (it may answer from memory until a notice arrives). */
  const seenOnB = (Name: string) =>
    valueOn(onB, Name).catch((e: Error) => (e.name === 'ParameterNotFound' ? undefined : assert.fail(e)));
  const becomes = (Name: string, value: string) => until(`B to read ${value}`, async () => ((await seenOnB(Name)) === value ? true : undefined), { ms: 5_000, every: 20 });

  test('an overwrite and a delete on A are read on B, which had the row in memory', async () => {
    await onA.send(new PutParameterCommand({ Name: '/shared/p', Value: 'one', Type: 'String' }));
    assert.equal(await valueOn(onB, '/shared/p'), 'one');
    assert.equal(await valueOn(onB, '/shared/p'), 'one');
    await onA.send(new PutParameterCommand({ Name: '/shared/p', Value: 'two', Overwrite: true }));
    await becomes('/shared/p', 'two');
    await onA.send(new DeleteParameterCommand({ Name: '/shared/p' }));
    await until('B to find no parameter', async () => ((await seenOnB('/shared/p')) === undefined ? true : undefined), { ms: 5_000, every: 20 });
  });

  test('a name B knew to be missing is found on B once A creates it', async () => {
    assert.equal((await failure(onB.send(new GetParameterCommand({ Name: '/shared/late' })))).name, 'ParameterNotFound');
    await onA.send(new PutParameterCommand({ Name: '/shared/late', Value: 'here', Type: 'String' }));
    await becomes('/shared/late', 'here');
  });

  test('a row changed by SQL outside Capstan is read anew on every replica', async () => {
    await onA.send(new PutParameterCommand({ Name: '/shared/sql', Value: 'before', Type: 'String' }));
    assert.equal(await valueOn(onA, '/shared/sql'), 'before');
    assert.equal(await valueOn(onB, '/shared/sql'), 'before');
    await a.server.core.database.db.withTables<ParameterTables>().updateTable('parameters').set({ value: 'after' }).where('name', '=', '/shared/sql').execute();
    await becomes('/shared/sql', 'after');
    await until('A to read after', async () => ((await valueOn(onA, '/shared/sql')) === 'after' ? true : undefined), { ms: 5_000, every: 20 });
  });

  test('a change made by SQL in a session with another search_path (the table named with its schema) reaches the replicas too', async () => {
    await onA.send(new PutParameterCommand({ Name: '/shared/operator', Value: 'before', Type: 'String' }));
    assert.equal(await valueOn(onB, '/shared/operator'), 'before');
    const schemaName = await currentSchema(a.server.core.database.db);
    const operator = new pg.Client({ connectionString: POSTGRES_URL });
    await operator.connect();
    try {
      await operator.query(`update ${schemaName}.parameters set value = 'after' where name = '/shared/operator'`);
    } finally {
      await operator.end();
    }
    await becomes('/shared/operator', 'after');
  });

  test('while B\'s bus connection is lost, B reads from the store rather than from memory', async () => {
    await onA.send(new PutParameterCommand({ Name: '/shared/outage', Value: 'v1', Type: 'String' }));
    assert.equal(await valueOn(onB, '/shared/outage'), 'v1');
    const bus = b.server.core.cluster.bus as PostgresBus;
    // The LISTEN connection ends as a dropped one would; the bus reconnects a second later.
    await (bus as unknown as { client: { end(): Promise<void> } }).client.end();
    assert.equal(bus.live, false);
    await onA.send(new PutParameterCommand({ Name: '/shared/outage', Value: 'v2', Overwrite: true }));
    assert.equal(await valueOn(onB, '/shared/outage'), 'v2');
    await until('B\'s bus to listen again', () => (bus.live ? true : undefined), { ms: 10_000, every: 50 });
    await onA.send(new PutParameterCommand({ Name: '/shared/outage', Value: 'v3', Overwrite: true }));
    await becomes('/shared/outage', 'v3');
  });

  test('the default tier set on A is the tier of a parameter B creates', async () => {
    const create = (Name: string) => onB.send(new PutParameterCommand({ Name, Value: 'v', Type: 'String' }));
    assert.equal((await create('/shared/tier/0')).Tier, 'Standard');
    await onA.send(new UpdateServiceSettingCommand({ SettingId: '/ssm/parameter-store/default-parameter-tier', SettingValue: 'Advanced' }));
    let n = 0;
    await until('B to create Advanced parameters', async () => ((await create(`/shared/tier/${++n}`)).Tier === 'Advanced' ? true : undefined), { ms: 5_000, every: 20 });
    await onA.send(new ResetServiceSettingCommand({ SettingId: '/ssm/parameter-store/default-parameter-tier' }));
    await until('B to create Standard parameters again', async () => ((await create(`/shared/tier/${++n}`)).Tier === 'Standard' ? true : undefined), { ms: 5_000, every: 20 });
  });

  test('an event rule put on A matches the events B writes; disabled on A, it no longer does', async () => {
    const iam = new IAMClient(a.clientConfig());
    const events = new EventBridgeClient(a.clientConfig());
    try {
      const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
      const RoleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'shared-rules', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
      const db = a.server.core.database.db.withTables<{ event_rule_firings: { rule_name: string; event: string } }>();
      /** Whether a parameter B creates now is matched by the rule (a firing of it is written with the event). */
      let n = 0;
      const matched = async () => {
        const Name = `/shared/watched/${++n}`;
        await onB.send(new PutParameterCommand({ Name, Value: 'v', Type: 'String' }));
        const firings = await db.selectFrom('event_rule_firings').select('event').where('rule_name', '=', 'watch').execute();
        return firings.some((f) => (JSON.parse(f.event) as { detail: { name: string } }).detail.name === Name);
      };
      assert.equal(await matched(), false);
      await events.send(new PutRuleCommand({ Name: 'watch', EventPattern: JSON.stringify({ source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'] }) }));
      await events.send(new PutTargetsCommand({ Rule: 'watch', Targets: [{ Id: 'command', Arn: 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript', RoleArn, RunCommandParameters: { RunCommandTargets: [{ Key: 'tag:Env', Values: ['none'] }] }, Input: '{"commands":["true"]}' }] }));
      await until('B to match the rule', async () => ((await matched()) ? true : undefined), { ms: 5_000, every: 20 });
      await events.send(new DisableRuleCommand({ Name: 'watch' }));
      await until('B to stop matching the rule', async () => ((await matched()) ? undefined : true), { ms: 5_000, every: 20 });
    } finally {
      iam.destroy();
      events.destroy();
    }
  });
});
