import { randomUUID } from 'node:crypto';
import { session as wire } from '@capstan/wire';
import type { WebSocket } from 'ws';

export type Side = 'client' | 'agent';
export type TranscriptStream = 'input' | 'output' | 'size';

/**
 * Sees every frame a relay in this process receives, before it is forwarded (diagnostics, and
 * tests that check what crosses the server).
 */
export const relayObservers = new Set<(sessionId: string, from: Side, frame: Buffer) => void>();

/** What a relay tells its session service. */
export interface RelayHooks {
  now(): number;
  /** `data` is a view of the frame on its way through: copy what is kept. */
  record(stream: TranscriptStream, data: Buffer): void;
  /** Both sides attached (Connected), or one of them away (Disconnected). */
  statusChanged(status: 'Connected' | 'Disconnected'): void;
  /** The agent reported the session over (the shell exited). */
  agentFinished(): void;
}

/**
 * Follows one direction's sequence numbers so that each stream frame is recorded once, in order,
 * however often it is resent (retransmissions, resends after a resume) or however it arrives.
 */
class SequenceFollower {
  /** Undefined for a relay that took a session over: it starts wherever the streams are. */
  private next: number | undefined;
  private readonly held = new Map<number, wire.AgentMessage>();
  constructor(
    private readonly take: (m: wire.AgentMessage) => void,
    from: number | undefined = 0,
  ) {
    this.next = from;
  }
  see(m: wire.AgentMessage): boolean {
    const seq = m.sequenceNumber;
    this.next ??= seq;
    if (seq < this.next || this.held.has(seq)) return false;
    if (seq > this.next) {
      if (this.held.size < 10_000) this.held.set(seq, { ...m, payload: Buffer.from(m.payload) });
      return false;
    }
    this.take(m);
    this.next++;
    for (let h = this.held.get(this.next); h; h = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.take(h);
      this.next++;
    }
    return true;
  }
}

/**
 * One session's relay in this process: the client's stream socket and the agent's session
 * socket, frames forwarded unchanged while both are attached. A side that is away makes the
 * other pause (pause_publication) until it is back (start_publication); frames that arrive for
 * an absent side are dropped, and the sender's reliable stream sends them again.
 */
export class Relay {
  readonly sockets: { client: WebSocket | undefined; agent: WebSocket | undefined } = { client: undefined, agent: undefined };
  /** ClientId from the client's open frame, the node's id: each side's DestinationId. */
  readonly ids: { client: string; agent: string };
  readonly startedAt: number;
  lastInputAt: number;
  /** When each side left (undefined while attached or before it first came). */
  readonly goneAt: { client: number | undefined; agent: number | undefined } = { client: undefined, agent: undefined };
  everConnected = false;
  ended = false;
  private readonly inbound: SequenceFollower;
  private readonly outbound: SequenceFollower;

  constructor(
    readonly sessionId: string,
    target: string,
    readonly limits: { idleMs: number; maxMs: number | undefined },
    private readonly hooks: RelayHooks,
    /** Set when this relay takes over a session whose relaying replica died: both sides are away and must come back. */
    adopted?: { startedAt: number },
  ) {
    this.ids = { client: '', agent: target };
    this.startedAt = adopted?.startedAt ?? hooks.now();
    this.lastInputAt = hooks.now();
    if (adopted) {
      this.everConnected = true;
      this.goneAt.client = this.goneAt.agent = this.lastInputAt;
    }
    const from = adopted ? undefined : 0;
    this.inbound = new SequenceFollower((m) => {
      this.lastInputAt = this.hooks.now();
      if (m.payloadType === wire.PayloadType.Output) this.hooks.record('input', m.payload);
      else if (m.payloadType === wire.PayloadType.Size) this.hooks.record('size', m.payload);
    }, from);
    this.outbound = new SequenceFollower((m) => {
      if (m.payloadType === wire.PayloadType.Output || m.payloadType === wire.PayloadType.StdErr) this.hooks.record('output', m.payload);
    }, from);
  }

  get attached(): boolean {
    return this.sockets.client !== undefined && this.sockets.agent !== undefined;
  }

