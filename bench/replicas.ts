// The price and the gain of replicas: the same two figures, side by side, for
//   1. one server on the embedded SQLite (the other benches' set-up),
//   2. one replica on PostgreSQL,
//   3. three replicas on PostgreSQL behind a TCP balancer.
// Every server is a separate `capstan server` process with its default settings, and in every
// set-up the simulated agents dial through a TcpBalancer (in this process) so the single-server
// figures carry the same extra hop as the three-replica ones.
//  a. Run Command fan-out: N simulated agents (bench/_fanout-load.ts, in its own process) register
//     and hold their channels through the balancer, so with three replicas they spread over all
//     three; one SendCommand of AWS-RunShellScript ['true'] to all, sent to replica 0; the time
//     until every agent holds the reply-ack of its final reply, and until ListCommands (on
//     replica 0) shows CompletedCount == TargetCount. Several runs on the same fleet; the median.
//     The agents count job messages they already had: a server that sends a job twice shows
//     there.
//  b. GetParameter (String) throughput as bench/parameters.ts measures it: a request pre-signed
//     with SigV4 replayed by wrk from its own process. With three replicas, one wrk per replica,
//     all at once, the connections split between them; the figure is their sum. Not through the
//     balancer: it runs in this Node process and would be the bottleneck. The servers' CPU per
//     request is reported too, as it says more than requests a second on a busy 2-core machine.
// PostgreSQL: a fresh schema per set-up on CAPSTAN_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test), dropped afterwards.
//   npm run bench -- replicas [--agents 1000] [--runs 3] [--seconds 10] [--connections 64] [--setups sqlite,pg1,pg3]
//   BENCH_AGENTS=N does what --agents does.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateActivationCommand, ListCommandsCommand, PutParameterCommand, SendCommandCommand, SSMClient, type Command } from '@aws-sdk/client-ssm';
import { freshSchema } from '../packages/server/src/test-support/postgres.js';
import { ReplicaSet } from '../packages/server/src/test-support/replica-set.js';
import { signedHeaders } from '../packages/server/src/test-support/sign.js';
import { TcpBalancer } from '../packages/server/src/test-support/tcp-balancer.js';
import { ADMIN, hardFdLimit, startCapstan, withRaisedFdLimit, wrk, type LoadResult, type RawRequest } from './_harness.js';
import { Load } from './_fanout-driver.js';
import type { FromLoad } from './_fanout-load.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: process.env.BENCH_AGENTS ?? '1000' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    setups: { type: 'string', default: 'sqlite,pg1,pg3' },
    'in-flight': { type: 'string', default: '200' },
  },
});
const agents = Number(values.agents);
const runs = Math.max(1, Number(values.runs));
const wrkSeconds = Number(values.seconds);
const connections = Number(values.connections);
const inFlight = Number(values['in-flight']);
const root = new URL('..', import.meta.url).pathname;
const PER_ACTIVATION = 1000; // CreateActivation's RegistrationLimit maximum
const NOOP = { DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] } };
const FINISHED = ['Success', 'Failed', 'TimedOut', 'Cancelled'];
const IDLE_MS = 3000;

// The balancer in this process holds two descriptors per agent, and the replicas inherit this
// process's limit (ReplicaSet does not raise it): raise the soft limit once, before anything starts.
const FD_NEEDED = 2 * agents + 512;
const softFdLimit = () => {
  const m = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
};
if (softFdLimit() < FD_NEEDED && !process.env.BENCH_REPLICAS_RAISED) {
  if (hardFdLimit() < FD_NEEDED) {
    console.error(`bench/replicas: ${agents} agents need \`ulimit -n\` ≥ ${FD_NEEDED}; the hard limit here is ${hardFdLimit()}`);
    process.exit(1);
  }
  const [command, argv] = withRaisedFdLimit(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)]);
  const r = spawnSync(command, argv, { stdio: 'inherit', env: { ...process.env, BENCH_REPLICAS_RAISED: '1' } });
  process.exit(r.status ?? 1);
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const fmtMs = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const step = (line: string) => console.error(`[replicas] ${line}`);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
/** CPU seconds (user + system) a process has used; 0 once it is gone. */
const cpu = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
};
/**
 * CPU seconds of the `postgres` processes on the machine (other users' backends included) from
 * now until the returned function is called. Per process: a backend that exits meanwhile
 * takes its CPU with it, so it is left out rather than subtracted.
 */
