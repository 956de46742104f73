import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  MessageType,
  PayloadType,
  ReliableStream,
  answerHandshakeRequest,
  encodeHandshakeResponse,
  parseAgentSessionState,
  parseChannelClosed,
  parseHandshakeComplete,
  parseHandshakeRequest,
  type AgentMessage,
  type SessionTypeParameters,
} from '@capstan/wire/session';

export const CLIENT_VERSION = 'capstan-0.1.0';

export interface ClientChannelOptions {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  /** After a drop: a new TokenValue (ResumeSession), or undefined when the session is gone. */
  resume?: () => Promise<string | undefined>;
  /** Offer/accept Capstan's fast transport (default true). */
  fast?: boolean;
  /** Reject session types the caller cannot handle. */
  acceptSessionType?: (t: SessionTypeParameters) => string | undefined;
  /** Extra TLS options for wss:// (a private CA). */
  wsOptions?: WebSocket.ClientOptions;
  /** How long to keep trying to reattach after a drop. */
  resumeWindowMs?: number;
  log?: (line: string) => void;
}

export interface SessionEnd {
  reason: string;
  /** From an ExitCode payload (NonInteractiveCommands). */
  exitCode?: number;
}

/**
 * The client's end of a session: the stream socket (OpenDataChannelInput first), the reliable
 * stream, the handshake (accepting the fast transport), reattachment after a drop
 * (ResumeSession gives a new token; unacknowledged frames are resent both ways).
 */
export class ClientChannel {
  readonly sessionId: string;
  readonly stream: ReliableStream;
  private readonly o: ClientChannelOptions;
  private ws: WebSocket | undefined;
  private ended = false;
  private exitCode: number | undefined;
  private resolveEnd!: (e: SessionEnd) => void;
  private resolveReady!: (sessionType: SessionTypeParameters | undefined) => void;
  private rejectReady!: (e: Error) => void;
  private sessionType: SessionTypeParameters | undefined;
  private readyDone = false;
  /** Resolves when the agent says HandshakeComplete. */
  readonly ready: Promise<SessionTypeParameters | undefined>;
  /** Resolves when the session is over. */
  readonly ended$: Promise<SessionEnd>;
  /** Stream payloads after the handshake (Output, StdErr, Flag…). */
  onData: (type: number, payload: Buffer) => void = () => undefined;
  onDrain: () => void = () => undefined;
  /** The customer message of HandshakeComplete. */
  customerMessage = '';

  constructor(options: ClientChannelOptions) {
    this.o = options;
    this.sessionId = options.sessionId;
    this.ended$ = new Promise((r) => (this.resolveEnd = r));
    this.ready = new Promise((res, rej) => ((this.resolveReady = res), (this.rejectReady = rej)));
    this.ready.catch(() => undefined);
    this.stream = new ReliableStream({
      role: 'client',
      onData: (type, payload) => this.onStreamData(type, payload),
      onControl: (m) => this.onControl(m),
      onDrain: () => this.onDrain(),
      onError: (e) => this.o.log?.(`session ${this.sessionId}: ${e.message}`),
    });
  }

  /** Opens the stream socket with the StartSession token. */
  async connect(): Promise<void> {
    const ws = await this.open(this.o.tokenValue);
    this.attach(ws);
  }

