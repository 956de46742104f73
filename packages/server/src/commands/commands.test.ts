import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AddTagsToResourceCommand, CancelCommandCommand, CreateActivationCommand, CreateDocumentCommand, DeregisterManagedInstanceCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand,
  ListCommandsCommand, PutParameterCommand, SendCommandCommand, SSMClient,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { failedStep, okStep, SimulatedAgent } from '../test-support/sim-agent.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { startS3Store } from '../test-support/s3-store.js';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('the call succeeded');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const shell = (commands: string[]) => ({ DocumentName: 'AWS-RunShellScript', Parameters: { commands } });

onEveryEngine('Run Command', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  const clock = new ManualClock(Date.now());
  const agents: SimulatedAgent[] = [];

  before(async () => {
    t = await startTestServer({ engine, clock });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  async function nodes(n: number, connect = true): Promise<SimulatedAgent[]> {
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n }));
    const out: SimulatedAgent[] = [];
    for (let i = 0; i < n; i++) {
      const a = new SimulatedAgent(t.endpoint);
      await a.register(ActivationId!, ActivationCode!);
      if (connect) await a.connect();
      agents.push(a);
      out.push(a);
    }
    return out;
  }

  const command = async (id: string) => (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!;
  const invocations = async (id: string) => (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }))).CommandInvocations!;
  const finished = (id: string) => until(`command ${id} finished`, async () => {
    const c = await command(id);
    return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(c.Status!) ? c : undefined;
  });

  test('a command runs on every node named, and its results read back as AWS shapes them', async () => {
    const ns = await nodes(3);
    for (const a of ns) a.behaviour = () => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', `hello from ${a.instanceId}\n`)], output: `hello from ${a.instanceId}\n` });
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['echo hello']), InstanceIds: ns.map((a) => a.instanceId), Comment: 'greet' }));
    assert.match(Command!.CommandId!, /^[0-9a-f-]{36}$/);
    assert.equal(Command!.TargetCount, 3);
    assert.equal(Command!.DocumentName, 'AWS-RunShellScript');
    assert.deepEqual(Command!.Parameters, { commands: ['echo hello'] });
    const done = await finished(Command!.CommandId!);
    assert.equal(done.Status, 'Success');
    assert.equal(done.StatusDetails, 'Success');
    assert.equal(done.CompletedCount, 3);
    assert.equal(done.ErrorCount, 0);
    assert.equal(done.Comment, 'greet');
    const inv = await invocations(Command!.CommandId!);
    assert.equal(inv.length, 3);
    for (const i of inv) {
      assert.equal(i.Status, 'Success');
      assert.equal(i.CommandPlugins![0]!.Name, 'aws:runShellScript');
      assert.equal(i.CommandPlugins![0]!.Output, `hello from ${i.InstanceId}\n`);
      assert.equal(i.CommandPlugins![0]!.ResponseCode, 0);
    }
    const one = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: ns[0]!.instanceId }));
    assert.equal(one.Status, 'Success');
    assert.equal(one.StandardOutputContent, `hello from ${ns[0]!.instanceId}\n`);
    assert.equal(one.PluginName, 'aws:runShellScript');
    assert.equal(one.ResponseCode, 0);
    assert.equal(one.StandardOutputUrl!, `${t.endpoint}/capstan/v1/output/${Command!.CommandId!}/${ns[0]!.instanceId}/0/stdout`);
    const byNode = await ssm.send(new ListCommandsCommand({ InstanceId: ns[1]!.instanceId }));
    assert.ok(byNode.Commands!.some((c) => c.CommandId === Command!.CommandId));
    const plugin = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: ns[0]!.instanceId, PluginName: 'aws:runShellScript' }));
    assert.equal(plugin.Status, 'Success');
    const badPlugin = await failure(ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: ns[0]!.instanceId, PluginName: 'aws:nothing' })));
    assert.equal(badPlugin.name, 'InvalidPluginName');
    const missing = await failure(ssm.send(new GetCommandInvocationCommand({ CommandId: '00000000-0000-0000-0000-000000000000', InstanceId: ns[0]!.instanceId })));
    assert.equal(missing.name, 'InvocationDoesNotExist');
  });

  test('bad input is refused with AWS error codes and leaves no command behind', async () => {
    const [a] = await nodes(1);
    const before = (await ssm.send(new ListCommandsCommand({}))).Commands!.length;
    const cases: [string, () => Promise<unknown>][] = [
      ['ValidationException', () => ssm.send(new SendCommandCommand({ ...shell(['true']) }))],
      ['ValidationException', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], Targets: [{ Key: 'tag:Env', Values: ['x'] }] }))],
      ['InvalidInstanceId', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: ['mi-0123456789abcdef0'] }))],
      ['DuplicateInstanceId', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId, a!.instanceId] }))],
      ['InvalidDocument', () => ssm.send(new SendCommandCommand({ DocumentName: 'No-Such-Document', InstanceIds: [a!.instanceId] }))],
      ['InvalidDocument', () => ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RestartEC2Instance', InstanceIds: [a!.instanceId] }))],
      ['InvalidDocument', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], DocumentHash: 'f'.repeat(64) }))],
      ['InvalidParameters', () => ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [a!.instanceId] }))],
      ['InvalidParameters', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], Parameters: { commands: ['true'], nope: ['1'] } }))],
      ['ValidationException', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], MaxConcurrency: '0' }))],
      ['ValidationException', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], MaxErrors: '101%' }))],
      ['ValidationException', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], TimeoutSeconds: 10 }))],
      ['ValidationException', () => ssm.send(new SendCommandCommand({ ...shell(['true']), Targets: [{ Key: 'Environment', Values: ['prod'] }] }))],
      ['InvalidNotificationConfig', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], NotificationConfig: { NotificationArn: 'arn:aws:sns:us-east-1:111122223333:t' } }))],
      ['ValidationException', () => ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: ['i-bad'] }))],
    ];
    for (const [code, call] of cases) {
      const e = await failure(call());
      assert.equal(e.name, code, `${code}: got ${e.name}: ${e.message}`);
      assert.ok(e.message && e.message !== 'UnknownError', `${code} says what is wrong`);
    }
    assert.equal((await ssm.send(new ListCommandsCommand({}))).Commands!.length, before);
    assert.equal(a!.jobs.length, 0);
    const badFilter = await failure(ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Nope' as never, value: 'x' }] })));
    assert.equal(badFilter.name, 'InvalidFilterKey');
    const badToken = await failure(ssm.send(new ListCommandsCommand({ NextToken: 'garbage' })));
    assert.equal(badToken.name, 'InvalidNextToken');
    const badCancel = await failure(ssm.send(new CancelCommandCommand({ CommandId: '00000000-0000-0000-0000-000000000000' })));
    assert.equal(badCancel.name, 'InvalidCommandId');
  });

  test('GetCommandInvocation without PluginName: a running document whose first step was skipped is InProgress, not that step\'s status', async () => {
    const [a] = await nodes(1);
    a!.behaviour = () => 'hold';
    const name = `TwoSteps-${Date.now()}`;
    await ssm.send(new CreateDocumentCommand({ Name: name, DocumentType: 'Command', Content: JSON.stringify({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:runShellScript', name: 'First', inputs: { runCommand: ['true'] } }, { action: 'aws:runShellScript', name: 'Second', inputs: { runCommand: ['true'] } }] }) }));
    const id = (await ssm.send(new SendCommandCommand({ DocumentName: name, InstanceIds: [a!.instanceId] }))).Command!.CommandId!;
    await until('the node has the job', async () => (a!.jobs.length ? true : undefined));
    a!.progress(id, [{ ...okStep('First'), status: 'Skipped' }]);
    await until('the progress is stored', async () => ((await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: a!.instanceId, PluginName: 'First' }))).Status === 'Success' ? true : undefined));
    const unnamed = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: a!.instanceId }));
    assert.equal(unnamed.Status, 'InProgress');
    a!.finish(id, 'Success', [{ ...okStep('First'), status: 'Skipped' }, okStep('Second', 'done\n')]);
    await finished(id);
    const both = await failure(ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: a!.instanceId })));
    assert.equal(both.name, 'InvalidPluginName');
    assert.equal((await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: a!.instanceId, PluginName: 'Second' }))).StandardOutputContent, 'done\n');
  });

  test('MaxConcurrency holds back the rest until a node finishes; MaxErrors stops sending after the error allowed', async () => {
    const ns = await nodes(4);
    for (const a of ns) a.behaviour = () => 'hold';
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['sleep 1']), InstanceIds: ns.map((a) => a.instanceId), MaxConcurrency: '2', MaxErrors: '0' }));
    const id = Command!.CommandId!;
    await until('two nodes have the job', async () => (ns.filter((a) => a.jobs.length).length === 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ns.filter((a) => a.jobs.length).length, 2, 'never more than MaxConcurrency at once');
    // The nodes' acknowledgements move the command to InProgress; on a loaded machine they land a little later.
    await until('the command is InProgress', async () => ((await command(id)).Status === 'InProgress' ? true : undefined));
    const first = ns.find((a) => a.jobs.length)!;
    first.finish(id, 'Success');
    await until('a third node has the job', async () => (ns.filter((a) => a.jobs.length).length === 3 ? true : undefined));
    const second = ns.find((a) => a !== first && a.jobs.length)!;
    second.finish(id, 'Failed', [failedStep('aws:runShellScript', 2)]);
    const third = ns.find((a) => a !== first && a !== second && a.jobs.length)!;
    // One error is more than MaxErrors 0: the fourth node is never sent the command; the third, already running, finishes.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ns.filter((a) => a.jobs.length).length, 3);
    third.finish(id, 'Success');
    const done = await finished(id);
    assert.equal(done.Status, 'Failed');
    assert.equal(done.StatusDetails, 'Failed');
    assert.equal(done.ErrorCount, 1);
    const inv = await invocations(id);
    const fourth = inv.find((i) => i.InstanceId === ns.find((a) => !a.jobs.length)!.instanceId)!;
    assert.equal(fourth.StatusDetails, 'Terminated');
    assert.equal(fourth.Status, 'Cancelled');
    assert.equal(inv.find((i) => i.InstanceId === second.instanceId)!.CommandPlugins![0]!.ResponseCode, 2);
  });

  test('a node offline at send gets the command when it connects; one that stays away times out in delivery', async () => {
    const [late, away] = await nodes(2, false);
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [late!.instanceId, away!.instanceId], TimeoutSeconds: 60, MaxErrors: '1' }));
    const id = Command!.CommandId!;
    assert.deepEqual((await invocations(id)).map((i) => i.StatusDetails).sort(), ['Delayed', 'Delayed']);
    await late!.connect();
    await until('the late node ran it', async () => ((await invocations(id)).find((i) => i.InstanceId === late!.instanceId)!.Status === 'Success' ? true : undefined));
    clock.advance(61_000);
    await t.server.core.scheduler.tick();
    const done = await finished(id);
    assert.equal(done.StatusDetails, 'Incomplete');
    assert.equal(done.DeliveryTimedOutCount, 1);
    const gone = (await invocations(id)).find((i) => i.InstanceId === away!.instanceId)!;
    assert.equal(gone.StatusDetails, 'DeliveryTimedOut');
    assert.equal(gone.Status, 'TimedOut');
    await away!.connect();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(away!.jobs.length, 0, 'a timed-out delivery is not sent later');
  });

  test('CancelCommand stops running invocations through the node and cancels those not yet sent', async () => {
    const ns = await nodes(2);
    for (const a of ns) a.behaviour = () => 'hold';
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['sleep 100']), InstanceIds: ns.map((a) => a.instanceId), MaxConcurrency: '1' }));
    const id = Command!.CommandId!;
    const running = await until('one node has it', async () => ns.find((a) => a.jobs.length));
    await ssm.send(new CancelCommandCommand({ CommandId: id }));
    await until('the cancel reached the node', async () => (running.jobs.some((j) => j.kind === 'cancel') ? true : undefined));
    assert.equal((await command(id)).Status, 'Cancelling');
    running.finish(id, 'Cancelled', [{ ...okStep(), status: 'Cancelled', code: 137 }]);
    const done = await finished(id);
    assert.equal(done.Status, 'Cancelled');
    const inv = await invocations(id);
    assert.deepEqual(inv.map((i) => i.StatusDetails).sort(), ['Canceled', 'Canceled']);
    assert.equal(ns.filter((a) => a.jobs.some((j) => j.kind === 'command')).length, 1, 'the node not yet sent the command never gets it');
  });

  test('Targets pick nodes by tag; no match ends the command with NoInstancesInTag', async () => {
    const ns = await nodes(3);
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: ns[0]!.instanceId, Tags: [{ Key: 'Env', Value: 'prod' }] }));
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: ns[1]!.instanceId, Tags: [{ Key: 'Env', Value: 'prod' }, { Key: 'Role', Value: 'db' }] }));
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: ns[2]!.instanceId, Tags: [{ Key: 'Env', Value: 'dev' }] }));
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['true']), Targets: [{ Key: 'tag:Env', Values: ['prod'] }] }));
    assert.equal(Command!.TargetCount, 2);
    await finished(Command!.CommandId!);
    assert.deepEqual((await invocations(Command!.CommandId!)).map((i) => i.InstanceId).sort(), [ns[0]!.instanceId, ns[1]!.instanceId].sort());
    const both = await ssm.send(new SendCommandCommand({ ...shell(['true']), Targets: [{ Key: 'tag:Env', Values: ['prod'] }, { Key: 'tag-key', Values: ['Role'] }] }));
    assert.equal(both.Command!.TargetCount, 1);
    const none = await ssm.send(new SendCommandCommand({ ...shell(['true']), Targets: [{ Key: 'tag:Env', Values: ['nowhere'] }] }));
    assert.equal(none.Command!.TargetCount, 0);
    assert.equal(none.Command!.Status, 'Failed');
    assert.equal(none.Command!.StatusDetails, 'NoInstancesInTag');
  });

  test('secure parameters reach the node but never the records', async () => {
    const [a] = await nodes(1);
    const secret = `s3cr3t-${engine}-value-0x51`;
    await ssm.send(new PutParameterCommand({ Name: `/cmd/${engine}/token`, Type: 'SecureString', Value: secret }));
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell([`echo {{ssm-secure:/cmd/${engine}/token}}`]), InstanceIds: [a!.instanceId] }));
    await finished(Command!.CommandId!);
    assert.ok(JSON.stringify(a!.jobs[0]!.payload).includes(secret), 'the node gets the value');
    assert.deepEqual(Command!.Parameters, { commands: [`echo {{ssm-secure:/cmd/${engine}/token}}`] });
    const listed = await command(Command!.CommandId!);
    assert.ok(!JSON.stringify(listed).includes(secret));
    assert.ok(!JSON.stringify(await invocations(Command!.CommandId!)).includes(secret));
    if (engine === 'sqlite') {
      for (const f of readdirSync(t.dataDir)) {
        if (!/\.(db|sqlite|db-wal|sqlite-wal)$/.test(f) && !f.includes('.db')) continue;
        assert.ok(!readFileSync(join(t.dataDir, f)).includes(secret), `${f} holds no plaintext secret`);
      }
    }
  });

  test('a deregistered node is Undeliverable and output pieces sent twice are stored once', async () => {
    const [gone, talker] = await nodes(2);
    gone!.behaviour = () => 'hold';
    talker!.behaviour = () => 'hold';
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [gone!.instanceId, talker!.instanceId] }));
    const id = Command!.CommandId!;
    await until('both have it', async () => (gone!.jobs.length && talker!.jobs.length ? true : undefined));
    await ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: gone!.instanceId }));
    const piece = (offset: number, text: string, replyId: string) => talker!.ws!.send(JSON.stringify({ type: 'output', replyId, id, step: 'aws:runShellScript', stream: 'stdout', offset, data: Buffer.from(text).toString('base64') }));
    piece(0, 'abc', 'p1');
    piece(0, 'abc', 'p1-again');
    piece(3, 'def', 'p2');
    talker!.finish(id, 'Success', [okStep('aws:runShellScript', 'abcdef')]);
    await finished(id);
    const inv = await invocations(id);
    assert.equal(inv.find((i) => i.InstanceId === gone!.instanceId)!.StatusDetails, 'Undeliverable');
    const res = await signedGet(t, `/capstan/v1/output/${id}/${talker!.instanceId}/0/stdout`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'abcdef');
    const anonymous = await fetch(`${t.endpoint}/capstan/v1/output/${id}/${talker!.instanceId}/0/stdout`);
    assert.equal(anonymous.status, 400);
  });

  test('GetCommandInvocation cuts long output at AWS limits with the marker; the output URL gives all of it', async () => {
    const [a] = await nodes(1);
    const big = 'x'.repeat(30_000);
    a!.behaviour = () => ({ status: 'Success', steps: [{ ...okStep('aws:runShellScript', big.slice(0, 24_000)), stdoutBytes: 30_000 }], output: big });
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['yes x | head -c 30000']), InstanceIds: [a!.instanceId] }));
    await finished(Command!.CommandId!);
    const one = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: a!.instanceId }));
    assert.equal(one.StandardOutputContent!.length, 24_000);
    assert.ok(one.StandardOutputContent!.endsWith('--output truncated--'));
    const listed = (await invocations(Command!.CommandId!))[0]!.CommandPlugins![0]!.Output!;
    assert.equal(listed.length, 2500);
    assert.ok(listed.endsWith('---Output truncated---'));
    const res = await signedGet(t, new URL(one.StandardOutputUrl!).pathname);
    assert.equal((await res.text()).length, 30_000);
  });

  test('NotificationConfig posts signed webhooks on status changes of the command and of each invocation', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(received.length === 1 ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      const [a, b] = await nodes(2);
      const cmd = await ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [a!.instanceId], NotificationConfig: { NotificationArn: url, NotificationEvents: ['Success', 'Failed'], NotificationType: 'Command' } }));
      const inv = await ssm.send(new SendCommandCommand({ ...shell(['true']), InstanceIds: [b!.instanceId], NotificationConfig: { NotificationArn: url, NotificationEvents: ['All'], NotificationType: 'Invocation' } }));
      await finished(cmd.Command!.CommandId!);
      await finished(inv.Command!.CommandId!);
      // The first delivery is answered 500: it is retried, so every event still arrives.
      await until('the webhooks arrived', async () => {
        await t.server.core.scheduler.tick();
        clock.advance(60_000);
        const bodies = received.filter((r) => r.headers['x-capstan-signature']).map((r) => JSON.parse(r.body) as Record<string, unknown>);
        const commandDone = bodies.some((x) => x.commandId === cmd.Command!.CommandId && x.status === 'Success' && x.instanceId === undefined);
        const invocationDone = bodies.some((x) => x.commandId === inv.Command!.CommandId && x.instanceId === b!.instanceId && x.status === 'Success');
        return commandDone && invocationDone ? true : undefined;
      });
      const key = (await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanGetWebhookSigningKey'), body: '{}' })).json().SigningKey as string;
      for (const r of received) {
        const expected = `sha256=${createHmac('sha256', Buffer.from(key, 'base64')).update(`${r.headers['x-capstan-timestamp']}.${r.body}`).digest('hex')}`;
        assert.equal(r.headers['x-capstan-signature'], expected, 'each webhook is signed with the account key');
      }
      const forCommand = received.map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((x) => x.commandId === cmd.Command!.CommandId);
      assert.ok(forCommand.every((x) => x.status === 'Success' || x.status === 'Failed'), 'only the events asked for');
    } finally {
      hook.close();
    }
  });

  test('CapstanFollowCommand wakes a follower with each output piece as it arrives; CapstanGetCommandOutput reads any byte range', async () => {
    const [a] = await nodes(1);
    a!.behaviour = () => 'hold';
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['echo one; sleep 1; echo two']), InstanceIds: [a!.instanceId] }));
    const id = Command!.CommandId!;
    const follow = async (cursor?: string, wait = 5) =>
      (await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanFollowCommand'), body: JSON.stringify({ CommandId: id, ...(cursor ? { Cursor: cursor } : {}), WaitSeconds: wait }) })).json() as {
        Cursor: string; Done: boolean; Output: { Offset: number; Data: string; InstanceId: string }[]; Invocations: { StatusDetails: string }[]; Command: { Status: string };
      };
    const first = await follow(undefined, 0);
    assert.equal(first.Done, false);
    const piece = (offset: number, text: string, replyId: string) => a!.ws!.send(JSON.stringify({ type: 'output', replyId, id, step: 'aws:runShellScript', stream: 'stdout', offset, data: Buffer.from(text).toString('base64') }));
    await until('the node has it', async () => (a!.jobs.length ? true : undefined));
    // A follower waiting on an idle command is woken by the piece, not by its timeout.
    const started = Date.now();
    const waiting = follow(first.Cursor, 10);
    setTimeout(() => piece(0, 'one\n', 'f1'), 200);
    let got = await waiting;
    while (!got.Output.length) got = await follow(got.Cursor, 10);
    assert.ok(Date.now() - started < 5000, 'woken by the output, long before WaitSeconds');
    assert.equal(Buffer.from(got.Output[0]!.Data, 'base64').toString(), 'one\n');
    assert.equal(got.Output[0]!.InstanceId, a!.instanceId);
    piece(4, 'two\n', 'f2');
    a!.finish(id, 'Success', [okStep('aws:runShellScript', 'one\ntwo\n')]);
    let next = await follow(got.Cursor, 5);
    const texts = next.Output.map((o) => Buffer.from(o.Data, 'base64').toString());
    while (!next.Done) next = await follow(next.Cursor, 5);
    assert.deepEqual(texts, ['two\n'], 'only what arrived after the cursor');
    assert.equal(next.Command.Status, 'Success');
    const range = (await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanGetCommandOutput'), body: JSON.stringify({ CommandId: id, InstanceId: a!.instanceId, StepIndex: 0, Stream: 'stdout', Offset: 2, MaxBytes: 4 }) })).json();
    assert.equal(Buffer.from(range.Data as string, 'base64').toString(), 'e\ntw');
    assert.equal(range.NextOffset, 6);
    assert.equal(range.TotalBytes, 8);
    const nobody = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanGetCommandOutput'), body: JSON.stringify({ CommandId: id, InstanceId: 'mi-0123456789abcdef0', StepIndex: 0, Stream: 'stdout' }) });
    assert.equal(nobody.json().__type, 'InvocationDoesNotExist');
  });

  test('a custom Command document with its own parameters runs', async () => {
    const [a] = await nodes(1);
    const content = { schemaVersion: '2.2', description: 'x', parameters: { who: { type: 'String', default: 'world' } }, mainSteps: [{ action: 'aws:runShellScript', name: 'greet', inputs: { runCommand: ['echo hello {{ who }}'] } }] };
    await ssm.send(new CreateDocumentCommand({ Name: `Greet-${engine}`, DocumentType: 'Command', Content: JSON.stringify(content) }));
    const { Command } = await ssm.send(new SendCommandCommand({ DocumentName: `Greet-${engine}`, InstanceIds: [a!.instanceId], Parameters: { who: ['fleet'] } }));
    await finished(Command!.CommandId!);
    const doc = a!.jobs[0]!.payload as { document: { mainSteps: { inputs: { runCommand: string[] } }[] } };
    assert.deepEqual(doc.document.mainSteps[0]!.inputs.runCommand, ['echo hello fleet']);
  });
});

