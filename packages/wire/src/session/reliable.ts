/**
 * A reliable, ordered, bidirectional stream of (payloadType, bytes) over AgentMessages, with no
 * socket inside: the transport is a `send(bytes)` callback given to {@link ReliableStream.attach}
 * and incoming messages are fed to {@link ReliableStream.receive}; time comes from a {@link Clock}.
 *
 * Two modes:
 * - `aws`: what AWS's agent and session-manager-plugin do. Each stream frame gets its own
 *   `acknowledge`; the receiver buffers frames that arrive early and re-acks duplicates; the
 *   sender keeps unacked frames and every 100 ms resends the oldest one if it is older than the
 *   RTO (SRTT/RTTVAR, 200 ms at first, at most 1 s). Frames carry at most 1024 payload bytes.
 * - `fast` (Capstan to Capstan, negotiated in the handshake): large frames, one cumulative
 *   acknowledge per `ackEvery` frames, `ackBytes` bytes or `ackDelay` ms (the AWS acknowledge JSON with
 *   `"Cumulative": true`), a byte window in flight with backpressure to the writer, go-back-N
 *   from the first unacked frame on timeout (RTO with Karn's rule and exponential backoff). When
 *   the receiver first holds frames past a gap it acknowledges at once with `"HighestReceived"`,
 *   and the sender resends just the missing frame once it has been out for 1.25 × SRTT.
 *
 * Acknowledgements are read by their content in both modes (cumulative or not), so switching a
 * side's mode with {@link ReliableStream.setMode} is safe at any moment.
 *
 * After the transport is replaced (a new WebSocket following a drop), `attach(newSend)` resends
 * everything unacknowledged; sequence numbers continue, and the receiver's buffer and duplicate
 * detection guarantee the consumer sees every byte exactly once, in order.
 */
import { randomUUID } from 'node:crypto';
import {
  MessageFlags,
  MessageType,
  PAYLOAD_OFFSET,
  PayloadType,
  acknowledgeMessage,
  decodeAgentMessage,
  encodeAgentMessage,
  parseAcknowledge,
  type AgentMessage,
  type AgentMessageInit,
} from './agent-message.js';
import { systemClock, type Clock } from './clock.js';

export type Role = 'client' | 'agent';
export type TransportMode = 'aws' | 'fast';
/**
 * Takes one encoded message to the peer. The transport must be done with the bytes (written or
 * copied them) by the time the peer acknowledges the frame: fast mode then writes the buffer again.
 */
export type Send = (bytes: Buffer) => void;

/** The largest frame payload AWS's agent and plugin produce; aws mode never exceeds it. */
export const AWS_FRAME_SIZE = 1024;
/**
 * Four whole 64 KiB socket reads and the header in front of them (a mux DATA header is 9 bytes)
 * fit one frame: at exactly 256 KiB, the 9 bytes left over from each 256 KiB of reads went as a
 * frame of their own, with all the per-frame work at every hop.
 */
export const FAST_FRAME_SIZE = 256 * 1024 + 64;
export const MAX_FRAME_SIZE = 1024 * 1024;
export const AWS_WINDOW = 1024 * 1024;
export const FAST_WINDOW = 4 * 1024 * 1024;

/** fast mode: messages of at least POOLED_MIN bytes are written into reused buffers that hold a whole frame, at most POOL_BUFFERS kept. */
const POOLED_MIN = 16 * 1024;
const POOL_BUFFERS = 16;

/** AWS's timer constants (the agent's and plugin's config). */
export const AwsTiming = {
  initialRtt: 100,
  initialRto: 200,
  maxRto: 1000,
  clockGranularity: 10,
  resendInterval: 100,
} as const;

export const FastTiming = {
  initialRto: 1000,
  minRto: 200,
  maxRto: 10_000,
  ackEvery: 16,
  ackDelay: 10,
  /** half the default fast window: large frames are acknowledged before the sender stalls on a full window */
  ackBytes: 2 * 1024 * 1024,
} as const;

/** Payload types that are byte streams: split into frames and coalesced freely. */
export function isStreamPayload(payloadType: number): boolean {
  return payloadType === PayloadType.Output || payloadType === PayloadType.StdErr;
}

