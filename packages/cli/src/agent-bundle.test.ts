// The self-contained agent as a node gets it: `npm run build:agent` for real (the one-file bundle
// and the Node single executable), both run from outside the source tree with plain node or
// nothing at all, against a real server; and install-agent.sh, piped from a download as the
// README's one-liner does, installing, upgrading and removing it. Interactive shells work from
// both builds with node-pty's addon beside them, and say what is missing without it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { isBuiltin } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { CreateActivationCommand, DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { attachAgentDownloads } from '../../server/src/nodes/downloads.js';
import { startSession } from './session/start.js';
import { runTerminal } from './session/terminal.js';

const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'capstan-agent-bundle-'));
const out = join(work, 'dist');
const bundle = join(out, 'capstan-agent.mjs');
const sea = join(out, `capstan-agent-linux-${process.arch}`);
const ptyAddon = `capstan-agent-pty-linux-${process.arch}.node`;
const script = join(root, 'scripts/install-agent.sh');
// Nothing of the test's own loader reaches the processes under test, and the `node` the install
// script finds is this one.
const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
delete env.NODE_OPTIONS;
// On a machine where systemd runs, never enable or disable a unit for real (--no-start).
const systemd = existsSync('/run/systemd/system');

const run = promisify(execFile);
const runIn = (cmd: string, args: string[]) => run(cmd, args, { cwd: work, env, timeout: 60_000 });

let t: TestServer;
let ssm: SSMClient;
let downloads: FastifyInstance;
let tlsDownloads: FastifyInstance;
let pin: string;
let activation: { id: string; code: string };
const agents = new Set<ChildProcess>();

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  const started = Date.now();
  const built = await run(process.execPath, [join(root, 'scripts/build-agent.mjs'), '--out', out], { cwd: root, timeout: 120_000 });
  console.log(`${built.stdout.trim()}\n  (whole build ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  // Once nodes/index.ts attaches the downloads, the test server serves this build itself.
  process.env.CAPSTAN_AGENT_DIST = out;
  t = await startTestServer();
  ssm = new SSMClient(t.clientConfig());
  const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 5 }));
  activation = { id: a.ActivationId!, code: a.ActivationCode! };

  downloads = Fastify();
  attachAgentDownloads(downloads, out);
  await downloads.listen({ host: '127.0.0.1', port: 0 });

  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
  pin = new X509Certificate(readFileSync(join(work, 'cert.pem'))).fingerprint256;
  tlsDownloads = Fastify({ https: { cert: readFileSync(join(work, 'cert.pem')), key: readFileSync(join(work, 'key.pem')) } });
  attachAgentDownloads(tlsDownloads, out);
  await tlsDownloads.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  for (const p of agents) p.kill('SIGKILL');
  await downloads?.close();
  await tlsDownloads?.close();
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

const url = (app: FastifyInstance, path: string) => {
  const a = app.server.address() as { port: number };
  return `${app === tlsDownloads ? 'https' : 'http'}://127.0.0.1:${a.port}/capstan/agent/v1${path}`;
};

function startAgent(command: string[]) {
  const p = spawn(command[0]!, command.slice(1), { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  agents.add(p);
  let output = '';
  p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => (agents.delete(p), resolve(code))));
  return { p, exited, output: () => output };
}

const online = (id: string) =>
  until(`${id} Online`, async () => {
    const n = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }))).InstanceInformationList?.[0];
    return n?.PingStatus === 'Online' ? n : undefined;
  });

async function runCommand(id: string, commands: string[]) {
  const { Command } = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [id], Parameters: { commands } }));
  return until(`command on ${id}`, async () => {
    const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: id }));
    return ['Pending', 'InProgress', 'Delayed'].includes(r.Status!) ? undefined : r;
  });
}

