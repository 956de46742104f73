/**
 * AWS's AgentMessage: the binary frame shared by the Session Manager control channel and data
 * channels (MGS). Big-endian, a fixed 120-byte header followed by the payload:
 *
 *   0   4  HeaderLength   uint32, written as 116 (the offset of PayloadLength)
 *   4  32  MessageType    ASCII, right-padded with spaces
 *  36   4  SchemaVersion  uint32 (1)
 *  40   8  CreatedDate    uint64, epoch milliseconds
 *  48   8  SequenceNumber int64
 *  56   8  Flags          uint64 (bit 0 SYN, bit 1 FIN; control messages use 3)
 *  64  16  MessageId      UUID, the low 8 bytes first, then the high 8 bytes
 *  80  32  PayloadDigest  SHA-256 of the payload
 * 112   4  PayloadType    uint32
 * 116   4  PayloadLength  uint32
 * 120   n  Payload        (a reader takes it from HeaderLength + 4)
 */
import { createHash, randomUUID } from 'node:crypto';

export const HEADER_LENGTH = 116;
export const PAYLOAD_OFFSET = HEADER_LENGTH + 4;
export const MESSAGE_TYPE_LENGTH = 32;

/** Field offsets inside an encoded AgentMessage. */
export const Offset = {
  HeaderLength: 0,
  MessageType: 4,
  SchemaVersion: 36,
  CreatedDate: 40,
  SequenceNumber: 48,
  Flags: 56,
  MessageId: 64,
  PayloadDigest: 80,
  PayloadType: 112,
  PayloadLength: 116,
  Payload: 120,
} as const;

/** MessageType strings (agent/session/contracts/model.go). */
export const MessageType = {
  InteractiveShell: 'interactive_shell',
  TaskReply: 'agent_task_reply',
  TaskComplete: 'agent_task_complete',
  TaskAcknowledge: 'agent_task_acknowledge',
  Acknowledge: 'acknowledge',
  AgentSessionState: 'agent_session_state',
  ChannelClosed: 'channel_closed',
  /** agent → client stream data */
  OutputStreamData: 'output_stream_data',
  /** client → agent stream data */
  InputStreamData: 'input_stream_data',
  PausePublication: 'pause_publication',
  StartPublication: 'start_publication',
  AgentJob: 'agent_job',
  AgentJobAcknowledge: 'agent_job_ack',
  AgentJobReplyAck: 'agent_job_reply_ack',
  AgentJobReply: 'agent_job_reply',
} as const;
export type KnownMessageType = (typeof MessageType)[keyof typeof MessageType];

