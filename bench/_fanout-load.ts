// The load side of bench/fanout.ts, in its own process so the server's memory and CPU are
// measured alone: light simulated agents that speak the real protocol (Ed25519 registration,
// signed hello, pings, job acks, output pieces and replies kept until the server's reply-ack)
// and run nothing: every command job is accepted and answered Success at once, with 'ok\n' as
// an output piece and as the step's preview. Driven over IPC by the parent; reports counts and
// timestamps (epoch ms, sub-millisecond: comparable across processes on this machine).
import type { KeyObject } from 'node:crypto';
import { registerSimulated } from './_sim-register.js';
import { answerChallenge, type JobMessage, type StepResult } from '../packages/wire/src/index.js';
import WebSocket from 'ws';

// Pending handshakes at once: more than the server's listen backlog just drops SYNs.
const DIAL_IN_FLIGHT = 400;
const OUTPUT = 'ok\n';

export type ToLoad =
  | { type: 'register'; url: string; activations: { id: string; code: string; count: number }[]; inFlight: number }
  /** steady: each agent's first ping at a random point of the interval, as in a fleet that came up over time; dial: pingMs after its hello, as the real agent does. */
  | { type: 'connect'; pings: 'steady' | 'dial' }
  /** Forget the last command's counters: the next command's jobs are counted afresh. */
  | { type: 'arm' }
  | { type: 'report' }
  | { type: 'stop' };
/** Where the current command stands, as this process sees it (times: epoch ms, 0 if not yet). */
export interface RunReport {
  agents: number;
  online: number;
  jobs: number;
  acked: number;
  firstJobAt: number;
  lastJobAt: number;
  firstFinalAckAt: number;
  lastFinalAckAt: number;
  duplicates: number;
  closedDuringRun: number;
  pings: number;
  pongs: number;
  lastError?: string;
}
export type FromLoad =
  | { type: 'registered'; ok: number; failed: number; ms: number; error?: string }
  | { type: 'connected'; online: number; failed: number; ms: number; error?: string }
  /** Every agent has a reply-ack for its final reply. */
  | ({ type: 'done' } & RunReport)
  /** The answer to 'report'. */
  | ({ type: 'report' } & RunReport);

interface Agent {
  n: number;
  key: KeyObject;
  instanceId: string;
  ws?: WebSocket;
  online: boolean;
  replies: number;
}

const now = () => performance.timeOrigin + performance.now();
const agents: Agent[] = [];
let url = '';
let online = 0;
let lastError: string | undefined;
let stopping = false;
let pingPhase: 'steady' | 'dial' = 'steady';

// Per command (reset by 'arm').
const run = { jobs: 0, acked: 0, firstJobAt: 0, lastJobAt: 0, firstFinalAckAt: 0, lastFinalAckAt: 0, duplicates: 0, closedDuringRun: 0, pings: 0, pongs: 0 };
/** replyId → true for the final replies not yet acknowledged. */
const finals = new Set<string>();
const seenJobs = new Set<string>();

const send = (m: FromLoad) => process.send!(m);
const report = (type: 'done' | 'report'): FromLoad => ({ type, agents: agents.length, online, ...run, ...(lastError ? { lastError } : {}) }) as FromLoad;

async function registerAll(m: Extract<ToLoad, { type: 'register' }>): Promise<void> {
  const t0 = now();
  url = m.url;
  const { failed, error } = await registerSimulated(url, m.activations, m.inFlight, 0, (n, key, instanceId) => agents.push({ n, key, instanceId, online: false, replies: 0 }));
  send({ type: 'registered', ok: agents.length, failed, ms: now() - t0, ...(error ? { error } : {}) });
}

const okStep = (stdout: string): StepResult => {
  const t = Date.now();
  return { name: 'aws:runShellScript', action: 'aws:runShellScript', status: 'Success', code: 0, startedAt: t, endedAt: t, stdout, stderr: '', stdoutBytes: Buffer.byteLength(stdout), stderrBytes: 0 };
};

