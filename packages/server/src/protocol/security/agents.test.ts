import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CreateActivationCommand, DescribeInstancePatchStatesCommand, GetCommandInvocationCommand, ListInventoryEntriesCommand, SendCommandCommand, SSMClient, StartSessionCommand,
} from '@aws-sdk/client-ssm';
import { answerChallenge } from '@capstan/wire';
import WebSocket from 'ws';
import { ALL_OPERATIONS } from '../../server.js';
import { PatchingAgent, summary } from '../../patching/test-support/agents.js';
import { okStep } from '../../test-support/sim-agent.js';
import { SimulatedSessionAgent } from '../../test-support/sim-session-agent.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import { until } from '../../test-support/until.js';
import { callAs, changedTables, snapshot, tableNames } from './harness.js';

/**
 * What a node's identity (its Ed25519 key and control channel) can reach: nothing of the AWS
 * APIs, and on its own channel only its own jobs, output, inventory, patch state and sessions.
 * Node X runs a command that stays open; node Y (same account) and node Z (another account)
 * send everything the channel carries, naming X's command, X's instance and X's session.
 */

let t: TestServer;
let ssm: SSMClient;
let x: SimulatedSessionAgent;
let y: PatchingAgent;
let z: PatchingAgent;
let xActivation: { id: string; code: string };
const tally = { forged: 0, refusedSockets: 0, signedCalls: 0 };

async function node<T extends { register(id: string, code: string): Promise<string>; connect(): Promise<void> }>(client: SSMClient, make: () => T): Promise<{ agent: T; id: string; code: string }> {
  const a = await client.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const agent = make();
  await agent.register(a.ActivationId!, a.ActivationCode!);
  await agent.connect();
  return { agent, id: a.ActivationId!, code: a.ActivationCode! };
}

before(async () => {
  t = await startTestServer();
  ssm = new SSMClient(t.clientConfig());
  const xn = await node(ssm, () => new SimulatedSessionAgent(t.endpoint));
  x = xn.agent;
  xActivation = { id: xn.id, code: xn.code };
  y = (await node(ssm, () => new PatchingAgent(t.endpoint, 'node-y'))).agent;
  const other = await t.server.core.iam.createAccount({ name: 'agents-other' });
  const otherSsm = new SSMClient(t.clientConfig({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }));
  z = (await node(otherSsm, () => new PatchingAgent(t.endpoint, 'node-z'))).agent;
});

after(async () => {
  for (const a of [x, y, z]) await a?.close();
  await t?.stop();
  console.log(`# agents: ${tally.forged} forged channel messages naming another node's work, ${tally.refusedSockets} impersonating sockets refused, ${tally.signedCalls} API calls signed with what a node holds refused`);
});