/** PayloadType numbers of stream data frames. Control messages carry 0. */
export const PayloadType = {
  None: 0,
  Output: 1,
  Error: 2,
  /** `{"cols":N,"rows":N}` */
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  /** a 4-byte big-endian {@link FlagValue} */
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const;
export type PayloadTypeNumber = (typeof PayloadType)[keyof typeof PayloadType];

/** Values carried by a `Flag` payload. */
export const FlagValue = {
  DisconnectToPort: 1,
  TerminateSession: 2,
  ConnectToPortError: 3,
} as const;

/** Bits of the header's Flags field. */
export const MessageFlags = {
  /** the first frame of a stream (the agent sets it on its sequence 0) */
  SYN: 1,
  FIN: 2,
  /** what AWS writes on acknowledge and agent_session_state messages */
  Control: 3,
} as const;

/** A decoded AgentMessage. `payload` is a view into the decoded buffer, not a copy. */
export interface AgentMessage {
  headerLength: number;
  messageType: string;
  schemaVersion: number;
  /** epoch milliseconds */
  createdDate: number;
  sequenceNumber: number;
  flags: number;
  /** canonical lower-case UUID text */
  messageId: string;
  payloadDigest: Buffer;
  payloadType: number;
  payload: Buffer;
}

/** What {@link encodeAgentMessage} needs; everything but messageType has a default. */
export interface AgentMessageInit {
  messageType: string;
  /** default 1 */
  schemaVersion?: number;
  /** epoch milliseconds; default Date.now() */
  createdDate?: number;
  /** default 0 */
  sequenceNumber?: number;
  /** default 0 */
  flags?: number;
  /** default a random v4 UUID */
  messageId?: string;
  /** default 0 */
  payloadType?: number;
  /** default empty */
  payload?: Uint8Array;
  /** The payload in pieces, written one after the other (instead of `payload`): no joining copy. */
  payloadParts?: readonly Uint8Array[];
  /**
   * false writes an all-zero PayloadDigest: between two Capstan ends in the fast transport the
   * connection (TCP, TLS off loopback) already protects the bytes, and SHA-256 over every payload
   * at each end was a tenth of a forwarded megabyte's CPU. AWS's clients always get a digest.
   */
  digest?: boolean;
}

export type AgentMessageErrorCode =
  | 'truncated'
  | 'header-length'
  | 'payload-length'
  | 'message-type'
  | 'schema-version'
  | 'created-date'
  | 'sequence-number'
  | 'flags'
  | 'message-id'
  | 'payload-type'
  | 'payload-digest'
  | 'payload';

/** A malformed AgentMessage (decoding) or an impossible one (encoding); `code` names the field. */
export class AgentMessageError extends Error {
  readonly code: AgentMessageErrorCode;
  constructor(code: AgentMessageErrorCode, message: string) {
    super(message);
    this.name = 'AgentMessageError';
    this.code = code;
  }
}

const EMPTY = Buffer.alloc(0);
const UINT32_MAX = 0xffffffff;

function isPublication(type: string): boolean {
  return type === MessageType.PausePublication || type === MessageType.StartPublication;
}

/** SHA-256 of a payload, as AWS puts in PayloadDigest. */
export function payloadDigest(payload: Uint8Array): Buffer {
  return createHash('sha256').update(payload).digest();
}

/** The 16 wire bytes of a UUID: its low 8 bytes first, then its high 8 bytes. */
export function uuidToWire(uuid: string): Buffer {
  const out = Buffer.allocUnsafe(16);
  writeUuid(uuid, out, 0);
  return out;
}

/** Where each canonical byte of a UUID's text starts (after the hyphens at 8, 13, 18 and 23). */
const UUID_BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexDigit(uuid: string, i: number): number {
  const c = uuid.charCodeAt(i);
  return c < 128 ? HEX_VALUE[c]! : -1;
}

/**
 * {@link uuidToWire} into `out` at `at`, without the regular expression and the intermediate
 * buffers: every stream frame carries a fresh MessageId.
 */
function writeUuid(uuid: string, out: Buffer, at: number): void {
  const bad = () => new AgentMessageError('message-id', `MessageId ${JSON.stringify(uuid)} is not a UUID (8-4-4-4-12 hex digits)`);
  if (typeof uuid !== 'string' || uuid.length !== 36 || uuid[8] !== '-' || uuid[13] !== '-' || uuid[18] !== '-' || uuid[23] !== '-') throw bad();
  for (let k = 0; k < 16; k++) {
    const i = UUID_BYTE_AT[k]!;
    const hi = hexDigit(uuid, i);
    const lo = hexDigit(uuid, i + 1);
    if (hi < 0 || lo < 0) throw bad();
    // the canonical high 8 bytes go second on the wire
    out[at + ((k + 8) & 15)] = (hi << 4) | lo;
  }
}

/** The UUID text of 16 wire bytes (the inverse of {@link uuidToWire}). */
export function uuidFromWire(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new AgentMessageError('message-id', `MessageId needs 16 bytes, got ${bytes.length}`);
  const h = HEX_BYTE;
  const b = bytes;
  // the canonical high 8 bytes are the second half on the wire
  return `${h[b[8]!]}${h[b[9]!]}${h[b[10]!]}${h[b[11]!]}-${h[b[12]!]}${h[b[13]!]}-${h[b[14]!]}${h[b[15]!]}-${h[b[0]!]}${h[b[1]!]}-${h[b[2]!]}${h[b[3]!]}${h[b[4]!]}${h[b[5]!]}${h[b[6]!]}${h[b[7]!]}`;
}

function checkUint32(code: AgentMessageErrorCode, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new AgentMessageError(code, `${field} must be an integer from 0 to ${UINT32_MAX}, got ${value}`);
  }
}