  private open(token: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      // An all-zero mask: see the agent's session socket. The frames stay valid masked frames.
      const ws = new WebSocket(this.o.streamUrl, { handshakeTimeout: 15_000, generateMask: () => undefined, ...this.o.wsOptions });
      ws.once('open', () => {
        ws.send(JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: token, ClientId: randomUUID(), ClientVersion: CLIENT_VERSION }));
        ws.removeListener('error', reject);
        resolve(ws);
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`stream socket: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim())));
    });
  }

  private attach(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws || !isBinary) return;
      this.stream.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
    });
    ws.on('error', (e) => this.o.log?.(`session ${this.sessionId}: ${e.message}`));
    ws.on('close', (code, why) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stream.detach();
      if (this.ended) return;
      // a close the server chose (session over, refused token) is the end, not a drop
      if (code === 1000 || (code >= 4000 && code < 5000)) return this.end(why.length ? why.toString() : `the server closed the session (${code})`);
      void this.reattach(`${code}${why.length ? ` ${why.toString()}` : ''}`);
    });
    this.stream.attach((bytes) => {
      if (ws.readyState === ws.OPEN) ws.send(bytes);
    });
  }

  private async reattach(why: string): Promise<void> {
    if (!this.o.resume) return this.end(`connection lost (${why})`);
    this.o.log?.(`connection lost (${why}); resuming session ${this.sessionId}`);
    const until = Date.now() + (this.o.resumeWindowMs ?? 60_000);
    let delay = 200;
    while (!this.ended) {
      try {
        const token = await this.o.resume();
        if (!token) return this.end('the session timed out while disconnected');
        const ws = await this.open(token);
        if (this.ended) return void ws.close(1000);
        this.attach(ws);
        this.o.log?.(`session ${this.sessionId} resumed`);
        return;
      } catch (e) {
        const name = (e as { name?: string }).name;
        if (name === 'DoesNotExistException' || Date.now() > until) return this.end(`cannot resume: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private onControl(m: AgentMessage): void {
    if (m.messageType === MessageType.ChannelClosed) {
      let output = '';
      try {
        output = parseChannelClosed(m.payload).Output ?? '';
      } catch {
        // still closed
      }
      this.end(output || 'channel closed');
    } else if (m.messageType === MessageType.AgentSessionState) {
      try {
        if (parseAgentSessionState(m.payload).SessionState === 'Terminating') this.end('the session ended on the node');
      } catch {
        // not for us
      }
    }
  }

  private onStreamData(type: number, payload: Buffer): void {
    if (this.ended) return;
    switch (type) {
      case PayloadType.HandshakeRequest: {
        let req;
        try {
          req = parseHandshakeRequest(payload);
        } catch (e) {
          return this.fail(e as Error);
        }
        this.sessionType = req.sessionType;
        const typeError = req.sessionType && this.o.acceptSessionType ? this.o.acceptSessionType(req.sessionType) : undefined;
        const { response, transport } = answerHandshakeRequest(req, {
          clientVersion: CLIENT_VERSION,
          fast: this.o.fast ?? true,
          ...(typeError ? { sessionTypeError: typeError } : {}),
        });
        this.stream.write(PayloadType.HandshakeResponse, encodeHandshakeResponse(response));
        this.stream.setMode(transport.mode, { frameSize: transport.frameSize });
        return;
      }
      case PayloadType.HandshakeComplete: {
        try {
          this.customerMessage = parseHandshakeComplete(payload).customerMessage;
        } catch {
          // the message is optional
        }
        this.readyDone = true;
        this.resolveReady(this.sessionType);
        return;
      }
      case PayloadType.ExitCode: {
        const n = /EXIT_CODE:\s*(-?\d+)/.exec(payload.toString('utf8'));
        if (n) this.exitCode = Number(n[1]);
        break;
      }
      case PayloadType.EncChallengeRequest:
        return this.fail(new Error('the session asks for KMS encryption, which this client does not support yet'));
    }
    this.onData(type, payload);
  }

  private fail(e: Error): void {
    this.end(e.message);
  }

  /** Sends a payload to the agent; false means wait for onDrain. */
  write(type: number, bytes: Uint8Array): boolean {
    if (this.ended) return false;
    return this.stream.write(type, bytes);
  }

  /** Waits until everything written has been acknowledged (or the timeout). */
  async flush(timeoutMs = 5_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.ended && !this.stream.idle && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  /** Ends locally and closes the socket (TerminateSession is the caller's business). */
  close(reason = 'closed by the client'): void {
    this.end(reason);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.readyDone) this.rejectReady(new Error(reason));
    this.stream.close();
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000);
    this.resolveEnd({ reason, ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}) });
  }

  get isEnded(): boolean {
    return this.ended;
  }
}
