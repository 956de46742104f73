import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CancelCommandCommand, CreateActivationCommand, CreateDocumentCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand, PutParameterCommand, SendCommandCommand,
  SSMClient, type Command,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../../server/src/scheduler/clock.js';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { rawCall } from '../../server/src/test-support/sign.js';
import { loadIdentity } from './state.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const capstan = (...args: string[]) => promisify(execFile)(process.execPath, [...cli, ...args], { cwd: root });

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let t: TestServer;
let ssm: SSMClient;
const clock = new ManualClock(Date.now());
const work = mkdtempSync(join(tmpdir(), 'capstan-run-e2e-'));
const running = new Set<ChildProcess>();

interface Node {
  id: string;
  stateDir: string;
  proc?: ChildProcess;
  output: string;
  exited?: Promise<number | null>;
}

before(async () => {
  t = await startTestServer({ clock, agentPingMs: 60_000 });
  ssm = new SSMClient(t.clientConfig());
});
after(async () => {
  for (const p of running) p.kill('SIGKILL');
  await t.stop();
  rmSync(work, { recursive: true, force: true });
});

async function register(n: number): Promise<Node[]> {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n }));
  return Promise.all(
    Array.from({ length: n }, async () => {
      const stateDir = mkdtempSync(join(work, 'node-'));
      await capstan('agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', stateDir);
      return { id: loadIdentity(stateDir).identity.instanceId, stateDir, output: '' };
    }),
  );
}

async function start(node: Node, env: Record<string, string> = {}): Promise<void> {
  const p = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', node.stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(p);
  node.proc = p;
  node.output = '';
  p.stdout!.on('data', (d: Buffer) => (node.output += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (node.output += d.toString()));
  node.exited = new Promise((resolve) => p.on('exit', (code) => (running.delete(p), resolve(code))));
  await until(`${node.id} online`, async () => (node.output.includes('online as') ? true : undefined));
}

async function kill(node: Node): Promise<void> {
  node.proc?.kill('SIGKILL');
  await node.exited;
}

const send = async (nodes: Node[], commands: string[], extra: Record<string, unknown> = {}) =>
  (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: nodes.map((n) => n.id), Parameters: { commands }, ...extra }))).Command!.CommandId!;

const finished = (id: string, ms = 30_000) =>
  until<Command>(`command ${id} finished`, async () => {
    const c = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!;
    return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(c.Status!) ? c : undefined;
  }, ms);

const result = (id: string, node: Node, plugin?: string) => ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: node.id, ...(plugin ? { PluginName: plugin } : {}) }));

let fleet: Node[];

test('real agents run a script: output, exit codes, and what the records keep', async () => {
  fleet = await register(4);
  await Promise.all(fleet.map((n) => start(n)));
  const [a, b] = fleet;

  const ok = await send([a!, b!], ['echo "hello from $(hostname)"', 'echo warn >&2', 'echo "$SSM_COMMAND_ID $AWS_SSM_INSTANCE_ID"']);
  const done = await finished(ok);
  assert.equal(done.Status, 'Success');
  const r = await result(ok, a!);
  assert.equal(r.Status, 'Success');
  assert.equal(r.ResponseCode, 0);
  assert.match(r.StandardOutputContent!, /^hello from /);
  assert.ok(r.StandardOutputContent!.includes(`${ok} ${a!.id}`), `the script sees its command and node ids: ${r.StandardOutputContent}`);
  assert.equal(r.StandardErrorContent, 'warn\n');
  assert.equal(r.PluginName, 'aws:runShellScript');
  assert.ok(r.ExecutionStartDateTime && r.ExecutionEndDateTime, `timestamps missing in ${JSON.stringify(r)}`);

  const bad = await send([a!], ['echo before', 'exit 3']);
  const failedCmd = await finished(bad);
  assert.equal(failedCmd.Status, 'Failed');
  const f = await result(bad, a!);
  assert.equal(f.Status, 'Failed');
  assert.equal(f.ResponseCode, 3);
  assert.equal(f.StandardOutputContent, 'before\n');

  // A secret reaches the script, and no record of the command holds it.
  const secret = 'pa55-w0rd-for-the-e2e-0x7f';
  await ssm.send(new PutParameterCommand({ Name: '/e2e/db/password', Type: 'SecureString', Value: secret }));
  // The script checks the value by its hash, so the command's own text does not hold the secret.
  const digest = createHash('sha256').update(secret).digest('hex');
  const sec = await send([a!], [`test "$(printf %s '{{ssm-secure:/e2e/db/password}}' | sha256sum | cut -c1-64)" = "${digest}" && echo matched`]);
  await finished(sec);
  assert.equal((await result(sec, a!)).StandardOutputContent, 'matched\n');
  const listed = JSON.stringify(await ssm.send(new ListCommandInvocationsCommand({ CommandId: sec, Details: true }))) + JSON.stringify(await ssm.send(new ListCommandsCommand({ CommandId: sec })));
  assert.ok(!listed.includes(secret), 'the API shows no secret');
  for (const f of readdirSync(t.dataDir)) if (f.includes('.db') || f.endsWith('.sqlite')) assert.ok(!readFileSync(join(t.dataDir, f)).includes(secret), `${f} holds no plaintext secret`);
  // The agent forgets a finished job's payload (it held the secret) and its working files.
  const jobDir = join(a!.stateDir, 'jobs', sec);
  assert.ok(!readFileSync(join(jobDir, 'job.json'), 'utf8').includes(secret), 'the finished job record holds no secret');
  assert.ok(!existsSync(join(jobDir, 'work')), 'the working directory is gone');
});

