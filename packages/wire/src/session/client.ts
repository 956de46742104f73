import { randomUUID } from 'node:crypto';
import { MessageType, PayloadType, parseAgentSessionState, parseChannelClosed, type AgentMessage } from './agent-message.js';
import {
  answerHandshakeRequest,
  encodeEncryptionChallenge,
  encodeHandshakeResponse,
  parseEncryptionChallenge,
  parseHandshakeComplete,
  parseHandshakeRequest,
  type AnswerOptions,
  type ParsedHandshakeRequest,
  type SessionTypeParameters,
} from './handshake.js';
import { PayloadEncryption, sessionEncryptionContext, type ClientKms } from './payload-encryption.js';
import { ReliableStream } from './reliable.js';

/**
 * An open stream socket as the client needs it, whatever the WebSocket implementation: `ws` in
 * Node (the CLI), the browser's own in the console.
 */
export interface StreamSocket {
  send(data: string | Uint8Array): void;
  close(code?: number): void;
  readonly open: boolean;
  /** Binary frames only; text frames are not part of the stream. */
  onMessage(fn: (data: Uint8Array) => void): void;
  onClose(fn: (code: number, reason: string) => void): void;
  onError(fn: (e: Error) => void): void;
}

/** Opens a socket to the stream URL; resolves once it is open, rejects if it cannot be. */
export type OpenStreamSocket = (url: string) => Promise<StreamSocket>;

export const CLIENT_VERSION = 'capstan-0.1.0';

export interface ClientChannelOptions {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  /**
   * After a drop: a new TokenValue (ResumeSession), with the StreamUrl when the session moved to
   * another replica; undefined when the session is gone.
   */
  resume?: () => Promise<string | { tokenValue: string; streamUrl: string } | undefined>;
  /** Offer/accept Capstan's fast transport (default true). */
  fast?: boolean;
  /** Reject session types the caller cannot handle. */
  acceptSessionType?: (t: SessionTypeParameters) => string | undefined;
  /** How the stream socket is opened (the WebSocket implementation of the platform). */
  openSocket: OpenStreamSocket;
  /** How long to keep trying to reattach after a drop. */
  resumeWindowMs?: number;
  log?: (line: string) => void;
  /**
   * For sessions the agent asks to encrypt (KMSEncryption): kms:GenerateDataKey with the user's
   * credentials. Without it such a session is refused.
   */
  kms?: ClientKms;
  /** The session's target (StartSession's Target): the data key's `aws:ssm:TargetId`. */
  targetId?: string;
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
  private ws: StreamSocket | undefined;
  private streamUrl: string;
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
  /** Payload encryption, on once the agent asked for KMS encryption and the data key exists. */
  readonly encryption = new PayloadEncryption('client');
  /** Why this client refused the session in its HandshakeResponse. */
  private refusal: string | undefined;

  constructor(options: ClientChannelOptions) {
    this.o = options;
    this.sessionId = options.sessionId;
    this.streamUrl = options.streamUrl;
    this.ended$ = new Promise((r) => (this.resolveEnd = r));
    this.ready = new Promise((res, rej) => ((this.resolveReady = res), (this.rejectReady = rej)));
    this.ready.catch(() => undefined);
    this.stream = new ReliableStream({
      role: 'client',
      onData: (type, payload) => this.onStreamData(type, payload),
      onControl: (m) => this.onControl(m),
      onDrain: () => this.onDrain(),
      onError: (e) => this.o.log?.(`session ${this.sessionId}: ${e.message}`),
      transform: this.encryption.transform,
    });
  }

  /** Opens the stream socket with the StartSession token. */
  async connect(): Promise<void> {
    const ws = await this.open(this.o.tokenValue);
    this.attach(ws);
  }

