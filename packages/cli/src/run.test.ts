import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AddTagsToResourceCommand, CreateActivationCommand, DescribeInstanceInformationCommand, ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { parseParameters, parseTarget, sendInput, UsageError } from './run/parse.js';
import { TextRenderer, utf8Cut, type Sink } from './run/render.js';
import type { FollowInvocation, FollowPiece } from './run/types.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];

describe('flags', () => {
  test('--targets takes every form, and says what to write instead of a wrong one', () => {
    assert.deepEqual(parseTarget('tag:Env=prod,staging'), [{ Key: 'tag:Env', Values: ['prod', 'staging'] }]);
    assert.deepEqual(parseTarget('tag-key=Owner'), [{ Key: 'tag-key', Values: ['Owner'] }]);
    assert.deepEqual(parseTarget('InstanceIds=mi-0123456789abcdef0,mi-0123456789abcdef1'), [{ Key: 'InstanceIds', Values: ['mi-0123456789abcdef0', 'mi-0123456789abcdef1'] }]);
    assert.deepEqual(parseTarget('resource-groups:Name=web'), [{ Key: 'resource-groups:Name', Values: ['web'] }]);
    assert.deepEqual(parseTarget('Key=tag:Env,Values=prod,dev'), [{ Key: 'tag:Env', Values: ['prod', 'dev'] }]);
    assert.deepEqual(parseTarget('[{"Key":"tag:Role","Values":["db"]}]'), [{ Key: 'tag:Role', Values: ['db'] }]);
    assert.throws(() => parseTarget('Env=prod'), /unknown target key Env.*did you mean tag:Env=prod/);
    assert.throws(() => parseTarget('tag:Env'), /expected one of tag:KEY=V1,V2/);
    assert.throws(() => parseTarget('tag:Env=a,,b'), /empty value/);
    assert.throws(() => parseTarget('InstanceIds=web-1'), /not instance ids: web-1/);
    assert.throws(() => parseTarget('{"Key":"tag:Env"}'), UsageError);
  });

  test('--parameters: name=value repeated appends, values keep their =, JSON objects merge', () => {
    assert.deepEqual(parseParameters(['commands=echo a=b', 'commands=uptime', 'workingDirectory=/tmp']), { commands: ['echo a=b', 'uptime'], workingDirectory: ['/tmp'] });
    assert.deepEqual(parseParameters(['{"commands":["uptime","df -h"],"executionTimeout":"60"}', 'commands=id']), { commands: ['uptime', 'df -h', 'id'], executionTimeout: ['60'] });
    assert.throws(() => parseParameters(['uptime']), /expected name=value/);
    assert.throws(() => parseParameters(['{"commands":[1]}']), /a string or a list of strings/);
    assert.throws(() => parseParameters(['{nope']), /not valid JSON/);
    assert.throws(() => parseParameters(['bad name=x']), /not a parameter name/);
  });

  test('the whole SendCommand input, and its mistakes', () => {
    assert.deepEqual(sendInput({ instanceIds: ['mi-0123456789abcdef0,mi-0123456789abcdef1'], document: 'AWS-RunShellScript', parameters: ['commands=true'], maxConcurrency: '50%', maxErrors: '0', timeoutSeconds: '600', comment: 'c' }), {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['mi-0123456789abcdef0', 'mi-0123456789abcdef1'],
      Parameters: { commands: ['true'] },
      MaxConcurrency: '50%',
      MaxErrors: '0',
      TimeoutSeconds: 600,
      Comment: 'c',
    });
    const base = { document: 'AWS-RunShellScript' };
    assert.throws(() => sendInput(base), /say where to run/);
    assert.throws(() => sendInput({ ...base, targets: ['tag:A=b'], instanceIds: ['mi-0123456789abcdef0'] }), /not both/);
    assert.throws(() => sendInput({ targets: ['tag:A=b'] }), /--document is required/);
    assert.throws(() => sendInput({ ...base, targets: ['tag:A=1', 'tag:B=1', 'tag:C=1', 'tag:D=1', 'tag:E=1', 'tag:F=1'] }), /at most 5/);
    assert.throws(() => sendInput({ ...base, instanceIds: ['mi-0123456789abcdef0', 'mi-0123456789abcdef0'] }), /given twice/);
    assert.throws(() => sendInput({ ...base, targets: ['tag:A=b'], maxConcurrency: '0' }), /--max-concurrency 0/);
    assert.throws(() => sendInput({ ...base, targets: ['tag:A=b'], maxErrors: '-1' }), /--max-errors -1/);
    assert.throws(() => sendInput({ ...base, targets: ['tag:A=b'], timeoutSeconds: '10' }), /--timeout-seconds 10/);
    assert.throws(() => sendInput({ ...base, targets: ['tag:A=b'], documentVersion: 'latest' }), /--document-version latest/);
  });
});