test('long output: the API shows AWS-sized previews, the output URL the whole of it', async () => {
  const [a] = fleet;
  const id = await send([a!], ['head -c 100000 /dev/zero | tr "\\0" "y"', 'head -c 20000 /dev/zero | tr "\\0" "e" >&2']);
  await finished(id);
  const r = await result(id, a!);
  assert.equal(r.StandardOutputContent!.length, 24_000);
  assert.ok(r.StandardOutputContent!.endsWith('--output truncated--'));
  assert.equal(r.StandardErrorContent!.length, 8_000);
  const whole = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, method: 'GET', path: new URL(r.StandardOutputUrl!).pathname });
  assert.equal(whole.status, 200);
  assert.equal(whole.text, 'y'.repeat(100_000));
});

test('AWS-RunDocument fetches a document from a URL and runs it with its parameters', async () => {
  const [a] = fleet;
  const doc = { schemaVersion: '2.2', description: 'fetched', parameters: { who: { type: 'String', default: 'nobody' } }, mainSteps: [{ action: 'aws:runShellScript', name: 'greet', inputs: { runCommand: ['echo hello {{ who }}'] } }] };
  const files = createServer((req, res) => (req.url === '/docs/greet.json' ? res.end(JSON.stringify(doc)) : res.writeHead(404).end()));
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/docs/greet.json`;
    const id = (
      await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunDocument', InstanceIds: [a!.id], Parameters: { sourceType: ['S3'], sourceInfo: [JSON.stringify({ path: url })], documentParameters: [JSON.stringify({ who: 'from a url' })] } }))
    ).Command!.CommandId!;
    const done = await finished(id);
    assert.equal(done.Status, 'Success');
    assert.match((await result(id, a!, 'runDocument')).StandardOutputContent!, /hello from a url/);
  } finally {
    files.close();
  }
});

test('timeouts kill the script; CancelCommand stops a running one', async () => {
  const [a, b] = fleet;
  const slow = await send([a!], ['sleep 30 & wait'], { Parameters: { commands: ['sleep 30 & wait'], executionTimeout: ['5'] } });
  const c = await send([b!], ['echo started; sleep 30']);
  await until('the second script started', async () => ((await result(c, b!).catch(() => undefined))?.Status === 'InProgress' ? true : undefined));
  await new Promise((r) => setTimeout(r, 500));
  await ssm.send(new CancelCommandCommand({ CommandId: c }));
  const cancelled = await finished(c, 15_000);
  assert.equal(cancelled.Status, 'Cancelled');
  assert.equal((await ssm.send(new ListCommandInvocationsCommand({ CommandId: c }))).CommandInvocations![0]!.StatusDetails, 'Canceled');
  const timedOut = await finished(slow, 20_000);
  assert.equal(timedOut.Status, 'Failed');
  const r = await result(slow, a!);
  assert.equal(r.Status, 'TimedOut');
  assert.equal(r.StatusDetails, 'ExecutionTimedOut');
});

test('MaxConcurrency holds, as the agents timed it; MaxErrors stops the rest', async () => {
  const id = await send(fleet, ['sleep 1'], { MaxConcurrency: '2' });
  await finished(id);
  const spans = await Promise.all(fleet.map(async (n) => {
    const r = await result(id, n);
    return [Date.parse(r.ExecutionStartDateTime!), Date.parse(r.ExecutionEndDateTime!)] as const;
  }));
  for (const [s] of spans) {
    const overlapping = spans.filter(([s2, e2]) => s2 <= s && s < e2).length;
    assert.ok(overlapping <= 2, `at most 2 scripts ran at once (saw ${overlapping})`);
  }

  const stop = await send(fleet, ['exit 1'], { MaxConcurrency: '1', MaxErrors: '0' });
  const done = await finished(stop);
  assert.equal(done.Status, 'Failed');
  const inv = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: stop }))).CommandInvocations!;
  assert.equal(inv.filter((i) => i.StatusDetails === 'Failed').length, 1);
  assert.equal(inv.filter((i) => i.StatusDetails === 'Terminated').length, 3);
});

test('one node runs at most five documents at once and queues the rest in order', async () => {
  const [a] = fleet;
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push(await send([a!], ['sleep 1']));
  for (const id of ids) await finished(id);
  const spans = await Promise.all(ids.map(async (id) => {
    const r = await result(id, a!);
    return [Date.parse(r.ExecutionStartDateTime!), Date.parse(r.ExecutionEndDateTime!)] as const;
  }));
  const most = Math.max(...spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && s < e2).length));
  assert.equal(most, 5, 'five ran together, never more');
  // The two that waited started after others ended, in the order they were sent.
  assert.ok(spans[5]![0] >= Math.min(...spans.slice(0, 5).map(([, e]) => e)) - 5);
  assert.ok(spans[5]![0] <= spans[6]![0]);
});

test('a node offline at send runs the command when it returns in time; later than that it never runs it', async () => {
  const [, , c, d] = fleet;
  await kill(c!);
  await kill(d!);
  const inTime = await send([c!], [`touch ${join(work, 'ran-in-time')}`]);
  const tooLate = await send([d!], [`touch ${join(work, 'ran-too-late')}`], { TimeoutSeconds: 30 });
  await start(c!);
  await finished(inTime);
  assert.ok(existsSync(join(work, 'ran-in-time')));
  clock.advance(31_000);
  await t.server.core.scheduler.tick();
  const late = await finished(tooLate);
  assert.equal(late.Status, 'TimedOut');
  assert.equal(late.StatusDetails, 'DeliveryTimedOut');
  await start(d!);
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(!existsSync(join(work, 'ran-too-late')));
});

test('a job is run once even when the agent dies before its reply is acknowledged', async () => {
  const [, , c] = fleet;
  const counter = join(work, 'ran-count');
  const id = await send([c!], [`echo x >> ${counter}`, 'sleep 2']);
  await until('the script started', async () => (existsSync(counter) ? true : undefined));
  await kill(c!);
  await start(c!);
  // The agent resumes: the step that was running when it died is reported Failed, never run again.
  const done = await finished(id);
  assert.equal(done.Status, 'Failed');
  assert.match((await result(id, c!)).StandardOutputContent ?? '', /^$/);
  assert.equal(readFileSync(counter, 'utf8'), 'x\n');
});

test('exit 194 reboots the node and the document resumes at that step', async () => {
  const [, , , d] = fleet;
  await kill(d!);
  const rebooted = join(work, 'rebooted');
  await start(d!, { CAPSTAN_AGENT_REBOOT_COMMAND: `touch ${rebooted}` });
  const marker = join(work, 'reboot-marker');
  const content = {
    schemaVersion: '2.2',
    description: 'reboot in the middle',
    mainSteps: [
      { action: 'aws:runShellScript', name: 'first', inputs: { runCommand: [`if [ -f ${marker} ]; then echo resumed; else touch ${marker}; echo rebooting; exit 194; fi`] } },
      { action: 'aws:runShellScript', name: 'second', inputs: { runCommand: ['echo second'] } },
    ],
  };
  await ssm.send(new CreateDocumentCommand({ Name: 'E2E-Reboot', DocumentType: 'Command', Content: JSON.stringify(content) }));
  const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'E2E-Reboot', InstanceIds: [d!.id] }))).Command!.CommandId!;
  await until('the agent asked for a reboot', async () => (existsSync(rebooted) ? true : undefined));
  assert.equal((await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!.Status, 'InProgress');
  await kill(d!);
  await start(d!);
  const done = await finished(id);
  assert.equal(done.Status, 'Success');
  // The step's output is all it printed, before the reboot and after.
  assert.equal((await result(id, d!, 'first')).StandardOutputContent, 'rebooting\nresumed\n');
  assert.equal((await result(id, d!, 'second')).StandardOutputContent, 'second\n');
});