/**
 * Encodes an AgentMessage exactly as AWS's agent and session-manager-plugin do. With `into` large
 * enough, the message is written at its start and the result is a view of it (no allocation).
 */
export function encodeAgentMessage(init: AgentMessageInit, into?: Buffer): Buffer {
  const type = init.messageType;
  if (typeof type !== 'string' || type.length === 0) throw new AgentMessageError('message-type', 'MessageType is empty');
  if (!/^[\x21-\x7e]+$/.test(type)) {
    throw new AgentMessageError('message-type', `MessageType ${JSON.stringify(type)} must be printable ASCII without spaces`);
  }
  if (type.length > MESSAGE_TYPE_LENGTH) {
    throw new AgentMessageError('message-type', `MessageType ${JSON.stringify(type)} is ${type.length} bytes; at most ${MESSAGE_TYPE_LENGTH} fit`);
  }
  const schemaVersion = init.schemaVersion ?? 1;
  checkUint32('schema-version', 'SchemaVersion', schemaVersion);
  const createdDate = init.createdDate ?? Date.now();
  if (!Number.isSafeInteger(createdDate) || createdDate < 0 || (createdDate === 0 && !isPublication(type))) {
    throw new AgentMessageError('created-date', `CreatedDate must be positive epoch milliseconds, got ${createdDate}`);
  }
  const sequenceNumber = init.sequenceNumber ?? 0;
  if (!Number.isSafeInteger(sequenceNumber)) {
    throw new AgentMessageError('sequence-number', `SequenceNumber must be a safe integer, got ${sequenceNumber}`);
  }
  const flags = init.flags ?? 0;
  if (!Number.isSafeInteger(flags) || flags < 0) throw new AgentMessageError('flags', `Flags must be a non-negative safe integer, got ${flags}`);
  const payloadType = init.payloadType ?? 0;
  checkUint32('payload-type', 'PayloadType', payloadType);
  const parts = init.payloadParts;
  const payload = parts ? undefined : (init.payload ?? EMPTY);
  let payloadLength = payload ? payload.length : 0;
  if (parts) for (const p of parts) payloadLength += p.length;
  if (payloadLength > UINT32_MAX) throw new AgentMessageError('payload-length', `payload of ${payloadLength} bytes does not fit a uint32 PayloadLength`);
  const messageId = init.messageId ?? randomUUID();

  const size = PAYLOAD_OFFSET + payloadLength;
  const out = into && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafe(size);
  out.writeUInt32BE(HEADER_LENGTH, Offset.HeaderLength);
  out.fill(0x20, Offset.MessageType, Offset.MessageType + MESSAGE_TYPE_LENGTH);
  out.write(type, Offset.MessageType, 'latin1');
  out.writeUInt32BE(schemaVersion, Offset.SchemaVersion);
  out.writeBigUInt64BE(BigInt(createdDate), Offset.CreatedDate);
  out.writeBigInt64BE(BigInt(sequenceNumber), Offset.SequenceNumber);
  out.writeBigUInt64BE(BigInt(flags), Offset.Flags);
  writeUuid(messageId, out, Offset.MessageId);
  out.writeUInt32BE(payloadType, Offset.PayloadType);
  out.writeUInt32BE(payloadLength, Offset.PayloadLength);
  if (payload) out.set(payload, Offset.Payload);
  else {
    let at = Offset.Payload;
    for (const p of parts!) {
      out.set(p, at);
      at += p.length;
    }
  }
  if (init.digest === false) out.fill(0, Offset.PayloadDigest, Offset.PayloadDigest + 32);
  else payloadDigest(out.subarray(Offset.Payload)).copy(out, Offset.PayloadDigest);
  return out;
}

export interface DecodeOptions {
  /** Check PayloadDigest when the payload is not empty (default true, as AWS's client does). */
  verifyDigest?: boolean;
}

/**
 * Decodes and validates an AgentMessage. Throws {@link AgentMessageError} naming the bad field:
 * too short, HeaderLength 0 or smaller than 116 or past the end, PayloadLength disagreeing with
 * the bytes present, an empty or non-ASCII MessageType, CreatedDate 0 (allowed for
 * start/pause_publication, as AWS's client allows), a SequenceNumber or Flags beyond 2^53, or a
 * wrong PayloadDigest.
 */