const postgresCpu = () => {
  const snapshot = () => {
    const m = new Map<number, number>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') m.set(Number(d), cpu(Number(d)));
      } catch {
        // gone meanwhile
      }
    }
    return m;
  };
  const before = snapshot();
  return () => {
    let sum = 0;
    for (const [pid, c] of snapshot()) sum += c - (before.get(pid) ?? 0);
    return sum;
  };
};

// ---------------------------------------------------------------------------------------------
// The set-ups, one shape: server processes with their own URLs, a balancer in front of them.

interface Setup {
  label: string;
  servers: { url: string; pid: number }[];
  balancer: TcpBalancer;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A server's output so far, when this process sees it. */
  output(i: number): string | undefined;
  stop(): Promise<void>;
}

async function sqliteSetup(): Promise<Setup> {
  const server = await startCapstan(undefined, { raiseFdLimit: true });
  const balancer = new TcpBalancer([Number(new URL(server.url).port)]);
  await balancer.listen();
  return {
    label: 'SQLite, 1 server',
    servers: [{ url: server.url, pid: server.pid! }],
    balancer,
    credentials: ADMIN,
    output: () => undefined, // BENCH_SERVER_OUTPUT=1 prints it when the server stops
    stop: async () => {
      await balancer.close();
      await stopWithin(server.pid!, () => server.stop());
    },
  };
}

async function postgresSetup(count: number): Promise<Setup> {
  const schema = await freshSchema();
  const workDir = mkdtempSync(join(tmpdir(), 'capstan-bench-replicas-'));
  let set: ReplicaSet;
  try {
    // The production pool size, not the smaller one tests use to share PostgreSQL.
    set = await ReplicaSet.start({ count, databaseUrl: schema.url, workDir, env: { CAPSTAN_DATABASE_POOL_SIZE: '10' } });
  } catch (e) {
    await schema.drop();
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  return {
    label: `PostgreSQL, ${count} replica${count > 1 ? 's' : ''}`,
    servers: set.replicas.map((r) => ({ url: r.url, pid: r.proc!.pid! })),
    balancer: set.balancer,
    credentials: { accessKeyId: set.admin.accessKeyId, secretAccessKey: set.admin.secretAccessKey },
    output: (i) => set.replicas[i]!.output,
    stop: async () => {
      try {
        await set.stop();
      } finally {
        await schema.drop();
        rmSync(workDir, { recursive: true, force: true });
      }
    },
  };
}

/** SIGKILL after 10 s: a server whose event loop is starved may not reach its SIGTERM handler for long. */
async function stopWithin(pid: number, stop: () => Promise<void>): Promise<void> {
  const killer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 10_000);
  await stop();
  clearTimeout(killer);
}

// ---------------------------------------------------------------------------------------------
// a. Fan-out.


const complete = (c: Command | undefined) => !!c && c.TargetCount !== undefined && c.CompletedCount === c.TargetCount && FINISHED.includes(c.Status!);
const shown = (c: Command | undefined) => (c ? `${c.CompletedCount}/${c.TargetCount} ${c.Status}` : 'no answer');

async function listed(ssm: SSMClient, commandId: string): Promise<Command | undefined> {
  try {
    return (await ssm.send(new ListCommandsCommand({ CommandId: commandId }), { abortSignal: AbortSignal.timeout(20_000) })).Commands?.[0];
  } catch {
    return undefined;
  }
}

/** Polls ListCommands every 50 ms until the command is complete; when that was seen, or undefined. */
async function untilComplete(ssm: SSMClient, commandId: string, timeoutMs: number): Promise<{ at: number | undefined; cmd: Command | undefined }> {
  const end = now() + timeoutMs;
  let cmd: Command | undefined;
  for (;;) {
    cmd = await listed(ssm, commandId);
    if (complete(cmd)) return { at: now(), cmd };
    if (now() > end) return { at: undefined, cmd };
    await sleep(50);
  }
}

