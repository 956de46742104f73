// A bounded soak of one server process with its default settings: for MINUTES, at once,
//  - AGENTS light simulated agents (bench/_fanout-load.ts, a separate process: the real protocol,
//    each its own Ed25519 key) holding their channels and pinging at the server's interval
//    (every 30 s, each agent's first ping at a random point of it);
//  - GetParameter at READS per second from another process (bench/_soak-reads.ts), open loop:
//    each call's latency counts from when it was due;
//  - a SendCommand (AWS-RunShellScript ['true']) to COMMAND_NODES random agents every second,
//    followed with ListCommands until every invocation is Success;
//  - a session every SESSION_EVERY seconds to a simulated session node: StartSession, the
//    client's stream socket, 4 KiB echoed, TerminateSession (bench/_soak-sessions.ts).
// Every 10 s: the server's RSS and anonymous memory (/proc/PID/status), its CPU, and each kind's
// count, p50, p99 and errors. Then a table per minute and a verdict per criterion:
//  - memory flat: the last third's lowest RSS no more than max(10 %, 20 MB) above the middle
//    third's (the first third is warm-up: JIT, caches, connection pools; the lowest, since RSS
//    climbs tens of MB between V8's major collections and falls back after each);
//  - p99 within the targets in every minute: GetParameter < 20 ms, a command to a few nodes
//    complete < 1 s, a session open (StartSession → the node's first message) < 1 s;
//  - no error of any kind (failed or late calls, commands not Success, channels dropped).
//   npm run bench -- soak [--minutes 10] [--agents 2000] [--reads 2000] [--engine sqlite|postgres]
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateActivationCommand, DescribeInstanceInformationCommand, ListCommandsCommand, PutParameterCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { freshSchema } from '../packages/server/src/test-support/postgres.js';
import { ADMIN, hardFdLimit, startCapstan, withRaisedFdLimit } from './_harness.js';
import { Load } from './_fanout-driver.js';
import type { RunReport } from './_fanout-load.js';
import type { FromReads, ToReads } from './_soak-reads.js';
import { sessionCycle, sessionNode } from './_soak-sessions.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    agents: { type: 'string', default: '2000' },
    reads: { type: 'string', default: '2000' },
    engine: { type: 'string', default: 'sqlite' },
  },
});
const minutes = Number(values.minutes);
const agentCount = Number(values.agents);
const readRate = Number(values.reads);
const engine = values.engine === 'postgres' ? 'postgres' : 'sqlite';
const root = new URL('..', import.meta.url).pathname;
const PER_ACTIVATION = 1000; // CreateActivation's RegistrationLimit maximum
const FD_SPARE = 256;
const SAMPLE_MS = 10_000;
const COMMAND_NODES = 5;
const SESSION_EVERY_MS = 5_000;
const PARAMETERS = 100;
const TARGET = { readP99: 20, commandP99: 1000, sessionOpenP99: 1000 };
const FINISHED = ['Success', 'Failed', 'TimedOut', 'Cancelled'];

const step = (line: string) => console.error(`[soak] ${line}`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const now = () => performance.now();
const statusKb = (pid: number, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const TICK = 100; // USER_HZ on Linux
const cpu = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
};
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN);
const fmt = (v: number) => (Number.isNaN(v) ? '-' : v >= 100 ? `${Math.round(v)}` : v.toFixed(1));
const mb = (kb: number) => kb / 1024;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** What happened in one 10-second window. */
interface Sample {
  at: number; // s since the load started
  rssKb: number;
  anonKb: number;
  cpuS: number;
  reads: number[];
  readsDue: number;
  readErrors: number;
  commands: number[];
  commandErrors: number;
  sessions: number[];
  sessionErrors: number;
  online: number;
  pings: number;
  pongs: number;
  channelDrops: number;
}

const hard = hardFdLimit();
if (agentCount + FD_SPARE > hard) {
  console.error(`${agentCount} agents need \`ulimit -n\` ≥ ${agentCount + FD_SPARE}; the hard limit here is ${hard}. Pass --agents ${hard - FD_SPARE} or fewer.`);
  process.exit(2);
}