export function decodeAgentMessage(bytes: Uint8Array, options: DecodeOptions = {}): AgentMessage {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PAYLOAD_OFFSET) {
    throw new AgentMessageError('truncated', `AgentMessage is ${buf.length} bytes; its header alone is ${PAYLOAD_OFFSET}`);
  }
  const headerLength = buf.readUInt32BE(Offset.HeaderLength);
  if (headerLength === 0) throw new AgentMessageError('header-length', 'HeaderLength cannot be zero');
  if (headerLength < HEADER_LENGTH) {
    throw new AgentMessageError('header-length', `HeaderLength ${headerLength} is smaller than ${HEADER_LENGTH}, so the payload would overlap the header`);
  }
  if (headerLength + 4 > buf.length) {
    throw new AgentMessageError('header-length', `HeaderLength ${headerLength} points past the end of a ${buf.length}-byte message`);
  }

  const rawType = buf.subarray(Offset.MessageType, Offset.MessageType + MESSAGE_TYPE_LENGTH);
  for (const c of rawType) {
    if (c !== 0 && (c < 0x20 || c > 0x7e)) {
      throw new AgentMessageError('message-type', `MessageType contains byte 0x${c.toString(16).padStart(2, '0')}; it must be ASCII`);
    }
  }
  const messageType = rawType.toString('latin1').replace(/^[\0 ]+|[\0 ]+$/g, '');
  if (messageType.length === 0) throw new AgentMessageError('message-type', 'MessageType is missing (all spaces or NULs)');

  const schemaVersion = buf.readUInt32BE(Offset.SchemaVersion);
  const createdBig = buf.readBigUInt64BE(Offset.CreatedDate);
  if (createdBig > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AgentMessageError('created-date', `CreatedDate ${createdBig} is not a plausible epoch-milliseconds value`);
  }
  const createdDate = Number(createdBig);
  if (createdDate === 0 && !isPublication(messageType)) throw new AgentMessageError('created-date', 'CreatedDate is missing (0)');

  const seqBig = buf.readBigInt64BE(Offset.SequenceNumber);
  if (seqBig > BigInt(Number.MAX_SAFE_INTEGER) || seqBig < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new AgentMessageError('sequence-number', `SequenceNumber ${seqBig} is beyond ±2^53`);
  }
  const flagsBig = buf.readBigUInt64BE(Offset.Flags);
  if (flagsBig > BigInt(Number.MAX_SAFE_INTEGER)) throw new AgentMessageError('flags', `Flags 0x${flagsBig.toString(16)} uses bits above 2^53`);

  const messageId = uuidFromWire(buf.subarray(Offset.MessageId, Offset.MessageId + 16));
  const digest = buf.subarray(Offset.PayloadDigest, Offset.PayloadDigest + 32);
  const payloadType = buf.readUInt32BE(Offset.PayloadType);
  const payloadLength = buf.readUInt32BE(Offset.PayloadLength);
  const payload = buf.subarray(headerLength + 4);
  if (payload.length !== payloadLength) {
    throw new AgentMessageError('payload-length', `PayloadLength is ${payloadLength} but ${payload.length} payload bytes follow the header`);
  }
  // An all-zero digest is a frame a Capstan end sent without one (see AgentMessageInit.digest).
  if ((options.verifyDigest ?? true) && payloadLength !== 0 && !isZero(digest) && !payloadDigest(payload).equals(digest)) {
    throw new AgentMessageError('payload-digest', `PayloadDigest does not match the SHA-256 of the ${payloadLength}-byte payload`);
  }
  return {
    headerLength,
    messageType,
    schemaVersion,
    createdDate,
    sequenceNumber: Number(seqBig),
    flags: Number(flagsBig),
    messageId,
    payloadDigest: digest,
    payloadType,
    payload,
  };
}

// ---------------------------------------------------------------------------------------------
// Control payloads (JSON)

/** The `acknowledge` payload. `Cumulative` is Capstan's extension (AWS's parsers ignore it). */
export interface AcknowledgeContent {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
  /** Capstan fast mode: every frame up to and including the sequence number is acknowledged. */
  Cumulative?: boolean;
  /** Capstan fast mode: the highest sequence number received past a gap (the frame after the acknowledged one is missing). */
  HighestReceived?: number;
}