/** A SigV4-signed GET, as `curl --aws-sigv4` would send it. */
async function signedGet(t: TestServer, path: string): Promise<{ status: number; text(): Promise<string> }> {
  const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, method: 'GET', path });
  return { status: res.status, text: async () => res.text };
}

test('OutputS3BucketName: each step stream is written, SigV4-signed, to the configured S3-compatible store, where the output URLs point', async () => {
  const store = await startS3Store();
  const { objects, problems } = store;
  const endpoint = store.config.endpoint;
  const t = await startTestServer({ s3: store.config });
  const plain = await startTestServer({});
  try {
    const ssm = new SSMClient(t.clientConfig());
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
    const a = new SimulatedAgent(t.endpoint);
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    a.behaviour = () => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', 'to the bucket\n')], output: 'to the bucket\n' });
    const { Command } = await ssm.send(new SendCommandCommand({ ...shell(['echo to the bucket']), InstanceIds: [a.instanceId], OutputS3BucketName: 'ops-logs', OutputS3KeyPrefix: 'runs' }));
    const id = Command!.CommandId!;
    const key = `/ops-logs/runs/${id}/${a.instanceId}/awsrunShellScript/0.awsrunShellScript/stdout`;
    await until('the output is in the bucket', async () => (objects.has(key) ? true : undefined));
    assert.deepEqual(problems, []);
    assert.equal(objects.get(key), 'to the bucket\n');
    const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: a.instanceId }));
    assert.equal(decodeURIComponent(new URL(r.StandardOutputUrl!).pathname), key);
    assert.ok(r.StandardOutputUrl!.startsWith(endpoint));
    await a.close();

    const refused = await failure(new SSMClient(plain.clientConfig()).send(new SendCommandCommand({ ...shell(['true']), Targets: [{ Key: 'InstanceIds', Values: ['*'] }], OutputS3BucketName: 'ops-logs' })));
    assert.equal(refused.name, 'InvalidOutputFolder');
    assert.match(refused.message, /no S3-compatible endpoint/);
  } finally {
    await t.stop();
    await plain.stop();
    await store.close();
  }
});
