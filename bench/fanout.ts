// Run Command fan-out on one server process with its default settings (SQLite):
//  1. N light simulated agents speaking the real protocol, from a separate process (each its own
//     Ed25519 key pair, registered through the real endpoint, a WebSocket channel with a signed
//     hello; every job acked and answered Success at once with 'ok\n' as an output piece and the
//     step preview). One SendCommand of AWS-RunShellScript ['true'] to all (Targets InstanceIds=*,
//     MaxConcurrency 100%): time until every agent holds the server's reply-ack for its final
//     reply, confirmed by ListCommands CompletedCount == TargetCount; the server's peak RSS.
//  2. Real `capstan-agent run` processes (the self-contained agent of `npm run build:agent`, built
//     into a temporary directory, run by plain node), each with its own state directory: one
//     SendCommand of ['true'] to all of them; time until all invocations are terminal; server peak
//     RSS; the agents' total RSS.
//  3. Live output latency with one real agent: `echo start; sleep 2; echo marker-$(date +%s%N); sleep 1`
//     followed with AmazonSSM.CapstanFollowCommand long polls; the time from the marker's
//     timestamp on the node to the follower first seeing its bytes, median of several runs.
// The simulated agents ping every 30 s like the real one; by default each starts at a random point
// of the interval (a fleet's steady state: ~N/30 pings a second arrive during the command), with
// --pings dial 30 s after its hello (then none arrive while the command runs, right after dialling).
//   npm run bench -- fanout [--counts 1000,10000] [--real 200] [--runs 5] [--pings steady|dial] [--skip-sim] [--skip-real]
//   BENCH_PROFILE=DIR writes a CPU profile of each server process there (see bench/_harness.ts).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateActivationCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, SSMClient, type Command } from '@aws-sdk/client-ssm';
import { jsonHeaders, rawCall } from '../packages/server/src/test-support/sign.js';
import { ADMIN, hardFdLimit, startCapstan, withRaisedFdLimit, type Process } from './_harness.js';
import type { RunReport } from './_fanout-load.js';
import { Load } from './_fanout-driver.js';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '1000,10000' },
    real: { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
    'in-flight': { type: 'string', default: '200' },
    'skip-sim': { type: 'boolean', default: false },
    'skip-real': { type: 'boolean', default: false },
    pings: { type: 'string', default: 'steady' },
  },
});
const counts = values.counts.split(',').map(Number).filter((n) => n > 0);
const realCount = Number(values.real);
const runs = Number(values.runs);
const inFlight = Number(values['in-flight']);
const pingPhase = values.pings === 'dial' ? 'dial' : 'steady';
const root = new URL('..', import.meta.url).pathname;
const PER_ACTIVATION = 1000; // CreateActivation's RegistrationLimit maximum
const FD_SPARE = 256;
const TARGETS: Record<number, number> = { 1000: 1000, 10000: 5000 };
const NOOP = { DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] } };
const FINISHED = ['Success', 'Failed', 'TimedOut', 'Cancelled'];

const results: { name: string; target: string; ok: boolean | undefined; detail: string }[] = [];
const info: string[] = [];
const now = () => performance.timeOrigin + performance.now();
const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
const step = (line: string) => console.error(`[fanout] ${line}`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const status = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};
const TICK = Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
/** CPU seconds (user + system) a process has used. */
const cpu = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
};
/** CPU seconds of a process and of its children it has waited for (the agents' shells). */
const cpuWithChildren = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICK;
  } catch {
    return 0;
  }
};

/** Samples the largest RSS (KB) of a set of processes every `every` ms until stopped. */
function sampler(pids: () => number[], every = 50) {
  let peak = 0;
  const take = () => {
    let sum = 0;
    for (const p of pids()) sum += status(p, 'VmRSS');
    peak = Math.max(peak, sum);
  };
  take();
  const timer = setInterval(take, every);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

async function activations(ssm: SSMClient, count: number, what: string) {
  const out: { id: string; code: string; count: number }[] = [];
  for (let left = count; left > 0; left -= PER_ACTIVATION) {
    const n = Math.min(PER_ACTIVATION, left);
    const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n, Description: what }));
    out.push({ id: a.ActivationId!, code: a.ActivationCode!, count: n });
  }
  return out;
}

async function listed(ssm: SSMClient, commandId: string, timeoutMs = 20_000): Promise<Command> {
  return (await ssm.send(new ListCommandsCommand({ CommandId: commandId }), { abortSignal: AbortSignal.timeout(timeoutMs) })).Commands![0]!;
}

