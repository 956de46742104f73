import type WebSocket from 'ws';
import {
  FlagValue,
  HandshakeError,
  MessageType,
  PayloadType,
  ReliableStream,
  agentSessionStateMessage,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  parseFlagPayload,
  parseHandshakeResponse,
  type AgentMessage,
  type SessionTypeName,
} from '@capstan/wire/session';
import { SessionSocketRefused } from './socket.js';
import type { PluginContext, SessionPlugin } from './types.js';

export interface DataChannelOptions {
  sessionId: string;
  sessionType: SessionTypeName;
  properties: unknown;
  agentVersion: string;
  /** Opens (and authenticates) a session socket; called again after a drop. */
  dial: () => Promise<WebSocket>;
  /** Starts the plugin once the handshake is complete. A throw ends the session with that message. */
  startPlugin: (ctx: PluginContext) => SessionPlugin;
  log: (line: string) => void;
  /** How long to wait for the client's HandshakeResponse (it may connect after the agent). */
  handshakeTimeoutMs?: number;
  /** How long to keep redialling a dropped session socket. */
  resumeWindowMs?: number;
  /** Largest frame the agent offers for the fast transport. */
  maxFrameSize?: number;
}

const FLUSH_WAIT_MS = 5_000;

/**
 * The agent's end of one session's data channel: the reliable stream over the session socket,
 * the handshake (always sent, offering Capstan's fast transport), then the plugin. The socket is
 * redialled after a drop; unacknowledged frames are resent on the new one.
 */
export class AgentDataChannel {
  readonly sessionId: string;
  private readonly o: DataChannelOptions;
  private readonly stream: ReliableStream;
  private ws: WebSocket | undefined;
  private plugin: SessionPlugin | undefined;
  private handshakeDone = false;
  private early: { type: number; payload: Buffer }[] = [];
  private drainListeners: (() => void)[] = [];
  private ending = false;
  private closed = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private resolveDone!: (reason: string) => void;
  /** Resolves with why the session ended. */
  readonly done: Promise<string>;
  private capstanClient = false;

  constructor(options: DataChannelOptions) {
    this.o = options;
    this.sessionId = options.sessionId;
    this.done = new Promise((r) => (this.resolveDone = r));
    this.stream = new ReliableStream({
      role: 'agent',
      onData: (type, payload) => this.onData(type, payload),
      onControl: (m) => this.onControl(m),
      onDrain: () => {
        for (const fn of this.drainListeners) fn();
      },
      onError: (e) => this.o.log(`session ${this.sessionId}: ${e.message}`),
    });
  }

  /** Dials, says Connected and sends the HandshakeRequest. Rejects if the first dial fails. */
  async start(): Promise<void> {
    const ws = await this.o.dial();
    this.attach(ws);
    this.stream.sendControl(agentSessionStateMessage(this.sessionId, 'Connected'));
    this.stream.write(
      PayloadType.HandshakeRequest,
      encodeHandshakeRequest({
        agentVersion: this.o.agentVersion,
        sessionType: this.o.sessionType,
        properties: this.o.properties ?? null,
        capstan: { maxFrameSize: this.o.maxFrameSize ?? 64 * 1024 },
      }),
    );
    this.handshakeTimer = setTimeout(() => this.kill('the client did not answer the handshake in time'), this.o.handshakeTimeoutMs ?? 60_000);
  }

