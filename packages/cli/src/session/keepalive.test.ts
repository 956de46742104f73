/**
 * Keep-alives on the client's stream socket: WebSocket pings at the interval asked for, which
 * keep NATs and proxies from dropping an idle session but are not activity to the server, whose
 * idle timeout still ends the session.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CreateActivationCommand, CreateDocumentCommand, DeleteDocumentCommand, DescribeSessionsCommand, SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import { WebSocketServer } from 'ws';
import { ManualClock } from '../../../server/src/scheduler/clock.js';
import { sessionService } from '../../../server/src/sessions/index.js';
import { startTestServer, type TestServer } from '../../../server/src/test-support/server.js';
import { SimulatedSessionAgent } from '../../../server/src/test-support/sim-session-agent.js';
import { until } from '../../../server/src/test-support/until.js';
import { nodeClientChannel, wsOpener } from './channel.js';

test('the stream socket pings at the keep-alive interval, and stops when it closes', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let pings = 0;
  wss.on('connection', (ws) => ws.on('ping', () => pings++));
  try {
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    const quiet = await wsOpener({})(url);
    const pinging = await wsOpener({}, 40)(url);
    await until('three pings', () => pings >= 3, { every: 10 });
    pinging.close(1000);
    await until('closed', () => !pinging.open, { every: 10 });
    const seen = pings;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(pings, seen, 'no pings after close');
    quiet.close(1000);
  } finally {
    wss.close();
  }
});

/** A TCP hop that counts the WebSocket ping frames the client sends through it (masked, opcode 9). */
class PingCounter {
  pings = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly upstream: number) {}
  async listen(): Promise<number> {
    this.server = createServer((c) => {
      const u = connect(this.upstream, '127.0.0.1');
      this.sockets.add(c).add(u);
      c.on('data', (d: Buffer) => {
        // a ping is small and written alone; 0x89 = FIN + opcode 9
        if (d[0] === 0x89) this.pings++;
        u.write(d);
      });
      u.pipe(c);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }
  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }
}

let t: TestServer;
let ssm: SSMClient;
const clock = new ManualClock(Date.now());
let agent: SimulatedSessionAgent;

before(async () => {
  t = await startTestServer({ clock });
  ssm = new SSMClient(t.clientConfig());
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  agent = new SimulatedSessionAgent(t.endpoint);
  await agent.register(ActivationId!, ActivationCode!);
  await agent.connect();
});

after(async () => {
  await agent?.close();
  await t?.stop();
});

test("keep-alives are not activity: the preferences' idle timeout still ends a session that only pings", async () => {
  const prefs = { schemaVersion: '1.0', description: 'prefs', sessionType: 'Standard_Stream', inputs: { idleSessionTimeout: '1' } };
  await ssm.send(new CreateDocumentCommand({ Name: 'SSM-SessionManagerRunShell', Content: JSON.stringify(prefs), DocumentType: 'Session' }));
  const hop = new PingCounter(Number(new URL(t.endpoint).port));
  try {
    const started = await ssm.send(new StartSessionCommand({ Target: agent.instanceId }));
    const sessionId = started.SessionId!;
    const port = await hop.listen();
    const streamUrl = started.StreamUrl!.replace(/:\d+\//, `:${port}/`);
    const channel = nodeClientChannel({ sessionId, streamUrl, tokenValue: started.TokenValue!, keepaliveMs: 30 });
    await channel.connect();
    await until('the node attached', () => agent.sessions.get(sessionId));
    const status = async () => (await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'SessionId', value: sessionId }] }))).Sessions?.[0]?.Status;
    await until('connected', async () => (await status()) === 'Connected');
    const svc = sessionService(t.server.core);

    // pings flow through the hop while the session is otherwise idle
    await until('keep-alive pings on the wire', () => hop.pings >= 3, { every: 10 });
    clock.advance(30_000);
    const before = hop.pings;
    await until('more pings after the clock moved', () => hop.pings > before, { every: 10 });
    await svc.sweep();
    assert.equal(await status(), 'Connected', 'half the idle timeout: still on');

    clock.advance(31_000);
    await until('more pings', () => hop.pings > before + 2, { every: 10 });
    await svc.sweep();
    const end = await channel.ended$;
    assert.match(end.reason, /idle for 1 minutes/);
  } finally {
    hop.close();
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
  }
});
