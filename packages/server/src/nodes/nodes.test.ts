import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { answerChallenge } from '@capstan/wire';
import WebSocket from 'ws';
import {
  AddTagsToResourceCommand, CreateActivationCommand, DeleteActivationCommand, DeregisterManagedInstanceCommand, DescribeActivationsCommand, UpdateManagedInstanceRoleCommand,
  DescribeInstanceInformationCommand, DescribeInstancePropertiesCommand, ListTagsForResourceCommand, SSMClient,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('the call succeeded');
}

interface Agent {
  instanceId: string;
  key: KeyObject;
}

/** A scripted agent over a raw socket: every message it received, and how the socket closed. */
function dial(endpoint: string) {
  const ws = new WebSocket(`${endpoint.replace(/^http/, 'ws')}/capstan/agent/v1/channel`);
  const received: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (d) => {
    received.push(JSON.parse(d.toString()) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const next = async (type: string) => {
    for (;;) {
      const m = received.find((x) => x.type === type);
      if (m) return m;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { ws, received, closed, next };
}

const helloFor = (nonce: string, instanceId: string, key: KeyObject, platformName = 'TestOS') => ({
  type: 'hello',
  instanceId,
  signature: answerChallenge(nonce, instanceId, key),
  info: { agentVersion: '9.9.9', platformType: 'Linux', platformName, platformVersion: '1.0', hostname: 'node-a', ipAddress: '10.0.0.7', architecture: 'x64' },
});

onEveryEngine('Managed nodes', (engine) => {
  const clock = new ManualClock(Date.now());
  let t: TestServer;
  let ssm: SSMClient;
  const PING = 1000;
  before(async () => {
    t = await startTestServer({ engine, clock, agentPingMs: PING });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });

  const activation = (limit = 1, ExpirationDate?: Date) => ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', DefaultInstanceName: 'web', RegistrationLimit: limit, ...(ExpirationDate ? { ExpirationDate } : {}) }));
  const registerRaw = (body: Record<string, unknown>) =>
    fetch(`${t.endpoint}/capstan/agent/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const newAgent = async (activationId: string, activationCode: string): Promise<Agent> => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const res = await registerRaw({ activationId, activationCode, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), region: 'us-east-1', hostname: 'node-a' });
    const body = (await res.json()) as { instanceId: string; accountId: string; region: string; error?: string };
    assert.equal(res.status, 200, body.error);
    assert.match(body.instanceId, /^mi-[0-9a-f]{17}$/);
    assert.deepEqual([body.accountId, body.region], [t.accountId, 'us-east-1']);
    return { instanceId: body.instanceId, key: privateKey };
  };
  const connect = async (a: Agent) => {
    const c = dial(t.endpoint);
    const { nonce } = (await c.next('challenge')) as { nonce: string };
    c.ws.send(JSON.stringify(helloFor(nonce, a.instanceId, a.key)));
    await c.next('welcome');
    return c;
  };
  const info = async (InstanceId: string) =>
    (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [InstanceId] }] }))).InstanceInformationList?.[0];

  test('activations are created, described with filters and paging, and deleted', async () => {
    const a = await activation(3);
    assert.match(a.ActivationId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(a.ActivationCode!.length, 20);
    const b = await ssm.send(new CreateActivationCommand({ IamRole: 'OtherRole', Description: 'second', Tags: [{ Key: 'env', Value: 'prod' }] }));
    const byRole = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'IamRole', FilterValues: ['OtherRole'] }] }));
    assert.deepEqual(byRole.ActivationList!.map((x) => [x.ActivationId, x.Description, x.RegistrationLimit, x.RegistrationsCount, x.Expired, x.Tags]), [[b.ActivationId, 'second', 1, 0, false, [{ Key: 'env', Value: 'prod' }]]]);
    const page1 = await ssm.send(new DescribeActivationsCommand({ MaxResults: 1 }));
    const page2 = await ssm.send(new DescribeActivationsCommand({ MaxResults: 1, NextToken: page1.NextToken! }));
    assert.notEqual(page1.ActivationList![0]!.ActivationId, page2.ActivationList![0]!.ActivationId);
    const day = page1.ActivationList![0]!.ExpirationDate!.getTime() - page1.ActivationList![0]!.CreatedDate!.getTime();
    assert.equal(day, 86_400_000);
    await ssm.send(new DeleteActivationCommand({ ActivationId: b.ActivationId! }));
    assert.equal((await failure(ssm.send(new DeleteActivationCommand({ ActivationId: b.ActivationId! })))).name, 'InvalidActivationId');
    assert.equal((await failure(activation(1001))).name, 'ValidationException');
    assert.equal((await failure(activation(1, new Date(clock.now() + 31 * 86_400_000)))).name, 'ValidationException');
  });

  test('registration refuses a wrong code, an expired activation and an exhausted one', async () => {
    const a = await activation(1);
    const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const wrong = await registerRaw({ activationId: a.ActivationId, activationCode: 'x'.repeat(20), publicKey: key });
    assert.equal(wrong.status, 403);
    assert.match(((await wrong.json()) as { error: string }).error, /do not match/);
    await newAgent(a.ActivationId!, a.ActivationCode!);
    const exhausted = await registerRaw({ activationId: a.ActivationId, activationCode: a.ActivationCode, publicKey: key });
    assert.match(((await exhausted.json()) as { error: string }).error, /registration limit of 1/);
    const listed = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [a.ActivationId!] }] }));
    assert.equal(listed.ActivationList![0]!.RegistrationsCount, 1);
    const soon = await activation(1, new Date(clock.now() + 3_600_000));
    clock.advance(2 * 3_600_000);
    const expired = await registerRaw({ activationId: soon.ActivationId, activationCode: soon.ActivationCode, publicKey: key });
    clock.set(clock.now() - 2 * 3_600_000);
    assert.match(((await expired.json()) as { error: string }).error, /expired/);
  });

  test('a connected node is Online with its platform data, ConnectionLost after two missed pings, and tagged', async () => {
    const a = await activation(2);
    const agent = await newAgent(a.ActivationId!, a.ActivationCode!);
    assert.equal((await info(agent.instanceId))!.PingStatus, 'ConnectionLost');
    const c = await connect(agent);
    const node = (await info(agent.instanceId))!;
    assert.deepEqual(
      [node.PingStatus, node.PlatformName, node.PlatformType, node.AgentVersion, node.IPAddress, node.ComputerName, node.Name, node.IamRole, node.ResourceType, node.ActivationId],
      ['Online', 'TestOS', 'Linux', '9.9.9', '10.0.0.7', 'node-a', 'web', 'SSMServiceRole', 'ManagedInstance', a.ActivationId],
    );
    c.ws.send(JSON.stringify({ type: 'ping' }));
    await c.next('pong');
    clock.advance(2 * PING + 1);
    assert.equal((await info(agent.instanceId))!.PingStatus, 'ConnectionLost');
    c.ws.send(JSON.stringify({ type: 'ping' }));
    c.received.length = 0;
    await c.next('pong');
    assert.equal((await info(agent.instanceId))!.PingStatus, 'Online');
    const online = await ssm.send(new DescribeInstanceInformationCommand({ InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['Online'] }] }));
    assert.ok(online.InstanceInformationList!.some((n) => n.InstanceId === agent.instanceId));
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: agent.instanceId, Tags: [{ Key: 'role', Value: 'db' }] }));
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: agent.instanceId }));
    assert.deepEqual(tags.TagList, [{ Key: 'role', Value: 'db' }]);
    const byTag = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:role', Values: ['db'] }] }));
    assert.deepEqual(byTag.InstanceInformationList!.map((n) => n.InstanceId), [agent.instanceId]);
    assert.equal((await failure(ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'Colour', Values: ['x'] }] })))).name, 'InvalidFilterKey');
    c.ws.close();
    await c.closed;
  });

  test('the architecture an agent reports in its hello shows in DescribeInstanceProperties', async () => {
    const a = await activation(1);
    const agent = await newAgent(a.ActivationId!, a.ActivationCode!);
    const c = await connect(agent);
    const props = await ssm.send(new DescribeInstancePropertiesCommand({ FiltersWithOperator: [{ Key: 'InstanceIds', Operator: 'Equal', Values: [agent.instanceId] }] }));
    assert.equal(props.InstanceProperties![0]!.Architecture, 'x86_64');
    c.ws.close();
    await c.closed;
  });

  test('UpdateManagedInstanceRole changes the role a node shows, and refuses unknown or malformed ids', async () => {
    const a = await activation(1);
    const agent = await newAgent(a.ActivationId!, a.ActivationCode!);
    await ssm.send(new UpdateManagedInstanceRoleCommand({ InstanceId: agent.instanceId, IamRole: 'NewRole' }));
    assert.equal((await info(agent.instanceId))!.IamRole, 'NewRole');
    assert.equal((await failure(ssm.send(new UpdateManagedInstanceRoleCommand({ InstanceId: 'mi-0123456789abcdef0', IamRole: 'X' })))).name, 'InvalidInstanceId');
    assert.equal((await failure(ssm.send(new UpdateManagedInstanceRoleCommand({ InstanceId: 'i-0123456789abcdef0xyz', IamRole: 'X' })))).name, 'InvalidInstanceId');
  });

  test('paging over nodes honours MaxResults', async () => {
    const a = await activation(6);
    for (let i = 0; i < 6; i++) await newAgent(a.ActivationId!, a.ActivationCode!);
    const filter = [{ Key: 'ActivationIds', Values: [a.ActivationId!] }];
    const p1 = await ssm.send(new DescribeInstanceInformationCommand({ Filters: filter, MaxResults: 5 }));
    const p2 = await ssm.send(new DescribeInstanceInformationCommand({ Filters: filter, MaxResults: 5, NextToken: p1.NextToken! }));
    assert.deepEqual([p1.InstanceInformationList!.length, p2.InstanceInformationList!.length, p2.NextToken], [5, 1, undefined]);
  });

  test('a forged hello, a replayed answer and a deregistered instance are refused', async () => {
    const a = await activation(1);
    const agent = await newAgent(a.ActivationId!, a.ActivationCode!);
    const forged = dial(t.endpoint);
    const { nonce } = (await forged.next('challenge')) as { nonce: string };
    forged.ws.send(JSON.stringify(helloFor(nonce, agent.instanceId, generateKeyPairSync('ed25519').privateKey)));
    assert.equal(await forged.closed, 4003);
    assert.match(String(forged.received.find((m) => m.type === 'error')!.message), /signature/);

    // An answer captured from one connection does not open another, which has its own nonce.
    const good = await connect(agent);
    const captured = helloFor(String(good.received[0]!.nonce), agent.instanceId, agent.key);
    const replay = dial(t.endpoint);
    await replay.next('challenge');
    replay.ws.send(JSON.stringify(captured));
    assert.equal(await replay.closed, 4003);
    // Nor is a challenge answered twice on the same connection.
    good.ws.send(JSON.stringify(captured));
    assert.equal(await good.closed, 4003);

    const again = await connect(agent);
    await ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: agent.instanceId }));
    assert.equal(await again.closed, 4003);
    const after = dial(t.endpoint);
    const challenge = (await after.next('challenge')) as { nonce: string };
    after.ws.send(JSON.stringify(helloFor(challenge.nonce, agent.instanceId, agent.key)));
    assert.equal(await after.closed, 4003);
    // A node named by InstanceIds that the caller does not have is an error, as on AWS.
    const gone = await failure(info(agent.instanceId));
    assert.equal(gone.name, 'InvalidInstanceId');
    assert.match(gone.message, new RegExp(`${agent.instanceId} is not a managed node`));
    assert.equal((await failure(ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: agent.instanceId })))).name, 'InvalidInstanceId');
  });
});