  private attach(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws || !isBinary) return;
      this.stream.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
    });
    ws.on('error', (e) => this.o.log(`session ${this.sessionId}: socket error: ${e.message}`));
    ws.on('close', (code, why) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stream.detach();
      if (this.closed) return;
      this.o.log(`session ${this.sessionId}: socket closed (${code}${why.length ? ` ${why.toString()}` : ''}); reconnecting`);
      void this.redial();
    });
    this.stream.attach((bytes) => {
      if (ws.readyState === ws.OPEN) ws.send(bytes);
    });
  }

  private async redial(): Promise<void> {
    const until = Date.now() + (this.o.resumeWindowMs ?? 120_000);
    let delay = 100;
    while (!this.closed) {
      try {
        const ws = await this.o.dial();
        if (this.closed) {
          ws.close(1000);
          return;
        }
        this.attach(ws);
        this.o.log(`session ${this.sessionId}: socket resumed`);
        return;
      } catch (e) {
        if (e instanceof SessionSocketRefused || Date.now() > until) {
          this.kill(`cannot reattach the session socket: ${(e as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private onControl(m: AgentMessage): void {
    if (m.messageType === MessageType.ChannelClosed) this.kill('channel closed');
  }

  private onData(type: number, payload: Buffer): void {
    if (this.closed) return;
    if (!this.handshakeDone) {
      if (type === PayloadType.HandshakeResponse) return this.onHandshakeResponse(payload);
      // the client should wait for HandshakeComplete; keep what came early rather than lose it
      this.early.push({ type, payload: Buffer.from(payload) });
      return;
    }
    this.deliver(type, payload);
  }

  private deliver(type: number, payload: Buffer): void {
    if (type === PayloadType.Flag) {
      let flag = 0;
      try {
        flag = parseFlagPayload(payload);
      } catch {
        // not a flag we understand
      }
      if (flag === FlagValue.TerminateSession) return this.kill('the client ended the session');
    }
    try {
      this.plugin?.input(type, payload);
    } catch (e) {
      this.o.log(`session ${this.sessionId}: input: ${(e as Error).message}`);
    }
  }

  private onHandshakeResponse(payload: Buffer): void {
    clearTimeout(this.handshakeTimer);
    let parsed;
    try {
      parsed = parseHandshakeResponse(payload, { maxFrameSize: this.o.maxFrameSize ?? 64 * 1024 });
    } catch (e) {
      return this.failOpen(e instanceof HandshakeError ? e.message : `bad HandshakeResponse: ${(e as Error).message}`);
    }
    if (parsed.failures.length > 0) {
      return this.failOpen(`the client could not take the session: ${parsed.failures.map((f) => `${f.ActionType}: ${f.Error || `status ${f.ActionStatus}`}`).join('; ')}`);
    }
    this.capstanClient = parsed.transport.mode === 'fast';
    this.stream.setMode(parsed.transport.mode, { frameSize: parsed.transport.frameSize });
    const ctx: PluginContext = {
      sessionId: this.sessionId,
      write: (t, b) => (this.closed ? false : this.stream.write(t, b)),
      onDrain: (fn) => this.drainListeners.push(fn),
      finish: (reason) => void this.finish(reason),
      log: (line) => this.o.log(`session ${this.sessionId}: ${line}`),
      capstanClient: this.capstanClient,
    };
    try {
      this.plugin = this.o.startPlugin(ctx);
    } catch (e) {
      return this.failOpen((e as Error).message);
    }
    this.handshakeDone = true;
    this.stream.write(PayloadType.HandshakeComplete, encodeHandshakeComplete(0, ''));
    const early = this.early;
    this.early = [];
    for (const f of early) this.deliver(f.type, f.payload);
  }

  /** The session could not start: tell the client why, then end. */
  private failOpen(message: string): void {
    this.o.log(`session ${this.sessionId}: ${message}`);
    this.handshakeDone = true;
    this.stream.write(PayloadType.HandshakeComplete, encodeHandshakeComplete(0, ''));
    this.stream.write(PayloadType.StdErr, Buffer.from(`${message}\n`));
    void this.finish(message);
  }

  /** The plugin ended on its own: deliver what is queued, say Terminating, close. */
  async finish(reason: string): Promise<void> {
    if (this.ending || this.closed) return;
    this.ending = true;
    const end = Date.now() + FLUSH_WAIT_MS;
    while (!this.closed && !this.stream.idle && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    if (this.closed) return;
    this.stream.sendControl(agentSessionStateMessage(this.sessionId, 'Terminating'));
    this.close(reason);
  }

  /** Ends now: channel_closed, session-end, TerminateSession, or an error. */
  kill(reason: string): void {
    this.close(reason);
  }

  private close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.handshakeTimer);
    try {
      this.plugin?.kill();
    } catch (e) {
      this.o.log(`session ${this.sessionId}: stopping the plugin: ${(e as Error).message}`);
    }
    this.stream.close();
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000, 'session ended');
    this.o.log(`session ${this.sessionId} ended: ${reason}`);
    this.resolveDone(reason);
  }
}