export interface DataInfo {
  sequenceNumber: number;
  messageId: string;
}

export interface PayloadTransform {
  /** Applied to each frame's payload when it is first sent (e.g. KMS AES-GCM for some types). */
  outgoing?(payloadType: number, payload: Buffer): Buffer;
  /**
   * Whether `outgoing` would change a payload of this type now; without it, every payload goes
   * through `outgoing`. One it leaves alone is written into its message from the pieces it was
   * written in, not joined first.
   */
  transforms?(payloadType: number): boolean;
  /** Applied to each in-order frame's payload before delivery; a throw is reported via onError. */
  incoming?(payloadType: number, payload: Buffer): Buffer;
}

export interface ReliableStreamOptions {
  role: Role;
  /** default 'aws' */
  mode?: TransportMode;
  clock?: Clock;
  /** Each stream frame's payload, in order, exactly once. */
  onData: (payloadType: number, payload: Buffer, info: DataInfo) => void;
  /** Every message that is not stream data or an acknowledge (channel_closed, agent_session_state, publication…). */
  onControl?: (message: AgentMessage) => void;
  /** write() returned false earlier and the queue has now drained. */
  onDrain?: () => void;
  /** Undecodable input, bad acknowledge payloads, incoming transform failures. The stream carries on. */
  onError?: (error: Error) => void;
  /** Largest payload per frame. aws: at most (and default) 1024; fast: default 256 KiB. */
  frameSize?: number;
  /** Most payload bytes sent and not yet acknowledged. aws default 1 MiB, fast default 4 MiB. */
  window?: number;
  /** write() returns false once this many bytes wait unsent; default the frame size. */
  highWaterMark?: number;
  /** fast: acknowledge after this many frames delivered in order (default 16). */
  ackEvery?: number;
  /** fast: …or this many ms after the first unacknowledged one (default 10). */
  ackDelay?: number;
  /** fast: …or once frames of this many payload bytes were delivered unacknowledged (default 2 MiB). */
  ackBytes?: number;
  /** Most early (out-of-order) frames kept; more are dropped unacknowledged. Default 10 000. */
  receiveBufferFrames?: number;
  transform?: PayloadTransform;
  /** MessageId generator (default random UUIDs). */
  newMessageId?: () => string;
}

export interface ReliableStats {
  /** stream frames sent for the first time */
  framesSent: number;
  /** stream frames sent again (timeouts, fast retransmits, resume) */
  framesResent: number;
  /** payload bytes in first transmissions */
  bytesSent: number;
  /** bytes accepted by write() */
  bytesWritten: number;
  acksSent: number;
  acksReceived: number;
  /** stream frames that arrived, duplicates included */
  framesReceived: number;
  framesDelivered: number;
  bytesDelivered: number;
  duplicatesReceived: number;
  outOfOrderReceived: number;
  /** early frames dropped because the receive buffer was full */
  framesDropped: number;
  /** messages that failed to decode or carried a bad acknowledge */
  invalidReceived: number;
  timeouts: number;
  fastRetransmits: number;
  /** largest frame payload ever sent */
  maxFramePayload: number;
  /** most payload bytes ever in flight at once */
  maxInFlight: number;
  resumes: number;
}

interface PendingFrame {
  type: number;
  chunks: Buffer[];
  size: number;
}

interface SentFrame {
  seq: number;
  size: number;
  bytes: Buffer;
  /** The pooled buffer `bytes` is a view of, if it is one. */
  pooled: Buffer | undefined;
  lastSent: number;
  sends: number;
}

interface HeldFrame {
  type: number;
  payload: Buffer;
  messageId: string;
}