function onJob(a: Agent, ws: WebSocket, job: JobMessage): void {
  const t = now();
  const key = `${a.instanceId}/${job.id}`;
  const duplicate = seenJobs.has(key);
  ws.send(JSON.stringify({ type: 'ack', id: job.id, status: duplicate ? 'duplicate' : 'accepted' }));
  if (duplicate) return void run.duplicates++;
  seenJobs.add(key);
  if (job.kind !== 'command') return;
  run.jobs++;
  if (!run.firstJobAt) run.firstJobAt = t;
  run.lastJobAt = t;
  const step = okStep(OUTPUT);
  ws.send(JSON.stringify({ type: 'output', replyId: `o${++a.replies}-${a.instanceId}`, id: job.id, step: step.name, stream: 'stdout', offset: 0, data: Buffer.from(OUTPUT).toString('base64') }));
  const replyId = `r${++a.replies}-${a.instanceId}`;
  finals.add(replyId);
  ws.send(JSON.stringify({ type: 'reply', replyId, id: job.id, status: 'Success', steps: [step] }));
}

function onReplyAck(replyId: string): void {
  if (!finals.delete(replyId)) return;
  const t = now();
  run.acked++;
  if (!run.firstFinalAckAt) run.firstFinalAckAt = t;
  run.lastFinalAckAt = t;
  if (run.acked === agents.length) send(report('done'));
}

/** One channel; resolves once it is welcomed or has failed. No redial: a drop is counted and reported. */
function dial(a: Agent): Promise<boolean> {
  return new Promise((resolve) => {
    // Spread over loopback source addresses: one address has ~28,000 ephemeral ports.
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/capstan/agent/v1/channel`, { handshakeTimeout: 20_000, perMessageDeflate: false, localAddress: `127.0.0.${2 + (a.n % 200)}` });
    a.ws = ws;
    let pinger: NodeJS.Timeout | undefined;
    let firstPing: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (ok: boolean) => {
      if (!settled) (settled = true), resolve(ok);
    };
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type?: string; nonce?: string; pingMs?: number; message?: string; replyId?: string };
      if (m.type === 'job') onJob(a, ws, m as unknown as JobMessage);
      else if (m.type === 'reply-ack' && m.replyId) onReplyAck(m.replyId);
      else if (m.type === 'pong') run.pongs++;
      else if (m.type === 'challenge' && m.nonce) {
        const signature = answerChallenge(m.nonce, a.instanceId, a.key);
        const info = { agentVersion: '0.1.0-sim', platformType: 'Linux', platformName: 'Ubuntu', platformVersion: '24.04', hostname: `sim-${a.n}`, ipAddress: `10.${(a.n >> 16) & 255}.${(a.n >> 8) & 255}.${a.n & 255}`, architecture: 'x64' };
        ws.send(JSON.stringify({ type: 'hello', instanceId: a.instanceId, signature, info }));
        // Pings as the real agent sends them, every pingMs; the server answers each after a database write.
        const every = m.pingMs ?? 30_000;
        const ping = () => (run.pings++, ws.send(JSON.stringify({ type: 'ping' })));
        firstPing = setTimeout(() => (ping(), (pinger = setInterval(ping, every))), pingPhase === 'steady' ? Math.random() * every : every);
      } else if (m.type === 'welcome') {
        a.online = true;
        online++;
        settle(true);
      } else if (m.type === 'error') lastError = m.message;
    });
    ws.on('error', (e) => (lastError = e.message));
    ws.on('close', () => {
      clearTimeout(firstPing);
      clearInterval(pinger);
      if (a.online) {
        a.online = false;
        online--;
        if (!stopping) run.closedDuringRun++;
      }
      settle(false);
    });
  });
}

async function connectAll(): Promise<void> {
  const t0 = now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(DIAL_IN_FLIGHT, agents.length) }, async () => {
      while (next < agents.length) if (!(await dial(agents[next++]!))) failed++;
    }),
  );
  send({ type: 'connected', online, failed, ms: now() - t0, ...(lastError ? { error: lastError } : {}) });
}

process.on('message', (m: ToLoad) => {
  if (m.type === 'register') void registerAll(m);
  else if (m.type === 'connect') (pingPhase = m.pings), void connectAll();
  else if (m.type === 'arm') {
    Object.assign(run, { jobs: 0, acked: 0, firstJobAt: 0, lastJobAt: 0, firstFinalAckAt: 0, lastFinalAckAt: 0, duplicates: 0, closedDuringRun: 0, pings: 0, pongs: 0 });
    finals.clear();
  } else if (m.type === 'report') send(report('report'));
  else if (m.type === 'stop') {
    stopping = true;
    for (const a of agents) a.ws?.terminate();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