interface FanoutFigures {
  /** Per run: SendCommand → last final reply-ack at an agent; undefined when not all came. */
  lastAck: (number | undefined)[];
  /** Per run: SendCommand → ListCommands on replica 0 complete. */
  listed: (number | undefined)[];
  sendAnswered: number[];
  /** Per run: SendCommand → the last agent got its job. */
  lastJob: (number | undefined)[];
  /** Per run: CPU seconds of all server processes, and of all postgres processes. */
  serverCpu: number[];
  pgCpu: number[];
  /** Agents' channels per replica (connections the balancer gave each during the dial). */
  spread: number[];
  notes: string[];
}

async function fanout(s: Setup): Promise<FanoutFigures> {
  const out: FanoutFigures = { lastAck: [], listed: [], sendAnswered: [], lastJob: [], serverCpu: [], pgCpu: [], spread: [], notes: [] };
  const clients = s.servers.map((srv) => new SSMClient({ endpoint: srv.url, region: 'us-east-1', credentials: s.credentials, maxAttempts: 1 }));
  const ssm = clients[0]!;
  const load = new Load();
  try {
    const acts: { id: string; code: string; count: number }[] = [];
    for (let left = agents; left > 0; left -= PER_ACTIVATION) {
      const n = Math.min(PER_ACTIVATION, left);
      const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n, Description: 'bench/replicas' }));
      acts.push({ id: a.ActivationId!, code: a.ActivationCode!, count: n });
    }
    const registeredP = load.next('registered');
    load.send({ type: 'register', url: s.balancer.url, activations: acts, inFlight });
    const reg = (await registeredP)!;
    if (reg.ok !== agents) throw new Error(`only ${reg.ok} of ${agents} agents registered (${reg.error})`);
    const ports = s.servers.map((srv) => Number(new URL(srv.url).port));
    const before = ports.map((p) => s.balancer.taken.get(p) ?? 0);
    const connectedP = load.next('connected');
    // Steady pings: ~N/30 a second arrive during the command, as in a fleet that came up over time.
    load.send({ type: 'connect', pings: 'steady' });
    const con = (await connectedP)!;
    if (con.online !== agents) throw new Error(`only ${con.online} of ${agents} agents online (${con.error})`);
    out.spread = ports.map((p, i) => (s.balancer.taken.get(p) ?? 0) - before[i]!);
    out.notes.push(`registration ${fmtMs(reg.ms)}, all ${agents} channels up in ${fmtMs(con.ms)} (not measured)`);
    step(`${s.label}: ${agents} agents online (${out.spread.join(' / ')}); ${runs} fan-out run(s)`);
    await sleep(1500);

    const pids = s.servers.map((srv) => srv.pid);
    for (let r = 0; r < runs; r++) {
      load.send({ type: 'arm' });
      // Fresh keep-alive connections: one idle past the server's keep-alive timeout may be reset under the timed call.
      await Promise.all(clients.map((c) => c.send(new ListCommandsCommand({ MaxResults: 1 }))));
      const cpuBefore = pids.reduce((sum, p) => sum + cpu(p), 0);
      const pgUsed = postgresCpu();
      const doneP = load.next('done', 60_000);
      const t0 = now();
      const sent = await ssm.send(new SendCommandCommand({ ...NOOP, Targets: [{ Key: 'InstanceIds', Values: ['*'] }], MaxConcurrency: '100%', MaxErrors: '0', Comment: 'bench/replicas no-op' }));
      out.sendAnswered.push(now() - t0);
      const commandId = sent.Command!.CommandId!;
      let done: Extract<FromLoad, { type: 'done' | 'report' }> | undefined = await doneP;
      if (!done) {
        load.send({ type: 'report' });
        done = await load.next('report', 5000);
      }
      // The server's view, polled from here on as bench/fanout.ts does: the timed path is the agents' alone.
      const confirmed = await untilComplete(ssm, commandId, 30_000);
      out.serverCpu.push(pids.reduce((sum, p) => sum + cpu(p), 0) - cpuBefore);
      out.pgCpu.push(pgUsed());
      out.lastAck.push(done?.type === 'done' ? done.lastFinalAckAt - t0 : undefined);
      out.lastJob.push(done && done.jobs === agents ? done.lastJobAt - t0 : undefined);
      out.listed.push(confirmed.at !== undefined ? confirmed.at - t0 : undefined);
      if (done?.type !== 'done') out.notes.push(`run ${r + 1}: only ${done?.acked ?? '?'} of ${agents} final replies acknowledged within 60 s (jobs seen ${done?.jobs ?? '?'}, duplicates ${done?.duplicates ?? '?'}, channels closed ${done?.closedDuringRun ?? '?'}${done?.lastError ? `, last error ${done.lastError}` : ''})`);
      else if (done.duplicates || done.closedDuringRun) out.notes.push(`run ${r + 1}: ${done.duplicates} duplicate jobs, ${done.closedDuringRun} channels closed`);
      if (confirmed.at === undefined) out.notes.push(`run ${r + 1}: ListCommands on replica 0 never showed it complete within 30 s: ${shown(confirmed.cmd)}`);
      else if (confirmed.cmd!.Status !== 'Success') out.notes.push(`run ${r + 1}: UNEXPECTED status ${confirmed.cmd!.Status}`);
      // Every replica must tell the same story once the writers are done.
      for (let i = 1; i < clients.length; i++) {
        const seen = await listed(clients[i]!, commandId);
        if (!complete(seen) || seen!.Status !== confirmed.cmd?.Status) out.notes.push(`run ${r + 1}: replica ${i} shows ${shown(seen)} while replica 0 shows ${shown(confirmed.cmd)}`);
      }
      step(`${s.label}: run ${r + 1}: SendCommand answered ${fmtMs(out.sendAnswered.at(-1)!)}, last reply-ack ${out.lastAck.at(-1) !== undefined ? fmtMs(out.lastAck.at(-1)!) : 'never'}, ListCommands complete ${out.listed.at(-1) !== undefined ? fmtMs(out.listed.at(-1)!) : 'never'}`);
      await sleep(1000);
    }
  } finally {
    await load.stop();
    for (const c of clients) c.destroy();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// b. GetParameter.

interface GetFigures {
  /** CPU seconds of each server over IDLE_MS just before the reads: background work that the reads compete with. */
  idleCpu: number[];
  perServer: (LoadResult & { connections: number; cpu: number })[];
  pgCpu: number;
  rps: number;
  non2xx: number;
}

async function getParameter(s: Setup): Promise<GetFigures> {
  const ssm = new SSMClient({ endpoint: s.servers[0]!.url, region: 'us-east-1', credentials: s.credentials, maxAttempts: 1 });
  try {
    await ssm.send(new PutParameterCommand({ Name: '/bench/one', Value: 'postgres://db.internal:5432/app', Type: 'String', Overwrite: true }));
  } finally {
    ssm.destroy();
  }
  const idleBefore = s.servers.map((srv) => cpu(srv.pid));
  await sleep(IDLE_MS);
  const idleCpu = s.servers.map((srv, i) => cpu(srv.pid) - idleBefore[i]!);
  const body = JSON.stringify({ Name: '/bench/one' });
  // Signed for each server: the signature covers the Host header, and each has its own port.
  const reqs: RawRequest[] = [];
  for (const srv of s.servers) {
    const headers = await signedHeaders({ endpoint: srv.url, service: 'ssm', credentials: s.credentials, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' }, body });
    const req = { method: 'POST', path: '/', headers, body };
    // Also proves the parameter written on replica 0 reads back on every other replica.
    const res = await fetch(srv.url, { method: 'POST', headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'host')), body });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('db.internal')) throw new Error(`GetParameter on ${srv.url} answers ${res.status}: ${text.slice(0, 300)}`);
    reqs.push(req);
  }
  const split = s.servers.map((_, i) => Math.floor(connections / s.servers.length) + (i < connections % s.servers.length ? 1 : 0));
  const all = (seconds: number) => Promise.all(s.servers.map((srv, i) => wrk(srv.url, reqs[i]!, { connections: split[i]!, seconds, threads: 1 })));
  // Each server warms up alone with all the connections, as the single server does: warmed
  // together, each of three gets a third of the requests, and V8 is still compiling the hot
  // path (on its own threads, counted in the process's CPU) while the measurement runs.
  for (let i = 0; i < s.servers.length; i++) await wrk(s.servers[i]!.url, reqs[i]!, { connections, seconds: 2, threads: 1 });
  if (s.servers.length > 1) await all(2);
  // CPU spent per request does not depend on how busy the machine is, unlike requests a second.
  const cpuBefore = s.servers.map((srv) => cpu(srv.pid));
  const pgUsed = postgresCpu();
  const results = await all(wrkSeconds);
  const pgCpu = pgUsed();
  const perServer = results.map((r, i) => ({ ...r, connections: split[i]!, cpu: cpu(s.servers[i]!.pid) - cpuBefore[i]! }));
  return { idleCpu, perServer, pgCpu, rps: perServer.reduce((sum, r) => sum + r.requestsPerSecond, 0), non2xx: perServer.reduce((sum, r) => sum + r.non2xx, 0) };
}