const schema = engine === 'postgres' ? await freshSchema() : undefined;
const server = await startCapstan(schema?.url, { raiseFdLimit: true });
const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
const load = new Load();
const [readsCmd, readsArgv] = withRaisedFdLimit(process.execPath, ['--conditions=capstan-src', '--import', 'tsx', join(root, 'bench/_soak-reads.ts')]);
const reads = spawn(readsCmd, readsArgv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const toReads = (m: ToReads) => reads.send(m);
const fromReads = <T extends FromReads['type']>(type: T) => new Promise<Extract<FromReads, { type: T }>>((resolve) => {
  const on = (m: FromReads) => m.type === type && (reads.off('message', on), resolve(m as Extract<FromReads, { type: T }>));
  reads.on('message', on);
});

const samples: Sample[] = [];
const errorsSeen = new Map<string, number>();
const noteError = (kind: string, e: unknown) => {
  const key = `${kind}: ${(e as Error).message ?? e}`.slice(0, 200);
  errorsSeen.set(key, (errorsSeen.get(key) ?? 0) + 1);
};
const loadAtStart = loadavg();
let stopping = false;
let failure: unknown;
let current = { commands: [] as number[], commandErrors: 0, sessions: [] as number[], sessionErrors: 0 };

try {
  // Fleet.
  const activations: { id: string; code: string; count: number }[] = [];
  for (let left = agentCount; left > 0; left -= PER_ACTIVATION) {
    const n = Math.min(PER_ACTIVATION, left);
    const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n, Description: 'bench/soak' }));
    activations.push({ id: a.ActivationId!, code: a.ActivationCode!, count: n });
  }
  const registeredP = load.next('registered');
  load.send({ type: 'register', url: server.url, activations, inFlight: 200 });
  const reg = (await registeredP)!;
  if (reg.ok !== agentCount) throw new Error(`only ${reg.ok} of ${agentCount} agents registered (${reg.error})`);
  const connectedP = load.next('connected');
  load.send({ type: 'connect', pings: 'steady' });
  const con = (await connectedP)!;
  if (con.online !== agentCount) throw new Error(`only ${con.online} of ${agentCount} agents online (${con.error})`);
  step(`${agentCount} agents registered in ${(reg.ms / 1000).toFixed(1)} s, online in ${(con.ms / 1000).toFixed(1)} s`);

  const instanceIds: string[] = [];
  let NextToken: string | undefined;
  do {
    const r = await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 50, NextToken }));
    for (const i of r.InstanceInformationList ?? []) instanceIds.push(i.InstanceId!);
    NextToken = r.NextToken;
  } while (NextToken);
  const sessionTarget = await sessionNode(ssm, server.url);
  const names = Array.from({ length: PARAMETERS }, (_, i) => `/soak/config/p${String(i).padStart(3, '0')}`);
  for (const [i, Name] of names.entries()) await ssm.send(new PutParameterCommand({ Name, Value: `value-${i}-${'x'.repeat(64)}`, Type: 'String' }));
  step(`${instanceIds.length} nodes listed, session node ${sessionTarget.instanceId}, ${PARAMETERS} parameters; loading for ${minutes} min`);

  // Load.
  toReads({ type: 'start', url: server.url, credentials: ADMIN, names, rate: readRate });
  await fromReads('started');
  load.send({ type: 'arm' });
  const report = async () => {
    load.send({ type: 'report' });
    return (await load.next('report', 10_000)) as (RunReport & { type: 'report' }) | undefined;
  };
  const t0 = now();
  const end = t0 + minutes * 60_000;

  const commandLoop = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (let k = 0; !stopping && now() < end; k++) {
      const p = (async () => {
        const ids = Array.from({ length: COMMAND_NODES }, () => instanceIds[Math.floor(Math.random() * instanceIds.length)]!);
        const started = now();
        try {
          const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, InstanceIds: [...new Set(ids)], Comment: 'bench/soak' }), { abortSignal: AbortSignal.timeout(10_000) });
          const id = sent.Command!.CommandId!;
          for (;;) {
            const c = (await ssm.send(new ListCommandsCommand({ CommandId: id }), { abortSignal: AbortSignal.timeout(10_000) })).Commands![0]!;
            if (FINISHED.includes(c.Status!) && c.CompletedCount === c.TargetCount) {
              if (c.Status !== 'Success') throw new Error(`command ended ${c.Status}`);
              current.commands.push(now() - started);
              return;
            }
            if (now() - started > 30_000) throw new Error(`command not complete after 30 s: ${c.Status} ${c.CompletedCount}/${c.TargetCount}`);
            await sleep(50);
          }
        } catch (e) {
          current.commandErrors++;
          noteError('command', e);
        }
      })();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      await sleep(Math.max(0, t0 + (k + 1) * 1000 - now()));
    }
    await Promise.all(inFlight);
  })();

  const sessionLoop = (async () => {
    for (let k = 0; !stopping && now() < end; k++) {
      try {
        current.sessions.push((await sessionCycle(ssm, sessionTarget)).openMs);
      } catch (e) {
        current.sessionErrors++;
        noteError('session', e);
      }
      await sleep(Math.max(0, t0 + (k + 1) * SESSION_EVERY_MS - now()));
    }
  })();

  let lastPings = 0;
  let lastPongs = 0;
  let lastDrops = 0;
  let lastCpu = cpu(server.pid!);
  for (let k = 1; now() < end; k++) {
    await sleep(Math.max(0, t0 + k * SAMPLE_MS - now()));
    toReads({ type: 'sample' });
    const [r, fleet] = await Promise.all([fromReads('sample'), report()]);
    const w = current;
    current = { commands: [], commandErrors: 0, sessions: [], sessionErrors: 0 };
    const c = cpu(server.pid!);
    const s: Sample = {
      at: Math.round((now() - t0) / 1000),
      rssKb: statusKb(server.pid!, 'VmRSS'),
      anonKb: statusKb(server.pid!, 'RssAnon'),
      cpuS: c - lastCpu,
      reads: r.latencies,
      readsDue: r.due,
      readErrors: r.errors,
      ...w,
      online: fleet?.online ?? NaN,
      pings: (fleet?.pings ?? lastPings) - lastPings,
      pongs: (fleet?.pongs ?? lastPongs) - lastPongs,
      channelDrops: (fleet?.closedDuringRun ?? lastDrops) - lastDrops,
    };
    lastCpu = c;
    lastPings = fleet?.pings ?? lastPings;
    lastPongs = fleet?.pongs ?? lastPongs;
    lastDrops = fleet?.closedDuringRun ?? lastDrops;
    if (r.errors) noteError('GetParameter', new Error(r.lastError ?? 'failed'));
    if (!fleet) noteError('fleet', new Error('the load process did not report within 10 s'));
    samples.push(s);
    const sorted = [...s.reads].sort((a, b) => a - b);
    step(
      `${s.at} s: RSS ${fmt(mb(s.rssKb))} MB (anon ${fmt(mb(s.anonKb))}), CPU ${fmt((100 * s.cpuS) / (SAMPLE_MS / 1000))} %; GetParameter ${s.reads.length}/${s.readsDue} p50 ${fmt(pct(sorted, 50))} p99 ${fmt(pct(sorted, 99))} ms, ${s.readErrors} errors (${r.inFlight} in flight); ` +
        `commands ${s.commands.length} (${s.commandErrors} errors); sessions ${s.sessions.length} (${s.sessionErrors} errors); online ${s.online}, pings ${s.pings}/${s.pongs} answered, drops ${s.channelDrops}`,
    );
  }
  stopping = true;
  await Promise.all([commandLoop, sessionLoop]);
  await sessionTarget.close();
} catch (e) {
  failure = e;
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
} finally {
  stopping = true;
  toReads({ type: 'stop' });
  await load.stop();
  ssm.destroy();
  await server.stop();
  await schema?.drop();
}

