/**
 * A small stream multiplexer for port forwarding: many TCP connections inside one reliable
 * session stream. Capstan's own framing (AWS uses smux here; Capstan ↔ Capstan uses this):
 *
 *   type u8 | streamId u32 | length u32 | payload
 *
 *   1 OPEN    payload JSON {"host"?: string, "port"?: number} (a TCP destination), or
 *             {"file": {"op": "get"|"put", "path": string, "mode"?: number, "name"?: string}}
 *             (a file copy, in sessions of type CapstanFileCopy)
 *   2 DATA    payload bytes (at most the receiver's remaining credit for the stream)
 *   3 FIN     the sender will send no more data on the stream (half close)
 *   4 RST     payload UTF-8 reason; the stream is gone in both directions
 *   5 WINDOW  payload u32: more bytes of credit for the stream
 *
 * Flow control is per stream and credit-based: each side may send a stream at most
 * `initialWindow` bytes (256 KiB, fixed by the protocol) beyond what the receiving application
 * has consumed, and the receiver returns credit (WINDOW) as its application takes data. A
 * receiver may allow more (`receiveWindow`) by granting the difference in a WINDOW as soon as the
 * stream exists; a peer that does not grant it leaves the sender at the initial window, so both
 * ends need not agree on it. A stream whose reader is stalled
 * (paused, as a TCP socket's write() returning false should pause it) therefore holds at most one
 * window of the session's bytes and never blocks the others. Data frames from ready streams are
 * interleaved round-robin in chunks of `maxChunk` bytes. The multiplexer only asks `send` to take
 * more data while `send` keeps returning true (call {@link Mux.drain} when the transport drains);
 * control frames are always sent at once, so credit can never deadlock.
 *
 * Stream ids: the client opens odd ids, the agent even ones. Frames for unknown ids are ignored
 * (they may be in flight after a reset), except OPEN.
 */

import { FAST_FRAME_SIZE } from './reliable.js';

export const MuxFrameType = {
  Open: 1,
  Data: 2,
  Fin: 3,
  Rst: 4,
  Window: 5,
} as const;
export type MuxFrameTypeNumber = (typeof MuxFrameType)[keyof typeof MuxFrameType];

export const MUX_HEADER_LENGTH = 9;
export const MUX_DEFAULT_WINDOW = 256 * 1024;
/** A whole socket read (Node reads at most 64 KiB) in one DATA frame: fewer, larger frames cost less at every hop. */
export const MUX_DEFAULT_CHUNK = 64 * 1024;
/**
 * What port forwarding lets the peer send a stream ahead of its reader, and so what a stream with
 * a stalled reader holds at most. At 4 MiB (the fast transport's window) one stream can keep the
 * session's window full instead of waiting for credit, and the credit returned in quarter-window
 * WINDOW frames is one control frame per MiB of data.
 */
export const MUX_PORT_RECEIVE_WINDOW = 4 * 1024 * 1024;
/** Port forwarding's largest DATA payload: four 64 KiB socket reads, which with the header fit one fast-mode frame of the reliable stream. */
export const MUX_PORT_CHUNK = Math.min(256 * 1024, FAST_FRAME_SIZE - MUX_HEADER_LENGTH);
/** A full socket read (Node reads at most 64 KiB): port forwarding defers only these ({@link MuxOptions.deferFrom}). */
export const MUX_PORT_DEFER_FROM = 64 * 1024;
/**
 * What a port-forwarding stream queues before write() asks its socket to pause: room for a burst
 * of socket reads to gather into full frames (see {@link MuxOptions.defer}).
 */
export const MUX_PORT_HIGH_WATER_MARK = 2 * FAST_FRAME_SIZE;
/** Frames longer than this are a protocol error. */
export const MUX_MAX_PAYLOAD = 1024 * 1024;

/** A file copy a stream carries: `get` reads `path` on the node, `put` writes it (`name`: the source's base name, used when `path` is a directory). */
export interface FileRequest {
  op: 'get' | 'put';
  path: string;
  /** permission bits for the written file (put) */
  mode?: number;
  name?: string;
}

export interface OpenTarget {
  host?: string;
  port?: number;
  file?: FileRequest;
}

const MAX_PATH = 4096;