interface Confirmed {
  /** When ListCommands first showed CompletedCount == TargetCount and a final status; undefined if never. */
  at: number | undefined;
  cmd: Command | undefined;
  polls: number;
  /** The longest single ListCommands call. */
  slowestMs: number;
  error?: string;
}

/** Polls ListCommands every `every` ms until CompletedCount reaches TargetCount. */
async function untilComplete(ssm: SSMClient, commandId: string, timeoutMs: number, every = 50): Promise<Confirmed> {
  const end = now() + timeoutMs;
  const out: Confirmed = { at: undefined, cmd: undefined, polls: 0, slowestMs: 0 };
  for (;;) {
    const t = now();
    try {
      out.cmd = await listed(ssm, commandId, Math.round(Math.max(1000, end - t)));
    } catch (e) {
      out.error = `ListCommands failed after ${ms(now() - t)}: ${(e as Error).name}: ${(e as Error).message}`;
    }
    out.polls++;
    out.slowestMs = Math.max(out.slowestMs, now() - t);
    const c = out.cmd;
    if (c && c.TargetCount !== undefined && c.CompletedCount === c.TargetCount && FINISHED.includes(c.Status!)) return { ...out, at: now() };
    if (now() > end) return out;
    await sleep(every);
  }
}

const shown = (c: Confirmed) => (c.cmd ? `${c.cmd.CompletedCount}/${c.cmd.TargetCount} ${c.cmd.Status}` : 'no answer');

// ---------------------------------------------------------------------------------------------
// 1. Simulated agents.