describe('rendering', () => {
  const A = 'mi-0000000000000000a';
  const B = 'mi-0000000000000000b';
  const sink = () => {
    const parts: Buffer[] = [];
    const s: Sink & { text(): string; bytes(): Buffer } = { write: (c) => parts.push(Buffer.from(c)), text: () => Buffer.concat(parts).toString('utf8'), bytes: () => Buffer.concat(parts) };
    return s;
  };
  const inv = (id: string, Status: string, ResponseCode = -1, stdout?: number, stderr = 0): FollowInvocation => ({
    InstanceId: id,
    // Two nodes of one name: each goes by its id.
    InstanceName: 'same-host',
    Status,
    StatusDetails: Status,
    ResponseCode,
    Steps: stdout === undefined ? [] : [{ Name: 'aws:runShellScript', Status, ResponseCode, StdoutBytes: stdout, StderrBytes: stderr }],
  });
  const piece = (id: string, Offset: number, data: Buffer | string, Stream: 'stdout' | 'stderr' = 'stdout'): FollowPiece => ({ InstanceId: id, PluginName: 'aws:runShellScript', Stream, Offset, Data: Buffer.from(data).toString('base64') });

  test('lines are whole, prefixed by node, a UTF-8 character split between pieces stays whole, and a last line without newline comes out when its stream ends', () => {
    const out = sink();
    const err = sink();
    const r = new TextRenderer({ prefix: true, color: false, out, err });
    r.learn([inv(A, 'InProgress'), inv(B, 'InProgress')]);
    r.invocation(inv(A, 'InProgress'));
    r.invocation(inv(B, 'InProgress'));
    const text = Buffer.from('héllo\nwörld\nlast');
    // Cut inside é and inside ö.
    r.output(piece(A, 0, text.subarray(0, 2)));
    r.output(piece(B, 0, 'b1\n'));
    r.output(piece(A, 2, text.subarray(2, 10)));
    r.output(piece(A, 2, text.subarray(2, 10))); // a repeat is ignored
    r.output(piece(A, 10, text.subarray(10)));
    r.output(piece(A, 0, 'warn\n', 'stderr'));
    assert.doesNotMatch(out.text(), /last/); // held: no newline yet
    r.invocation(inv(A, 'Success', 0, text.length, 5));
    r.invocation(inv(B, 'Failed', 2, 3));
    r.done({ CommandId: 'c', Status: 'Failed', StatusDetails: 'Failed', TargetCount: 2, CompletedCount: 2, ErrorCount: 1, DeliveryTimedOutCount: 0 }, new Map([[A, 1500]]));
    const lines = out.text().split('\n');
    assert.deepEqual(lines.slice(0, 8), [
      `${A} InProgress`,
      `${B} InProgress`,
      `${B}| b1`,
      `${A}| héllo`,
      `${A}| wörld`,
      `${A}! warn`,
      `${A}| last`,
      `${A} Success (0)`,
    ]);
    assert.equal(lines[8], `${B} Failed (2)`);
    assert.match(out.text(), new RegExp(`NODE\\s+NAME\\s+STATUS\\s+CODE\\s+DURATION\\n${A}\\s+same-host\\s+Success\\s+0\\s+1\\.5s\\n${B}\\s+same-host\\s+Failed\\s+2\\s+-\\n`));
    assert.match(out.text(), /Command c Failed: 2 targets, 2 completed, 1 succeeded, 1 error\n$/);
    assert.equal(err.text(), '');
    assert.equal(r.allSucceeded(), false);
  });

  test('without prefixes, stdout is exactly the bytes the node wrote, even bytes that are not UTF-8', () => {
    const out = sink();
    const err = sink();
    const r = new TextRenderer({ prefix: false, color: false, out, err });
    const bytes = Buffer.concat([Buffer.from('a\n'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from([0xa9, 0x0a]), Buffer.from('tail')]);
    r.invocation(inv(A, 'InProgress'));
    r.output(piece(A, 0, bytes.subarray(0, 4)));
    r.output(piece(A, 4, bytes.subarray(4)));
    r.output(piece(A, 0, 'e\n', 'stderr'));
    r.invocation(inv(A, 'Success', 0, bytes.length, 2));
    r.done({ CommandId: 'c', Status: 'Success', StatusDetails: 'Success', TargetCount: 1, CompletedCount: 1, ErrorCount: 0, DeliveryTimedOutCount: 0 }, new Map());
    assert.deepEqual(out.bytes(), bytes);
    assert.match(err.text(), /^e\n/m);
    assert.match(err.text(), /Command c Success/);
    assert.equal(r.allSucceeded(), true);
  });

  test('a line too long to hold is shown in parts cut between characters', () => {
    const s = Buffer.from('é'.repeat(40_000));
    assert.equal(utf8Cut(s, 65_537), 65_536);
    assert.equal(utf8Cut(s, 65_536), 65_536);
    const out = sink();
    const r = new TextRenderer({ prefix: true, color: false, out, err: sink() });
    r.invocation(inv(A, 'InProgress'));
    r.output(piece(A, 0, s));
    // The only node, so it goes by its name.
    const first = out.text().split('\n').find((l) => l.startsWith('same-host|'))!;
    assert.equal(first.length, 'same-host| '.length + 32_768);
    assert.doesNotMatch(out.text(), /\uFFFD/);
  });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('capstan run against a server and real agents', { concurrency: true }, () => {
  let t: TestServer;
  let ssm: SSMClient;
  const dirs: string[] = [];
  const agents = new Set<ChildProcess>();
  let web = '';
  let db = '';
  /** Both agents run here, so they share a name: each goes by its id, unless it is a command's only node. */
  const host = hostname();

  interface Result {
    code: number | null;
    stdout: Buffer;
    stderr: string;
  }

  /** Runs the CLI as a user would, with the server's admin key in its environment. */
  function capstanRun(args: string[], onStdout?: (text: string, p: ChildProcess) => void): Promise<Result> {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey, AWS_REGION: 'us-east-1', NO_COLOR: '1' };
    delete env.AWS_PROFILE;
    delete env.AWS_SESSION_TOKEN;
    const p = spawn(process.execPath, [...cli, 'run', '--endpoint', t.endpoint, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout!.on('data', (d: Buffer) => {
      out.push(d);
      onStdout?.(Buffer.concat(out).toString(), p);
    });
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err })));
  }

  before(async () => {
    t = await startTestServer();
    ssm = new SSMClient(t.clientConfig());
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2 }));
    const states = [0, 1].map(() => {
      const dir = mkdtempSync(join(tmpdir(), 'capstan-run-agent-'));
      dirs.push(dir);
      return join(dir, 'state');
    });
    const ids = await Promise.all(
      states.map(async (state) => {
        const { stdout } = await promisify(execFile)(process.execPath, [...cli, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--region', 'us-east-1', '--state-dir', state], { cwd: root });
        return /registered as (mi-[0-9a-f]{17})/.exec(stdout)![1]!;
      }),
    );
    [web, db] = ids as [string, string];
    for (const state of states) {
      const p = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', state], { cwd: root, stdio: 'ignore' });
      agents.add(p);
      p.on('exit', () => agents.delete(p));
    }
    for (const [id, role] of [[web, 'web'], [db, 'db']] as const) {
      await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: id, Tags: [{ Key: 'Env', Value: 'test' }, { Key: 'Role', Value: role }] }));
    }
    await until('both agents Online', async () => {
      const list = (await ssm.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList ?? [];
      return ids.every((id) => list.some((n) => n.InstanceId === id && n.PingStatus === 'Online')) ? true : undefined;
    });
  });

  after(async () => {
    for (const p of agents) p.kill('SIGKILL');
    await t.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('--follow streams both nodes’ output with prefixes, then a summary, and exits 0', async () => {
    const r = await capstanRun([
      '--targets', 'tag:Env=test', '--document', 'AWS-RunShellScript', '--follow',
      '--parameters', 'commands=echo "id=$AWS_SSM_INSTANCE_ID"', '--parameters', "commands=printf 'ünï\\ncødé\\n'; echo warn >&2; sleep 0.3; printf 'no newline'",
    ]);
    const out = r.stdout.toString();
    assert.equal(r.code, 0, out + r.stderr);
    const sent = /^Command ([0-9a-f-]{36}) \(AWS-RunShellScript\) sent to 2 nodes$/m.exec(out);
    assert.ok(sent, out);
    for (const id of [web, db]) {
      const lines = out.split('\n').filter((l) => l.startsWith(`${id}|`) || l.startsWith(`${id}!`));
      // stdout lines in order; the stderr line somewhere among them
      assert.deepEqual(lines.filter((l) => l.startsWith(`${id}|`)), [`${id}| id=${id}`, `${id}| ünï`, `${id}| cødé`, `${id}| no newline`]);
      assert.deepEqual(lines.filter((l) => l.startsWith(`${id}!`)), [`${id}! warn`]);
      // An InProgress line appears only when a poll catches the node running; a fast node may go straight to Success.
      assert.match(out, new RegExp(`^${id} Success \\(0\\)$`, 'm'));
      assert.match(out, new RegExp(`^${id}\\s+\\S+\\s+Success\\s+0\\s+\\d+\\.\\ds$`, 'm'));
      // The node's output comes before its final status line.
      assert.ok(out.indexOf(`${id}| no newline`) < out.indexOf(`${id} Success (0)`));
    }
    assert.match(out, /NODE\s+NAME\s+STATUS\s+CODE\s+DURATION/);
    assert.match(out, new RegExp(`Command ${sent[1]} Success: 2 targets, 2 completed, 2 succeeded, 0 errors\\n$`));
  });

  test('a failing script exits 1 and shows Failed with its code; two --targets narrow the nodes', async () => {
    const r = await capstanRun(['--targets', 'tag:Env=test', '--targets', 'Key=tag:Role,Values=db', '--document', 'AWS-RunShellScript', '--parameters', '{"commands":["echo before","exit 3"]}', '--follow']);
    const out = r.stdout.toString();
    assert.equal(r.code, 1, out + r.stderr);
    assert.match(out, /sent to 1 node$/m);
    // One node, so it goes by its name.
    assert.match(out, new RegExp(`^${host}\\| before$`, 'm'));
    assert.match(out, new RegExp(`^${host} Failed \\(3\\)$`, 'm'));
    assert.match(out, new RegExp(`^${db}\\s+\\S+\\s+Failed\\s+3\\s+`, 'm'));
    assert.doesNotMatch(out, new RegExp(web));
    assert.match(out, /Command \S+ Failed: 1 target, 1 completed, 0 succeeded, 1 error\n$/);
  });

  test('--no-prefix passes a node’s stdout through byte for byte, and --json follows as JSON lines', async () => {
    const script = "printf 'a=1\\n\\303\\251\\377 x\\nend'; echo oops >&2";
    const [raw, json] = await Promise.all([
      capstanRun(['--instance-ids', web, '--document', 'AWS-RunShellScript', '--parameters', `commands=${script}`, '--follow', '--no-prefix']),
      capstanRun(['--instance-ids', db, '--document', 'AWS-RunShellScript', '--parameters', `commands=${script}`, '--follow', '--json']),
    ]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.deepEqual(raw.stdout, Buffer.concat([Buffer.from('a=1\n'), Buffer.from([0xc3, 0xa9, 0xff]), Buffer.from(' x\nend')]));
    assert.match(raw.stderr, /^oops$/m);
    assert.match(raw.stderr, new RegExp(`^${host} Success \\(0\\)$`, 'm'));
    assert.match(raw.stderr, /Command \S+ Success: 1 target/);

    assert.equal(json.code, 0, json.stderr);
    const events = json.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { Event: string; Stream?: string; Data?: string; Status?: string; Invocations?: { InstanceId: string; Status: string; ResponseCode: number }[] });
    assert.equal(events[0]!.Event, 'Sent');
    const stdout = Buffer.concat(events.filter((e) => e.Event === 'Output' && e.Stream === 'stdout').map((e) => Buffer.from(e.Data!, 'base64')));
    assert.deepEqual(stdout, raw.stdout);
    assert.ok(events.some((e) => e.Event === 'Status' && e.Status === 'Success'));
    const done = events[events.length - 1]!;
    assert.equal(done.Event, 'Done');
    assert.deepEqual(done.Invocations!.map((i) => [i.InstanceId, i.Status, i.ResponseCode]), [[db, 'Success', 0]]);
  });

  test('without --follow it prints the command id and exits 0', async () => {
    const plain = await capstanRun(['--instance-ids', web, db, '--document', 'AWS-RunShellScript', '--parameters', 'commands=true', '--comment', 'no follow']);
    assert.equal(plain.code, 0, plain.stderr);
    const id = /^([0-9a-f-]{36})\n$/.exec(plain.stdout.toString())?.[1];
    assert.ok(id, plain.stdout.toString());
    const listed = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!;
    assert.equal(listed.Comment, 'no follow');
    assert.deepEqual(listed.InstanceIds!.sort(), [web, db].sort());
  });

  test('bad --targets, --parameters or flags exit 2 with a message and send nothing', async () => {
    // (The other mistakes are the flags tests' above; here, that they stop the CLI before it sends.)
    const cases: [string[], RegExp][] = [
      [['--targets', 'Env=test', '--document', 'AWS-RunShellScript', '--parameters', 'commands=true'], /unknown target key Env.*did you mean tag:Env=test/],
      [['--targets', 'tag:Env=test', '--document', 'AWS-RunShellScript', '--parameters', 'uptime'], /--parameters uptime: expected name=value/],
      [['--targets', 'tag:Env=test', '--document', 'AWS-RunShellScript', '--parameters', 'commands=true', '--frobnicate'], /unknown option '--frobnicate'/],
    ];
    const results = await Promise.all(cases.map(([args]) => capstanRun([...args, '--comment', 'must not be sent'])));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
      assert.equal(r.stdout.length, 0);
    });
    assert.ok(!(await ssm.send(new ListCommandsCommand({}))).Commands!.some((c) => c.Comment === 'must not be sent'));
  });

  test('Ctrl-C while following cancels the command once and follows it to its end', async () => {
    let interrupted = false;
    const r = await capstanRun(['--instance-ids', web, '--document', 'AWS-RunShellScript', '--parameters', 'commands=echo started; sleep 20; echo never', '--follow'], (text, p) => {
      if (!interrupted && text.includes(`${host}| started`)) {
        interrupted = true;
        p.kill('SIGINT');
      }
    });
    const out = r.stdout.toString();
    assert.equal(r.code, 1, out + r.stderr);
    assert.match(r.stderr, /cancelling command [0-9a-f-]{36}; following until it ends/);
    assert.doesNotMatch(out, /never/);
    assert.match(out, new RegExp(`^${host} Cancelled`, 'm'));
    assert.match(out, /Command \S+ Cancelled/);
  });
});
