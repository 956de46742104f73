// The load side of bench/agents.ts, in its own process so the server's memory is measured alone:
// light simulated agents that speak the real protocol (Ed25519 registration, signed hello, pings)
// and redial like the real agent (full-jitter exponential backoff, 0.5 s doubling, cap 30 s).
// Driven over IPC by the parent; reports counts, never per-agent detail.
import type { KeyObject } from 'node:crypto';
import { registerSimulated } from './_sim-register.js';
import { answerChallenge } from '../packages/wire/src/index.js';
import WebSocket from 'ws';

const BACKOFF_START_MS = 500;
const BACKOFF_CAP_MS = 30_000;
// Pending handshakes of the first dial only: more than the server's listen backlog just drops SYNs.
const FIRST_DIAL_IN_FLIGHT = 400;

export type ToLoad =
  | { type: 'register'; url: string; activations: { id: string; code: string; count: number }[]; inFlight: number; first: number }
  | { type: 'connect' }
  | { type: 'mark' }
  | { type: 'stop' };
export type FromLoad =
  | { type: 'registered'; ok: number; failed: number; error?: string }
  | { type: 'status'; online: number; onlineSinceMark: number; refused: number; dialFailures: number; lastError?: string };

interface Agent {
  n: number;
  key: KeyObject;
  instanceId: string;
  failures: number;
  ws?: WebSocket;
  online: boolean;
  welcomedAt: number;
}

const agents: Agent[] = [];
let url = '';
let online = 0;
let refused = 0;
let dialFailures = 0;
let lastError: string | undefined;
let markAt = Infinity;
let stopping = false;

const send = (m: FromLoad) => process.send!(m);

async function registerAll(m: Extract<ToLoad, { type: 'register' }>): Promise<void> {
  url = m.url;
  const { failed, error } = await registerSimulated(url, m.activations, m.inFlight, m.first, (n, key, instanceId) =>
    agents.push({ n, key, instanceId, failures: 0, online: false, welcomedAt: 0 }),
  );
  send({ type: 'registered', ok: agents.length, failed, ...(error ? { error } : {}) });
}

/** One session; resolves when the channel closes, true if the server refused the identity. */
function session(a: Agent, onSettled?: () => void): Promise<boolean> {
  return new Promise((resolve) => {
    // Spread over loopback source addresses: one address has ~28,000 ephemeral ports, and a
    // restarted server's TIME_WAIT tuples would otherwise hold most of them for a minute.
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/capstan/agent/v1/channel`, { handshakeTimeout: 10_000, perMessageDeflate: false, localAddress: `127.0.0.${2 + (a.n % 200)}` });
    a.ws = ws;
    let pinger: NodeJS.Timeout | undefined;
    let lastPong = Date.now();
    let settled = false;
    const settle = () => {
      if (!settled) (settled = true), onSettled?.();
    };
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type?: string; nonce?: string; pingMs?: number; message?: string };
      if (m.type === 'challenge' && m.nonce) {
        settle();
        const signature = answerChallenge(m.nonce, a.instanceId, a.key);
        const info = { agentVersion: '0.1.0-sim', platformType: 'Linux', platformName: 'Ubuntu', platformVersion: '24.04', hostname: `sim-${a.n}`, ipAddress: `10.${(a.n >> 16) & 255}.${(a.n >> 8) & 255}.${a.n & 255}`, architecture: 'x64' };
        ws.send(JSON.stringify({ type: 'hello', instanceId: a.instanceId, signature, info }));
        const every = m.pingMs ?? 30_000;
        pinger = setInterval(() => {
          if (Date.now() - lastPong > 2 * every + 1000) return ws.terminate();
          ws.send(JSON.stringify({ type: 'ping' }));
        }, every);
      } else if (m.type === 'welcome') {
        lastPong = Date.now();
        a.failures = 0;
        a.online = true;
        a.welcomedAt = Date.now();
        online++;
      } else if (m.type === 'pong') lastPong = Date.now();
      else if (m.type === 'error') lastError = m.message;
    });
    ws.on('error', (e) => {
      dialFailures++;
      lastError = e.message;
    });
    ws.on('close', (code) => {
      settle();
      clearInterval(pinger);
      if (a.online) (a.online = false), online--;
      resolve(code === 4003);
    });
  });
}

async function hold(a: Agent, onSettled?: () => void): Promise<void> {
  while (!stopping) {
    if (await session(a, onSettled)) return void refused++;
    onSettled = undefined;
    if (stopping) return;
    const delay = Math.round(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** a.failures++));
    await new Promise((r) => setTimeout(r, delay));
  }
}

async function connectAll(): Promise<void> {
  let pending = 0;
  let wake: (() => void) | undefined;
  for (const a of agents) {
    while (pending >= FIRST_DIAL_IN_FLIGHT) await new Promise<void>((r) => (wake = r));
    pending++;
    void hold(a, () => {
      pending--;
      wake?.();
    });
  }
}

setInterval(() => {
  let sinceMark = 0;
  for (const a of agents) if (a.online && a.welcomedAt >= markAt) sinceMark++;
  send({ type: 'status', online, onlineSinceMark: sinceMark, refused, dialFailures, ...(lastError ? { lastError } : {}) });
}, 250).unref();

process.on('message', (m: ToLoad) => {
  if (m.type === 'register') void registerAll(m);
  else if (m.type === 'connect') void connectAll();
  else if (m.type === 'mark') markAt = Date.now();
  else if (m.type === 'stop') {
    stopping = true;
    for (const a of agents) a.ws?.terminate();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
