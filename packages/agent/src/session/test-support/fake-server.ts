/**
 * A small stand-in for the server side of docs/session-protocol.md: a control channel that says
 * `session` / `session-end`, the agent's session socket (challenge, hello, ready), the client's
 * stream socket (OpenDataChannelInput with a token), and a frame-by-frame relay between them.
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { challengeBytes, session as wire } from '@capstan/wire';

interface Relay {
  id: string;
  token: string;
  agent?: WebSocket;
  client?: WebSocket;
  toAgent: Buffer[];
  toClient: Buffer[];
  /** every agent_session_state the agent sent */
  states: string[];
}

export class FakeSessionServer {
  readonly sessions = new Map<string, Relay>();
  readonly acks: Record<string, unknown>[] = [];
  private control: WebSocket | undefined;
  private controlReady: Promise<void>;
  private resolveControl!: () => void;
  private server!: Server;
  private wss = new WebSocketServer({ noServer: true });
  endpoint = '';

  constructor(
    private readonly instanceId: string,
    private readonly publicKey: KeyObject,
  ) {
    this.controlReady = new Promise((r) => (this.resolveControl = r));
  }

  static forKey(instanceId: string, privateKey: KeyObject): FakeSessionServer {
    return new FakeSessionServer(instanceId, createPublicKey(privateKey));
  }

  async start(): Promise<void> {
    this.server = createServer((_req, res) => res.writeHead(404).end());
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.route(req.url ?? '', ws));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private challenge(ws: WebSocket, then: () => void): void {
    const nonce = randomBytes(32);
    ws.send(JSON.stringify({ type: 'challenge', nonce: nonce.toString('base64'), pingMs: 60_000 }));
    ws.once('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; instanceId: string; signature: string };
      const ok = m.type === 'hello' && m.instanceId === this.instanceId && verify(null, challengeBytes(nonce, m.instanceId), this.publicKey, Buffer.from(m.signature, 'base64'));
      if (!ok) return ws.close(4003, 'bad signature');
      then();
    });
  }

  private route(url: string, ws: WebSocket): void {
    let m: RegExpExecArray | null;
    if (url === '/capstan/agent/v1/channel') {
      this.challenge(ws, () => {
        ws.send(JSON.stringify({ type: 'welcome' }));
        this.control = ws;
        ws.on('message', (d) => {
          const msg = JSON.parse(d.toString()) as Record<string, unknown>;
          if (msg['type'] === 'session-ack') this.acks.push(msg);
          else if (msg['type'] === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
        });
        this.resolveControl();
      });
    } else if ((m = /^\/capstan\/agent\/v1\/session\/([^/?]+)$/.exec(url))) {
      const relay = this.sessions.get(decodeURIComponent(m[1]!));
      if (!relay) return ws.close(4004, 'no such session');
      this.challenge(ws, () => {
        relay.agent = ws;
        ws.send(JSON.stringify({ type: 'ready' }));
        for (const b of relay.toAgent.splice(0)) ws.send(b);
        ws.on('message', (data, isBinary) => {
          if (!isBinary) return;
          const b = data as Buffer;
          try {
            const msg = wire.decodeAgentMessage(b);
            if (msg.messageType === wire.MessageType.AgentSessionState) relay.states.push(wire.parseAgentSessionState(msg.payload).SessionState);
          } catch {
            // relayed as is
          }
          if (relay.client?.readyState === relay.client?.OPEN && relay.client) relay.client.send(b);
          else relay.toClient.push(b);
        });
        ws.on('close', () => relay.agent === ws && (relay.agent = undefined));
      });
    } else if ((m = /^\/capstan\/v1\/session\/([^/?]+)\/stream$/.exec(url))) {
      const relay = this.sessions.get(decodeURIComponent(m[1]!));
      if (!relay) return ws.close(4004, 'no such session');
      ws.once('message', (data) => {
        const open = JSON.parse(data.toString()) as { TokenValue?: string };
        if (open.TokenValue !== relay.token) return ws.close(4001, 'bad token');
        relay.token = '';
        relay.client = ws;
        for (const b of relay.toClient.splice(0)) ws.send(b);
        ws.on('message', (d, isBinary) => {
          if (!isBinary) return;
          if (relay.agent?.readyState === relay.agent?.OPEN && relay.agent) relay.agent.send(d as Buffer);
          else relay.toAgent.push(d as Buffer);
        });
        ws.on('close', () => relay.client === ws && (relay.client = undefined));
      });
    } else ws.close(4004, 'not found');
  }

  /** Tells the agent about a new session (control channel); returns the client's StreamUrl and token. */
  async startSession(message: Record<string, unknown> & { sessionId: string }): Promise<{ streamUrl: string; token: string }> {
    await this.controlReady;
    const token = randomBytes(16).toString('hex');
    this.sessions.set(message.sessionId, { id: message.sessionId, token, toAgent: [], toClient: [], states: [] });
    this.control!.send(JSON.stringify({ type: 'session', ...message }));
    return { streamUrl: `${this.endpoint.replace(/^http/, 'ws')}/capstan/v1/session/${message.sessionId}/stream`, token };
  }

  /** ResumeSession: a new token for the same stream. */
  resume(sessionId: string): string {
    const relay = this.sessions.get(sessionId)!;
    relay.token = randomBytes(16).toString('hex');
    return relay.token;
  }

  endSession(sessionId: string): void {
    this.control?.send(JSON.stringify({ type: 'session-end', sessionId }));
  }

  /** Drops the client's socket without a close handshake (a network blip). */
  dropClient(sessionId: string): void {
    this.sessions.get(sessionId)?.client?.terminate();
  }

  async ack(sessionId: string, ms = 5_000): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    for (;;) {
      const a = this.acks.find((x) => x['sessionId'] === sessionId);
      if (a) return a;
      if (Date.now() > end) throw new Error(`no session-ack for ${sessionId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