async function simulated(count: number): Promise<void> {
  const label = `${count} simulated`;
  const server = await startCapstan(undefined, { raiseFdLimit: true });
  const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  const load = new Load();
  try {
    const acts = await activations(ssm, count, 'bench/fanout');
    step(`${label}: ${acts.length} activation(s); registering`);
    const registeredP = load.next('registered');
    load.send({ type: 'register', url: server.url, activations: acts, inFlight });
    const reg = (await registeredP)!;
    if (reg.ok !== count) throw new Error(`only ${reg.ok} of ${count} registered (${reg.error})`);
    step(`${label}: registered in ${ms(reg.ms)}; connecting`);
    const connectedP = load.next('connected');
    load.send({ type: 'connect', pings: pingPhase });
    const con = (await connectedP)!;
    if (con.online !== count) throw new Error(`only ${con.online} of ${count} online (${con.error})`);
    step(`${label}: all online in ${ms(con.ms)}; sending the command`);
    info.push(`${label}: registration ${ms(reg.ms)}, all channels up ${ms(con.ms)} (not part of the measured time)`);
    await sleep(1500);

    load.send({ type: 'arm' });
    // A fresh keep-alive connection: one idle past the server's keep-alive timeout may be reset under SendCommand.
    await ssm.send(new ListCommandsCommand({ MaxResults: 1 }));
    const rssBefore = status(server.pid!, 'VmRSS');
    const cpuBefore = cpu(server.pid!);
    const loadCpuBefore = cpu(load.proc.pid!);
    const rss = sampler(() => [server.pid!]);
    const doneP = load.next('done', 60_000);
    const t0 = now();
    const sent = await ssm.send(new SendCommandCommand({ ...NOOP, Targets: [{ Key: 'InstanceIds', Values: ['*'] }], MaxConcurrency: '100%', MaxErrors: '0', Comment: 'bench/fanout no-op' }));
    const tSent = now();
    const commandId = sent.Command!.CommandId!;
    step(`${label}: SendCommand answered after ${ms(tSent - t0)}; waiting for the replies`);
    let done: (RunReport & { type: 'done' | 'report' }) | undefined = await doneP;
    const tDoneSeen = now();
    step(`${label}: ${done ? `all reply-acks after ${ms(tDoneSeen - t0)}` : 'timed out waiting for the reply-acks'}; confirming with ListCommands`);
    if (!done) {
      load.send({ type: 'report' });
      done = await load.next('report', 5000);
    }
    // The server's own view: ListCommands, polled every 50 ms from here.
    const confirmed = await untilComplete(ssm, commandId, 30_000);
    const peak = rss.stop();
    const cpuUsed = cpu(server.pid!) - cpuBefore;
    const loadCpu = cpu(load.proc.pid!) - loadCpuBefore;
    const hwm = status(server.pid!, 'VmHWM');
    const total = done?.type === 'done' ? done.lastFinalAckAt - t0 : undefined;
    const target = TARGETS[count];
    const confirmedMs = confirmed.at !== undefined ? confirmed.at - t0 : undefined;
    results.push({
      name: `${count} simulated: SendCommand → last final reply-ack`,
      target: target ? `< ${ms(target)}` : '-',
      ok: target !== undefined ? total !== undefined && total < target : undefined,
      detail: total !== undefined ? `${ms(total)} (the last reply stored and acknowledged)` : `NOT DONE: ${done?.acked ?? '?'} of ${count} final replies acknowledged after 60 s`,
    });
    results.push({
      name: `${count} simulated: SendCommand → ListCommands all complete`,
      target: target ? `< ${ms(target)}` : '-',
      ok: target !== undefined ? confirmedMs !== undefined && confirmedMs < target : undefined,
      detail: `${confirmedMs !== undefined ? ms(confirmedMs) : 'never, within 30 s of polling'}: ${shown(confirmed)}${confirmed.error ? `; ${confirmed.error}` : ''}`,
    });
    if (done) {
      const at = (t: number) => (t ? ms(t - t0) : 'never');
      info.push(
        `${label}: SendCommand answered at ${ms(tSent - t0)} (TargetCount ${sent.Command!.TargetCount}); ${done.jobs} jobs reached the agents, first at ${at(done.firstJobAt)}, last ${at(done.lastJobAt)}; ` +
          `final reply-acks: first ${at(done.firstFinalAckAt)}, last ${at(done.lastFinalAckAt)}; ListCommands polled ${confirmed.polls}× (slowest call ${ms(confirmed.slowestMs)})` +
          (done.duplicates || done.closedDuringRun ? `; ${done.duplicates} duplicate jobs, ${done.closedDuringRun} channels closed` : ''),
      );
      info.push(`${label}: the agents' pings until then: ${done.pings} sent, ${done.pongs} answered (the server answers each after writing last_ping_at)`);
    }
    info.push(`${label}: server CPU ${cpuUsed.toFixed(2)} s over ${ms((confirmed.at ?? now()) - t0)} (2 cores here); load process CPU ${loadCpu.toFixed(2)} s`);
    results.push({ name: `${count} simulated: server peak RSS during the run`, target: 'report', ok: undefined, detail: `${mb(peak)} (${mb(rssBefore)} just before SendCommand; VmHWM since start ${mb(hwm)})` });
    if (confirmed.at !== undefined) {
      const signal = AbortSignal.timeout(20_000);
      const inv = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, MaxResults: 1 }), { abortSignal: signal })).CommandInvocations![0]!;
      const sample = (await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: inv.InstanceId! }), { abortSignal: signal })).StandardOutputContent;
      if (sample !== 'ok\n' || confirmed.cmd!.Status !== 'Success') info.push(`${label}: UNEXPECTED: status ${confirmed.cmd!.Status}, a node's output ${JSON.stringify(sample)}`);
    }
  } finally {
    await load.stop();
    ssm.destroy();
    await stopServer(server);
  }
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. Real agents.

/** The self-contained agent as nodes get it (`npm run build:agent -- --no-sea`): one ESM file run by plain node. */
async function buildAgent(dir: string): Promise<string> {
  await promisify(execFile)(process.execPath, [join(root, 'scripts/build-agent.mjs'), '--out', dir, '--no-sea'], { cwd: root });
  return join(dir, 'capstan-agent.mjs');
}

interface RealAgent {
  proc: ChildProcess;
  dir: string;
  out: string;
  online: boolean;
}

