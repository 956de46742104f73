// Session Manager data path on one machine (2 cores), everything on loopback: one server process
// (SQLite, default settings), one real agent (`capstan-agent.mjs` of `npm run build:agent -- --no-sea`,
// run by plain node), a TCP service on 127.0.0.1 standing for the port on the node (sink, source,
// echo; in this process).
//  1. Port-forward throughput: `capstan session port-forward --target mi-… --remote-port P --local-port 0`
//     as a child process (the CLI from source under tsx, as the harness runs the server); SIZE MiB
//     through one connection each way, then the same SIZE split over 8 parallel connections.
//  2. The same transfers direct to the service (raw loopback TCP) and over `ssh -L` to a private
//     sshd (throwaway keys in a temp dir, stopped afterwards).
//  3. Added latency: 1-byte ping-pong (ROUNDS round trips after 100 warm-up ones) over each path.
//  4. Keystroke echo through an interactive shell session (the agent's `sh` on a PTY): the CLI's
//     own session modules (startSession + ClientChannel, fast transport) in this process; one
//     character written as an Output payload, timed until its echo arrives; KEYS keystrokes.
//  5. File copy (`capstan cp`'s modules: startSession + copyFile in this process, a
//     Capstan-StartFileCopySession on the agent): COPY MiB up to the node and back, each written
//     to a temporary file, synced and renamed on the receiving side.
// Also: CPU seconds each process used for each transfer (where the time goes).
//   npm run bench -- sessions [--mib 512] [--conns 8] [--rounds 2000] [--keys 200] [--copy-mib 128] [--skip-ssh] [--profile DIR]
//   --profile DIR: V8 CPU profiles (--cpu-prof) of the server, the agent and the port-forward client there.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ADMIN, startCapstan, type Process } from './_harness.js';
import { download, parallel, pingPong, sshUnavailable, startService, startSshTunnel, upload, type SshTunnel } from './_sessions-net.js';
import { formatSummary, summarizeDir } from './_sessions-profile.js';
import { startSession } from '../packages/cli/src/session/start.js';
import { copyFile } from '../packages/cli/src/session/copy.js';
import { PortMux } from '../packages/cli/src/session/port-forward.js';
import { PayloadType, sizePayload, FlagValue, flagPayload } from '../packages/wire/src/session/index.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '512' },
    conns: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2000' },
    keys: { type: 'string', default: '200' },
    'copy-mib': { type: 'string', default: '128' },
    'skip-ssh': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const SIZE = Number(values.mib) * 1024 * 1024;
const CONNS = Number(values.conns);
const ROUNDS = Number(values.rounds);
const KEYS = Number(values.keys);
const COPY = Number(values['copy-mib']) * 1024 * 1024;
const profileDir = values.profile ? resolve(values.profile) : undefined;
if (profileDir) {
  mkdirSync(profileDir, { recursive: true });
  process.env.BENCH_PROFILE = join(profileDir, 'server'); // the harness profiles the server
}
/** --cpu-prof into DIR/NAME (one file per thread: a tsx process also profiles its loader thread). */
const prof = (name: string) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []);

const root = new URL('..', import.meta.url).pathname;
const results: { name: string; target: string; ok: boolean | undefined; detail: string }[] = [];
const info: string[] = [];
const step = (line: string) => console.error(`[sessions] ${line}`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const TICK = Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
/** CPU seconds (user + system) a process has used; NaN when it is gone. */
const cpu = (pid: number | undefined) => {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return NaN;
  }
};
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const fmtMB = (v: number) => `${v >= 100 ? Math.round(v) : v.toFixed(1)} MB/s`;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const fmtMs = (v: number) => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);

// ---------------------------------------------------------------------------------------------
// Agent and port-forward client.

interface Agent {
  proc: ChildProcess;
  instanceId: string;
  out: () => string;
}

