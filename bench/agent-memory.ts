// An idle agent's memory, as a node carries it: the one-file build under this Node and the single
// executable, each registered with a real server and left idle, beside a bare Node process that
// only waits, measured the same way. VmRSS counts the node binary's file-backed pages, shared with
// every other Node process and reclaimable; RssAnon (and USS, the pages this process alone maps)
// is what the agent itself costs. The single executable's own file is mapped by no other process,
// so its PSS and USS count all of its file pages (clean, and dropped under memory pressure) where
// the one-file build shares node's with every Node process. The server speaks HTTPS, as it does
// to real nodes (the agent holds a TLS session); --http measures a plain-http loopback server.
//   npm run bench -- agent-memory [--idle 30] [--no-sea] [--http]
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ADMIN, startCapstan, type Process } from './_harness.js';

const { values } = parseArgs({ options: { idle: { type: 'string', default: '30' }, 'no-sea': { type: 'boolean', default: false }, http: { type: 'boolean', default: false } } });
const idleMs = Number(values.idle) * 1000;
const root = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);
const step = (line: string) => console.error(`[agent-memory] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Memory {
  rss: number;
  anon: number;
  file: number;
  pss: number;
  uss: number;
}

/** kB figures from /proc: status for the RSS split, smaps_rollup for proportional and unique sizes. */
function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rss: kb(status, 'VmRSS'),
    anon: kb(status, 'RssAnon'),
    file: kb(status, 'RssFile'),
    pss: kb(rollup, 'Pss'),
    uss: kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty'),
  };
}

const work = mkdtempSync(join(tmpdir(), 'capstan-bench-agent-memory-'));

/** `capstan server` on loopback with a certificate for 127.0.0.1 (the agents trust it by --ca-file). */
async function startTlsServer(): Promise<Process> {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
  const env = { ...process.env, CAPSTAN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, CAPSTAN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey, CAPSTAN_ADMIN_ACCOUNT_ID: '123456789012' };
  const args = ['--conditions=capstan-src', '--import', 'tsx', join(root, 'packages/cli/src/main.ts'), 'server', '--data-dir', join(work, 'data'), '--listen', '127.0.0.1:0', '--tls-cert', join(work, 'cert.pem'), '--tls-key', join(work, 'key.pem')];
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s:\n${output}`)), 30_000);
    const seen = (d: Buffer) => {
      output += d.toString();
      const m = /serving at (https:\/\/[\d.:]+)/.exec(output);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    };
    proc.stdout!.on('data', seen);
    proc.stderr!.on('data', seen);
    proc.on('exit', (c) => reject(new Error(`the server exited with ${c}:\n${output}`)));
  });
  return { url, pid: proc.pid, stop: () => new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once('exit', () => r()), proc.kill('SIGTERM')))) };
}
const dist = join(work, 'dist');
const procs: ChildProcess[] = [];
const rows: { name: string; m: Memory; note?: string }[] = [];

step('building the agent');
await run(process.execPath, [join(root, 'scripts/build-agent.mjs'), '--out', dist, ...(values['no-sea'] ? ['--no-sea'] : [])], { cwd: root });
const server = values.http ? await startCapstan() : await startTlsServer();
const requestHandler = values.http ? undefined : new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: readFileSync(join(work, 'cert.pem')) }) });
const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 3, requestHandler });
try {
  const builds: [string, string[]][] = [['agent, one-file build (node capstan-agent.mjs)', [process.execPath, join(dist, 'capstan-agent.mjs')]]];
  if (!values['no-sea']) builds.push(['agent, single executable', [join(dist, `capstan-agent-linux-${process.arch}`)]]);
  const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: builds.length, Description: 'bench/agent-memory' }));
  const started: { name: string; p: ChildProcess; output: () => string }[] = [];
  for (const [i, [name, command]] of builds.entries()) {
    const stateDir = join(work, `state-${i}`);
    await run(command[0]!, [...command.slice(1), 'register', '--endpoint', server.url, '--activation-id', a.ActivationId!, '--activation-code', a.ActivationCode!, '--region', 'us-east-1', '--state-dir', stateDir, ...(values.http ? [] : ['--ca-file', join(work, 'cert.pem')])], { cwd: work });
    const p = spawn(command[0]!, [...command.slice(1), 'run', '--state-dir', stateDir], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let output = '';
    p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    started.push({ name, p, output: () => output });
  }
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  procs.push(bare);
  step(`${builds.length} agents and a bare node started; idle for ${idleMs / 1000} s`);
  await sleep(idleMs);
  for (const s of started) {
    const online = /online as mi-/.test(s.output());
    rows.push({ name: s.name, m: memoryOf(s.p.pid!), note: online ? undefined : `NOT online: ${s.output().trim().slice(-200)}` });
  }
  rows.push({ name: 'bare node (setInterval only)', m: memoryOf(bare.pid!) });
} catch (e) {
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
} finally {
  for (const p of procs) p.kill('SIGTERM');
  ssm.destroy();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)}`.padStart(7);
console.log(`Idle memory after ${idleMs / 1000} s, agents on ${values.http ? 'plain http' : 'HTTPS'} (MB; Node ${process.version}, ${process.arch})`);
console.log(`  ${''.padEnd(50)} ${'VmRSS'.padStart(7)} ${'RssAnon'.padStart(7)} ${'RssFile'.padStart(7)} ${'PSS'.padStart(7)} ${'USS'.padStart(7)}`);
for (const r of rows) console.log(`  ${r.name.padEnd(50)} ${mb(r.m.rss)} ${mb(r.m.anon)} ${mb(r.m.file)} ${mb(r.m.pss)} ${mb(r.m.uss)}${r.note ? `  ${r.note}` : ''}`);
const bare = rows.find((r) => r.name.startsWith('bare'));
if (bare) for (const r of rows.filter((x) => x !== bare)) console.log(`  ${r.name}: ${((r.m.anon - bare.m.anon) / 1024).toFixed(1)} MB private (RssAnon) above a bare node`);
if (rows.some((r) => r.note)) process.exitCode = 1;