async function real(count: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'capstan-bench-fanout-'));
  const server = await startCapstan(undefined, { raiseFdLimit: true });
  const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  const agents: RealAgent[] = [];
  try {
    let t = now();
    const main = await buildAgent(join(work, 'agent'));
    step(`agent bundle built in ${ms(now() - t)}; registering ${count} real agents`);
    const acts = await activations(ssm, count, 'bench/fanout real');
    const jobs = acts.flatMap((a) => Array.from({ length: a.count }, () => a));
    t = now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < jobs.length) {
          const n = next++;
          const a = jobs[n]!;
          const dir = join(work, `agent-${n}`);
          mkdirSync(dir);
          await promisify(execFile)(process.execPath, [main, 'agent', 'register', '--endpoint', server.url, '--activation-id', a.id, '--activation-code', a.code, '--region', 'us-east-1', '--state-dir', dir]);
          agents.push({ proc: undefined as unknown as ChildProcess, dir, out: '', online: false });
        }
      }),
    );
    info.push(`real: ${count} \`capstan-agent register\` processes (8 at a time) took ${ms(now() - t)}`);
    step(`registered in ${ms(now() - t)}; starting ${count} \`capstan-agent run\``);
    t = now();
    for (const a of agents) {
      a.proc = spawn(process.execPath, [main, 'agent', 'run', '--state-dir', a.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      const on = (d: Buffer) => {
        a.out = (a.out + d.toString()).slice(-4000);
        if (!a.online && /online as mi-/.test(a.out)) a.online = true;
      };
      a.proc.stdout!.on('data', on);
      a.proc.stderr!.on('data', on);
    }
    while (agents.some((a) => !a.online) && now() - t < 120_000) await sleep(100);
    const up = agents.filter((a) => a.online).length;
    info.push(`real: ${up} of ${count} agents online ${ms(now() - t)} after starting them`);
    if (up !== count) throw new Error(`only ${up} of ${count} real agents came online; one that did not said: ${agents.find((a) => !a.online)!.out.slice(-500)}`);
    await sleep(3000); // past the start-up burst

    const agentPids = () => agents.map((a) => a.proc.pid!).filter((p) => p);
    const idleAgents = agentPids().reduce((s, p) => s + status(p, 'VmRSS'), 0);
    const rssBefore = status(server.pid!, 'VmRSS');
    const serverRss = sampler(() => [server.pid!]);
    const agentRss = sampler(agentPids, 200);
    const cpuBefore = cpu(server.pid!);
    const agentsCpuBefore = agentPids().reduce((s, p) => s + cpuWithChildren(p), 0);
    await ssm.send(new ListCommandsCommand({ MaxResults: 1 }));
    const t0 = now();
    const sent = await ssm.send(new SendCommandCommand({ ...NOOP, Targets: [{ Key: 'InstanceIds', Values: ['*'] }], MaxConcurrency: '100%', MaxErrors: '0', Comment: 'bench/fanout real no-op' }));
    const tSent = now();
    const confirmed = await untilComplete(ssm, sent.Command!.CommandId!, 120_000);
    const peak = serverRss.stop();
    const agentsPeak = agentRss.stop();
    const cpuUsed = cpu(server.pid!) - cpuBefore;
    const agentsCpu = agentPids().reduce((s, p) => s + cpuWithChildren(p), 0) - agentsCpuBefore;
    const total = confirmed.at !== undefined ? confirmed.at - t0 : undefined;
    results.push({
      name: `${count} real agents: SendCommand → all terminal`,
      target: 'report',
      ok: undefined,
      detail:
        total !== undefined
          ? `${ms(total)} (ListCommands ${shown(confirmed)}, ${confirmed.cmd!.ErrorCount} errors; SendCommand answered at ${ms(tSent - t0)})`
          : `NOT DONE after 120 s: ListCommands ${shown(confirmed)}${confirmed.error ? `; ${confirmed.error}` : ''}`,
    });
    results.push({ name: `${count} real agents: server peak RSS during the run`, target: 'report', ok: undefined, detail: `${mb(peak)} (${mb(rssBefore)} just before SendCommand)` });
    results.push({ name: `${count} real agents: agents' total RSS`, target: 'report', ok: undefined, detail: `${mb(idleAgents)} idle (${(idleAgents / 1024 / count).toFixed(1)} MB each), ${mb(agentsPeak)} at the sampled peak of the run (agent processes, not their shells)` });
    info.push(`real: CPU during the run: server ${cpuUsed.toFixed(2)} s, agents with their shells ${agentsCpu.toFixed(2)} s (${((1000 * agentsCpu) / count).toFixed(0)} ms a node), over ${ms((confirmed.at ?? now()) - t0)} on 2 cores`);
    if (confirmed.cmd?.Status !== 'Success') info.push(`real: UNEXPECTED command status ${confirmed.cmd?.Status}`);

    // 3. Live output latency: one agent; the others stop so only the follower and that agent work.
    const keep = agents[0]!;
    await Promise.all(agents.slice(1).map((a) => stopProc(a.proc)));
    await liveOutput(server, ssm, keep);
  } finally {
    await Promise.all(agents.map((a) => a.proc && stopProc(a.proc)));
    ssm.destroy();
    await stopServer(server);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * SIGTERM, and SIGKILL after 10 s: a server whose event loop is starved (see the notes) may not
 * get to its signal handler for minutes.
 */
async function stopServer(server: Process): Promise<void> {
  const pid = server.pid!;
  const killer = setTimeout(() => {
    info.push(`server ${pid} did not exit within 10 s of SIGTERM; sent SIGKILL`);
    process.kill(pid, 'SIGKILL');
  }, 10_000);
  await server.stop();
  clearTimeout(killer);
}

function stopProc(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

async function liveOutput(server: Process, ssm: SSMClient, agent: RealAgent): Promise<void> {
  const instanceId = /online as (mi-\w+)/.exec(agent.out)![1]!;
  const lags: number[] = [];
  const failures: string[] = [];
  for (let r = 0; r < runs; r++) {
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['echo start; sleep 2; echo marker-$(date +%s%N); sleep 1'] }, InstanceIds: [instanceId], Comment: 'bench/fanout live output' }));
    const commandId = sent.Command!.CommandId!;
    let cursor: string | undefined;
    let text = '';
    let seen: number | undefined;
    let marker: bigint | undefined;
    const end = now() + 30_000;
    for (;;) {
      const res = await rawCall({ endpoint: server.url, service: 'ssm', credentials: ADMIN, headers: jsonHeaders('AmazonSSM.CapstanFollowCommand'), body: JSON.stringify({ CommandId: commandId, ...(cursor ? { Cursor: cursor } : {}), WaitSeconds: 20 }) });
      const at = now();
      if (res.status !== 200) throw new Error(`CapstanFollowCommand: ${res.status} ${res.text.slice(0, 300)}`);
      const body = res.json() as { Output: { Stream: string; Data: string }[]; Cursor: string; Done: boolean };
      for (const o of body.Output) if (o.Stream === 'stdout') text += Buffer.from(o.Data, 'base64').toString('utf8');
      const m = /marker-(\d{19})\n/.exec(text);
      if (m && seen === undefined) (seen = at), (marker = BigInt(m[1]!));
      cursor = body.Cursor;
      if (body.Done || now() > end) break;
    }
    if (seen === undefined || marker === undefined) {
      failures.push(`run ${r + 1}: no marker seen; output ${JSON.stringify(text.slice(0, 200))}`);
      continue;
    }
    // The marker is the node's wall clock in ns; `seen` is this process's in ms (same machine).
    lags.push(seen - Number(marker / 1000n) / 1000);
  }
  lags.sort((a, b) => a - b);
  const median = lags.length ? lags[Math.floor((lags.length - 1) / 2)]! : undefined;
  results.push({
    name: `live output latency (1 real agent, median of ${runs})`,
    target: '< 1 s',
    ok: median !== undefined && failures.length === 0 ? median < 1000 : false,
    detail: median !== undefined ? `${ms(median)} (runs: ${lags.map((l) => ms(l)).join(', ')})${failures.length ? `; ${failures.join('; ')}` : ''}` : failures.join('; '),
  });
}