async function startAgent(server: Process, work: string): Promise<Agent> {
  const dir = join(work, 'agent');
  await promisify(execFile)(process.execPath, [join(root, 'scripts/build-agent.mjs'), '--out', dir, '--no-sea'], { cwd: root });
  const main = join(dir, 'capstan-agent.mjs');
  // node-pty (native, for shell sessions) is not in the bundle: a node has it installed beside the agent
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(root, 'node_modules/node-pty'), join(dir, 'node_modules/node-pty'));
  const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1, Description: 'bench/sessions' }));
  ssm.destroy();
  const state = join(work, 'agent-state');
  mkdirSync(state);
  await promisify(execFile)(process.execPath, [main, 'agent', 'register', '--endpoint', server.url, '--activation-id', a.ActivationId!, '--activation-code', a.ActivationCode!, '--region', 'us-east-1', '--state-dir', state]);
  const proc = spawn(process.execPath, [...prof('agent'), main, 'agent', 'run', '--state-dir', state], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const on = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', on);
  proc.stderr!.on('data', on);
  const end = Date.now() + 30_000;
  while (!/online as (mi-\w+)/.test(out)) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`the agent did not come online: ${out.slice(-1000)}`);
    await sleep(50);
  }
  return { proc, instanceId: /online as (mi-\w+)/.exec(out)![1]!, out: () => out };
}

interface Forward {
  proc: ChildProcess;
  localPort: number;
  out: () => string;
}

/** `capstan session port-forward` as an operator runs it, from source under tsx like the harness's server. */
async function startForward(server: Process, target: string, remotePort: number): Promise<Forward> {
  const proc = spawn(
    process.execPath,
    [...prof('port-forward'), '--conditions=capstan-src', '--import', 'tsx', join(root, 'packages/cli/src/main.ts'), 'session', 'port-forward', '--target', target, '--remote-port', String(remotePort), '--local-port', '0', '--endpoint', server.url],
    { env: { ...process.env, AWS_ACCESS_KEY_ID: ADMIN.accessKeyId, AWS_SECRET_ACCESS_KEY: ADMIN.secretAccessKey, AWS_REGION: 'us-east-1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const on = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', on);
  proc.stderr!.on('data', on);
  const end = Date.now() + 30_000;
  while (!/Forwarding 127\.0\.0\.1:(\d+)/.test(out)) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`port-forward did not start: ${out.slice(-1000)}`);
    await sleep(50);
  }
  return { proc, localPort: Number(/Forwarding 127\.0\.0\.1:(\d+)/.exec(out)![1]), out: () => out };
}

function stopProc(p: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    const killer = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => (clearTimeout(killer), r()));
    p.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------
// Measurements.

interface Path {
  name: string;
  port: number;
  /** processes whose CPU is worth reporting on this path */
  pids: () => Record<string, number | undefined>;
}

interface Throughput {
  up1: number;
  down1: number;
  upN: number;
  downN: number;
}

/** Runs fn and notes the CPU each process of the path used; with `bytes`, also as ms of CPU per MB moved. */
async function cpuOf<T>(path: Path, what: string, fn: () => Promise<T>, bytes?: number): Promise<T> {
  const pids = path.pids();
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpu(p)]));
  const b0 = selfCpu();
  const t0 = performance.now();
  const r = await fn();
  const wall = (performance.now() - t0) / 1000;
  const perMB = (s: number) => (bytes ? ` (${((1000 * s) / (bytes / 1e6)).toFixed(2)} ms/MB)` : '');
  const parts = Object.entries(pids).map(([k, p]) => {
    const used = cpu(p) - before[k]!;
    return `${k} ${used.toFixed(2)}${perMB(used)}`;
  });
  parts.push(`bench (both ends) ${(selfCpu() - b0).toFixed(2)}`);
  info.push(`${path.name} ${what}: ${wall.toFixed(2)} s wall; CPU s: ${parts.join(', ')}`);
  return r;
}

