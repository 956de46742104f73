import { randomBytes, timingSafeEqual } from 'node:crypto';
import type WebSocket from 'ws';
import { SessionCipher } from '@capstan/wire';
import {
  CHALLENGE_BYTES,
  DataKeyRequests,
  FAST_FRAME_SIZE,
  ENCRYPTED_SESSION_MESSAGE,
  PayloadEncryption,
  encodeEncryptionChallenge,
  kmsCipherTextKeyOf,
  parseEncryptionChallenge,
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
  type ParsedHandshakeResponse,
  type SessionTypeName,
} from '@capstan/wire/session';
import { SessionSocketRefused } from './socket.js';
import type { AgentSessionType, PluginContext, SessionPlugin } from './types.js';

export interface DataChannelOptions {
  sessionId: string;
  sessionType: AgentSessionType;
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
  /** The preferences' KMS key: the client makes a data key under it and the payloads are sealed end to end. */
  kmsKeyId?: string;
}

/** How long each KMS step of the handshake may take (AWS's handshake timeout). */
const KMS_STEP_MS = 15_000;

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
  private readonly encryption = new PayloadEncryption('agent');
  /** The server opens the client's data key for this node (it has no KMS credentials of its own). */
  private readonly dataKeys = new DataKeyRequests((text) => {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) return false;
    ws.send(text);
    return true;
  });
  /** KMS: the HandshakeResponse came; until the challenge is answered, frames wait in `early`. */
  private responded = false;
  private challenge: { bytes: Buffer; parsed: ParsedHandshakeResponse } | undefined;

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
      transform: this.encryption.transform,
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
        // Capstan's own types go to Capstan's client only, which accepts them by name
        sessionType: this.o.sessionType as SessionTypeName,
        properties: this.o.properties ?? null,
        capstan: { maxFrameSize: this.o.maxFrameSize ?? FAST_FRAME_SIZE },
        ...(this.o.kmsKeyId ? { kms: { keyId: this.o.kmsKeyId } } : {}),
      }),
    );
    this.handshakeTimer = setTimeout(() => this.kill('the client did not answer the handshake in time'), this.o.handshakeTimeoutMs ?? 60_000);
  }

  private attach(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      if (!isBinary) return void this.dataKeys.receive(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
      // ws hands over a buffer of its own for each message: the stream keeps views of it, no copy
      this.stream.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
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
    this.dataKeys.resend();
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
      if (type === PayloadType.HandshakeResponse && !this.responded) return this.onHandshakeResponse(payload);
      if (type === PayloadType.EncChallengeResponse && this.challenge) return this.onChallengeResponse(payload);
      // Sealed input sent before the client knew the key can only be forged: a client seals from its response on.
      if (this.o.kmsKeyId && !this.responded && type === PayloadType.Output) return;
      // the client should wait for HandshakeComplete; keep what came early rather than lose it
      this.early.push({ type, payload: Buffer.from(payload) });
      return;
    }
    this.deliver(type, payload);
  }

  private deliver(type: number, payload: Buffer): void {
    if (this.encryption.sealedByPeer(type)) {
      try {
        payload = this.encryption.open(type, payload);
      } catch (e) {
        // Not from the client (who holds the key): stop the plugin before anything else reaches it.
        const reason = `input that does not decrypt: ${(e as Error).message}`;
        this.o.log(`session ${this.sessionId}: ${reason}; ending the session`);
        const plugin = this.plugin;
        this.plugin = undefined;
        try {
          plugin?.kill();
        } catch {
          // ending anyway
        }
        return void this.finish(reason);
      }
    }
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
    this.responded = true;
    let parsed: ParsedHandshakeResponse;
    try {
      parsed = parseHandshakeResponse(payload, { maxFrameSize: this.o.maxFrameSize ?? FAST_FRAME_SIZE });
    } catch (e) {
      return this.failOpen(e instanceof HandshakeError ? e.message : `bad HandshakeResponse: ${(e as Error).message}`);
    }
    if (parsed.failures.length > 0) {
      return this.failOpen(`the client could not take the session: ${parsed.failures.map((f) => `${f.ActionType}: ${f.Error || `status ${f.ActionStatus}`}`).join('; ')}`);
    }
    if (this.o.kmsKeyId) return void this.setUpEncryption(parsed);
    this.begin(parsed, '');
  }

  /**
   * KMS: the server opens the client's data key (bound to this session and node), then the
   * client proves it holds the same key by opening a sealed random challenge and sealing it back.
   */
  private async setUpEncryption(parsed: ParsedHandshakeResponse): Promise<void> {
    let blob: Buffer | undefined;
    try {
      blob = kmsCipherTextKeyOf(parsed);
    } catch (e) {
      return this.failOpen((e as Error).message);
    }
    if (!blob) return this.failOpen('the session is KMS-encrypted, and the client did not set up encryption (it may be too old)');
    let key: Buffer;
    try {
      key = await this.dataKeys.request(blob, KMS_STEP_MS);
    } catch (e) {
      return this.failOpen(`cannot open the session's data key: ${(e as Error).message}`);
    }
    if (this.closed) return;
    try {
      this.encryption.enable(new SessionCipher(key, 'agent'));
    } catch (e) {
      return this.failOpen(`the session's data key is unusable: ${(e as Error).message}`);
    }
    const bytes = randomBytes(CHALLENGE_BYTES);
    this.challenge = { bytes, parsed };
    this.stream.write(PayloadType.EncChallengeRequest, encodeEncryptionChallenge(this.encryption.seal(bytes)));
    this.handshakeTimer = setTimeout(() => this.failOpen('the client did not answer the encryption challenge in time'), KMS_STEP_MS);
  }

  private onChallengeResponse(payload: Buffer): void {
    clearTimeout(this.handshakeTimer);
    const c = this.challenge!;
    this.challenge = undefined;
    let answer: Buffer;
    try {
      answer = this.encryption.unseal(parseEncryptionChallenge(payload));
    } catch (e) {
      return this.failOpen(`the encryption challenge failed: ${(e as Error).message}`);
    }
    if (answer.length !== c.bytes.length || !timingSafeEqual(answer, c.bytes)) return this.failOpen('the encryption challenge failed: the answer does not match');
    this.begin(c.parsed, ENCRYPTED_SESSION_MESSAGE);
  }

  /** The handshake is over: the plugin starts, the client hears HandshakeComplete, early input is delivered. */
  private begin(parsed: ParsedHandshakeResponse, customerMessage: string): void {
    if (this.closed) return;
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
    this.stream.write(PayloadType.HandshakeComplete, encodeHandshakeComplete(0, customerMessage));
    const early = this.early;
    this.early = [];
    for (const f of early) this.deliver(f.type, f.payload);
  }

  /** The session could not start: tell the client why, then end. */
  private failOpen(message: string): void {
    if (this.closed || this.handshakeDone) return;
    clearTimeout(this.handshakeTimer);
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
    this.dataKeys.cancel('the session ended');
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
