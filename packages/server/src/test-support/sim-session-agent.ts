import { randomUUID } from 'node:crypto';
import { answerChallenge, session as wire } from '@capstan/wire';
import WebSocket from 'ws';
import { SimulatedAgent } from './sim-agent.js';

export interface SessionOrder {
  type: 'session';
  sessionId: string;
  sessionType: string;
  documentName: string;
  properties: unknown;
  runAsUser?: string;
  shellProfile?: string;
}

/** One session as the simulated node runs it: input is echoed back as output. */
export class SimAgentSession {
  ws: WebSocket | undefined;
  readonly stream: wire.ReliableStream;
  input = Buffer.alloc(0);
  closed: wire.ChannelClosedContent | undefined;
  socketClosed = false;

  constructor(readonly sessionId: string) {
    this.stream = new wire.ReliableStream({
      role: 'agent',
      onData: (type, payload) => {
        if (type !== wire.PayloadType.Output) return;
        this.input = Buffer.concat([this.input, payload]);
        this.stream.write(wire.PayloadType.Output, Buffer.from(payload));
      },
      onControl: (m) => {
        if (m.messageType === wire.MessageType.ChannelClosed) this.closed = wire.parseChannelClosed(m.payload);
      },
    });
  }

  /** Says the shell exited (agent_session_state Terminating). */
  finish(): void {
    this.stream.sendControl(wire.agentSessionStateMessage(this.sessionId, 'Terminating'));
  }
}

/**
 * A node for session tests: registers and opens a control channel like SimulatedAgent, answers
 * `session` with `session-ack`, dials the agent session socket, signs its challenge, and runs an
 * echo "shell" over the wire library's ReliableStream (no handshake: a Standard_Stream session
 * without KMS may skip it, as AWS's agent does).
 */
export class SimulatedSessionAgent extends SimulatedAgent {
  readonly orders: SessionOrder[] = [];
  readonly ends: string[] = [];
  readonly sessions = new Map<string, SimAgentSession>();
  /** Refuse sessions (session-ack with status refused). */
  refuse = false;

  constructor(endpoint: string) {
    super(endpoint, 'sim-session');
  }

  protected override onMessage(m: Record<string, unknown>): void {
    if (m.type === 'session') this.onSession(m as unknown as SessionOrder);
    else if (m.type === 'session-end') this.ends.push(m.sessionId as string);
  }

  private onSession(order: SessionOrder): void {
    this.orders.push(order);
    this.send({ type: 'session-ack', sessionId: order.sessionId, status: this.refuse ? 'refused' : 'accepted', ...(this.refuse ? { message: 'not today' } : {}) });
    if (!this.refuse) void this.dial(order.sessionId).catch(() => undefined);
  }

  /** Opens (or reopens) the session socket; resolves once the server said ready. */
  dial(sessionId: string, as?: { instanceId: string }): Promise<SimAgentSession> {
    const s = this.sessions.get(sessionId) ?? new SimAgentSession(sessionId);
    this.sessions.set(sessionId, s);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.endpoint.replace(/^http/, 'ws')}/capstan/agent/v1/session/${sessionId}`);
      let ready = false;
      ws.on('error', reject);
      ws.on('close', (code, why) => {
        if (s.ws === ws) s.socketClosed = true;
        if (!ready) reject(new Error(`session socket closed: ${code} ${why.toString()}`));
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return s.stream.receive(data as Buffer);
        const m = JSON.parse(data.toString()) as { type: string; nonce?: string };
        if (m.type === 'challenge') {
          const id = as?.instanceId ?? this.instanceId;
          ws.send(JSON.stringify({ type: 'hello', instanceId: id, signature: answerChallenge(m.nonce!, id, this.key) }));
        } else if (m.type === 'ready') {
          ready = true;
          s.ws = ws;
          s.socketClosed = false;
          s.stream.attach((b) => ws.readyState === WebSocket.OPEN && ws.send(b));
          s.stream.sendControl(wire.agentSessionStateMessage(sessionId, 'Connected'));
          resolve(s);
        }
      });
    });
  }

  override async close(): Promise<void> {
    for (const s of this.sessions.values()) {
      s.stream.close();
      s.ws?.terminate();
    }
    await super.close();
  }
}

/** The client end of a session (what session-manager-plugin does), over the wire library's ReliableStream. */
export class SessionClient {
  ws: WebSocket | undefined;
  output = Buffer.alloc(0);
  closed: wire.ChannelClosedContent | undefined;
  readonly controls: string[] = [];
  readonly clientId = randomUUID();
  private latest: WebSocket | undefined;
  readonly stream: wire.ReliableStream;

  constructor(readonly streamUrl: string) {
    this.stream = new wire.ReliableStream({
      role: 'client',
      onData: (type, payload) => {
        if (type === wire.PayloadType.Output) this.output = Buffer.concat([this.output, payload]);
      },
      onControl: (m) => {
        this.controls.push(m.messageType);
        if (m.messageType === wire.MessageType.ChannelClosed) this.closed = wire.parseChannelClosed(m.payload);
      },
    });
  }

  /** Opens the stream socket with a token; resolves with the close code if the server refuses it, 'open' otherwise. */
  open(token: string): Promise<'open' | number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.streamUrl);
      this.latest = ws;
      let settled = false;
      ws.on('error', (e) => !settled && reject(e));
      ws.on('open', () => {
        ws.send(JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: token, ClientId: this.clientId, ClientVersion: 'sim' }));
        // A refused token closes the socket at once; give the server a moment to say so.
        setTimeout(() => {
          if (settled || ws.readyState !== WebSocket.OPEN) return;
          settled = true;
          this.ws = ws;
          this.stream.attach((b) => ws.readyState === WebSocket.OPEN && ws.send(b));
          resolve('open');
        }, 150);
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary && this.latest === ws) this.stream.receive(data as Buffer);
      });
      ws.on('close', (code) => {
        if (!settled) {
          settled = true;
          resolve(code);
        }
      });
    });
  }

  write(text: string): void {
    this.stream.write(wire.PayloadType.Output, Buffer.from(text));
  }

  resize(cols: number, rows: number): void {
    this.stream.write(wire.PayloadType.Size, wire.sizePayload(cols, rows));
  }

  /** The network goes: the socket dies, the stream keeps what was not acknowledged. */
  drop(): void {
    this.stream.detach();
    this.ws?.terminate();
    this.ws = undefined;
  }

  close(): void {
    this.stream.close();
    this.ws?.terminate();
  }
}
