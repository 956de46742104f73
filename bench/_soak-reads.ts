// The parameter reads of bench/soak.ts, in their own process so the server's memory and CPU are
// measured alone: signed GetParameter calls over keep-alive connections at a fixed rate. Open
// loop: call i is due at start + i/rate whatever became of the calls before it, and its latency
// counts from when it was due, so a server that stalls shows as latency, not as fewer calls
// (wrk 4 paces closed loops only). HTTP/1.1 is written and read by hand on raw sockets, one call
// at a time per connection: with node:http's client, on a busy machine,
// the generator fell behind while the server sat mostly idle.
import net from 'node:net';
import { signedHeaders } from '../packages/server/src/test-support/sign.js';

export type ToReads = { type: 'start'; url: string; credentials: { accessKeyId: string; secretAccessKey: string }; names: string[]; rate: number } | { type: 'sample' } | { type: 'stop' };
/** One window since the last sample: latencies in ms (rounded to µs) of the calls answered in it. */
export type FromReads = { type: 'started' } | { type: 'sample'; due: number; latencies: number[]; errors: number; inFlight: number; lastError?: string };

// Signatures are valid for 15 minutes around their date; re-signing each minute keeps a long run inside.
const RESIGN_MS = 60_000;
const TIMEOUT_MS = 10_000;
const MAX_SOCKETS = 32;

const now = () => performance.now();
let latencies: number[] = [];
let errors = 0;
let due = 0;
let inFlight = 0;
let lastError: string | undefined;
let stopping = false;
const send = (m: FromReads) => process.send!(m);

interface Conn {
  sock: net.Socket;
  busy: { dueAt: number } | undefined;
  buf: Buffer;
  /** When its last response arrived: a connection idle near the server's keep-alive timeout is not reused. */
  idleSince: number;
  /** Closed by this client for being stale: already replaced. */
  retired?: boolean;
}

// The server closes a keep-alive connection idle for 72 s (announced as `Keep-Alive:
// timeout=72`); a request written as it does so is lost to the race every HTTP/1.1 client
// knows, so, as well-behaved clients do, one idle this long is replaced instead of reused.
const STALE_MS = 70_000;

async function run(m: Extract<ToReads, { type: 'start' }>): Promise<void> {
  const url = new URL(m.url);
  const sign = () =>
    Promise.all(
      m.names.map(async (Name) => {
        const body = JSON.stringify({ Name });
        const headers = await signedHeaders({ endpoint: m.url, service: 'ssm', credentials: m.credentials, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' }, body });
        const lines = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'keep-alive' }).map(([k, v]) => `${k}: ${v}\r\n`);
        return Buffer.from(`POST / HTTP/1.1\r\n${lines.join('')}\r\n${body}`);
      }),
    );
  let signed = await sign();
  const resign = setInterval(() => void sign().then((s) => (signed = s)), RESIGN_MS);

  /** Calls that are due and wait for a free connection, oldest first. */
  const queue: { dueAt: number; i: number }[] = [];
  let head = 0;
  const idle: Conn[] = [];

  const dispatch = (c: Conn) => {
    if (stopping) return;
    if (!c.busy && now() - c.idleSince > STALE_MS) {
      c.retired = true;
      c.sock.destroy();
      c = open();
    }
    if (head >= queue.length) return void (c.idleSince = now(), idle.push(c));
    const next = queue[head++]!;
    if (head > 4096 && head * 2 > queue.length) (queue.splice(0, head), (head = 0));
    c.busy = { dueAt: next.dueAt };
    c.sock.write(signed[next.i % signed.length]!);
  };

  const finish = (c: Conn, error?: string) => {
    const call = c.busy!;
    c.busy = undefined;
    inFlight--;
    if (error) (errors++, (lastError = error));
    else latencies.push(Math.round((now() - call.dueAt) * 1000) / 1000);
  };

  /** Reads one response at a time: status line, headers up to the blank line, content-length bytes. */
  const onData = (c: Conn, d: Buffer) => {
    c.buf = c.buf.length ? Buffer.concat([c.buf, d]) : d;
    for (;;) {
      const end = c.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const top = c.buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(top)?.[1] ?? 0);
      if (c.buf.length < end + 4 + length) return;
      const status = Number(top.slice(9, 12));
      const body = c.buf.subarray(end + 4, end + 4 + length);
      c.buf = c.buf.subarray(end + 4 + length);
      if (!c.busy) return void (errors++, (lastError = 'a response nobody asked for'));
      finish(c, status === 200 ? undefined : `HTTP ${status}: ${body.toString('utf8', 0, 200)}`);
      dispatch(c);
    }
  };

  const open = (): Conn => {
    const c: Conn = { sock: net.connect({ host: url.hostname, port: Number(url.port), noDelay: true }), busy: undefined, buf: Buffer.alloc(0), idleSince: now() };
    c.sock.setTimeout(TIMEOUT_MS, () => c.busy && c.sock.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    c.sock.on('data', (d: Buffer) => onData(c, d));
    c.sock.on('error', (e) => (lastError = e.message));
    c.sock.on('close', () => {
      const retired = c.retired;
      if (c.busy) finish(c, lastError ?? 'connection closed');
      const at = idle.indexOf(c);
      if (at >= 0) idle.splice(at, 1);
      // A connection the server closed is replaced, as any keep-alive client would.
      if (!stopping && !retired) dispatch(open());
    });
    return c;
  };
  for (let k = 0; k < MAX_SOCKETS; k++) idle.push(open());

  send({ type: 'started' });
  const t0 = now();
  let issued = 0;
  // A 1 ms timer queues every call that has come due, each with its own due time.
  const pacer = setInterval(() => {
    if (stopping) return;
    const target = Math.floor(((now() - t0) * m.rate) / 1000);
    for (; issued < target; issued++) {
      due++;
      inFlight++;
      queue.push({ dueAt: t0 + (issued * 1000) / m.rate, i: issued });
    }
    // Most recently used first: at low rates the rest idle out (the server closes them after its
    // keep-alive timeout, and they are replaced).
    while (idle.length && head < queue.length) dispatch(idle.pop()!);
  }, 1);
  process.once('beforeExit', () => (clearInterval(pacer), clearInterval(resign)));
}

process.on('message', (m: ToReads) => {
  if (m.type === 'start') void run(m);
  else if (m.type === 'sample') {
    send({ type: 'sample', due, latencies, errors, inFlight, ...(lastError ? { lastError } : {}) });
    latencies = [];
    errors = 0;
    due = 0;
  } else if (m.type === 'stop') {
    stopping = true;
    setTimeout(() => process.exit(0), 100);
  }
});
process.on('disconnect', () => process.exit(0));
