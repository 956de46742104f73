/**
 * `capstan session start` on a real terminal: the command runs under a pseudo-terminal (util-linux
 * `script`), against a real server and a real `capstan agent run`. Keys typed on the terminal
 * reach the node's shell, its answer comes back, and the local terminal is in raw mode for the
 * session and back in its own mode afterwards. Node itself resets the terminal when a process
 * exits, so the terminal module is also checked in a process that looks at the terminal before
 * it exits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../../server/src/test-support/server.js';
import { until } from '../../../server/src/test-support/until.js';

const root = new URL('../../../../', import.meta.url).pathname;
const cliArgs = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let t: TestServer;
let agent: ChildProcess | undefined;
let agentOutput = '';
let instanceId = '';
const work = mkdtempSync(join(tmpdir(), 'capstan-terminal-e2e-'));

before(async () => {
  if (!hasScript) return;
  t = await startTestServer({});
  const ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  ssm.destroy();
  const stateDir = join(work, 'node');
  // not execFileSync: the server runs in this process
  const reg = await promisify(execFile)(process.execPath, [...cliArgs, 'agent', 'register', '--endpoint', t.endpoint, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', stateDir], { cwd: root });
  instanceId = /registered as (mi-[0-9a-f]+)/.exec(reg.stdout)![1]!;
  agent = spawn(process.execPath, [...cliArgs, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  agent.stderr!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  await until('the agent online', () => agentOutput.includes('online as '), { detail: () => agentOutput.slice(-2000) });
});

after(async () => {
  agent?.kill('SIGKILL');
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('capstan session start on a pseudo-terminal: typed keys reach the shell, raw mode for the session, the terminal restored after', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  const file = (name: string) => join(work, name);
  // Inside the pty: note the terminal and its mode, run the session, note the mode again.
  const inner = [
    `tty > ${file('tty')}`,
    `stty -g > ${file('before')}`,
    `${[process.execPath, ...cliArgs].map((a) => `'${a}'`).join(' ')} session start --target ${instanceId}`,
    'echo "capstan exited $?"',
    `stty -g > ${file('after')}`,
  ].join('; ');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey, AWS_REGION: 'us-east-1', CAPSTAN_ENDPOINT: t.endpoint };
  const term = spawn('script', ['-q', '-e', '-c', inner, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  term.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  term.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => term.on('exit', (code) => r(code)));
  const detail = () => `terminal:\n${out.slice(-3000)}\nagent:\n${agentOutput.slice(-2000)}`;
  try {
    await until('the session to start', () => /Starting session with SessionId: \S+/.test(out), { detail });
    const tty = readFileSync(file('tty'), 'utf8').trim();
    const before = readFileSync(file('before'), 'utf8').trim();
    const mode = () => execFileSync('stty', ['-g', '-F', tty], { encoding: 'utf8' }).trim();
    const flags = () => execFileSync('stty', ['-a', '-F', tty], { encoding: 'utf8' });
    // raw while the session runs: no line editing, no local echo, no signals from keys
    await until('raw mode on the terminal', () => mode() !== before && /(^|\s)-icanon(\s|$)/.test(flags()), { detail: () => `${flags()}\n${detail()}` });
    assert.match(flags(), /(^|\s)-echo(\s|$)/);
    assert.match(flags(), /(^|\s)-isig(\s|$)/);

    term.stdin!.write('echo $((6*7))\r');
    await until('the shell to answer 42', () => /^42\r?$/m.test(out), { detail });
    term.stdin!.write('exit\r');
    await until('capstan to exit', () => /capstan exited \d+/.test(out), { detail });
    assert.match(out, /capstan exited 0/, detail());
    assert.equal(await exited, 0, detail());
    assert.ok(existsSync(file('after')), detail());
    assert.equal(readFileSync(file('after'), 'utf8').trim(), before, 'the terminal is back in the mode it had before the session');
    assert.notEqual(before, '');
  } finally {
    if (term.exitCode === null) term.kill('SIGKILL');
  }
});

test('the terminal module leaves raw mode itself when the session ends, before the process exits', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  const file = (name: string) => join(work, `module-${name}`);
  const program = file('main.mts');
  writeFileSync(
    program,
    `import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { SSMClient } from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('@aws-sdk/client-ssm')).href)};
import { startSession } from ${JSON.stringify(join(root, 'packages/cli/src/session/start.ts'))};
import { runTerminal } from ${JSON.stringify(join(root, 'packages/cli/src/session/terminal.ts'))};
const stty = () => execFileSync('stty', ['-g'], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' }).trim();
writeFileSync(${JSON.stringify(file('before'))}, stty());
const ssm = new SSMClient({ endpoint: process.env.CAPSTAN_ENDPOINT, region: 'us-east-1' });
const s = await startSession(ssm, { target: ${JSON.stringify(instanceId)} });
process.stderr.write('session started\\n');
const end = await runTerminal(s.channel, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
writeFileSync(${JSON.stringify(file('after'))}, stty());
process.stderr.write('session over: ' + end.reason + '\\n');
process.exit(0);
`,
  );
  const env = { ...process.env, AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey, AWS_REGION: 'us-east-1', CAPSTAN_ENDPOINT: t.endpoint };
  const inner = `tty > ${file('tty')}; '${process.execPath}' --conditions=capstan-src --import tsx '${program}'`;
  const term = spawn('script', ['-q', '-e', '-c', inner, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  term.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  term.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => term.on('exit', (code) => r(code)));
  const detail = () => `terminal:\n${out.slice(-3000)}`;
  try {
    await until('the session to start', () => out.includes('session started'), { detail });
    const tty = readFileSync(file('tty'), 'utf8').trim();
    const before = readFileSync(file('before'), 'utf8').trim();
    await until('raw mode on the terminal', () => execFileSync('stty', ['-g', '-F', tty], { encoding: 'utf8' }).trim() !== before, { detail });
    term.stdin!.write('echo $((6*7))\r');
    await until('the shell to answer 42', () => /^42\r?$/m.test(out), { detail });
    term.stdin!.write('exit\r');
    await until('the session to end', () => out.includes('session over'), { detail });
    assert.equal(readFileSync(file('after'), 'utf8').trim(), before, 'the mode before the session, while the process still runs');
    assert.equal(await exited, 0, detail());
  } finally {
    if (term.exitCode === null) term.kill('SIGKILL');
  }
});
