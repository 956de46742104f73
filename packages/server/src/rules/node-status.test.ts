import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { NODE_STATUS_EVENT } from '../nodes/index.js';
import { ManualClock } from '../scheduler/clock.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';

const PING = 1_000;
const DAY = 86_400_000;
const clock = new ManualClock(Date.now());
const dataDir = mkdtempSync(join(tmpdir(), 'capstan-node-status-'));
let t: TestServer;

const start = () => startTestServer({ clock, dataDir, agentPingMs: PING });
before(async () => {
  t = await start();
});
after(async () => {
  await t.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const statuses = async (node: string) =>
  (await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: NODE_STATUS_EVENT })).filter((e) => e.detail['instance-id'] === node).map((e) => e.detail['ping-status']);
const sweep = async (ms: number) => {
  clock.advance(ms);
  await t.server.core.scheduler.tick();
};
async function newAgent(): Promise<SimulatedAgent> {
  const ssm = new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const agent = new SimulatedAgent(t.endpoint);
  await agent.register(ActivationId!, ActivationCode!);
  await agent.connect();
  return agent;
}

test('a node is announced Online when it connects, ConnectionLost once when it goes, and Online when it is back', async () => {
  const agent = await newAgent();
  assert.deepEqual(await statuses(agent.instanceId), ['Online']);
  await agent.close();
  await sweep(3 * PING);
  await sweep(3 * PING);
  assert.deepEqual(await statuses(agent.instanceId), ['Online', 'ConnectionLost'], 'announced once, however many sweeps see it');
  const [lost] = (await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: NODE_STATUS_EVENT })).filter((e) => e.detail['instance-id'] === agent.instanceId && e.detail['ping-status'] === 'ConnectionLost');
  assert.deepEqual([lost!.source, lost!.detail['previous-ping-status'], lost!.resources], ['aws.ssm', 'Online', [`arn:aws:ssm:us-east-1:${t.accountId}:managed-instance/${agent.instanceId}`]]);
  await agent.connect();
  assert.deepEqual(await statuses(agent.instanceId), ['Online', 'ConnectionLost', 'Online']);
  await agent.close();
});

test('a node whose pings stop with its channel open is lost; pings resuming on that channel bring it back', async () => {
  const agent = await newAgent();
  await sweep(PING);
  assert.deepEqual(await statuses(agent.instanceId), ['Online'], 'within two ping intervals it is still Online');
  await sweep(2 * PING);
  assert.deepEqual(await statuses(agent.instanceId), ['Online', 'ConnectionLost']);
  agent.ws!.send(JSON.stringify({ type: 'ping' }));
  await new Promise((r) => setTimeout(r, 100));
  await sweep(PING);
  assert.deepEqual(await statuses(agent.instanceId), ['Online', 'ConnectionLost', 'Online']);
  await agent.close();
});

test('a node unseen for 30 days becomes Inactive', async () => {
  const agent = await newAgent();
  await agent.close();
  await sweep(3 * PING);
  assert.deepEqual(await statuses(agent.instanceId), ['Online', 'ConnectionLost']);
  await sweep(31 * DAY);
  // The log keeps a week of events: the earlier two are gone by now.
  assert.deepEqual(await statuses(agent.instanceId), ['Inactive']);
});

test('a server restart announces no losses while its agents dial back', async () => {
  const agent = await newAgent();
  await t.stop();
  // Down for ten minutes: every row now says the node is gone.
  clock.advance(10 * 60_000);
  t = await start();
  await t.server.core.scheduler.tick();
  // The same node dials the new address (the test server listens on a fresh port).
  const back = Object.assign(new SimulatedAgent(t.endpoint), { instanceId: agent.instanceId, key: (agent as unknown as { key: unknown }).key });
  await back.connect();
  await sweep(PING);
  assert.deepEqual(await statuses(agent.instanceId), ['Online'], 'the restart is not a loss, and the node never stopped being Online');
  await back.close();
});
