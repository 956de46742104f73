import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AgentMessageError,
  MessageType,
  Offset,
  decodeAgentMessage,
  encodeAgentMessage,
  parseAcknowledge,
  parseAgentSessionState,
  parseChannelClosed,
  parseFlagPayload,
  parseSizePayload,
  type AgentMessage,
} from './agent-message.js';
import { HandshakeError, parseEncryptionChallenge, parseHandshakeComplete, parseHandshakeRequest, parseHandshakeResponse } from './handshake.js';
import { MuxProtocolError, parseOpenPayload } from './mux.js';

/**
 * The session data channel's decoders get bytes from the network: whatever arrives, each must
 * return a well-formed value or throw its own typed error, and never anything else.
 */
const SEED = Number(process.env.CAPSTAN_FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.CAPSTAN_FUZZ_RUNS_WIRE ?? 2000);
const counts = { frames: 0, decoded: 0, refused: 0, payloads: 0 };
after(() => console.log(`# AgentMessage fuzz: seed ${SEED}, ${counts.frames} frames (${counts.decoded} decoded, ${counts.refused} refused), ${counts.payloads} payloads`));

const printableType = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 32 });
const init = fc.record({
  messageType: fc.oneof(fc.constantFrom(...Object.values(MessageType)), printableType),
  schemaVersion: fc.integer({ min: 0, max: 0xffffffff }),
  createdDate: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  sequenceNumber: fc.maxSafeInteger(),
  flags: fc.maxSafeNat(),
  messageId: fc.uuid(),
  payloadType: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: 300 }),
  digest: fc.boolean(),
});