// ---------------------------------------------------------------------------------------------

interface Column {
  label: string;
  fan?: FanoutFigures;
  get?: GetFigures;
  error?: string;
  complaints: string[];
  loadStart: string;
  loadEnd: string;
  ms: number;
}

const makers: Record<string, () => Promise<Setup>> = { sqlite: sqliteSetup, pg1: () => postgresSetup(1), pg3: () => postgresSetup(3) };
const chosen = values.setups.split(',').filter((k) => k in makers);
const columns: Column[] = [];
const uptimeStart = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
const tStart = now();
for (const key of chosen) {
  const col: Column = { label: key, complaints: [], loadStart: loadavg(), loadEnd: '', ms: 0 };
  columns.push(col);
  const t = now();
  let setup: Setup | undefined;
  try {
    step(`${key}: starting`);
    setup = await makers[key]!();
    col.label = setup.label;
    try {
      col.fan = await fanout(setup);
    } catch (e) {
      col.error = `fan-out: ${(e as Error).message}`;
    }
    // The agents are gone before reads are measured: the reads compete with nothing of theirs.
    await sleep(2000);
    try {
      col.get = await getParameter(setup);
    } catch (e) {
      col.error = `${col.error ? `${col.error}; ` : ''}GetParameter: ${(e as Error).message}`;
    }
    if (col.error) col.error += `\n    replica 0 said: ${(setup.output(0) ?? '(set BENCH_SERVER_OUTPUT=1 to see it)').split('\n').slice(-15).join('\n    ')}`;
    // A replica that complains while the figures look fine is worth knowing about.
    setup.servers.forEach((_, i) => {
      const said = [...new Set((setup!.output(i) ?? '').split('\n').filter((l) => /warn|error|fail/i.test(l)))];
      if (said.length) col.complaints.push(`replica ${i}: ${said.slice(0, 5).join(' | ')}${said.length > 5 ? ` (+${said.length - 5} more distinct lines)` : ''}`);
    });
  } catch (e) {
    col.error = (e as Error).stack ?? String(e);
  } finally {
    await setup?.stop().catch((e: unknown) => step(`${key}: stopping failed: ${(e as Error).message}`));
  }
  col.loadEnd = loadavg();
  col.ms = now() - t;
}
const uptimeEnd = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();