async function throughput(path: Path): Promise<Throughput> {
  step(`${path.name}: ${SIZE / 2 ** 20} MiB up, down, then over ${CONNS} connections`);
  // a short warm-up (JIT, the windows opening)
  await upload(path.port, 8 * 2 ** 20);
  await download(path.port, 8 * 2 ** 20);
  const up1 = mbps(SIZE, await cpuOf(path, `upload 1×${SIZE / 2 ** 20} MiB`, () => upload(path.port, SIZE), SIZE));
  const down1 = mbps(SIZE, await cpuOf(path, `download 1×${SIZE / 2 ** 20} MiB`, () => download(path.port, SIZE), SIZE));
  const each = Math.floor(SIZE / CONNS);
  const upN = mbps(each * CONNS, await cpuOf(path, `upload ${CONNS}×${each / 2 ** 20} MiB`, () => parallel('upload', path.port, SIZE, CONNS), each * CONNS));
  const downN = mbps(each * CONNS, await cpuOf(path, `download ${CONNS}×${each / 2 ** 20} MiB`, () => parallel('download', path.port, SIZE, CONNS), each * CONNS));
  step(`${path.name}: up ${fmtMB(up1)}, down ${fmtMB(down1)}, ${CONNS}× up ${fmtMB(upN)}, ${CONNS}× down ${fmtMB(downN)}`);
  return { up1, down1, upN, downN };
}

async function latency(path: Path): Promise<{ p50: number; p99: number }> {
  const t = (await pingPong(path.port, ROUNDS)).sort((a, b) => a - b);
  const r = { p50: pct(t, 50), p99: pct(t, 99) };
  step(`${path.name}: ping-pong median ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)}`);
  return r;
}

