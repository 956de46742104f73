// A managed-node fleet on one server process with its default settings: COUNT light simulated
// agents speaking the real protocol, from a separate process (each its own Ed25519 key pair,
// registered through the real endpoint, holding a WebSocket channel with signed hellos and pings).
// Measures the time until all are Online, the server's RSS per connected agent, the time until
// all are Online again after a server restart, and one real `capstan agent run`'s idle RSS.
//   npm run bench -- agents [--count 20000] [--engine sqlite|postgres] [--in-flight 200]
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, parseArgs } from 'node:util';
import { CreateActivationCommand, DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { freshSchema } from '../packages/server/src/test-support/postgres.js';
import { ADMIN, hardFdLimit, startCapstan, withRaisedFdLimit } from './_harness.js';
import type { FromLoad, ToLoad } from './_agents-load.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'sqlite' },
    count: { type: 'string', default: '20000' },
    'in-flight': { type: 'string', default: '200' },
  },
});
const count = Number(values.count);
const inFlight = Number(values['in-flight']);
const root = new URL('..', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', join(root, 'packages/cli/src/main.ts')];
const PER_ACTIVATION = 1000; // CreateActivation's RegistrationLimit maximum
const FD_SPARE = 256; // database, listening socket, logs, registration's keep-alive sockets

// Every channel is a file descriptor on both ends. Soft limits are raised to the hard one in the
// children; the hard limit needs privileges (LimitNOFILE=, limits.conf) and is checked up front.
const hard = hardFdLimit();
if (count + FD_SPARE > hard) {
  console.error(`${count} agents need \`ulimit -n\` ≥ ${count + FD_SPARE} for the server; the hard limit here is ${hard}.\nRaise it (as root: \`ulimit -Hn 65536\`, or LimitNOFILE= under systemd) or pass --count ${hard - FD_SPARE} or fewer.`);
  process.exit(2);
}

const results: { name: string; target: string; ok: boolean; detail: string }[] = [];
const info: string[] = [];
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const rssKb = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const step = (line: string) => console.error(`[agents] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The load processes: one normally, more when one process's fd limit cannot hold them all. */
class Load {
  private procs: ChildProcess[] = [];
  private status = new Map<ChildProcess, Extract<FromLoad, { type: 'status' }>>();
  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const [command, argv] = withRaisedFdLimit(process.execPath, ['--conditions=capstan-src', '--import', 'tsx', join(root, 'bench/_agents-load.ts')]);
      const p = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      p.on('message', (m: FromLoad) => m.type === 'status' && this.status.set(p, m));
      this.procs.push(p);
    }
  }
  get size() {
    return this.procs.length;
  }
  send(i: number, m: ToLoad) {
    this.procs[i]!.send(m);
  }
  broadcast(m: ToLoad) {
    for (const p of this.procs) p.send(m);
  }
  reply(i: number, type: FromLoad['type']): Promise<FromLoad> {
    return new Promise((resolve) => {
      const on = (m: FromLoad) => m.type === type && (this.procs[i]!.off('message', on), resolve(m));
      this.procs[i]!.on('message', on);
    });
  }
  pid(i: number) {
    return this.procs[i]!.pid!;
  }
  total() {
    const sum = { online: 0, onlineSinceMark: 0, refused: 0, dialFailures: 0, lastError: undefined as string | undefined };
    for (const s of this.status.values()) {
      sum.online += s.online;
      sum.onlineSinceMark += s.onlineSinceMark;
      sum.refused += s.refused;
      sum.dialFailures += s.dialFailures;
      sum.lastError = s.lastError ?? sum.lastError;
    }
    return sum;
  }
  /** Waits until `field` reaches count; the time in ms, or undefined on timeout or a refused identity. */
  async until(field: 'online' | 'onlineSinceMark', since: number, timeoutMs: number): Promise<number | undefined> {
    for (;;) {
      const t = this.total();
      if (t[field] >= count) return performance.now() - since;
      if (t.refused > 0) throw new Error(`${t.refused} agents refused by the server: ${t.lastError}`);
      if (performance.now() - since > timeoutMs) {
        info.push(`timed out with ${t[field]} of ${count} online (dial failures ${t.dialFailures}, last error: ${t.lastError ?? 'none'})`);
        return undefined;
      }
      await sleep(100);
    }
  }
  async stop() {
    await Promise.all(this.procs.map((p) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once('exit', () => r()), p.send({ type: 'stop' }))))));
  }
}

/** Online nodes through the public API, 50 a page: what an operator's tooling would do. */
async function countOnline(ssm: SSMClient): Promise<{ online: number; ms: number; pages: number }> {
  const t0 = performance.now();
  let online = 0;
  let pages = 0;
  let NextToken: string | undefined;
  do {
    const r = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['Online'] }], MaxResults: 50, NextToken }));
    online += r.InstanceInformationList?.length ?? 0;
    pages++;
    NextToken = r.NextToken;
    if (process.env.BENCH_DEBUG) step(`page ${pages}: ${online} ${NextToken?.slice(0, 30)}`);
  } while (NextToken);
  return { online, ms: performance.now() - t0, pages };
}

const schema = values.engine === 'postgres' ? await freshSchema() : undefined;
const server = await startCapstan(schema?.url, { raiseFdLimit: true });
const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 3 });
const loadProcesses = Math.ceil(count / (hard - FD_SPARE));
const load = new Load(loadProcesses);
const stateDir = mkdtempSync(join(tmpdir(), 'capstan-bench-agent-'));
let realAgent: ChildProcess | undefined;
try {
  const rssStart = rssKb(server.pid!);
  const activations: { id: string; code: string; count: number }[] = [];
  for (let left = count; left > 0; left -= PER_ACTIVATION) {
    const n = Math.min(PER_ACTIVATION, left);
    const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n, Description: 'bench/agents' }));
    activations.push({ id: a.ActivationId!, code: a.ActivationCode!, count: n });
  }

  step(`${activations.length} activations; registering`);
  // Registration, split over the load processes by whole activations.
  let t0 = performance.now();
  const per = Math.ceil(activations.length / load.size);
  const registered = await Promise.all(
    Array.from({ length: load.size }, (_, i) => {
      const mine = activations.slice(i * per, (i + 1) * per);
      const reply = load.reply(i, 'registered');
      load.send(i, { type: 'register', url: server.url, activations: mine, inFlight: Math.ceil(inFlight / load.size), first: i * per * PER_ACTIVATION });
      return reply as Promise<Extract<FromLoad, { type: 'registered' }>>;
    }),
  );
  const regMs = performance.now() - t0;
  const regOk = registered.reduce((s, r) => s + r.ok, 0);
  const regRate = regOk / (regMs / 1000);
  results.push({ name: `register ${count} agents (${inFlight} in flight)`, target: 'all', ok: regOk === count, detail: `${regOk} in ${secs(regMs)}, ${Math.round(regRate)}/s${registered.some((r) => r.error) ? `, last error: ${registered.find((r) => r.error)!.error}` : ''}` });
  if (regOk !== count) throw new Error(`only ${regOk} of ${count} registered`);

  // The baseline is taken after registration, so the difference is the channels' cost alone.
  await sleep(2000);
  const rssBefore = rssKb(server.pid!);
  step(`registered in ${secs(regMs)}; dialling`);
  t0 = performance.now();
  load.broadcast({ type: 'connect' });
  const onlineMs = await load.until('online', t0, 300_000);
  results.push({ name: `all ${count} Online after the first dial`, target: 'all', ok: onlineMs !== undefined, detail: onlineMs !== undefined ? secs(onlineMs) : 'timed out after 300 s' });
  if (onlineMs === undefined) throw new Error('not all agents came online');
  step(`all online after ${secs(onlineMs)}; counting`);
  const counted = await countOnline(ssm);
  results.push({ name: 'DescribeInstanceInformation PingStatus=Online count', target: `${count}`, ok: counted.online === count, detail: `${counted.online}; counting took ${secs(counted.ms)} (${counted.pages} pages of 50)` });

  // Let the first round of pings land: steady state, not the connect burst.
  await sleep(5000);
  const rssAfter = rssKb(server.pid!);
  const perAgent = (rssAfter - rssBefore) / count;
  results.push({ name: 'server RSS per connected agent', target: '≤ 50 KB', ok: perAgent <= 50, detail: `${perAgent.toFixed(1)} KB (RSS ${Math.round(rssBefore / 1024)} → ${Math.round(rssAfter / 1024)} MB; ${Math.round(rssStart / 1024)} MB at start)` });
  info.push(`load process RSS: ${Array.from({ length: load.size }, (_, i) => `${Math.round(rssKb(load.pid(i)) / 1024)} MB`).join(', ')}`);

  // Restart: SIGTERM, a new process on the same data directory and port; the agents redial on their own.
  load.broadcast({ type: 'mark' });
  await sleep(100);
  t0 = performance.now();
  await server.restart!();
  step(`restarted in ${secs(performance.now() - t0)}; waiting for the fleet`);
  const upMs = performance.now() - t0;
  const backMs = await load.until('onlineSinceMark', t0, 180_000);
  const t = load.total();
  results.push({ name: `all ${count} Online again after a server restart`, target: '≤ 60 s', ok: backMs !== undefined && backMs <= 60_000, detail: `${backMs !== undefined ? secs(backMs) : 'timed out after 180 s'} from SIGTERM (server up after ${secs(upMs)}; ${t.dialFailures} failed dials in all)` });
  if (backMs !== undefined) {
    const again = await countOnline(ssm);
    results.push({ name: 'DescribeInstanceInformation Online count after restart', target: `${count}`, ok: again.online === count, detail: `${again.online}; counting took ${secs(again.ms)}` });
  }

  // One real agent, idle, on the same server.
  const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1, Description: 'bench/agents real' }));
  await promisify(execFile)(process.execPath, [...cli, 'agent', 'register', '--endpoint', server.url, '--activation-id', a.ActivationId!, '--activation-code', a.ActivationCode!, '--region', 'us-east-1', '--state-dir', stateDir], { cwd: root });
  realAgent = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let agentOut = '';
  realAgent.stdout!.on('data', (d: Buffer) => (agentOut += d.toString()));
  realAgent.stderr!.on('data', (d: Buffer) => (agentOut += d.toString()));
  await sleep(10_000);
  const agentRss = rssKb(realAgent.pid!);
  const agentOnline = /online as mi-/.test(agentOut);
  results.push({ name: 'real `capstan agent run` idle RSS (after 10 s)', target: '< 40 MB', ok: agentOnline && agentRss < 40 * 1024, detail: `${(agentRss / 1024).toFixed(1)} MB${agentOnline ? '' : `, NOT online: ${agentOut.trim().slice(-200)}`}` });
} catch (e) {
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
} finally {
  realAgent?.kill('SIGTERM');
  await load.stop();
  ssm.destroy();
  await server.stop();
  await schema?.drop();
  rmSync(stateDir, { recursive: true, force: true });
}

console.log(`Managed nodes on ${values.engine}: ${count} light simulated agents speaking the real protocol, from a separate process${loadProcesses > 1 ? ` (${loadProcesses} processes)` : ''}; server fd limit ${hard}`);
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(56)} ${r.target.padEnd(10)} ${r.detail}`);
for (const line of info) console.log(`  note: ${line}`);
if (results.some((r) => !r.ok)) process.exitCode = 1;