  private async open(token: string): Promise<StreamSocket> {
    const ws = await this.o.openSocket(this.streamUrl);
    ws.send(JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: token, ClientId: randomUUID(), ClientVersion: CLIENT_VERSION }));
    return ws;
  }

  private attach(ws: StreamSocket): void {
    this.ws = ws;
    ws.onMessage((data) => {
      if (this.ws === ws) this.stream.receive(data);
    });
    ws.onError((e) => this.o.log?.(`session ${this.sessionId}: ${e.message}`));
    ws.onClose((code, why) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stream.detach();
      if (this.ended) return;
      // a close the server chose (session over, refused token) is the end, not a drop
      if (code === 1000 || (code >= 4000 && code < 5000)) return this.end(why || `the server closed the session (${code})`);
      void this.reattach(`${code}${why ? ` ${why}` : ''}`);
    });
    this.stream.attach((bytes) => {
      if (ws.open) ws.send(bytes);
    });
  }

  private async reattach(why: string): Promise<void> {
    if (!this.o.resume) return this.end(`connection lost (${why})`);
    this.o.log?.(`connection lost (${why}); resuming session ${this.sessionId}`);
    const until = Date.now() + (this.o.resumeWindowMs ?? 60_000);
    let delay = 200;
    while (!this.ended) {
      try {
        const resumed = await this.o.resume();
        const token = typeof resumed === 'string' ? resumed : resumed?.tokenValue;
        if (!token) return this.end('the session ended while disconnected (ResumeSession gave no token): see DescribeSessions --state History for why');
        if (typeof resumed === 'object' && resumed.streamUrl) this.streamUrl = resumed.streamUrl;
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
    if (this.encryption.sealedByPeer(type)) {
      try {
        payload = this.encryption.open(type, payload);
      } catch (e) {
        return this.fail(new Error(`session ${this.sessionId}: ${(e as Error).message}; ending the session`));
      }
    }
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
        const options: AnswerOptions = {
          clientVersion: CLIENT_VERSION,
          fast: this.o.fast ?? true,
          ...(typeError ? { sessionTypeError: typeError } : {}),
        };
        if (req.kms) return void this.answerEncrypted(req, options);
        return this.answer(req, options);
      }
      case PayloadType.EncChallengeRequest:
        return this.answerChallenge(payload);
      case PayloadType.HandshakeComplete: {
        if (this.refusal) return;
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
        const n = /EXIT_CODE:\s*(-?\d+)/.exec(new TextDecoder().decode(payload));
        if (n) this.exitCode = Number(n[1]);
        break;
      }
    }
    this.onData(type, payload);
  }

  private answer(req: ParsedHandshakeRequest, options: AnswerOptions): void {
    const { response, transport } = answerHandshakeRequest(req, options);
    this.stream.write(PayloadType.HandshakeResponse, encodeHandshakeResponse(response));
    this.stream.setMode(transport.mode, { frameSize: transport.frameSize });
  }

  /**
   * KMSEncryption: a data key from kms:GenerateDataKey (the user's own credentials, bound to the
   * session and its target), its blob to the agent in the HandshakeResponse. A client that cannot
   * get one says why in the response (so the agent ends the session) and ends here with it.
   */
  private async answerEncrypted(req: ParsedHandshakeRequest, options: AnswerOptions): Promise<void> {
    const keyId = req.kms!.KMSKeyId;
    let failure: string | undefined;
    if (!this.o.kms) failure = 'this client cannot set up KMS encryption';
    else if (!this.o.targetId) failure = 'the session target is unknown, so no data key can be bound to it';
    else {
      try {
        const key = await this.o.kms.generateDataKey(keyId, sessionEncryptionContext(this.sessionId, this.o.targetId));
        if (this.ended) return;
        this.encryption.enable(key.cipher);
        options.kms = { result: { KMSCipherTextKey: Buffer.from(key.ciphertextBlob).toString('base64') } };
      } catch (e) {
        const err = e as { name?: string; message?: string };
        failure = `kms:GenerateDataKey on ${keyId} failed: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message ?? String(e)}`;
      }
    }
    if (this.ended) return;
    if (failure) options.kms = { error: failure };
    // the agent answers a failed action with HandshakeComplete and an error: not a session to start
    this.refusal = failure;
    this.answer(req, options);
    if (failure) {
      await this.flush(2_000);
      this.fail(new Error(`cannot open the encrypted session ${this.sessionId}: ${failure}`));
    }
  }

  /** The agent's proof that both ends hold the key: open its challenge, seal it again. */
  private answerChallenge(payload: Buffer): void {
    if (!this.encryption.enabled) return this.fail(new Error('the agent sent an encryption challenge, but no KMS encryption was set up'));
    try {
      const challenge = this.encryption.unseal(parseEncryptionChallenge(payload));
      this.stream.write(PayloadType.EncChallengeResponse, encodeEncryptionChallenge(this.encryption.seal(challenge)));
    } catch (e) {
      this.fail(new Error(`the encryption challenge failed: ${(e as Error).message}`));
    }
  }

  private fail(e: Error): void {
    this.end(e.message);
  }

  /** Sends a payload (or its pieces, sent as one) to the agent; false means wait for onDrain. */
  write(type: number, bytes: Uint8Array | readonly Uint8Array[]): boolean {
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