// ---------------------------------------------------------------------------------------------
// Report.

const sortedOf = (list: Sample[], f: (s: Sample) => number[]) => list.flatMap(f).sort((a, b) => a - b);
const sum = (list: Sample[], f: (s: Sample) => number) => list.reduce((t, s) => t + f(s), 0);
const mean = (list: Sample[], f: (s: Sample) => number) => (list.length ? sum(list, f) / list.length : NaN);
const errorsOf = (s: Sample) => s.readErrors + s.commandErrors + s.sessionErrors + s.channelDrops + (s.online === agentCount ? 0 : 1);

console.log(`Soak on ${engine}: ${minutes} min, ${agentCount} simulated agents (pings every 30 s), GetParameter at ${readRate}/s open loop, a command to ${COMMAND_NODES} nodes every 1 s, a session every ${SESSION_EVERY_MS / 1000} s; one server process, default settings`);
console.log(`  load average ${loadAtStart} at the start, ${loadavg()} at the end (2 cores, shared with other work: latencies include that)`);
const byMinute: Sample[][] = [];
for (const s of samples) (byMinute[Math.ceil(s.at / 60) - 1] ??= []).push(s);
console.log('');
console.log('  | min | RSS MB | anon MB | CPU % | GetParameter /s | p50 ms | p99 ms | commands | p50 ms | p99 ms | sessions | open p50 ms | open p99 ms | pings answered | errors |');
console.log('  |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [i, m] of byMinute.entries()) {
  if (!m) continue;
  const r = sortedOf(m, (s) => s.reads);
  const c = sortedOf(m, (s) => s.commands);
  const se = sortedOf(m, (s) => s.sessions);
  const secs = (m.length * SAMPLE_MS) / 1000;
  console.log(
    `  | ${i + 1} | ${fmt(mb(mean(m, (s) => s.rssKb)))} | ${fmt(mb(mean(m, (s) => s.anonKb)))} | ${fmt((100 * sum(m, (s) => s.cpuS)) / secs)} | ${Math.round(r.length / secs)} | ${fmt(pct(r, 50))} | ${fmt(pct(r, 99))} | ${c.length} | ${fmt(pct(c, 50))} | ${fmt(pct(c, 99))} | ${se.length} | ${fmt(pct(se, 50))} | ${fmt(pct(se, 99))} | ${sum(m, (s) => s.pongs)}/${sum(m, (s) => s.pings)} | ${sum(m, errorsOf)} |`,
  );
}
console.log('');