/** A FIFO with O(1) push/shift. */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  last(): T | undefined {
    return this.items.length > this.head ? this.items[this.items.length - 1] : undefined;
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

function zeroStats(): ReliableStats {
  return {
    framesSent: 0,
    framesResent: 0,
    bytesSent: 0,
    bytesWritten: 0,
    acksSent: 0,
    acksReceived: 0,
    framesReceived: 0,
    framesDelivered: 0,
    bytesDelivered: 0,
    duplicatesReceived: 0,
    outOfOrderReceived: 0,
    framesDropped: 0,
    invalidReceived: 0,
    timeouts: 0,
    fastRetransmits: 0,
    maxFramePayload: 0,
    maxInFlight: 0,
    resumes: 0,
  };
}

export class ReliableStream {
  readonly role: Role;
  readonly stats: ReliableStats = zeroStats();

  private readonly clock: Clock;
  private readonly opts: ReliableStreamOptions;
  private readonly sendType: string;
  private readonly recvType: string;
  private readonly newMessageId: () => string;

  private _mode: TransportMode;
  private _frameSize: number;
  private _window: number;
  private highWaterMark: number;
  private readonly ackEvery: number;
  private readonly ackDelay: number;
  private readonly ackBytes: number;
  private readonly receiveBufferFrames: number;

  private send: Send | undefined;
  private everAttached = false;
  private _paused = false;
  private _closed = false;

  // sending
  private pending = new Queue<PendingFrame>();
  private pendingBytes = 0;
  private inflight = new Map<number, SentFrame>();
  private inflightBytes = 0;
  /**
   * fast mode: message buffers of acknowledged frames, written again for new ones. Every new
   * buffer counts against V8's external memory and brings the next full collection closer, which
   * in a process with a large heap was a third of a forwarded megabyte's CPU.
   */
  private pool: Buffer[] = [];
  private nextSeq = 0;
  private needDrain = false;
  private pumping = false;
  private repump = false;
  private timer: unknown = undefined;
  private timerAt = 0;
  private srtt: number = AwsTiming.initialRtt;
  private rttvar = 0;
  private rttSampled = false;
  private anySample = false;
  private _rto: number = AwsTiming.initialRto;
  private backoff = 1;
  private fastRetransmitted = -1;
  private gapSeq = -1;
  private gapTimer: unknown = undefined;

  // receiving
  private expected = 0;
  private highestReceived = -1;
  private lastDeliveredId = '';
  private held = new Map<number, HeldFrame>();
  private unacked = 0;
  private unackedBytes = 0;
  private ackTimer: unknown = undefined;

  constructor(options: ReliableStreamOptions) {
    if (options.role !== 'client' && options.role !== 'agent') throw new TypeError(`role must be 'client' or 'agent', got ${String(options.role)}`);
    this.opts = options;
    this.role = options.role;
    this.clock = options.clock ?? systemClock;
    this.sendType = this.role === 'agent' ? MessageType.OutputStreamData : MessageType.InputStreamData;
    this.recvType = this.role === 'agent' ? MessageType.InputStreamData : MessageType.OutputStreamData;
    this.newMessageId = options.newMessageId ?? randomUUID;
    this.ackEvery = positiveInt('ackEvery', options.ackEvery ?? FastTiming.ackEvery);
    this.ackDelay = nonNegative('ackDelay', options.ackDelay ?? FastTiming.ackDelay);
    this.ackBytes = positiveInt('ackBytes', options.ackBytes ?? FastTiming.ackBytes);
    this.receiveBufferFrames = positiveInt('receiveBufferFrames', options.receiveBufferFrames ?? 10_000);
    this._mode = 'aws';
    this._frameSize = AWS_FRAME_SIZE;
    this._window = AWS_WINDOW;
    this.highWaterMark = AWS_FRAME_SIZE;
    this.setMode(options.mode ?? 'aws', {
      ...(options.frameSize !== undefined ? { frameSize: options.frameSize } : {}),
      ...(options.window !== undefined ? { window: options.window } : {}),
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // state

  get mode(): TransportMode {
    return this._mode;
  }
  get frameSize(): number {
    return this._frameSize;
  }
  get window(): number {
    return this._window;
  }
  /** Current retransmission timeout (ms). */
  get rto(): number {
    return Math.min(this.maxRto(), this._rto * this.backoff);
  }
  get smoothedRtt(): number {
    return this.srtt;
  }
  get attached(): boolean {
    return this.send !== undefined;
  }
  get paused(): boolean {
    return this._paused;
  }
  get closed(): boolean {
    return this._closed;
  }
  /** Payload bytes sent and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.inflightBytes;
  }
  get inFlightFrames(): number {
    return this.inflight.size;
  }
  /** Bytes written but not yet sent (window full, paused or detached). */
  get queuedBytes(): number {
    return this.pendingBytes;
  }
  /** The sequence number the next new frame will get. */
  get nextSequenceNumber(): number {
    return this.nextSeq;
  }
  /** The next sequence number this side expects to deliver. */
  get expectedSequenceNumber(): number {
    return this.expected;
  }
  /** Nothing queued and nothing unacknowledged. */
  get idle(): boolean {
    return this.pendingBytes === 0 && this.pending.length === 0 && this.inflight.size === 0;
  }

  /**
   * Switches this side's sending and acknowledging behaviour. Safe at any time: frames already
   * sent keep their size, acknowledgements are understood in both forms. aws mode caps the frame
   * size at 1024 bytes.
   */
  setMode(mode: TransportMode, options: { frameSize?: number; window?: number; highWaterMark?: number } = {}): void {
    if (mode !== 'aws' && mode !== 'fast') throw new TypeError(`mode must be 'aws' or 'fast', got ${String(mode)}`);
    const frameSize = options.frameSize ?? (mode === 'aws' ? AWS_FRAME_SIZE : FAST_FRAME_SIZE);
    positiveInt('frameSize', frameSize);
    if (mode === 'aws' && frameSize > AWS_FRAME_SIZE) throw new RangeError(`aws mode frames carry at most ${AWS_FRAME_SIZE} bytes, not ${frameSize}`);
    if (frameSize > MAX_FRAME_SIZE) throw new RangeError(`frameSize ${frameSize} is over the ${MAX_FRAME_SIZE}-byte limit`);
    const window = options.window ?? (mode === 'aws' ? AWS_WINDOW : FAST_WINDOW);
    positiveInt('window', window);
    if (window < frameSize) throw new RangeError(`window ${window} is smaller than one frame (${frameSize})`);
    const hwm = options.highWaterMark ?? frameSize;
    positiveInt('highWaterMark', hwm);
    const wasAws = this._mode === 'aws';
    const wasFast = this._mode === 'fast';
    this._mode = mode;
    this._frameSize = frameSize;
    this._window = window;
    this.highWaterMark = hwm;
    if (mode === 'fast' && wasAws) {
      // keep what aws mode measured, within fast mode's bounds; with no measurement, RFC 6298's 1 s
      this._rto = this.anySample
        ? Math.min(FastTiming.maxRto, Math.max(FastTiming.minRto, this.srtt + Math.max(AwsTiming.clockGranularity, 4 * this.rttvar)))
        : FastTiming.initialRto;
      this.rttSampled = this.anySample;
    } else if (mode === 'aws') {
      this.pool = [];
      this._rto = this.anySample ? Math.min(AwsTiming.maxRto, this._rto) : AwsTiming.initialRto;
      this.backoff = 1;
      if (wasFast) this.flushAck();
    }
    this.cancelTimer();
    this.pump();
  }

  // -------------------------------------------------------------------------------------------
  // transport

  /**
   * Gives the stream a transport. On a replacement (any attach after the first), every
   * unacknowledged frame is resent in order and, in fast mode, the current cumulative
   * acknowledge is repeated; then queued data flows.
   */
  attach(send: Send): void {
    if (this._closed) throw new Error('ReliableStream is closed');
    const resume = this.everAttached;
    this.send = send;
    this.everAttached = true;
    this._paused = false;
    if (resume) {
      this.stats.resumes++;
      this.backoff = 1;
      for (const f of this.inflight.values()) this.resend(f);
      if (this._mode === 'fast' && this.expected > 0) this.sendCumulativeAck();
    }
    this.pump();
    this.armTimer();
  }

  /** Forgets the transport (it dropped). Nothing is lost: writes queue, unacked frames wait. */
  detach(): void {
    this.send = undefined;
    this.cancelTimer();
    this.cancelGapTimer();
    if (this.ackTimer !== undefined) {
      this.clock.clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
  }

  /** Stops everything and drops all state. Later writes throw; later input is ignored. */
  close(): void {
    if (this._closed) return;
    this.detach();
    this._closed = true;
    this.pending.clear();
    this.pendingBytes = 0;
    this.inflight.clear();
    this.pool = [];
    this.inflightBytes = 0;
    this.held.clear();
  }

  /** Sends a message outside the stream (no sequence, no retransmission). False when detached. */
  sendControl(init: AgentMessageInit): boolean {
    if (!this.send || this._closed) return false;
    this.send(encodeAgentMessage({ createdDate: this.epochMs(), ...init }));
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // writing

  /**
   * Queues a payload. Output/StdErr bytes are split into frames of at most the frame size (and
   * coalesced with queued unsent bytes of the same type); other types go as one frame each.
   * A payload may come in pieces (an array), which travel as if joined. Returns false when the
   * caller should wait for onDrain (like a Node writable). The bytes are not copied: do not change
   * them after writing.
   */
  write(payloadType: number, bytes: Uint8Array | readonly Uint8Array[]): boolean {
    if (this._closed) throw new Error('ReliableStream is closed');
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 0xffffffff) {
      throw new RangeError(`payloadType must be a uint32, got ${payloadType}`);
    }
    const parts = isPieces(bytes) ? bytes.map(asBuffer) : [asBuffer(bytes)];
    if (isStreamPayload(payloadType)) {
      for (const data of parts) this.queueStream(payloadType, data);
    } else {
      const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (data.length > MAX_FRAME_SIZE) throw new RangeError(`a ${data.length}-byte payload of type ${payloadType} does not fit one frame`);
      this.stats.bytesWritten += data.length;
      this.pending.push({ type: payloadType, chunks: [data], size: data.length });
      this.pendingBytes += data.length;
    }
    this.pump();
    const ok = this.pendingBytes < this.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Stream bytes into pending frames: the last one's room first, then new frames of the frame size. */
  private queueStream(payloadType: number, data: Buffer): void {
    this.stats.bytesWritten += data.length;
    let off = 0;
    const last = this.pending.last();
    if (last && last.type === payloadType && last.size < this._frameSize && data.length > 0) {
      const n = Math.min(this._frameSize - last.size, data.length);
      last.chunks.push(data.subarray(0, n));
      last.size += n;
      this.pendingBytes += n;
      off = n;
    }
    while (off < data.length) {
      const n = Math.min(this._frameSize, data.length - off);
      this.pending.push({ type: payloadType, chunks: [data.subarray(off, off + n)], size: n });
      this.pendingBytes += n;
      off += n;
    }
  }

  private pump(): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.repump = false;
        while (this.send && !this._paused && !this._closed) {
          const f = this.pending.peek();
          if (!f) break;
          if (this.inflightBytes > 0 && this.inflightBytes + f.size > this._window) break;
          this.pending.shift();
          this.pendingBytes -= f.size;
          this.transmitNew(f);
        }
      } while (this.repump);
    } finally {
      this.pumping = false;
    }
    this.armTimer();
    if (this.needDrain && this.pendingBytes < this.highWaterMark && !this._closed) {
      this.needDrain = false;
      this.opts.onDrain?.();
    }
  }

  private transmitNew(f: PendingFrame): void {
    const seq = this.nextSeq++;
    // without a transform the pieces go straight into the message: one copy, not two
    const t = this.opts.transform;
    const outgoing = t?.outgoing && (t.transforms?.(f.type) ?? true) ? t.outgoing : undefined;
    let payload: Buffer | undefined;
    if (outgoing) payload = outgoing(f.type, f.chunks.length === 1 ? f.chunks[0]! : Buffer.concat(f.chunks, f.size));
    else if (f.chunks.length === 1) payload = f.chunks[0]!;
    const now = this.clock.now();
    const pooled = this.takePooled(PAYLOAD_OFFSET + (payload ? payload.length : f.size));
    const bytes = encodeAgentMessage(
      {
      messageType: this.sendType,
      schemaVersion: 1,
      createdDate: Math.floor(now),
      sequenceNumber: seq,
      flags: this.role === 'agent' && seq === 0 ? MessageFlags.SYN : 0,
      messageId: this.newMessageId(),
      payloadType: f.type,
      ...(payload ? { payload } : { payloadParts: f.chunks }),
      digest: this.mode !== 'fast',
      },
      pooled,
    );
    const sent: SentFrame = { seq, size: f.size, bytes, pooled, lastSent: now, sends: 1 };
    this.inflight.set(seq, sent);
    this.inflightBytes += f.size;
    this.stats.framesSent++;
    this.stats.bytesSent += f.size;
    const payloadLength = bytes.length - PAYLOAD_OFFSET;
    if (payloadLength > this.stats.maxFramePayload) this.stats.maxFramePayload = payloadLength;
    if (this.inflightBytes > this.stats.maxInFlight) this.stats.maxInFlight = this.inflightBytes;
    this.send!(bytes);
  }

  /** A pooled buffer for a large fast-mode message (a fresh one when none fits); undefined for small messages. */
  private takePooled(size: number): Buffer | undefined {
    if (this._mode !== 'fast' || size < POOLED_MIN) return undefined;
    for (let i = this.pool.length - 1; i >= 0; i--) {
      const b = this.pool[i]!;
      if (b.length >= size) {
        this.pool[i] = this.pool[this.pool.length - 1]!;
        this.pool.pop();
        return b;
      }
    }
    // Room for the largest frame, so that any pooled buffer serves any message (and large enough
    // that Node gives it memory of its own, never a slice of the shared pool).
    return Buffer.allocUnsafe(Math.max(size, PAYLOAD_OFFSET + this._frameSize));
  }

  /**
   * An acknowledged frame's buffer goes back to the pool, if it was sent only once: its one write
   * has then reached the peer, so no socket still reads from it. A resent frame's buffer may sit
   * in an older socket's queue and is left to the garbage collector.
   */
  private recycle(f: SentFrame): void {
    if (f.pooled && f.sends === 1 && this.pool.length < POOL_BUFFERS && this._mode === 'fast') this.pool.push(f.pooled);
    f.pooled = undefined;
  }

  private resend(f: SentFrame): void {
    if (!this.send) return;
    f.lastSent = this.clock.now();
    f.sends++;
    this.stats.framesResent++;
    this.send(f.bytes);
  }

  // -------------------------------------------------------------------------------------------
  // retransmission

  /** CreatedDate for messages: whole epoch milliseconds. */
  private epochMs(): number {
    return Math.floor(this.clock.now());
  }

  private maxRto(): number {
    return this._mode === 'aws' ? AwsTiming.maxRto : FastTiming.maxRto;
  }

  private head(): SentFrame | undefined {
    const it = this.inflight.values().next();
    return it.done ? undefined : it.value;
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private armTimer(): void {
    if (!this.send || this._paused || this._closed || this.inflight.size === 0) {
      this.cancelTimer();
      return;
    }
    if (this._mode === 'aws') {
      // AWS: a fixed-period check of the head of the outgoing list
      if (this.timer === undefined) {
        this.timerAt = this.clock.now() + AwsTiming.resendInterval;
        this.timer = this.clock.setTimeout(() => this.onTimer(), AwsTiming.resendInterval);
      }
      return;
    }
    const due = this.head()!.lastSent + this.rto;
    // an earlier timer stays: it re-arms itself when it finds nothing due
    if (this.timer !== undefined && this.timerAt <= due) return;
    this.cancelTimer();
    this.timerAt = due;
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(1, due - this.clock.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.send || this._paused || this._closed) return;
    const head = this.head();
    if (!head) return;
    const now = this.clock.now();
    if (this._mode === 'aws') {
      if (now - head.lastSent > this.rto) {
        this.stats.timeouts++;
        this.resend(head);
      }
    } else if (now - head.lastSent >= this.rto) {
      // go-back-N from the first unacknowledged frame
      this.stats.timeouts++;
      this.backoff = Math.min(this.backoff * 2, 64);
      for (const f of this.inflight.values()) this.resend(f);
    }
    this.armTimer();
  }

  private sampleRtt(r: number): void {
    this.anySample = true;
    if (this._mode === 'aws') {
      // AWS's update, from SRTT 100 ms / RTTVAR 0
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
      this._rto = Math.min(AwsTiming.maxRto, this.srtt + Math.max(AwsTiming.clockGranularity, 4 * this.rttvar));
      return;
    }
    if (!this.rttSampled) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rttSampled = true;
    this._rto = Math.min(FastTiming.maxRto, Math.max(FastTiming.minRto, this.srtt + Math.max(AwsTiming.clockGranularity, 4 * this.rttvar)));
  }

  /**
   * The peer holds frames after `missing` but not `missing` itself: resend it once, as soon as
   * it has been out longer than 1.25 × SRTT (sooner it may just be reordered, not lost).
   */
  private onGap(missing: number): void {
    const head = this.head();
    if (!head || head.seq !== missing || this.fastRetransmitted === missing) return;
    const wait = head.lastSent + Math.max(AwsTiming.clockGranularity, 1.25 * this.srtt) - this.clock.now();
    if (wait <= 0) {
      this.fastRetransmit(head);
      return;
    }
    if (this.gapSeq === missing && this.gapTimer !== undefined) return;
    this.cancelGapTimer();
    this.gapSeq = missing;
    this.gapTimer = this.clock.setTimeout(() => {
      this.gapTimer = undefined;
      const h = this.head();
      if (h && h.seq === this.gapSeq && this.fastRetransmitted !== h.seq && this.send && !this._paused && !this._closed) this.fastRetransmit(h);
    }, wait);
  }

  private fastRetransmit(f: SentFrame): void {
    this.fastRetransmitted = f.seq;
    this.stats.fastRetransmits++;
    this.resend(f);
  }

  private cancelGapTimer(): void {
    if (this.gapTimer !== undefined) {
      this.clock.clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
  }

  private removeInflight(f: SentFrame): void {
    this.inflight.delete(f.seq);
    this.inflightBytes -= f.size;
  }

  private onAcknowledge(message: AgentMessage): void {
    let ack;
    try {
      ack = parseAcknowledge(message.payload);
    } catch (err) {
      this.stats.invalidReceived++;
      this.opts.onError?.(err as Error);
      return;
    }
    this.stats.acksReceived++;
    this._paused = false;
    const seq = ack.AcknowledgedMessageSequenceNumber;
    const now = this.clock.now();
    if (ack.Cumulative) {
      let newest: SentFrame | undefined;
      for (let f = this.head(); f && f.seq <= seq; f = this.head()) {
        this.removeInflight(f);
        if (newest) this.recycle(newest);
        newest = f;
      }
      if (newest) {
        if (newest.sends === 1) this.sampleRtt(now - newest.lastSent);
        this.backoff = 1;
        this.recycle(newest);
      }
      if (ack.HighestReceived !== undefined && ack.HighestReceived > seq && this._mode === 'fast') this.onGap(seq + 1);
    } else {
      const f = this.inflight.get(seq);
      if (f) {
        // AWS measures from the last (re)send, retransmitted or not
        this.sampleRtt(now - f.lastSent);
        this.removeInflight(f);
        this.recycle(f);
      }
    }
    this.pump();
  }

  // -------------------------------------------------------------------------------------------
  // receiving

  /** Feeds one encoded AgentMessage from the transport. The stream keeps (views of) the bytes. */
  receive(bytes: Uint8Array): void {
    if (this._closed) return;
    let message: AgentMessage;
    try {
      message = decodeAgentMessage(bytes);
    } catch (err) {
      this.stats.invalidReceived++;
      this.opts.onError?.(err as Error);
      return;
    }
    switch (message.messageType) {
      case this.recvType:
        this.onStreamFrame(message);
        return;
      case MessageType.Acknowledge:
        this.onAcknowledge(message);
        return;
      case MessageType.PausePublication:
        this._paused = true;
        this.cancelTimer();
        break;
      case MessageType.StartPublication:
        this._paused = false;
        this.pump();
        break;
    }
    this.opts.onControl?.(message);
  }

  private onStreamFrame(m: AgentMessage): void {
    this.stats.framesReceived++;
    if (this._paused) {
      this._paused = false;
      this.pump();
    }
    const seq = m.sequenceNumber;
    const fast = this._mode === 'fast';
    if (seq > this.highestReceived) this.highestReceived = seq;
    if (seq < this.expected || this.held.has(seq)) {
      this.stats.duplicatesReceived++;
      // fast: the peer resent because an acknowledge went missing; one delayed ack covers a burst
      if (fast) this.scheduleAck();
      else this.sendAck(m.sequenceNumber, m.messageId);
      return;
    }
    if (seq > this.expected) {
      this.stats.outOfOrderReceived++;
      if (this.held.size >= this.receiveBufferFrames) {
        this.stats.framesDropped++;
        return;
      }
      const firstGap = this.held.size === 0;
      this.held.set(seq, { type: m.payloadType, payload: m.payload, messageId: m.messageId });
      if (!fast) this.sendAck(seq, m.messageId);
      else if (firstGap && this.expected > 0) this.sendCumulativeAck();
      return;
    }
    // in order
    if (!this.deliver(seq, m.payloadType, m.payload, m.messageId)) return;
    if (!fast) this.sendAck(seq, m.messageId);
    let filled = false;
    for (let h = this.held.get(this.expected); h && !this._closed; h = this.held.get(this.expected)) {
      this.held.delete(this.expected);
      filled = true;
      // early frames were acknowledged on arrival in aws mode
      if (!this.deliver(this.expected, h.type, h.payload, h.messageId)) return;
    }
    if (this._closed) return;
    if (this._mode === 'fast') {
      if (filled || this.unacked >= this.ackEvery || this.unackedBytes >= this.ackBytes) this.sendCumulativeAck();
      else this.scheduleAck();
    }
  }

  /** Hands one in-order frame to the consumer; false if the incoming transform rejected it. */
  private deliver(seq: number, type: number, payload: Buffer, messageId: string): boolean {
    let data = payload;
    if (this.opts.transform?.incoming) {
      try {
        data = this.opts.transform.incoming(type, payload);
      } catch (err) {
        this.stats.invalidReceived++;
        this.opts.onError?.(err as Error);
        return false;
      }
    }
    this.expected = seq + 1;
    this.lastDeliveredId = messageId;
    if (this._mode === 'fast') {
      this.unacked++;
      this.unackedBytes += payload.length;
    }
    this.stats.framesDelivered++;
    this.stats.bytesDelivered += data.length;
    this.opts.onData(type, data, { sequenceNumber: seq, messageId });
    return true;
  }

  private sendAck(seq: number, messageId: string): void {
    if (!this.send || this._closed) return;
    this.stats.acksSent++;
    this.send(
      encodeAgentMessage(
        acknowledgeMessage({ messageType: this.recvType, messageId, sequenceNumber: seq }, { createdDate: this.epochMs(), messageId: this.newMessageId() }),
      ),
    );
  }

  private sendCumulativeAck(): void {
    if (this.ackTimer !== undefined) {
      this.clock.clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    this.unacked = 0;
    this.unackedBytes = 0;
    if (!this.send || this._closed || this.expected === 0) return;
    this.stats.acksSent++;
    this.send(
      encodeAgentMessage(
        acknowledgeMessage(
          { messageType: this.recvType, messageId: this.lastDeliveredId, sequenceNumber: this.expected - 1 },
          {
            cumulative: true,
            ...(this.held.size > 0 ? { highestReceived: this.highestReceived } : {}),
            createdDate: this.epochMs(),
            messageId: this.newMessageId(),
          },
        ),
      ),
    );
  }

  private scheduleAck(): void {
    if (this.ackTimer !== undefined || !this.send || this._closed) return;
    this.ackTimer = this.clock.setTimeout(() => {
      this.ackTimer = undefined;
      this.sendCumulativeAck();
    }, this.ackDelay);
  }

  /** When leaving fast mode, acknowledge what is owed so the peer is not left waiting. */
  private flushAck(): void {
    if (this.unacked > 0 || this.ackTimer !== undefined) this.sendCumulativeAck();
  }
}

function isPieces(b: Uint8Array | readonly Uint8Array[]): b is readonly Uint8Array[] {
  return Array.isArray(b);
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number, got ${v}`);
  return v;
}