/** Keystrokes through an interactive shell session: write one character, wait for its echo. */
async function keystrokes(server: Process, target: string): Promise<number[]> {
  const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  const s = await startSession(ssm, { target });
  let out = '';
  let waiting: { want: string; resolve: () => void } | undefined;
  s.channel.onData = (type, payload) => {
    if (type !== PayloadType.Output) return;
    out += payload.toString('latin1');
    if (waiting && out.includes(waiting.want)) {
      const w = waiting;
      waiting = undefined;
      w.resolve();
    }
  };
  const expect = (want: string, send: () => void, timeoutMs = 10_000) =>
    new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no ${JSON.stringify(want)} within ${timeoutMs} ms; output so far ${JSON.stringify(out.slice(-300))}`)), timeoutMs);
      waiting = { want, resolve: () => (clearTimeout(timer), res()) };
      send();
    });
  const times: number[] = [];
  try {
    await s.channel.ready;
    s.channel.write(PayloadType.Size, sizePayload(250, 50));
    await expect('capstan-ready', () => s.channel.write(PayloadType.Output, Buffer.from("echo capstan''-ready\n")));
    await sleep(200);
    for (let i = 0; i < KEYS + 20; i++) {
      if (i % 50 === 0) {
        // a fresh line now and then (Ctrl-U), not timed
        s.channel.write(PayloadType.Output, Buffer.from('\x15'));
        await sleep(50);
      }
      out = '';
      const t0 = performance.now();
      await expect('x', () => s.channel.write(PayloadType.Output, Buffer.from('x')));
      if (i >= 20) times.push(performance.now() - t0);
      await sleep(10); // a fast typist's pace is ~10 keys/s; 10 ms keeps the run short
    }
  } finally {
    s.channel.write(PayloadType.Flag, flagPayload(FlagValue.TerminateSession));
    await s.channel.flush(1_000);
    s.channel.close('bench done');
    await s.terminate();
    ssm.destroy();
  }
  return times;
}

// ---------------------------------------------------------------------------------------------

const tStart = performance.now();
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
/** COPY bytes to the node and back through one file-copy session; MB/s each way. */
async function fileCopy(server: Process, target: string, dir: string): Promise<{ up: number; down: number }> {
  const src = join(dir, 'copy-src.bin');
  const fd = openSync(src, 'w');
  for (let left = COPY; left > 0; left -= 1024 * 1024) writeSync(fd, randomBytes(Math.min(left, 1024 * 1024)));
  closeSync(fd);
  const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  const s = await startSession(ssm, { target, documentName: 'Capstan-StartFileCopySession' });
  try {
    await s.channel.ready;
    const pm = new PortMux(s.channel);
    const onNode = join(dir, 'copy-on-node.bin');
    let t0 = performance.now();
    await copyFile(s.channel, { op: 'put', target, remote: onNode, local: src }, pm);
    const up = mbps(COPY, performance.now() - t0);
    t0 = performance.now();
    await copyFile(s.channel, { op: 'get', target, remote: onNode, local: join(dir, 'copy-back.bin') }, pm);
    const down = mbps(COPY, performance.now() - t0);
    if (statSync(join(dir, 'copy-back.bin')).size !== COPY) throw new Error('the copied file came back with another size');
    return { up, down };
  } finally {
    s.channel.close();
    await s.terminate();
    ssm.destroy();
  }
}

const loadAtStart = loadavg();
const work = mkdtempSync(join(tmpdir(), 'capstan-bench-sessions-'));
let server: Process | undefined;
let agent: Agent | undefined;
let forward: Forward | undefined;
let ssh: SshTunnel | undefined;
const service = await startService();
const tp: Record<string, Throughput> = {};
const lat: Record<string, { p50: number; p99: number }> = {};
let sshWhyNot: string | undefined;
try {
  server = await startCapstan();
  step(`server at ${server.url}; building and registering the agent`);
  agent = await startAgent(server, work);
  step(`agent online as ${agent.instanceId}; starting port-forward to 127.0.0.1:${service.port}`);
  forward = await startForward(server, agent.instanceId, service.port);
  const srv = server;
  const ag = agent;
  const fw = forward;

  const raw: Path = { name: 'raw TCP', port: service.port, pids: () => ({}) };
  const pf: Path = { name: 'port-forward', port: fw.localPort, pids: () => ({ client: fw.proc.pid, server: srv.pid, agent: ag.proc.pid }) };

  tp['raw'] = await throughput(raw);
  tp['pf'] = await throughput(pf);
  lat['raw'] = await latency(raw);
  lat['pf'] = await latency(pf);

  sshWhyNot = values['skip-ssh'] ? 'skipped (--skip-ssh)' : sshUnavailable();
  if (!sshWhyNot) {
    try {
      ssh = await startSshTunnel(service.port, step);
      const t = ssh;
      const sp: Path = { name: `ssh -L (${t.cipher})`, port: t.localPort, pids: () => ({ ssh: t.pids.ssh, sshd: t.sessionPid() }) };
      tp['ssh'] = await throughput(sp);
      lat['ssh'] = await latency(sp);
    } catch (e) {
      sshWhyNot = `sshd could not run here: ${(e as Error).message}`;
    } finally {
      await ssh?.stop();
    }
  }
  if (sshWhyNot) step(`ssh -L not measured: ${sshWhyNot}`);

  step(`keystroke echo: ${KEYS} keystrokes through a shell session`);
  const cpuBefore = { server: cpu(srv.pid), agent: cpu(ag.proc.pid) };
  const keys = (await keystrokes(srv, ag.instanceId)).sort((a, b) => a - b);
  info.push(`keystrokes: CPU s during the ${KEYS + 20} keystrokes (session start included): server ${(cpu(srv.pid) - cpuBefore.server).toFixed(2)}, agent ${(cpu(ag.proc.pid) - cpuBefore.agent).toFixed(2)}`);
  const k50 = pct(keys, 50);
  const k99 = pct(keys, 99);
  results.push({ name: 'keystroke echo, shell session: median', target: '< 5 ms', ok: k50 < 5, detail: `${fmtMs(k50)} (p99 ${fmtMs(k99)}, max ${fmtMs(keys[keys.length - 1]!)}; ${keys.length} keystrokes)` });
  results.push({ name: 'keystroke echo, shell session: p99', target: '< 5 ms', ok: k99 < 5, detail: fmtMs(k99) });

  step(`file copy: ${COPY / 2 ** 20} MiB to the node and back`);
  const cp = await fileCopy(srv, ag.instanceId, work);
  const pf1 = tp['pf'];
  results.push({ name: 'file copy (capstan cp), upload', target: 'report', ok: undefined, detail: `${fmtMB(cp.up)}${pf1 ? ` (port-forward, 1 connection: ${fmtMB(pf1.up1)})` : ''}` });
  results.push({ name: 'file copy (capstan cp), download', target: 'report', ok: undefined, detail: `${fmtMB(cp.down)}${pf1 ? ` (port-forward, 1 connection: ${fmtMB(pf1.down1)})` : ''}` });
} catch (e) {
  console.error((e as Error).stack ?? e);
  if (forward) console.error(`port-forward output: ${forward.out().slice(-2000)}`);
  if (agent) console.error(`agent output: ${agent.out().slice(-2000)}`);
  process.exitCode = 1;
} finally {
  if (forward) await stopProc(forward.proc);
  if (agent) await stopProc(agent.proc);
  if (server) await server.stop();
  await service.close();
  rmSync(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Report.

const T = (k: string) => tp[k];
const pf = T('pf');
const rawT = T('raw');
const sshT = T('ssh');
if (pf) {
  const rows: [string, keyof Throughput][] = [
    ['1 connection, upload (client → node)', 'up1'],
    ['1 connection, download (node → client)', 'down1'],
    [`${CONNS} connections, upload (aggregate)`, 'upN'],
    [`${CONNS} connections, download (aggregate)`, 'downN'],
  ];
  for (const [label, k] of rows) {
    const v = pf[k];
    results.push({ name: `port-forward throughput, ${label}`, target: '≥ 100 MB/s', ok: v >= 100, detail: fmtMB(v) });
    const s = sshT?.[k];
    results.push({
      name: `  … vs ssh -L`,
      target: '≥ 50 %',
      ok: s !== undefined ? v >= 0.5 * s : undefined,
      detail: s !== undefined ? `${Math.round((100 * v) / s)} % (ssh -L ${fmtMB(s)}; raw TCP ${rawT ? fmtMB(rawT[k]) : '?'})` : `ssh -L not measured (${sshWhyNot ?? 'see above'}); raw TCP ${rawT ? fmtMB(rawT[k]) : '?'}`,
    });
  }
}
for (const [k, label] of [['raw', 'raw loopback TCP'], ['pf', 'port-forward'], ['ssh', 'ssh -L']] as const) {
  const l = lat[k];
  if (!l) continue;
  results.push({ name: `1-byte round trip, ${label}`, target: 'report', ok: undefined, detail: `median ${fmtMs(l.p50)}, p99 ${fmtMs(l.p99)}${k !== 'raw' && lat['raw'] ? ` (adds ${fmtMs(l.p50 - lat['raw'].p50)} to the median)` : ''}` });
}

console.log(`Sessions on one machine (2 cores, loopback), ${((performance.now() - tStart) / 1000).toFixed(0)} s in all; load average ${loadAtStart} at the start, ${loadavg()} at the end`);
console.log('  One server process (SQLite, defaults), one bundled agent (node capstan-agent.mjs agent run), the service on the node and the load in the bench process.');
console.log(`  port-forward: \`capstan session port-forward\` from source (node --import tsx packages/cli/src/main.ts), fast transport with the mux; ${SIZE / 2 ** 20} MiB per transfer (${CONNS} connections: ${SIZE / CONNS / 2 ** 20} MiB each); MB = 10^6 bytes.`);
console.log(`  ssh -L: ${sshT ? `a private sshd (OpenSSH, cipher ${ssh?.cipher ?? '?'}), ssh -N -L` : `not measured: ${sshWhyNot}`}. Round trips: ${ROUNDS} after 100 warm-up ones, one connection.`);
console.log(`  keystrokes: the CLI's session modules (startSession, ClientChannel) in the bench process, \`sh\` on a PTY on the node; one 'x' at a time, timed until its echo; ${KEYS} after 20 warm-up ones, 10 ms apart.`);
for (const r of results) console.log(`  ${r.ok === undefined ? '    ' : r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(58)} ${r.target.padEnd(10)} ${r.detail}`);
for (const line of info) console.log(`  note: ${line}`);
if (profileDir) {
  console.log(`  CPU profiles in ${profileDir} (busiest thread of each process; the whole run):`);
  const wanted = [/^payloadDigest /, /^decodeAgentMessage /, /^encodeAgentMessage /, /^_?(un)?mask /, /^(applyMask|frame) /, /^(writev|writeBuffer)$/, /^receive .*(reliable|mux|capstan-agent)/, /^transmitNew /];
  for (const name of ['port-forward', 'server', 'agent']) {
    const s = summarizeDir(join(profileDir, name), 12, wanted);
    for (const line of s ? formatSummary(name, s) : [`${name}: no profile`]) console.log(`    ${line}`);
  }
}
if (results.some((r) => r.ok === false)) process.exitCode = 1;