  /** A side's socket, authenticated; a newer socket of the same side replaces an older one. */
  attach(side: Side, ws: WebSocket, id?: string): void {
    if (this.ended) return void ws.close(1000, 'session ended');
    const previous = this.sockets[side];
    this.sockets[side] = ws;
    this.goneAt[side] = undefined;
    if (id !== undefined && side === 'client') this.ids.client = id;
    previous?.terminate();
    ws.on('message', (data, isBinary) => {
      if (isBinary && this.sockets[side] === ws) this.frame(side, data as Buffer);
    });
    ws.on('close', () => this.detach(side, ws));
    const other = this.sockets[side === 'client' ? 'agent' : 'client'];
    if (other) {
      this.control(other, wire.publicationMessage('start'));
      this.everConnected = true;
      this.hooks.statusChanged('Connected');
    } else this.control(ws, wire.publicationMessage('pause'));
  }

  private detach(side: Side, ws: WebSocket): void {
    if (this.sockets[side] !== ws) return;
    this.sockets[side] = undefined;
    if (this.ended) return;
    this.goneAt[side] = this.hooks.now();
    const other = this.sockets[side === 'client' ? 'agent' : 'client'];
    if (other) this.control(other, wire.publicationMessage('pause'));
    this.hooks.statusChanged('Disconnected');
  }

  private frame(from: Side, bytes: Buffer): void {
    for (const observe of relayObservers) observe(this.sessionId, from, bytes);
    let m: wire.AgentMessage;
    try {
      // The relay forwards frames unchanged and reads only their header: the ends check the digest.
      m = wire.decodeAgentMessage(bytes, { verifyDigest: false });
    } catch {
      return; // undecodable: neither relayed nor recorded
    }
    if (from === 'client' && m.messageType === wire.MessageType.InputStreamData) this.inbound.see(m);
    else if (from === 'agent' && m.messageType === wire.MessageType.OutputStreamData) this.outbound.see(m);
    const to = this.sockets[from === 'client' ? 'agent' : 'client'];
    if (to && to.readyState === to.OPEN) to.send(bytes, { binary: true });
    if (from === 'agent' && m.messageType === wire.MessageType.AgentSessionState) {
      try {
        if (wire.parseAgentSessionState(m.payload).SessionState === 'Terminating') this.hooks.agentFinished();
      } catch {
        // not a state we understand: relayed, otherwise ignored
      }
    }
  }

  private control(ws: WebSocket, init: wire.AgentMessageInit): void {
    if (ws.readyState === ws.OPEN) ws.send(wire.encodeAgentMessage({ createdDate: Date.now(), ...init }), { binary: true });
  }

  /** Why the session must end now, by the core clock; undefined while it may go on. */
  expired(now: number, resumeWindowMs: number): { status: 'Terminated' | 'Failed'; details: string } | undefined {
    if (this.limits.maxMs !== undefined && now - this.startedAt >= this.limits.maxMs) return { status: 'Terminated', details: `The session reached its maximum duration of ${this.limits.maxMs / 60_000} minutes.` };
    if (now - this.lastInputAt >= this.limits.idleMs) return { status: 'Terminated', details: `The session was idle for ${this.limits.idleMs / 60_000} minutes.` };
    for (const side of ['client', 'agent'] as const) {
      const gone = this.goneAt[side];
      if (gone !== undefined && now - gone >= resumeWindowMs) return { status: 'Terminated', details: `The ${side === 'client' ? 'client' : 'node'} did not reconnect within ${resumeWindowMs / 1000} seconds.` };
    }
    if (!this.everConnected && now - this.startedAt >= resumeWindowMs) return { status: 'Failed', details: `The ${this.sockets.agent ? 'client' : 'node'} did not connect within ${resumeWindowMs / 1000} seconds.` };
    return undefined;
  }

  /**
   * Lets go of the sockets without a word: to either end it is a dropped connection, which it
   * resumes (through ResumeSession) at the session's current relay.
   */
  abandon(): void {
    this.ended = true;
    for (const side of ['client', 'agent'] as const) {
      this.sockets[side]?.terminate();
      this.sockets[side] = undefined;
    }
  }

  /** channel_closed to both sides, then both sockets close. */
  close(output: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const side of ['client', 'agent'] as const) {
      const ws = this.sockets[side];
      if (!ws) continue;
      const messageId = randomUUID();
      this.control(ws, {
        messageType: wire.MessageType.ChannelClosed,
        messageId,
        flags: wire.MessageFlags.Control,
        payload: wire.channelClosedPayload({ messageId, sessionId: this.sessionId, destinationId: this.ids[side], createdDate: new Date().toISOString(), output }),
      });
      ws.close(1000, 'session ended');
      this.sockets[side] = undefined;
    }
  }
}