/** Why a file request is malformed, or undefined when it is well formed. */
function fileRequestProblem(f: unknown): string | undefined {
  if (f === null || typeof f !== 'object' || Array.isArray(f)) return 'file must be an object';
  const o = f as Record<string, unknown>;
  if (o['op'] !== 'get' && o['op'] !== 'put') return `file.op must be "get" or "put", not ${JSON.stringify(o['op'])}`;
  const path = o['path'];
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH || path.includes('\0')) return `file.path must be a 1–${MAX_PATH} character path without NUL`;
  const mode = o['mode'];
  if (mode !== undefined && (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777)) return `file.mode must be permission bits 0–0o7777, not ${JSON.stringify(mode)}`;
  const name = o['name'];
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 255 || /[/\0]/.test(name) || name === '.' || name === '..')) return 'file.name must be a plain file name';
  return undefined;
}

function fileRequestOf(o: Record<string, unknown>): FileRequest {
  const f: FileRequest = { op: o['op'] as FileRequest['op'], path: o['path'] as string };
  if (o['mode'] !== undefined) f.mode = o['mode'] as number;
  if (o['name'] !== undefined) f.name = o['name'] as string;
  return f;
}

export interface MuxFrame {
  type: MuxFrameTypeNumber;
  streamId: number;
  payload: Buffer;
}

export class MuxProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MuxProtocolError';
  }
}

export function encodeMuxFrame(type: MuxFrameTypeNumber, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (!Number.isInteger(streamId) || streamId <= 0 || streamId > 0xffffffff) throw new RangeError(`streamId must be 1..2^32-1, got ${streamId}`);
  if (payload.length > MUX_MAX_PAYLOAD) throw new RangeError(`mux payload of ${payload.length} bytes is over ${MUX_MAX_PAYLOAD}`);
  const out = Buffer.allocUnsafe(MUX_HEADER_LENGTH + payload.length);
  out.writeUInt8(type, 0);
  out.writeUInt32BE(streamId, 1);
  out.writeUInt32BE(payload.length, 5);
  out.set(payload, MUX_HEADER_LENGTH);
  return out;
}

function muxHeader(type: MuxFrameTypeNumber, streamId: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(MUX_HEADER_LENGTH);
  h[0] = type;
  h.writeUInt32BE(streamId, 1);
  h.writeUInt32BE(length, 5);
  return h;
}

export function encodeOpenPayload(target: OpenTarget): Buffer {
  const t: OpenTarget = {};
  if (target.host !== undefined) {
    if (typeof target.host !== 'string' || target.host.length === 0 || target.host.length > 253) throw new RangeError(`host must be 1–253 characters`);
    t.host = target.host;
  }
  if (target.port !== undefined) {
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new RangeError(`port must be 1–65535, got ${target.port}`);
    t.port = target.port;
  }
  if (target.file !== undefined) {
    const problem = fileRequestProblem(target.file);
    if (problem) throw new RangeError(problem);
    t.file = fileRequestOf(target.file as unknown as Record<string, unknown>);
  }
  return Buffer.from(JSON.stringify(t), 'utf8');
}