function wellFormed(m: AgentMessage): void {
  assert.ok(m.headerLength >= 116);
  assert.match(m.messageType, /^[\x20-\x7e\0]{1,32}$/);
  assert.ok(Number.isSafeInteger(m.sequenceNumber) && Number.isSafeInteger(m.flags) && m.flags >= 0);
  assert.match(m.messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(m.payloadDigest.length, 32);
}

/** Decodes, and holds the outcome to the contract: a well-formed message or an AgentMessageError. */
function decodeOrRefuse(bytes: Uint8Array): AgentMessage | undefined {
  counts.frames++;
  try {
    const m = decodeAgentMessage(bytes);
    wellFormed(m);
    counts.decoded++;
    return m;
  } catch (e) {
    if (e instanceof AgentMessageError) {
      counts.refused++;
      return undefined;
    }
    throw e;
  }
}

test('valid frames round-trip field for field', () => {
  fc.assert(
    fc.property(init, (i) => {
      const m = decodeOrRefuse(encodeAgentMessage(i));
      assert.ok(m, 'a frame the encoder built must decode');
      assert.deepEqual(
        { t: m.messageType, v: m.schemaVersion, c: m.createdDate, s: m.sequenceNumber, f: m.flags, id: m.messageId, pt: m.payloadType, p: Buffer.from(m.payload) },
        { t: i.messageType, v: i.schemaVersion, c: i.createdDate, s: i.sequenceNumber, f: i.flags, id: i.messageId.toLowerCase(), pt: i.payloadType, p: Buffer.from(i.payload) },
      );
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('random bytes decode to a well-formed message or an AgentMessageError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => void decodeOrRefuse(bytes)),
    { seed: SEED, numRuns: RUNS },
  );
});

/** Random bytes rarely get past the first check; a valid header with a field rewritten reaches every later one. */
const fieldOffsets = [Offset.HeaderLength, Offset.MessageType, Offset.SchemaVersion, Offset.CreatedDate, Offset.SequenceNumber, Offset.Flags, Offset.MessageId, Offset.PayloadDigest, Offset.PayloadType, Offset.PayloadLength];
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('field' as const), offset: fc.constantFrom(...fieldOffsets), value: fc.constantFrom(0, 1, 115, 116, 117, 0x7fffffff, 0xffffffff) }),
  fc.record({ kind: fc.constant('u64' as const), offset: fc.constantFrom(Offset.CreatedDate, Offset.SequenceNumber, Offset.Flags), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(frame: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(frame);
  // An earlier truncation may have cut away the bytes this mutation rewrites.
  const fits = m.kind === 'field' ? out.length >= m.offset + 4 : m.kind === 'u64' ? out.length >= m.offset + 8 : m.kind === 'extend' || out.length > 0;
  if (!fits) return out;
  switch (m.kind) {
    case 'flip':
      out[m.at % out.length]! ^= m.bits;
      return out;
    case 'truncate':
      return out.subarray(0, m.at % out.length);
    case 'extend':
      return Buffer.concat([out, m.extra]);
    case 'field':
      out.writeUInt32BE(m.value, m.offset);
      return out;
    case 'u64':
      out.writeBigUInt64BE(m.value, m.offset);
      return out;
  }
}

test('mutated valid frames decode to a well-formed message or an AgentMessageError', () => {
  fc.assert(
    fc.property(init, fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
      let frame = encodeAgentMessage(i);
      for (const m of ms) frame = mutate(frame, m);
      const decoded = decodeOrRefuse(frame);
      // What still decodes must describe the bytes it came from: re-encoding gives the same fields.
      // The decoder reads a MessageType with inner spaces or NULs (it trims only the padding),
      // which the encoder refuses to write; those frames are checked for well-formedness only.
      if (decoded && decoded.headerLength === 116 && /^[\x21-\x7e]+$/.test(decoded.messageType)) {
        const again = decodeAgentMessage(encodeAgentMessage({ ...decoded, digest: !decoded.payloadDigest.every((b) => b === 0) }));
        assert.deepEqual({ ...again, payloadDigest: undefined }, { ...decoded, payloadDigest: undefined });
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

/** JSON that is almost what the parsers want: the right keys with wrong values, or other documents. */
const jsonish = fc.oneof(
  fc.json(),
  fc.dictionary(
    fc.constantFrom('AcknowledgedMessageType', 'AcknowledgedMessageId', 'AcknowledgedMessageSequenceNumber', 'IsSequentialMessage', 'SessionId', 'SessionState', 'MessageId', 'CreatedDate', 'DestinationId', 'Output', 'cols', 'rows', 'AgentVersion', 'RequestedClientActions', 'ProcessedClientActions', 'ActionType', 'ActionParameters', 'ActionStatus', 'Errors', 'ClientVersion', 'TimeToComplete', 'CustomerMessage', 'Challenge', 'host', 'port'),
    fc.oneof(fc.jsonValue(), fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 3 })),
  ).map((o) => JSON.stringify(o)),
).map((s) => Buffer.from(s));
const payloadBytes = fc.oneof(jsonish, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)));

const PARSERS: [string, (p: Uint8Array) => unknown, new (...a: never[]) => Error][] = [
  ['acknowledge', parseAcknowledge, AgentMessageError],
  ['agent_session_state', parseAgentSessionState, AgentMessageError],
  ['channel_closed', parseChannelClosed, AgentMessageError],
  ['flag', parseFlagPayload, AgentMessageError],
  ['size', parseSizePayload, AgentMessageError],
  ['handshake request', parseHandshakeRequest, HandshakeError],
  ['handshake response', (p) => parseHandshakeResponse(p), HandshakeError],
  ['handshake complete', parseHandshakeComplete, HandshakeError],
  ['encryption challenge', parseEncryptionChallenge, HandshakeError],
  ['mux open', parseOpenPayload, MuxProtocolError],
];

for (const [name, parse, typed] of PARSERS) {
  test(`the ${name} payload parser returns or throws ${typed.name}, whatever the bytes`, () => {
    fc.assert(
      fc.property(payloadBytes, (bytes) => {
        counts.payloads++;
        try {
          parse(bytes);
        } catch (e) {
          assert.ok(e instanceof typed, `${name}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 4) },
    );
  });
}