/** A hello on a fresh control channel; resolves with the close code (or 'welcome'). */
function helloAs(instanceId: string, sign: (nonce: string) => string): Promise<number | 'welcome'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.endpoint.replace(/^http/, 'ws')}/capstan/agent/v1/channel`);
    ws.on('error', reject);
    ws.on('close', (code) => resolve(code));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; nonce?: string };
      if (m.type === 'challenge') ws.send(JSON.stringify({ type: 'hello', instanceId, signature: sign(m.nonce!), info: {} }));
      else if (m.type === 'welcome') {
        resolve('welcome');
        ws.close();
      }
    });
  });
}

describe('agents', () => {
  test('nothing a node holds signs an AWS API call', async () => {
    const getParams = ALL_OPERATIONS.find((o) => o.service.key === 'ssm' && o.name === 'DescribeInstanceInformation')!;
    const { privateKey } = generateKeyPairSync('ed25519');
    const attempts = [
      { accessKeyId: x.instanceId, secretAccessKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
      { accessKeyId: xActivation.id, secretAccessKey: xActivation.code },
      { accessKeyId: xActivation.code, secretAccessKey: xActivation.code },
    ];
    for (const credentials of attempts) {
      const a = await callAs(t.endpoint, credentials, getParams, {});
      tally.signedCalls++;
      assert.equal(a.code, 'UnrecognizedClientException', a.raw);
      assert.equal(a.status, 400);
    }
  });

  test('a node cannot take another node\'s identity on the control channel', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    assert.equal(await helloAs(x.instanceId, (nonce) => answerChallenge(nonce, x.instanceId, privateKey)), 4003);
    tally.refusedSockets++;
  });

  test('replies, output, acks, inventory and patch reports naming another node\'s work change nothing of it', async () => {
    x.behaviour = () => 'hold';
    const cmd = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [x.instanceId], Parameters: { commands: ['echo mine'] } }))).Command!.CommandId!;
    await until('X to receive its command', () => x.jobs.some((j) => j.id === cmd));
    const invocation = () => ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: x.instanceId }));
    await until('X\'s invocation to be InProgress', async () => (await invocation()).Status === 'InProgress');

    const db = t.server.core.database.db as never;
    const tables = await tableNames(db);
    // Every node's own row moves with its pings and hellos.
    const moving = new Set(['managed_instances']);
    const before = await snapshot(db, tables);
    let n = 0;
    const forged = (extra: Record<string, unknown>) => [
      { type: 'ack', id: cmd, status: 'accepted', ...extra },
      { type: 'output', replyId: `forged-${++n}`, id: cmd, step: 'aws:runShellScript', stream: 'stdout', offset: 0, data: Buffer.from('forged output').toString('base64'), ...extra },
      { type: 'reply', replyId: `forged-${++n}`, id: cmd, status: 'Success', steps: [okStep('aws:runShellScript', 'forged output')], ...extra },
      { type: 'reply', replyId: `forged-${++n}`, id: cmd, status: 'Failed', steps: [{ ...okStep('aws:runShellScript', 'forged'), status: 'Failed', code: 9 }], ...extra },
      { type: 'inventory', replyId: `forged-${++n}`, items: [{ TypeName: 'Custom:Forged', SchemaVersion: '1.0', CaptureTime: '2026-11-26T00:00:00Z', Content: [{ Who: 'forged' }] }], ...extra },
      { type: 'session-ack', sessionId: 'forged-session', status: 'accepted', ...extra },
    ];
    for (const agent of [y, z]) {
      // Also with X's instance id inside the message, where a careless handler might read it.
      for (const m of [...forged({}), ...forged({ instanceId: x.instanceId, InstanceId: x.instanceId })]) {
        (agent as unknown as { send(m: object): void }).send(m);
        tally.forged++;
      }
    }
    // The reports each node sends about itself are its own: they land on Y and Z, never on X.
    await y.report({ commandId: cmd, summary: summary({ BaselineId: 'pb-0123456789abcdef0', PatchGroup: 'forged', MissingCount: 7 }), patches: [] });
    await z.report({ commandId: cmd, summary: summary({ BaselineId: 'pb-0123456789abcdef0', PatchGroup: 'forged', MissingCount: 7 }), patches: [] });
    tally.forged += 2;
    // Let every forged message reach its handler: a round trip on each channel after them.
    await y.report({ commandId: 'after', summary: summary({ BaselineId: 'pb-0123456789abcdef0', PatchGroup: 'later' }), patches: [] });
    await z.report({ commandId: 'after', summary: summary({ BaselineId: 'pb-0123456789abcdef0', PatchGroup: 'later' }), patches: [] });

    const still = await invocation();
    assert.equal(still.Status, 'InProgress', 'X\'s invocation is untouched');
    assert.equal(still.StandardOutputContent, '');
    assert.deepEqual((await ssm.send(new DescribeInstancePatchStatesCommand({ InstanceIds: [x.instanceId] }))).InstancePatchStates, []);
    const xInventory = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: x.instanceId, TypeName: 'Custom:Forged' }));
    assert.deepEqual(xInventory.Entries ?? [], []);
    const changed = changedTables(before, await snapshot(db, tables)).filter((name) => !moving.has(name));
    // Y's and Z's own reports (inventory and patch state) are theirs to send; nothing of the command moved.
    assert.deepEqual(changed.filter((name) => /^command|invocation/.test(name)), [], `tables changed: ${changed.join(', ')}`);

    // X itself finishes its command, with its own output.
    x.finish(cmd, 'Success', [okStep('aws:runShellScript', 'mine\n')]);
    const done = await until('X\'s invocation to succeed', async () => {
      const i = await invocation();
      return i.Status === 'Success' ? i : undefined;
    });
    assert.doesNotMatch(done.StandardOutputContent ?? '', /forged/);
  });

  test('a node cannot open the session socket of another node\'s session', async () => {
    const started = await ssm.send(new StartSessionCommand({ Target: x.instanceId }));
    const sessionId = started.SessionId!;
    await until('X to dial its session socket', () => x.sessions.get(sessionId)?.ws !== undefined);
    // Y has no dial of its own; the session agent's dialer is what a node would use.
    const intruder = await node(ssm, () => new SimulatedSessionAgent(t.endpoint));
    try {
      await assert.rejects(intruder.agent.dial(sessionId), /session socket closed: 4\d\d\d .*not for instance/);
      await assert.rejects(intruder.agent.dial(sessionId, { instanceId: x.instanceId }), /session socket closed: 4\d\d\d .*not signed by instance/);
      tally.refusedSockets += 2;
      assert.equal(x.sessions.get(sessionId)?.socketClosed, false, 'X\'s own session socket stays open');
    } finally {
      await intruder.agent.close();
    }
  });
});