/** An interactive shell on the node, as `capstan session start` opens one: what it printed for `echo $((6*7))`, and on stderr. */
async function shell(id: string): Promise<{ out: string; err: string }> {
  const s = await startSession(ssm, { target: id, reason: 'agent build' });
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let ended = false;
  const end = runTerminal(s.channel, { stdin, stdout, stderr }).finally(() => (ended = true));
  if (await s.channel.ready.then(() => true, () => false)) {
    stdin.write('echo $((6*7))\r');
    // Typed before the shell's first prompt, the answer lands after that prompt: "# 42".
    await until('the shell to answer', async () => (/^(?:[#$] )?42\r?$/m.test(out) || ended ? true : undefined)).catch((e: Error) => assert.fail(`${e.message}; it printed ${JSON.stringify(out)}, on stderr ${JSON.stringify(err)}`));
    stdin.write('exit\r');
  }
  await end;
  return { out, err };
}

const identityOf = (stateDir: string) => JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { instanceId: string; trust?: { pinSha256?: string } };

test('the build is one bundle and one executable, neither needing the source tree, tsx or (for the executable) node', async () => {
  const text = readFileSync(bundle, 'utf8');
  assert.ok(text.startsWith('#!/usr/bin/env node\n'));
  assert.ok(!text.includes(root), 'the bundle names no path of the source tree');
  // Every module it loads is one of Node's own: the dependencies are inside.
  const loaded = [...text.matchAll(/\bfrom\s*"([^"]+)"|__require\("([^"]+)"\)|\bimport\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  assert.ok(loaded.length > 10 && loaded.includes('node:fs'));
  assert.deepEqual(loaded.filter((m) => !isBuiltin(m)), []);
  assert.deepEqual(readFileSync(sea).subarray(0, 4), Buffer.from([0x7f, 0x45, 0x4c, 0x46]));

  for (const command of [[process.execPath, bundle], [sea]]) {
    const help = await runIn(command[0]!, [...command.slice(1), '--help']);
    for (const sub of ['register', 'run', 'diagnose', 'install-service', 'uninstall-service']) assert.match(help.stdout, new RegExp(`^  ${sub} `, 'm'), `${command.at(-1)}: ${sub}`);
    assert.match((await runIn(command[0]!, [...command.slice(1), 'agent', 'register', '--help'])).stdout, /--activation-code <code>[\s\S]*--pin-sha256/);
    assert.equal((await runIn(command[0]!, [...command.slice(1), '--version'])).stdout, '0.1.0\n');
  }
  // The executable is its own program: nothing named `node` is looked up.
  assert.equal((await run(sea, ['--version'], { cwd: work, env: { PATH: '/nonexistent' } })).stdout, '0.1.0\n');
  const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
  assert.match(sums, new RegExp(`^[0-9a-f]{64}  capstan-agent-linux-${process.arch}$`, 'm'));
  assert.match(sums, new RegExp(`^[0-9a-f]{64}  ${ptyAddon.replace(/\./g, '\\.')}$`, 'm'));
  console.log(`bundle ${(statSync(bundle).size / 1024).toFixed(0)} KiB, executable ${(statSync(sea).size / 2 ** 20).toFixed(1)} MiB`);
});

test('a bundled agent registers, comes Online and runs a command, and knows how to call itself', async () => {
  const stateDir = join(work, 'bundle-state');
  const reg = await runIn(process.execPath, [bundle, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', activation.id, '--activation-code', activation.code, '--state-dir', stateDir]);
  assert.match(reg.stdout, /registered as mi-[0-9a-f]{17}/);
  const id = identityOf(stateDir).instanceId;
  // Without the word `agent`, as the bundle also allows.
  const agent = startAgent([process.execPath, bundle, 'run', '--state-dir', stateDir]);
  const node = await online(id);
  assert.equal(node.AgentVersion, '0.1.0');
  const r = await runCommand(id, ['echo hi', 'eval "$CAPSTAN_AGENT_CLI --version"']);
  assert.equal(r.Status, 'Success', r.StandardErrorContent);
  assert.equal(r.StandardOutputContent, 'hi\n0.1.0\n');
  // node-pty's JavaScript is inside the bundle, its addon beside it.
  assert.match((await shell(id)).out, /^(?:[#$] )?42\r?$/m, agent.output());
  agent.p.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.output());
});

test('the executable opens interactive shells with the pty addon beside it, and without it says what is missing', async () => {
  // The executable alone in a directory of its own, nowhere near the source tree or node_modules.
  const dir = join(work, 'alone');
  mkdirSync(dir);
  const exe = join(dir, 'capstan-agent');
  copyFileSync(sea, exe);
  const stateDir = join(work, 'alone-state');
  await runIn(exe, ['register', '--endpoint', t.endpoint, '--activation-id', activation.id, '--activation-code', activation.code, '--state-dir', stateDir]);
  const id = identityOf(stateDir).instanceId;
  const agent = startAgent([exe, 'run', '--state-dir', stateDir]);
  await online(id);

  const without = await shell(id);
  assert.doesNotMatch(without.out, /^(?:[#$] )?42/m);
  assert.match(without.err, new RegExp(`node-pty's native addon ${ptyAddon.replace(/\./g, '\\.')}, which is not installed \\(looked for ${join(dir, ptyAddon)} and `), agent.output());

  // Placed beside it, the addon is found by the running agent at the next shell.
  copyFileSync(join(out, ptyAddon), join(dir, ptyAddon));
  const withAddon = await shell(id);
  assert.match(withAddon.out, /^(?:[#$] )?42\r?$/m, agent.output());
  agent.p.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.output());
});

test('install-agent.sh, piped from the server: installs the executable, registers, writes the unit; upgrades; uninstalls all of it', async () => {
  const prefix = join(work, 'prefix');
  const stateDir = join(work, 'node-state');
  const unitPath = join(work, 'systemd', 'capstan-agent.service');
  const paths = ['--prefix', prefix, '--state-dir', stateDir, '--unit-path', unitPath, ...(systemd ? ['--no-start'] : [])];
  const bin = join(prefix, 'bin', 'capstan-agent');

  // The one-liner, from this server when nodes/index.ts serves the downloads, else from the download endpoints alone.
  const served = (await fetch(`${t.endpoint}/capstan/agent/v1/install.sh`)).status === 200;
  const base = served ? `${t.endpoint}/capstan/agent/v1` : url(downloads, '');
  const oneLiner = 'curl -fsSL "$0" | sh -s -- "$@"';
  const first = await runIn('sh', ['-c', oneLiner, `${base}/install.sh`, '--endpoint', t.endpoint, '--activation-id', activation.id, '--activation-code', activation.code, '--binary', `${base}/download/capstan-agent-linux-${process.arch}`, ...paths]);
  assert.match(first.stdout, new RegExp(`installed ${bin} \\(executable\\)`));
  assert.match(first.stdout, /registered as mi-/);
  if (!systemd) assert.match(first.stdout, /systemd is not running here: writing the unit without starting it/);
  assert.match(first.stdout, /systemctl daemon-reload && systemctl enable --now capstan-agent\.service/);
  assert.deepEqual(readFileSync(bin), readFileSync(sea));
  assert.equal(statSync(bin).mode & 0o777, 0o755);
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  const id = identityOf(stateDir).instanceId;

  // The unit runs the executable itself; run its ExecStart as systemd would.
  const exec = /^ExecStart=(.*)$/m.exec(readFileSync(unitPath, 'utf8'))![1]!;
  assert.equal(exec, `${bin} agent run --state-dir ${stateDir}`);
  const agent = startAgent(exec.split(' '));
  await online(id);
  // Documents reach the agent through CAPSTAN_AGENT_CLI (Capstan-DiagnoseAgent does): the executable, alone.
  const r = await runCommand(id, ['echo hi', 'echo "$CAPSTAN_AGENT_CLI"', 'eval "$CAPSTAN_AGENT_CLI agent diagnose --state-dir \\"$CAPSTAN_AGENT_STATE_DIR\\""']);
  assert.equal(r.Status, 'Success', `${r.StandardOutputContent}\n${r.StandardErrorContent}`);
  assert.ok(r.StandardOutputContent!.startsWith(`hi\n'${bin}'\n`), r.StandardOutputContent);
  assert.match(r.StandardOutputContent!, /ok\s+identity/);
  // The executable in PREFIX/bin finds the pty addon the script put in PREFIX/lib/capstan-agent.
  assert.match(first.stdout, new RegExp(`installed ${join(prefix, 'lib', 'capstan-agent', ptyAddon)} \\(interactive shells\\)`));
  assert.match((await shell(id)).out, /^(?:[#$] )?42\r?$/m, agent.output());
  agent.p.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.output());

  // Downloads over TLS are verified: refused without trust, with a wrong pin, or plain http to another machine.
  const again = (...more: string[]) => runIn('sh', [script, '--endpoint', t.endpoint, '--activation-id', activation.id, '--activation-code', activation.code, ...paths, ...more]);
  const refused = (p: Promise<unknown>) => p.then(() => assert.fail('the install succeeded'), (e: { stderr: string }) => e.stderr);
  const tlsBundle = url(tlsDownloads, '/download/capstan-agent.mjs');
  assert.match(await refused(again('--binary', tlsBundle)), /could not download/);
  assert.match(await refused(again('--binary', tlsBundle, '--pin-sha256', 'AB'.repeat(32))), /is not the pinned one/);
  assert.match(await refused(again('--binary', 'http://10.20.30.40:9700/capstan/agent/v1/download/capstan-agent.mjs')), /is not on this machine: use https/);
  assert.deepEqual(readFileSync(bin), readFileSync(sea), 'a refused install changes nothing');

  // With the pin, the JavaScript build replaces the executable; the node keeps its identity.
  const upgrade = await again('--binary', tlsBundle, '--pin-sha256', pin);
  assert.match(upgrade.stdout, new RegExp(`already registered as ${id}`));
  assert.match(upgrade.stdout, /\(javascript\)/);
  assert.equal(identityOf(stateDir).instanceId, id);
  assert.deepEqual(readFileSync(join(prefix, 'lib', 'capstan-agent', 'capstan-agent.mjs')), readFileSync(bundle));
  assert.equal((await runIn(bin, ['--version'])).stdout, '0.1.0\n');
  assert.equal(/^ExecStart=(.*)$/m.exec(readFileSync(unitPath, 'utf8'))![1], `${process.execPath} ${join(prefix, 'lib', 'capstan-agent', 'capstan-agent.mjs')} agent run --state-dir ${stateDir}`);
  // And a CA file works too (the certificate is its own CA here).
  assert.match((await again('--binary', tlsBundle, '--ca-file', join(work, 'cert.pem'))).stdout, /installed .* \(javascript\)/);
  // A build with no pty addon beside it still installs, says shells need one, and keeps the one installed.
  const lone = join(work, 'lone');
  mkdirSync(lone);
  copyFileSync(bundle, join(lone, 'capstan-agent.mjs'));
  const noAddon = await again('--binary', join(lone, 'capstan-agent.mjs'));
  assert.match(noAddon.stdout, new RegExp(`no interactive shells until ${ptyAddon.replace(/\./g, '\\.')} is placed in ${join(prefix, 'lib', 'capstan-agent')}`));
  assert.match(noAddon.stdout, /installed .* \(javascript\)/);
  assert.deepEqual(readFileSync(join(prefix, 'lib', 'capstan-agent', ptyAddon)), readFileSync(join(out, ptyAddon)));

  // Nothing else is touched by the uninstall, and everything it installed is gone.
  mkdirSync(join(prefix, 'bin', 'other'), { recursive: true });
  const gone = await runIn('sh', [script, '--uninstall', ...paths]);
  assert.match(gone.stdout, /uninstalled/);
  for (const p of [bin, join(prefix, 'lib', 'capstan-agent'), stateDir, unitPath]) assert.equal(existsSync(p), false, `${p} is removed`);
  assert.ok(existsSync(join(prefix, 'bin', 'other')));
  // Twice is fine.
  await runIn('sh', [script, '--uninstall', ...paths]);
});