const verdicts: { name: string; ok: boolean; detail: string }[] = [];
if (samples.length >= 3) {
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  // The floor, not the mean: V8 lets the old generation grow by tens of MB between major
  // collections, and a mean over a third that catches one such climb says nothing of a leak.
  // What a collection cannot give back raises the floor.
  const floor = (list: Sample[]) => Math.min(...list.map((s) => s.rssKb));
  const mid = floor(middle);
  const fin = floor(last);
  const allowed = Math.max(0.1 * mid, 20 * 1024);
  verdicts.push({
    name: 'memory flat (last third lowest RSS ≤ middle third lowest + max(10 %, 20 MB))',
    ok: fin - mid <= allowed,
    detail: `${fmt(mb(mid))} → ${fmt(mb(fin))} MB (${fin >= mid ? '+' : ''}${fmt(mb(fin - mid))} MB; allowed +${fmt(mb(allowed))}); means ${fmt(mb(mean(middle, (s) => s.rssKb)))} → ${fmt(mb(mean(last, (s) => s.rssKb)))} MB, highest ${fmt(mb(Math.max(...last.map((s) => s.rssKb))))} MB; anonymous lowest ${fmt(mb(Math.min(...middle.map((s) => s.anonKb))))} → ${fmt(mb(Math.min(...last.map((s) => s.anonKb))))} MB; RSS first sample ${fmt(mb(samples[0]!.rssKb))}, last ${fmt(mb(samples.at(-1)!.rssKb))} MB`,
  });
} else verdicts.push({ name: 'memory flat', ok: false, detail: `only ${samples.length} samples` });
const worst = (f: (s: Sample) => number[]) => {
  let w = { p99: -Infinity, minute: 0 };
  for (const [i, m] of byMinute.entries()) {
    const p = pct(sortedOf(m ?? [], f), 99);
    if (!Number.isNaN(p) && p > w.p99) w = { p99: p, minute: i + 1 };
  }
  return w;
};
for (const [name, f, target] of [
  ['GetParameter p99', (s: Sample) => s.reads, TARGET.readP99],
  [`command to ${COMMAND_NODES} nodes complete p99`, (s: Sample) => s.commands, TARGET.commandP99],
  ['session open p99', (s: Sample) => s.sessions, TARGET.sessionOpenP99],
] as const) {
  const all = sortedOf(samples, f);
  const w = worst(f);
  verdicts.push({ name: `${name} < ${target} ms in every minute`, ok: all.length > 0 && w.p99 < target, detail: `worst minute ${w.minute}: ${fmt(w.p99)} ms; whole run p50 ${fmt(pct(all, 50))}, p99 ${fmt(pct(all, 99))}, max ${fmt(all.at(-1) ?? NaN)} ms over ${all.length} calls` });
}
const totalErrors = sum(samples, errorsOf);
const readsDue = sum(samples, (s) => s.readsDue);
verdicts.push({
  name: 'no errors',
  ok: !failure && totalErrors === 0 && samples.length > 0,
  detail: `${totalErrors} (GetParameter ${sum(samples, (s) => s.readErrors)} of ${readsDue}, commands ${sum(samples, (s) => s.commandErrors)}, sessions ${sum(samples, (s) => s.sessionErrors)}, channels dropped ${sum(samples, (s) => s.channelDrops)}, samples with agents offline ${samples.filter((s) => s.online !== agentCount).length})${failure ? `; the run failed: ${(failure as Error).message}` : ''}`,
});
for (const v of verdicts) console.log(`  ${v.ok ? 'ok  ' : 'MISS'} ${v.name.padEnd(72)} ${v.detail}`);
for (const [e, n] of errorsSeen) console.log(`  error ×${n}: ${e}`);
if (verdicts.some((v) => !v.ok)) process.exitCode = 1;