export interface AgentSessionStateContent {
  SchemaVersion: number;
  SessionState: 'Connected' | 'Terminating' | string;
  SessionId: string;
}

/** `channel_closed`; CreatedDate is a string here (the service sends it that way). */
export interface ChannelClosedContent {
  MessageType: string;
  MessageId: string;
  DestinationId: string;
  SessionId: string;
  SchemaVersion: number;
  CreatedDate: string;
  Output?: string;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function parseObject(payload: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    throw new AgentMessageError('payload', `${what} payload is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AgentMessageError('payload', `${what} payload must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function field<T>(obj: Record<string, unknown>, what: string, name: string, kind: 'string' | 'number' | 'boolean', optional = false): T {
  const v = obj[name];
  if (v === undefined && optional) return v as T;
  if (typeof v !== kind) throw new AgentMessageError('payload', `${what} payload: ${name} must be a ${kind}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** The JSON payload acknowledging one stream frame (field order as AWS's Go structs). */
export function acknowledgePayload(ack: {
  messageType: string;
  messageId: string;
  sequenceNumber: number;
  cumulative?: boolean;
  highestReceived?: number;
}): Buffer {
  const content: AcknowledgeContent = {
    AcknowledgedMessageType: ack.messageType,
    AcknowledgedMessageId: ack.messageId,
    AcknowledgedMessageSequenceNumber: ack.sequenceNumber,
    IsSequentialMessage: true,
  };
  if (ack.cumulative) content.Cumulative = true;
  if (ack.highestReceived !== undefined) content.HighestReceived = ack.highestReceived;
  return json(content);
}

export function parseAcknowledge(payload: Uint8Array): AcknowledgeContent {
  const what = 'acknowledge';
  const o = parseObject(payload, what);
  const type = field<string>(o, what, 'AcknowledgedMessageType', 'string');
  const id = field<string>(o, what, 'AcknowledgedMessageId', 'string');
  const seq = field<number>(o, what, 'AcknowledgedMessageSequenceNumber', 'number');
  if (!Number.isSafeInteger(seq)) throw new AgentMessageError('payload', `acknowledge payload: AcknowledgedMessageSequenceNumber ${seq} is not an integer`);
  const out: AcknowledgeContent = {
    AcknowledgedMessageType: type,
    AcknowledgedMessageId: id,
    AcknowledgedMessageSequenceNumber: seq,
    IsSequentialMessage: field<boolean | undefined>(o, what, 'IsSequentialMessage', 'boolean', true) ?? false,
  };
  if (field<boolean | undefined>(o, what, 'Cumulative', 'boolean', true) === true) out.Cumulative = true;
  const high = field<number | undefined>(o, what, 'HighestReceived', 'number', true);
  if (high !== undefined) {
    if (!Number.isSafeInteger(high)) throw new AgentMessageError('payload', `acknowledge payload: HighestReceived ${high} is not an integer`);
    out.HighestReceived = high;
  }
  return out;
}

/**
 * A whole `acknowledge` message for a received stream frame: SequenceNumber 0, Flags 3,
 * PayloadType 0, as AWS sends it.
 */
export function acknowledgeMessage(
  of: { messageType: string; messageId: string; sequenceNumber: number },
  options: { cumulative?: boolean; highestReceived?: number; createdDate?: number; messageId?: string } = {},
): AgentMessageInit {
  const init: AgentMessageInit = {
    messageType: MessageType.Acknowledge,
    sequenceNumber: 0,
    flags: MessageFlags.Control,
    payloadType: PayloadType.None,
    payload: acknowledgePayload({
      ...of,
      cumulative: options.cumulative ?? false,
      ...(options.highestReceived !== undefined ? { highestReceived: options.highestReceived } : {}),
    }),
  };
  if (options.createdDate !== undefined) init.createdDate = options.createdDate;
  if (options.messageId !== undefined) init.messageId = options.messageId;
  return init;
}

export function agentSessionStatePayload(sessionId: string, state: 'Connected' | 'Terminating'): Buffer {
  const content: AgentSessionStateContent = { SchemaVersion: 1, SessionState: state, SessionId: sessionId };
  return json(content);
}

export function parseAgentSessionState(payload: Uint8Array): AgentSessionStateContent {
  const what = 'agent_session_state';
  const o = parseObject(payload, what);
  return {
    SchemaVersion: field<number>(o, what, 'SchemaVersion', 'number'),
    SessionState: field<string>(o, what, 'SessionState', 'string'),
    SessionId: field<string>(o, what, 'SessionId', 'string'),
  };
}

/** A whole `agent_session_state` message (Flags 3, sequence 0), as the agent sends it. */
export function agentSessionStateMessage(sessionId: string, state: 'Connected' | 'Terminating', createdDate?: number): AgentMessageInit {
  const init: AgentMessageInit = {
    messageType: MessageType.AgentSessionState,
    sequenceNumber: 0,
    flags: MessageFlags.Control,
    payload: agentSessionStatePayload(sessionId, state),
  };
  if (createdDate !== undefined) init.createdDate = createdDate;
  return init;
}

export function channelClosedPayload(c: {
  messageId: string;
  sessionId: string;
  destinationId: string;
  createdDate: string;
  output?: string;
}): Buffer {
  const content: ChannelClosedContent = {
    MessageType: MessageType.ChannelClosed,
    MessageId: c.messageId,
    DestinationId: c.destinationId,
    SessionId: c.sessionId,
    SchemaVersion: 1,
    CreatedDate: c.createdDate,
  };
  if (c.output !== undefined) content.Output = c.output;
  return json(content);
}

export function parseChannelClosed(payload: Uint8Array): ChannelClosedContent {
  const what = 'channel_closed';
  const o = parseObject(payload, what);
  const out: ChannelClosedContent = {
    MessageType: field<string>(o, what, 'MessageType', 'string'),
    MessageId: field<string>(o, what, 'MessageId', 'string'),
    DestinationId: field<string | undefined>(o, what, 'DestinationId', 'string', true) ?? '',
    SessionId: field<string>(o, what, 'SessionId', 'string'),
    SchemaVersion: field<number | undefined>(o, what, 'SchemaVersion', 'number', true) ?? 1,
    CreatedDate: field<string | undefined>(o, what, 'CreatedDate', 'string', true) ?? '',
  };
  const output = field<string | undefined>(o, what, 'Output', 'string', true);
  if (output !== undefined) out.Output = output;
  return out;
}

/**
 * A `pause_publication` / `start_publication` message, which the relay sends to a sender whose
 * peer is away / back. The payload is empty here; AWS's receivers ignore it.
 */
export function publicationMessage(kind: 'pause' | 'start', createdDate?: number): AgentMessageInit {
  const init: AgentMessageInit = {
    messageType: kind === 'pause' ? MessageType.PausePublication : MessageType.StartPublication,
    sequenceNumber: 0,
    flags: MessageFlags.Control,
  };
  if (createdDate !== undefined) init.createdDate = createdDate;
  return init;
}

/** A `Flag` payload: the value as 4 big-endian bytes. */
export function flagPayload(value: number): Buffer {
  checkUint32('payload', 'Flag value', value);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value, 0);
  return b;
}

export function parseFlagPayload(payload: Uint8Array): number {
  if (payload.length !== 4) throw new AgentMessageError('payload', `Flag payload must be 4 bytes, got ${payload.length}`);
  return Buffer.from(payload.buffer, payload.byteOffset, 4).readUInt32BE(0);
}

/** A `Size` payload: the terminal size as `{"cols":N,"rows":N}`. */
export function sizePayload(cols: number, rows: number): Buffer {
  checkUint32('payload', 'cols', cols);
  checkUint32('payload', 'rows', rows);
  return json({ cols, rows });
}

export function parseSizePayload(payload: Uint8Array): { cols: number; rows: number } {
  const o = parseObject(payload, 'Size');
  const cols = field<number>(o, 'Size', 'cols', 'number');
  const rows = field<number>(o, 'Size', 'rows', 'number');
  checkUint32('payload', 'cols', cols);
  checkUint32('payload', 'rows', rows);
  return { cols, rows };
}

function isZero(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}