// ---------------------------------------------------------------------------------------------

const hard = hardFdLimit();
const tStart = now();
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadAtStart = loadavg();
try {
  if (!values['skip-sim']) {
    for (const n of counts) {
      if (n + FD_SPARE > hard) {
        results.push({ name: `${n} simulated`, target: '-', ok: false, detail: `needs \`ulimit -n\` ≥ ${n + FD_SPARE}; the hard limit here is ${hard}` });
        continue;
      }
      await simulated(n);
    }
  }
  if (!values['skip-real']) await real(realCount);
} catch (e) {
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
}

console.log(`Run Command fan-out on one server process (SQLite, default settings), ${ms(now() - tStart)} in all; load average ${loadAtStart} at the start, ${loadavg()} at the end (2 cores)`);
console.log('  Simulated agents are light and speak the real protocol (registration, signed hello, pings, ack, output, reply, reply-ack) from a separate process; they run nothing.');
console.log(`  Their pings: every 30 s (the server's pingMs), ${pingPhase === 'steady' ? "each agent's first at a random point of the interval, as in a fleet that came up over time (--pings dial: 30 s after each hello)" : '30 s after each hello, so none arrive in the first 30 s after the fleet dialled (--pings steady spreads them)'}.`);
console.log('  Real agents are `node capstan-agent.mjs agent run` processes (npm run build:agent) running /bin/sh; all times from just before SendCommand.');
for (const r of results) console.log(`  ${r.ok === undefined ? '    ' : r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(60)} ${r.target.padEnd(8)} ${r.detail}`);
for (const line of info) console.log(`  note: ${line}`);
if (results.some((r) => r.ok === false)) process.exitCode = 1;
