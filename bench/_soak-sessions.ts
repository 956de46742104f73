// The sessions of bench/soak.ts: one simulated node that echoes its session input, and a
// client end that opens a session through StartSession and its stream URL, echoes bytes
// through it and terminates it. Each cycle's times, or the reason it failed.
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateActivationCommand, StartSessionCommand, TerminateSessionCommand, type SSMClient } from '@aws-sdk/client-ssm';
import WebSocket from 'ws';
import { session as wire } from '../packages/wire/src/index.js';
import { SimulatedSessionAgent } from '../packages/server/src/test-support/sim-session-agent.js';

const ECHO_BYTES = 4096;
const CYCLE_TIMEOUT_MS = 15_000;

export interface SessionCycle {
  /** StartSession sent → the first echoed byte back at the client: the session carries bytes both ways. */
  openMs: number;
  /** ECHO_BYTES written (as the stream socket opened) → all of them echoed back. */
  echoMs: number;
  /** TerminateSession sent → channel_closed at the client. */
  closeMs: number;
}

export async function sessionNode(ssm: SSMClient, url: string): Promise<SimulatedSessionAgent> {
  const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1, Description: 'bench/soak sessions' }));
  const node = new SimulatedSessionAgent(url);
  await node.register(a.ActivationId!, a.ActivationCode!);
  await node.connect();
  return node;
}

/** One session, start to end; throws with what went wrong. */
export async function sessionCycle(ssm: SSMClient, node: SimulatedSessionAgent): Promise<SessionCycle> {
  const now = () => performance.now();
  const t0 = now();
  const started = await ssm.send(new StartSessionCommand({ Target: node.instanceId, Reason: 'bench/soak' }), { abortSignal: AbortSignal.timeout(CYCLE_TIMEOUT_MS) });
  const id = started.SessionId!;
  let output = Buffer.alloc(0);
  let first: (() => void) | undefined;
  let echoed: (() => void) | undefined;
  let closed: (() => void) | undefined;
  const stream = new wire.ReliableStream({
    role: 'client',
    onData: (type, payload) => {
      if (type !== wire.PayloadType.Output) return;
      first?.();
      output = Buffer.concat([output, payload]);
      if (output.length >= ECHO_BYTES) echoed?.();
    },
    onControl: (m) => {
      if (m.messageType === wire.MessageType.ChannelClosed) closed?.();
    },
  });
  const ws = new WebSocket(started.StreamUrl!);
  const within = <T>(what: string, f: (done: (v: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`session ${id}: ${what} within ${CYCLE_TIMEOUT_MS} ms`)), CYCLE_TIMEOUT_MS);
      ws.once('close', (code, why) => reject(new Error(`session ${id}: stream closed (${code} ${why.toString()}) before ${what}`)));
      f((v) => (clearTimeout(timer), resolve(v)));
    });
  try {
    // Written as soon as the token is sent: frames the server drops while it checks the token, or
    // before the node has attached, are sent again by the reliable stream, as a real client's are.
    const sent = randomBytes(ECHO_BYTES / 2).toString('hex');
    const firstP = within<void>('no echo from the node', (done) => (first = () => ((first = undefined), done())));
    const echoP = within<void>(`no echo of ${ECHO_BYTES} bytes`, (done) => (echoed = done));
    let t1 = 0;
    ws.on('open', () => {
      ws.send(JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: started.TokenValue, ClientId: randomUUID(), ClientVersion: 'bench-soak' }));
      stream.attach((b) => ws.readyState === WebSocket.OPEN && ws.send(b));
      t1 = now();
      stream.write(wire.PayloadType.Output, Buffer.from(sent));
    });
    ws.on('message', (data, isBinary) => isBinary && stream.receive(data as Buffer));
    ws.on('error', () => undefined);
    await firstP;
    const openMs = now() - t0;
    await echoP;
    if (output.toString() !== sent) throw new Error(`session ${id}: the echo differs from what was sent`);
    const echoMs = now() - t1;

    const t2 = now();
    const closedP = within<void>('no channel_closed', (done) => (closed = done));
    await ssm.send(new TerminateSessionCommand({ SessionId: id }), { abortSignal: AbortSignal.timeout(CYCLE_TIMEOUT_MS) });
    await closedP;
    return { openMs, echoMs, closeMs: now() - t2 };
  } finally {
    stream.close();
    ws.terminate();
    // The node's side of an ended session: forgotten, so a long run holds none of them.
    const agentSide = node.sessions.get(id);
    agentSide?.stream.close();
    agentSide?.ws?.terminate();
    node.sessions.delete(id);
    node.orders.length = 0;
    node.ends.length = 0;
  }
}