export function parseOpenPayload(payload: Uint8Array): OpenTarget {
  if (payload.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    throw new MuxProtocolError('OPEN payload is not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new MuxProtocolError('OPEN payload must be a JSON object');
  const o = v as Record<string, unknown>;
  const t: OpenTarget = {};
  if (o['host'] !== undefined) {
    if (typeof o['host'] !== 'string' || o['host'].length === 0 || o['host'].length > 253) throw new MuxProtocolError('OPEN host must be a 1–253 character string');
    t.host = o['host'];
  }
  if (o['port'] !== undefined) {
    const p = o['port'];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) throw new MuxProtocolError(`OPEN port must be 1–65535, got ${JSON.stringify(p)}`);
    t.port = p;
  }
  if (o['file'] !== undefined) {
    const problem = fileRequestProblem(o['file']);
    if (problem) throw new MuxProtocolError(`OPEN ${problem}`);
    t.file = fileRequestOf(o['file'] as Record<string, unknown>);
  }
  return t;
}

/**
 * Splits a byte stream into mux frames, whatever the chunk boundaries. Payloads are views of the
 * pushed chunks; only a frame split between two chunks is copied (just that frame).
 */
export class MuxFrameParser {
  /** The start of a frame whose rest has not come yet. */
  private partial: Buffer | undefined;

  /** Appends bytes and returns every frame now complete. Throws MuxProtocolError on garbage. */
  push(chunk: Uint8Array): MuxFrame[] {
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const frames: MuxFrame[] = [];
    // finish a split frame first (its header, then its payload), taking from `data` only what it needs
    while (this.partial) {
      const have = this.partial;
      const want = have.length < MUX_HEADER_LENGTH ? MUX_HEADER_LENGTH : MUX_HEADER_LENGTH + frameLength(have, 0);
      if (have.length === want) {
        frames.push(frameAt(have, 0));
        this.partial = undefined;
        break;
      }
      if (data.length === 0) return frames;
      const take = Math.min(want - have.length, data.length);
      this.partial = Buffer.concat([have, data.subarray(0, take)]);
      data = data.subarray(take);
    }
    let off = 0;
    while (data.length - off >= MUX_HEADER_LENGTH) {
      const length = frameLength(data, off);
      if (data.length - off - MUX_HEADER_LENGTH < length) break;
      frames.push(frameAt(data, off));
      off += MUX_HEADER_LENGTH + length;
    }
    if (off < data.length) {
      const rest = data.subarray(off);
      if (rest.length >= MUX_HEADER_LENGTH) frameLength(rest, 0); // garbage is reported now, not when the rest comes
      this.partial = rest;
    }
    return frames;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.partial?.length ?? 0;
  }
}

/** The payload length of the frame whose header starts at `off`, after checking the header. */
function frameLength(buf: Buffer, off: number): number {
  const type = buf[off]!;
  if (type < MuxFrameType.Open || type > MuxFrameType.Window) throw new MuxProtocolError(`unknown mux frame type ${type}`);
  if (buf.readUInt32BE(off + 1) === 0) throw new MuxProtocolError('mux stream id 0 is reserved');
  const length = buf.readUInt32BE(off + 5);
  if (length > MUX_MAX_PAYLOAD) throw new MuxProtocolError(`mux frame of ${length} bytes is over ${MUX_MAX_PAYLOAD}`);
  return length;
}

/** The whole frame at `off` (already checked by frameLength). */
function frameAt(buf: Buffer, off: number): MuxFrame {
  const start = off + MUX_HEADER_LENGTH;
  return { type: buf[off] as MuxFrameTypeNumber, streamId: buf.readUInt32BE(off + 1), payload: buf.subarray(start, start + buf.readUInt32BE(off + 5)) };
}

/**
 * The options of a mux as port forwarding and file copy run it over a session's Output payloads
 * (`write`): a deep window, large frames gathered from a burst of full reads (`defer` runs a
 * function at the end of the turn: setImmediate), and DATA frames passed as header and payload.
 */
export function portMuxOptions(
  write: (bytes: Buffer | readonly Buffer[]) => boolean | void,
  defer: (fn: () => void) => void,
): Pick<MuxOptions, 'receiveWindow' | 'maxChunk' | 'streamHighWaterMark' | 'defer' | 'deferFrom' | 'send' | 'sendParts'> {
  return {
    receiveWindow: MUX_PORT_RECEIVE_WINDOW,
    maxChunk: MUX_PORT_CHUNK,
    streamHighWaterMark: MUX_PORT_HIGH_WATER_MARK,
    defer,
    deferFrom: MUX_PORT_DEFER_FROM,
    send: write,
    sendParts: write,
  };
}

export interface MuxOptions {
  role: 'client' | 'agent';
  /** Takes mux bytes to the peer (e.g. a ReliableStream's Output); false asks to hold data until drain(). */
  send: (bytes: Buffer) => boolean | void;
  /** Like `send`, for a DATA frame as its header and payload: a transport that joins pieces as it frames them spares a copy. */
  sendParts?: (parts: Buffer[]) => boolean | void;
  /** The peer opened a stream. Set the stream's handlers before returning. */
  onStream?: (stream: MuxStream, target: OpenTarget) => void;
  /** A fatal protocol error; the mux has closed itself (and reset every stream locally). */
  onError?: (error: Error) => void;
  /** Credit per stream and direction before any WINDOW (default 256 KiB; both ends must use the same). */
  initialWindow?: number;
  /** What this side lets the peer send a stream ahead of its reader (default and at least `initialWindow`); the excess is granted when the stream opens. */
  receiveWindow?: number;
  /** Largest DATA frame sent (default 16 KiB). */
  maxChunk?: number;
  /** A stream's write() returns false past this many unsent bytes (default 64 KiB). */
  streamHighWaterMark?: number;
  /**
   * Runs a function later (setImmediate). With it, DATA written in one turn of the event loop
   * leaves together, in frames of up to `maxChunk`: a burst of 64 KiB socket reads becomes one
   * large frame, and each frame costs a WebSocket message and a system call at every hop.
   * Without it, data is sent as it is written.
   */
  defer?: (fn: () => void) => void;
  /**
   * With `defer`: only writes of at least this many bytes wait (default: all of them). A socket
   * read shorter than a full one found the socket empty, so nothing more is coming this turn: it
   * goes at once, with whatever waits, and a keystroke or a request pays no extra delay.
   */
  deferFrom?: number;
}

export interface MuxStats {
  framesSent: number;
  framesReceived: number;
  dataBytesSent: number;
  dataBytesReceived: number;
  windowUpdatesSent: number;
  streamsOpened: number;
  streamsAccepted: number;
}

export class MuxStream {
  readonly id: number;
  readonly target: OpenTarget;
  private dataHandler: ((data: Buffer) => void) | undefined;
  /** The peer finished sending (after every byte was delivered). */
  onEnd: (() => void) | undefined;
  /** The peer reset the stream. */
  onReset: ((reason: string) => void) | undefined;
  /** write() returned false and the queue has drained. */
  onDrain: (() => void) | undefined;
  /** Closed in both directions (FIN both ways or RST either way). */
  onClose: (() => void) | undefined;

  /** @internal */ sendQueue: Buffer[] = [];
  /** @internal */ queued = 0;
  /** @internal */ sendCredit: number;
  /** @internal */ recvAllowance: number;
  /** @internal */ toGrant = 0;
  /** @internal */ recvBuffer: Buffer[] = [];
  /** @internal */ recvBuffered = 0;
  /** @internal */ inReady = false;
  /** @internal */ needDrain = false;
  /** @internal */ finQueued = false;
  /** @internal */ finSent = false;
  /** @internal */ remoteFin = false;
  /** @internal */ endDelivered = false;
  /** @internal */ closedFlag = false;
  /** @internal */ pausedFlag = false;

  /** @internal */
  constructor(
    private readonly mux: Mux,
    id: number,
    target: OpenTarget,
    window: number,
  ) {
    this.id = id;
    this.target = target;
    this.sendCredit = window;
    this.recvAllowance = window;
  }

  /** Receives the stream's bytes in order. Data that came before a handler was set is held and delivered when one is. */
  get onData(): ((data: Buffer) => void) | undefined {
    return this.dataHandler;
  }
  set onData(fn: ((data: Buffer) => void) | undefined) {
    this.dataHandler = fn;
    if (fn && (this.recvBuffered > 0 || this.remoteFin)) this.mux._deliverHeld(this);
  }

  /** Queues bytes; false when the caller should wait for onDrain. */
  write(data: Uint8Array): boolean {
    if (this.closedFlag) throw new Error(`mux stream ${this.id} is closed`);
    if (this.finQueued) throw new Error(`mux stream ${this.id}: write after end()`);
    if (data.length > 0) {
      const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      this.sendQueue.push(b);
      this.queued += b.length;
      this.mux._written(this, b.length);
    }
    const ok = this.queued < this.mux.streamHighWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Half-closes: FIN goes after every queued byte. */
  end(): void {
    if (this.closedFlag || this.finQueued) return;
    this.finQueued = true;
    this.mux._ready(this);
  }

  /** Resets the stream in both directions; queued data is dropped. */
  reset(reason = ''): void {
    if (this.closedFlag) return;
    this.mux._sendControl(MuxFrameType.Rst, this.id, Buffer.from(reason, 'utf8'));
    this.mux._close(this);
  }

  /** Stops delivering data; it is held (at most one window) and its credit is not returned. */
  pause(): void {
    this.pausedFlag = true;
  }

  /** Delivers held data, returns its credit, and carries on delivering. */
  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.mux._deliverHeld(this);
  }

  get paused(): boolean {
    return this.pausedFlag;
  }
  get closed(): boolean {
    return this.closedFlag;
  }
  /** Bytes written and not yet sent (waiting for credit or the transport). */
  get queuedBytes(): number {
    return this.queued;
  }
  /** Bytes received and not yet delivered (paused). */
  get heldBytes(): number {
    return this.recvBuffered;
  }
  /** Bytes this side may still send before the peer grants more. */
  get credit(): number {
    return this.sendCredit;
  }
}

export class Mux {
  readonly role: 'client' | 'agent';
  readonly initialWindow: number;
  readonly receiveWindow: number;
  readonly maxChunk: number;
  readonly streamHighWaterMark: number;
  readonly stats: MuxStats = {
    framesSent: 0,
    framesReceived: 0,
    dataBytesSent: 0,
    dataBytesReceived: 0,
    windowUpdatesSent: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
  };

  private readonly opts: MuxOptions;
  private readonly parser = new MuxFrameParser();
  private readonly streams = new Map<number, MuxStream>();
  private ready: MuxStream[] = [];
  private nextId: number;
  private blocked = false;
  private flushing = false;
  private reflush = false;
  private deferred = false;
  private closedFlag = false;

  constructor(options: MuxOptions) {
    if (options.role !== 'client' && options.role !== 'agent') throw new TypeError(`role must be 'client' or 'agent'`);
    this.opts = options;
    this.role = options.role;
    this.initialWindow = options.initialWindow ?? MUX_DEFAULT_WINDOW;
    this.receiveWindow = options.receiveWindow ?? this.initialWindow;
    this.maxChunk = options.maxChunk ?? MUX_DEFAULT_CHUNK;
    this.streamHighWaterMark = options.streamHighWaterMark ?? 64 * 1024;
    for (const [k, v] of [
      ['initialWindow', this.initialWindow],
      ['receiveWindow', this.receiveWindow],
      ['maxChunk', this.maxChunk],
      ['streamHighWaterMark', this.streamHighWaterMark],
    ] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${k} must be a positive integer, got ${v}`);
    }
    if (this.maxChunk > MUX_MAX_PAYLOAD) throw new RangeError(`maxChunk is over ${MUX_MAX_PAYLOAD}`);
    if (this.initialWindow > 0xffffffff) throw new RangeError('initialWindow must fit 32 bits');
    if (this.receiveWindow < this.initialWindow || this.receiveWindow > 0xffffffff) throw new RangeError('receiveWindow must be from initialWindow to 2^32-1');
    this.nextId = this.role === 'client' ? 1 : 2;
  }

  get closed(): boolean {
    return this.closedFlag;
  }
  /** Open streams. */
  get size(): number {
    return this.streams.size;
  }
  stream(id: number): MuxStream | undefined {
    return this.streams.get(id);
  }

  /** Opens a stream to a target on the peer's side. */
  open(target: OpenTarget = {}): MuxStream {
    if (this.closedFlag) throw new Error('mux is closed');
    const payload = encodeOpenPayload(target);
    const id = this.nextId;
    if (id > 0xffffffff) throw new Error('mux stream ids exhausted');
    this.nextId += 2;
    const s = new MuxStream(this, id, { ...target }, this.initialWindow);
    this.streams.set(id, s);
    this.stats.streamsOpened++;
    this._sendControl(MuxFrameType.Open, id, payload);
    this.grantExtra(s);
    return s;
  }

  /** Bytes from the peer (any chunking). Held data may stay a view of them: do not reuse them. */
  receive(bytes: Uint8Array): void {
    if (this.closedFlag) return;
    let frames: MuxFrame[];
    try {
      frames = this.parser.push(bytes);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const f of frames) {
      if (this.closedFlag) return;
      this.stats.framesReceived++;
      try {
        this.onFrame(f);
      } catch (err) {
        if (err instanceof MuxProtocolError) {
          this.fail(err);
          return;
        }
        throw err;
      }
    }
  }

  /** The transport drained: send waiting data. */
  drain(): void {
    this.blocked = false;
    this.flush();
  }

  /** Resets every stream (sending RST) and stops. */
  close(reason = 'mux closed'): void {
    if (this.closedFlag) return;
    for (const s of [...this.streams.values()]) s.reset(reason);
    this.closedFlag = true;
  }

  private fail(err: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const s of [...this.streams.values()]) {
      this._close(s);
      s.onReset?.(`mux error: ${err.message}`);
    }
    this.opts.onError?.(err);
  }

  private onFrame(f: MuxFrame): void {
    const s = this.streams.get(f.streamId);
    switch (f.type) {
      case MuxFrameType.Open: {
        if (s) throw new MuxProtocolError(`OPEN for stream ${f.streamId}, which is already open`);
        const peerParity = this.role === 'client' ? 0 : 1;
        if (f.streamId % 2 !== peerParity) throw new MuxProtocolError(`OPEN for stream ${f.streamId}: the peer must use ${peerParity ? 'odd' : 'even'} ids`);
        const target = parseOpenPayload(f.payload);
        const ns = new MuxStream(this, f.streamId, target, this.initialWindow);
        this.streams.set(f.streamId, ns);
        this.stats.streamsAccepted++;
        this.grantExtra(ns);
        if (this.opts.onStream) this.opts.onStream(ns, target);
        else ns.reset('no listener');
        return;
      }
      case MuxFrameType.Data: {
        if (!s) return;
        if (s.remoteFin) {
          s.reset('data after FIN');
          return;
        }
        const n = f.payload.length;
        if (n > s.recvAllowance) {
          s.reset(`flow control violated: ${n} bytes with ${s.recvAllowance} of credit`);
          s.onReset?.('flow control violated by the peer');
          return;
        }
        s.recvAllowance -= n;
        this.stats.dataBytesReceived += n;
        if (n === 0) return;
        if (s.pausedFlag || !s.onData || s.recvBuffered > 0) {
          s.recvBuffer.push(heldCopy(f.payload));
          s.recvBuffered += n;
        } else {
          s.onData(f.payload);
          this.consumed(s, n);
        }
        return;
      }
      case MuxFrameType.Fin: {
        if (!s || s.remoteFin) return;
        s.remoteFin = true;
        this._deliverHeld(s);
        return;
      }
      case MuxFrameType.Rst: {
        if (!s) return;
        this._close(s);
        s.onReset?.(f.payload.toString('utf8'));
        return;
      }
      case MuxFrameType.Window: {
        if (f.payload.length !== 4) throw new MuxProtocolError(`WINDOW payload must be 4 bytes, got ${f.payload.length}`);
        if (!s) return;
        const inc = f.payload.readUInt32BE(0);
        if (s.sendCredit + inc > 0xffffffff) throw new MuxProtocolError(`WINDOW overflows the credit of stream ${s.id}`);
        s.sendCredit += inc;
        this._ready(s);
        return;
      }
    }
  }

  /** A receive window above the initial one: the difference goes to the peer as credit at once. */
  private grantExtra(s: MuxStream): void {
    const extra = this.receiveWindow - this.initialWindow;
    if (extra <= 0 || s.closedFlag) return;
    s.recvAllowance += extra;
    this.sendWindow(s, extra);
  }

  private sendWindow(s: MuxStream, n: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(n, 0);
    this.stats.windowUpdatesSent++;
    this._sendControl(MuxFrameType.Window, s.id, b);
  }

  private consumed(s: MuxStream, n: number): void {
    if (s.closedFlag || s.remoteFin) return;
    s.toGrant += n;
    // return credit in batches of a quarter window
    if (s.toGrant >= Math.max(1, this.receiveWindow >> 2)) {
      s.recvAllowance += s.toGrant;
      const n = s.toGrant;
      s.toGrant = 0;
      this.sendWindow(s, n);
    }
  }

  /** @internal deliver held data (after resume or FIN), then the end if due */
  _deliverHeld(s: MuxStream): void {
    while (!s.closedFlag && !s.pausedFlag && s.onData && s.recvBuffer.length > 0) {
      const b = s.recvBuffer.shift()!;
      s.recvBuffered -= b.length;
      s.onData(b);
      this.consumed(s, b.length);
    }
    if (!s.closedFlag && s.remoteFin && s.recvBuffered === 0 && !s.endDelivered && !s.pausedFlag) {
      s.endDelivered = true;
      s.onEnd?.();
      this.maybeFinished(s);
    }
  }

  private maybeFinished(s: MuxStream): void {
    if (!s.closedFlag && s.finSent && s.endDelivered) this._close(s);
  }

  /** @internal */
  _sendControl(type: MuxFrameTypeNumber, id: number, payload?: Buffer): void {
    if (this.closedFlag) return;
    this.stats.framesSent++;
    const r = this.opts.send(encodeMuxFrame(type, id, payload));
    if (r === false) this.blocked = true;
  }

  /** @internal */
  _close(s: MuxStream): void {
    if (s.closedFlag) return;
    s.closedFlag = true;
    s.sendQueue = [];
    s.queued = 0;
    s.recvBuffer = [];
    s.recvBuffered = 0;
    this.streams.delete(s.id);
    s.onClose?.();
  }

  /** @internal a stream has new data: sent now, or with whatever else comes in this turn */
  _written(s: MuxStream, n: number): void {
    const defer = this.opts.defer;
    if (!defer || n < (this.opts.deferFrom ?? 0)) return this._ready(s);
    if (!s.inReady && !s.closedFlag) {
      s.inReady = true;
      this.ready.push(s);
    }
    if (this.deferred) return;
    this.deferred = true;
    defer(() => {
      this.deferred = false;
      this.flush();
    });
  }

  /** @internal a stream may have something to send */
  _ready(s: MuxStream): void {
    if (!s.inReady && !s.closedFlag && (s.queued > 0 || (s.finQueued && !s.finSent))) {
      s.inReady = true;
      this.ready.push(s);
    }
    this.flush();
  }

  private flush(): void {
    if (this.flushing) {
      this.reflush = true;
      return;
    }
    this.flushing = true;
    const drained: MuxStream[] = [];
    try {
      do {
        this.reflush = false;
        // round-robin: one chunk per stream per turn
        while (!this.blocked && !this.closedFlag && this.ready.length > 0) {
          const s = this.ready.shift()!;
          if (s.closedFlag) {
            s.inReady = false;
            continue;
          }
          if (s.queued > 0 && s.sendCredit > 0) {
            const n = Math.min(this.maxChunk, s.sendCredit, s.queued);
            const frame = [muxHeader(MuxFrameType.Data, s.id, n)];
            take(s, n, frame);
            s.sendCredit -= n;
            this.stats.dataBytesSent += n;
            this.stats.framesSent++;
            if (s.needDrain && s.queued < this.streamHighWaterMark) {
              s.needDrain = false;
              drained.push(s);
            }
            const r = this.opts.sendParts ? this.opts.sendParts(frame) : this.opts.send(Buffer.concat(frame, MUX_HEADER_LENGTH + n));
            if (r === false) this.blocked = true;
          } else if (s.queued > 0) {
            // no credit: leave the ready list until a WINDOW arrives
            s.inReady = false;
            continue;
          }
          if (s.queued === 0 && s.finQueued && !s.finSent && !s.closedFlag) {
            s.finSent = true;
            this._sendControl(MuxFrameType.Fin, s.id);
            this.maybeFinished(s);
          }
          if (s.queued > 0 && !s.closedFlag) this.ready.push(s);
          else s.inReady = false;
        }
      } while (this.reflush);
    } finally {
      this.flushing = false;
    }
    for (const s of drained) if (!s.closedFlag) s.onDrain?.();
  }
}

/**
 * What a paused stream holds of a payload: the view itself when it is most of the buffer under
 * it (a large frame: copying it would only add garbage), else a copy that does not keep a much
 * larger buffer alive.
 */
function heldCopy(payload: Buffer): Buffer {
  return payload.length * 2 >= payload.buffer.byteLength ? payload : Buffer.from(payload);
}

/** Moves the first n queued bytes of a stream onto `parts`, as views of the written buffers. */
function take(s: MuxStream, n: number, parts: Buffer[]): void {
  let left = n;
  while (left > 0) {
    const b = s.sendQueue[0]!;
    if (b.length <= left) {
      parts.push(b);
      s.sendQueue.shift();
      left -= b.length;
    } else {
      parts.push(b.subarray(0, left));
      s.sendQueue[0] = b.subarray(left);
      left = 0;
    }
  }
  s.queued -= n;
}