const range = (xs: (number | undefined)[], f = fmtMs) => {
  const ok = xs.filter((x): x is number => x !== undefined);
  if (!ok.length) return 'never';
  const m = f(median(ok));
  const missed = xs.length - ok.length;
  return ok.length > 1 ? `${m} (${f(Math.min(...ok))}–${f(Math.max(...ok))})${missed ? ` +${missed} never` : ''}` : `${m}${missed ? ` +${missed} never` : ''}`;
};
const secs = (v: number) => `${v.toFixed(2)} s`;
const cpuCount = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || 1;
const rows: [string, (c: Column) => string][] = [
  [`fan-out, ${agents} agents: SendCommand → last reply-ack`, (c) => (c.fan ? range(c.fan.lastAck) : '-')],
  [`fan-out, ${agents} agents: SendCommand → ListCommands complete`, (c) => (c.fan ? range(c.fan.listed) : '-')],
  ['  SendCommand answered after', (c) => (c.fan ? range(c.fan.sendAnswered) : '-')],
  ['  the last agent got its job after', (c) => (c.fan ? range(c.fan.lastJob) : '-')],
  ['  agents\' channels per replica', (c) => (c.fan?.spread.length ? c.fan.spread.join(' / ') : '-')],
  ['  CPU of the server processes per fan-out', (c) => (c.fan ? range(c.fan.serverCpu, secs) : '-')],
  ['  CPU of all postgres processes per fan-out', (c) => (c.fan ? range(c.fan.pgCpu, secs) : '-')],
  [`GetParameter, ${connections} connections: req/s`, (c) => (c.get ? `${Math.round(c.get.rps)}` : '-')],
  ['  per replica req/s (connections)', (c) => (c.get ? c.get.perServer.map((r) => `${Math.round(r.requestsPerSecond)} (${r.connections})`).join(' / ') : '-')],
  ['  p50 / p99 (worst replica)', (c) => (c.get ? `${Math.max(...c.get.perServer.map((r) => r.p50ms)).toFixed(2)} / ${Math.max(...c.get.perServer.map((r) => r.p99ms)).toFixed(2)} ms` : '-')],
  ['  non-2xx', (c) => (c.get ? String(c.get.non2xx) : '-')],
  ['  server CPU per request (per replica)', (c) => (c.get ? c.get.perServer.map((r) => `${((1e6 * r.cpu) / (r.requestsPerSecond * wrkSeconds)).toFixed(0)} µs`).join(' / ') : '-')],
  ['  server / postgres CPU over the run', (c) => (c.get ? `${secs(c.get.perServer.reduce((sum, r) => sum + r.cpu, 0))} / ${secs(c.get.pgCpu)} of ${wrkSeconds * cpuCount} s` : '-')],
  [`idle server CPU over ${IDLE_MS / 1000} s before the reads`, (c) => (c.get ? c.get.idleCpu.map(secs).join(' / ') : '-')],
  ['load average at start → end of the set-up', (c) => `${c.loadStart} → ${c.loadEnd}`],
  ['set-up took', (c) => fmtMs(c.ms)],
];
const firstWidth = Math.max(...rows.map(([n]) => n.length));
const widths = columns.map((c) => Math.max(c.label.length, ...rows.map(([, f]) => f(c).length)));
const line = (first: string, cells: string[]) => `  ${first.padEnd(firstWidth)}  ${cells.map((x, i) => x.padEnd(widths[i]!)).join('  ')}`.trimEnd();

console.log(`Replicas: ${agents} simulated agents, ${runs} fan-out run(s) per set-up (median, min–max), GetParameter ${wrkSeconds} s with wrk; ${fmtMs(now() - tStart)} in all on ${cpuCount} cores`);
console.log(`  uptime at the start: ${uptimeStart}`);
console.log(`  uptime at the end:   ${uptimeEnd}`);
console.log('  Every server is its own `capstan server` process with default settings; agents dial through a TCP balancer in the bench process; SendCommand and ListCommands go to replica 0.');
console.log(line('', columns.map((c) => c.label)));
for (const [name, f] of rows) console.log(line(name, columns.map(f)));
for (const c of columns) {
  for (const n of c.fan?.notes ?? []) console.log(`  note (${c.label}): ${n}`);
  for (const n of c.complaints) console.log(`  server output (${c.label}): ${n}`);
  if (c.error) console.log(`  FAILED (${c.label}): ${c.error}`);
}
if (columns.some((c) => c.error || c.fan?.lastAck.some((x) => x === undefined) || c.fan?.listed.some((x) => x === undefined))) process.exitCode = 1;
