import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  AgentMessageError,
  FlagValue,
  MessageFlags,
  MessageType,
  Offset,
  PayloadType,
  acknowledgeMessage,
  acknowledgePayload,
  agentSessionStateMessage,
  channelClosedPayload,
  decodeAgentMessage,
  encodeAgentMessage,
  flagPayload,
  parseAcknowledge,
  parseAgentSessionState,
  parseChannelClosed,
  parseFlagPayload,
  parseSizePayload,
  publicationMessage,
  sizePayload,
  uuidFromWire,
  uuidToWire,
  type AgentMessageInit,
} from './agent-message.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// A client keystroke frame, written out field by field from the format table.
const GOLDEN_INPUT = Buffer.concat([
  hex('00 00 00 74'), // HeaderLength 116
  hex('69 6e 70 75 74 5f 73 74 72 65 61 6d 5f 64 61 74 61'), // "input_stream_data" (17 bytes)
  Buffer.alloc(15, 0x20), // …space padded to 32
  hex('00 00 00 01'), // SchemaVersion 1
  hex('00 00 01 8b cf e5 68 7b'), // CreatedDate 1700000000123 ms
  hex('00 00 00 00 00 00 00 05'), // SequenceNumber 5
  hex('00 00 00 00 00 00 00 00'), // Flags 0 (client data frame)
  hex('00 11 22 33 44 55 66 77'), // MessageId low half  (…-0011-223344556677)
  hex('01 23 45 67 89 ab cd ef'), // MessageId high half (01234567-89ab-cdef-…)
  hex('3674c13c3eb42ef32effd127a689c6118191a811bca335ffa3f509eff051d253'), // SHA-256("ls -l\r")
  hex('00 00 00 01'), // PayloadType 1 Output
  hex('00 00 00 06'), // PayloadLength 6
  hex('6c 73 20 2d 6c 0d'), // "ls -l\r"
]);

test('golden bytes: a hand-built input_stream_data frame decodes field by field and re-encodes identically', () => {
  assert.equal(GOLDEN_INPUT.length, 126);
  const m = decodeAgentMessage(GOLDEN_INPUT);
  assert.equal(m.headerLength, 116);
  assert.equal(m.messageType, 'input_stream_data');
  assert.equal(m.schemaVersion, 1);
  assert.equal(m.createdDate, 1_700_000_000_123);
  assert.equal(m.sequenceNumber, 5);
  assert.equal(m.flags, 0);
  assert.equal(m.messageId, '01234567-89ab-cdef-0011-223344556677');
  assert.equal(m.payloadType, PayloadType.Output);
  assert.equal(m.payload.toString('latin1'), 'ls -l\r');
  assert.deepEqual(m.payloadDigest, createHash('sha256').update('ls -l\r').digest());

  const again = encodeAgentMessage({
    messageType: MessageType.InputStreamData,
    schemaVersion: 1,
    createdDate: 1_700_000_000_123,
    sequenceNumber: 5,
    flags: 0,
    messageId: '01234567-89ab-cdef-0011-223344556677',
    payloadType: PayloadType.Output,
    payload: Buffer.from('ls -l\r', 'latin1'),
  });
  assert.deepEqual(again, GOLDEN_INPUT);
});

test('golden bytes: an acknowledge as AWS sends it (sequence 0, Flags 3, PayloadType 0, Go field order)', () => {
  const json =
    '{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"01234567-89ab-cdef-0011-223344556677",' +
    '"AcknowledgedMessageSequenceNumber":7,"IsSequentialMessage":true}';
  assert.equal(json.length, 176);
  const expected = Buffer.concat([
    hex('00 00 00 74'),
    hex('61 63 6b 6e 6f 77 6c 65 64 67 65'), // "acknowledge"
    Buffer.alloc(21, 0x20),
    hex('00 00 00 01'),
    hex('00 00 01 8b cf e5 68 7b'),
    hex('00 00 00 00 00 00 00 00'), // SequenceNumber 0
    hex('00 00 00 00 00 00 00 03'), // Flags 3
    hex('ff ee dd cc bb aa 99 88 77 66 55 44 33 22 11 00'), // MessageId 77665544-3322-1100-ffee-ddccbbaa9988
    hex('9e5342585f82f8eaaf31dea4128048d2444b6be186494b086819cf55d975fadc'),
    hex('00 00 00 00'), // PayloadType 0
    hex('00 00 00 b0'), // PayloadLength 176
    Buffer.from(json, 'latin1'),
  ]);
  const init = acknowledgeMessage(
    { messageType: MessageType.OutputStreamData, messageId: '01234567-89ab-cdef-0011-223344556677', sequenceNumber: 7 },
    { createdDate: 1_700_000_000_123, messageId: '77665544-3322-1100-ffee-ddccbbaa9988' },
  );
  assert.deepEqual(encodeAgentMessage(init), expected);
  const m = decodeAgentMessage(expected);
  assert.equal(m.messageType, MessageType.Acknowledge);
  assert.equal(m.flags, MessageFlags.Control);
  assert.deepEqual(parseAcknowledge(m.payload), {
    AcknowledgedMessageType: 'output_stream_data',
    AcknowledgedMessageId: '01234567-89ab-cdef-0011-223344556677',
    AcknowledgedMessageSequenceNumber: 7,
    IsSequentialMessage: true,
  });
});

test('UUID half swap: the low 8 bytes go first on the wire', () => {
  const id = '12345678-9abc-def0-fedc-ba9876543210';
  assert.deepEqual(uuidToWire(id), hex('fedcba9876543210 123456789abcdef0'));
  assert.equal(uuidFromWire(hex('fedcba9876543210 123456789abcdef0')), id);
  assert.equal(uuidFromWire(uuidToWire('ABCDEF01-2345-6789-ABCD-EF0123456789')), 'abcdef01-2345-6789-abcd-ef0123456789');
  const wire = encodeAgentMessage({ messageType: 'x', createdDate: 1, messageId: id });
  assert.deepEqual(wire.subarray(Offset.MessageId, Offset.MessageId + 16), hex('fedcba9876543210 123456789abcdef0'));
});

test('a payload given in pieces encodes byte for byte as the joined payload, digest included', () => {
  const parts = [Buffer.from('first piece, '), Buffer.alloc(0), randomBytes(70_000), Buffer.from('last')];
  const common = { messageType: MessageType.OutputStreamData, createdDate: 1_700_000_000_000, sequenceNumber: 7, messageId: crypto.randomUUID(), payloadType: PayloadType.Output };
  for (const digest of [true, false]) {
    const joined = encodeAgentMessage({ ...common, payload: Buffer.concat(parts), digest });
    const pieces = encodeAgentMessage({ ...common, payloadParts: parts, digest });
    assert.ok(pieces.equals(joined), `digest ${digest}`);
    assert.deepEqual(decodeAgentMessage(pieces).payload, Buffer.concat(parts));
  }
  assert.equal(decodeAgentMessage(encodeAgentMessage({ ...common, payloadParts: [] })).payload.length, 0);
});

test('round trips keep every field, for each message type and payload type', () => {
  const types = Object.values(MessageType);
  const payloadTypes = Object.values(PayloadType);
  let i = 0;
  for (const messageType of types) {
    for (const payloadType of payloadTypes) {
      i++;
      const init: Required<Omit<AgentMessageInit, 'payloadParts'>> = {
        messageType,
        schemaVersion: 1 + (i % 3),
        createdDate: 1_600_000_000_000 + i * 997,
        sequenceNumber: i % 2 ? i * 1_000_003 : -i,
        flags: i % 4,
        messageId: crypto.randomUUID(),
        payloadType,
        payload: Buffer.from(`payload ${i} `.repeat(i % 7)),
        digest: i % 3 !== 0,
      };
      const m = decodeAgentMessage(encodeAgentMessage(init));
      assert.equal(m.payloadDigest.equals(Buffer.alloc(32)), !init.digest, 'a frame sent without a digest carries zeros');
      assert.equal(m.messageType, init.messageType);
      assert.equal(m.schemaVersion, init.schemaVersion);
      assert.equal(m.createdDate, init.createdDate);
      assert.equal(m.sequenceNumber, init.sequenceNumber);
      assert.equal(m.flags, init.flags);
      assert.equal(m.messageId, init.messageId);
      assert.equal(m.payloadType, init.payloadType);
      assert.deepEqual(m.payload, init.payload);
    }
  }
  // A digest-less frame decodes; a wrong non-zero digest is still refused.
  const bare = encodeAgentMessage({ messageType: 'output_stream_data', payload: Buffer.from('abc'), digest: false });
  assert.deepEqual(decodeAgentMessage(bare).payload, Buffer.from('abc'));
  const forged = Buffer.from(bare);
  forged[80] = 1;
  assert.throws(() => decodeAgentMessage(forged), (e: Error & { code?: string }) => e.code === 'payload-digest');
  // extremes that still fit
  const big = decodeAgentMessage(
    encodeAgentMessage({ messageType: 'a'.repeat(32), createdDate: Number.MAX_SAFE_INTEGER, sequenceNumber: Number.MIN_SAFE_INTEGER, flags: Number.MAX_SAFE_INTEGER, schemaVersion: 0xffffffff, payloadType: 0xffffffff }),
  );
  assert.equal(big.messageType, 'a'.repeat(32));
  assert.equal(big.sequenceNumber, Number.MIN_SAFE_INTEGER);
  assert.equal(big.flags, Number.MAX_SAFE_INTEGER);
  assert.equal(big.payloadType, 0xffffffff);
  // defaults
  const d = decodeAgentMessage(encodeAgentMessage({ messageType: 'agent_job' }));
  assert.equal(d.schemaVersion, 1);
  assert.equal(d.sequenceNumber, 0);
  assert.equal(d.flags, 0);
  assert.equal(d.payload.length, 0);
  assert.ok(Math.abs(d.createdDate - Date.now()) < 60_000);
});

test('decoding trims NULs as well as spaces from MessageType and honours a longer HeaderLength', () => {
  const b = Buffer.from(GOLDEN_INPUT);
  b.fill(0, 4 + 17, 36);
  assert.equal(decodeAgentMessage(b).messageType, 'input_stream_data');
  // HeaderLength 120: four unknown header bytes, the payload starts at 124
  const longer = Buffer.concat([GOLDEN_INPUT.subarray(0, 120), hex('de ad be ef'), GOLDEN_INPUT.subarray(120)]);
  longer.writeUInt32BE(120, 0);
  const m = decodeAgentMessage(longer);
  assert.equal(m.headerLength, 120);
  assert.equal(m.payload.toString('latin1'), 'ls -l\r');
});

function decodeError(bytes: Buffer, code: string, re: RegExp): void {
  assert.throws(
    () => decodeAgentMessage(bytes),
    (e: unknown) => e instanceof AgentMessageError && e.code === code && re.test(e.message),
  );
}

function mutate(fn: (b: Buffer) => void): Buffer {
  const b = Buffer.from(GOLDEN_INPUT);
  fn(b);
  return b;
}

test('every decoding validation error names what is wrong', () => {
  decodeError(GOLDEN_INPUT.subarray(0, 119), 'truncated', /119 bytes; its header alone is 120/);
  decodeError(Buffer.alloc(0), 'truncated', /0 bytes/);
  decodeError(mutate((b) => b.writeUInt32BE(0, 0)), 'header-length', /cannot be zero/);
  decodeError(mutate((b) => b.writeUInt32BE(100, 0)), 'header-length', /HeaderLength 100 is smaller than 116/);
  decodeError(mutate((b) => b.writeUInt32BE(200, 0)), 'header-length', /points past the end of a 126-byte message/);
  decodeError(mutate((b) => b.writeUInt32BE(7, Offset.PayloadLength)), 'payload-length', /PayloadLength is 7 but 6 payload bytes follow/);
  decodeError(Buffer.concat([GOLDEN_INPUT, hex('00')]), 'payload-length', /PayloadLength is 6 but 7/);
  decodeError(mutate((b) => b.fill(0x20, 4, 36)), 'message-type', /MessageType is missing/);
  decodeError(mutate((b) => b.fill(0, 4, 36)), 'message-type', /MessageType is missing/);
  decodeError(mutate((b) => (b[6] = 0xc3)), 'message-type', /byte 0xc3; it must be ASCII/);
  decodeError(mutate((b) => b.fill(0, Offset.CreatedDate, Offset.CreatedDate + 8)), 'created-date', /CreatedDate is missing/);
  decodeError(mutate((b) => b.fill(0xff, Offset.CreatedDate, Offset.CreatedDate + 8)), 'created-date', /not a plausible/);
  decodeError(mutate((b) => b.writeBigInt64BE(2n ** 60n, Offset.SequenceNumber)), 'sequence-number', /beyond ±2\^53/);
  decodeError(mutate((b) => b.writeBigUInt64BE(2n ** 63n, Offset.Flags)), 'flags', /above 2\^53/);
  decodeError(mutate((b) => (b[Offset.Payload] ^= 1)), 'payload-digest', /does not match the SHA-256 of the 6-byte payload/);
  decodeError(mutate((b) => (b[Offset.PayloadDigest] ^= 1)), 'payload-digest', /PayloadDigest/);
  // the digest check can be turned off; an empty payload's digest is never checked (as AWS)
  assert.equal(decodeAgentMessage(mutate((b) => (b[Offset.PayloadDigest] ^= 1)), { verifyDigest: false }).sequenceNumber, 5);
  const empty = encodeAgentMessage({ messageType: 'acknowledge', createdDate: 5 });
  empty.fill(0, Offset.PayloadDigest, Offset.PayloadDigest + 32);
  assert.equal(decodeAgentMessage(empty).payload.length, 0);
  // start/pause_publication may carry CreatedDate 0
  for (const t of [MessageType.PausePublication, MessageType.StartPublication]) {
    const p = encodeAgentMessage({ messageType: t, createdDate: 0 });
    assert.equal(decodeAgentMessage(p).createdDate, 0);
  }
});

function encodeError(init: AgentMessageInit, code: string, re: RegExp): void {
  assert.throws(
    () => encodeAgentMessage(init),
    (e: unknown) => e instanceof AgentMessageError && e.code === code && re.test(e.message),
  );
}

test('every encoding validation error names what is wrong', () => {
  const ok = { messageType: 'input_stream_data', createdDate: 1 };
  encodeError({ ...ok, messageType: '' }, 'message-type', /empty/);
  encodeError({ ...ok, messageType: 'a'.repeat(33) }, 'message-type', /33 bytes; at most 32/);
  encodeError({ ...ok, messageType: 'two words' }, 'message-type', /printable ASCII without spaces/);
  encodeError({ ...ok, messageType: 'ünï' }, 'message-type', /printable ASCII/);
  encodeError({ ...ok, schemaVersion: -1 }, 'schema-version', /SchemaVersion must be an integer from 0/);
  encodeError({ ...ok, schemaVersion: 2 ** 32 }, 'schema-version', /SchemaVersion/);
  encodeError({ ...ok, createdDate: 0 }, 'created-date', /positive epoch milliseconds, got 0/);
  encodeError({ ...ok, createdDate: 1.5 }, 'created-date', /got 1.5/);
  encodeError({ ...ok, sequenceNumber: 2 ** 60 }, 'sequence-number', /safe integer/);
  encodeError({ ...ok, sequenceNumber: 0.5 }, 'sequence-number', /safe integer/);
  encodeError({ ...ok, flags: -1 }, 'flags', /non-negative/);
  encodeError({ ...ok, messageId: 'not-a-uuid' }, 'message-id', /"not-a-uuid" is not a UUID/);
  encodeError({ ...ok, payloadType: 2 ** 32 }, 'payload-type', /PayloadType/);
  encodeError({ ...ok, payloadType: -3 }, 'payload-type', /PayloadType/);
  assert.throws(() => uuidFromWire(Buffer.alloc(15)), /16 bytes, got 15/);
});

test('control payload helpers: acknowledge, agent_session_state, channel_closed, publication', () => {
  const ack = parseAcknowledge(acknowledgePayload({ messageType: 'output_stream_data', messageId: 'm', sequenceNumber: 9, cumulative: true }));
  assert.equal(ack.Cumulative, true);
  assert.equal(ack.AcknowledgedMessageSequenceNumber, 9);
  assert.equal(JSON.parse(acknowledgePayload({ messageType: 't', messageId: 'm', sequenceNumber: 1 }).toString()).Cumulative, undefined);
  assert.throws(() => parseAcknowledge(Buffer.from('nope')), /acknowledge payload is not JSON/);
  assert.throws(() => parseAcknowledge(Buffer.from('[1]')), /must be a JSON object/);
  assert.throws(() => parseAcknowledge(Buffer.from('{"AcknowledgedMessageType":"t","AcknowledgedMessageId":"m"}')), /AcknowledgedMessageSequenceNumber must be a number/);
  assert.throws(
    () => parseAcknowledge(Buffer.from('{"AcknowledgedMessageType":"t","AcknowledgedMessageId":"m","AcknowledgedMessageSequenceNumber":1.5}')),
    /is not an integer/,
  );
  assert.throws(() => parseAcknowledge(Buffer.from('{"AcknowledgedMessageType":1,"AcknowledgedMessageId":"m","AcknowledgedMessageSequenceNumber":1}')), /AcknowledgedMessageType must be a string/);

  const state = decodeAgentMessage(encodeAgentMessage(agentSessionStateMessage('s-1', 'Connected', 10)));
  assert.equal(state.messageType, 'agent_session_state');
  assert.equal(state.flags, 3);
  assert.equal(state.payload.toString(), '{"SchemaVersion":1,"SessionState":"Connected","SessionId":"s-1"}');
  assert.deepEqual(parseAgentSessionState(state.payload), { SchemaVersion: 1, SessionState: 'Connected', SessionId: 's-1' });
  assert.throws(() => parseAgentSessionState(Buffer.from('{"SchemaVersion":1}')), /SessionState must be a string/);

  const closed = channelClosedPayload({ messageId: 'id', sessionId: 's', destinationId: 'i-1', createdDate: '2026-01-01T00:00:00Z', output: 'bye' });
  assert.deepEqual(parseChannelClosed(closed), {
    MessageType: 'channel_closed',
    MessageId: 'id',
    DestinationId: 'i-1',
    SessionId: 's',
    SchemaVersion: 1,
    CreatedDate: '2026-01-01T00:00:00Z',
    Output: 'bye',
  });
  assert.throws(() => parseChannelClosed(Buffer.from('{"MessageType":"channel_closed"}')), /MessageId must be a string/);

  const pause = decodeAgentMessage(encodeAgentMessage(publicationMessage('pause', 10)));
  assert.equal(pause.messageType, 'pause_publication');
  assert.equal(decodeAgentMessage(encodeAgentMessage(publicationMessage('start'))).messageType, 'start_publication');
});

test('Flag and Size payloads', () => {
  assert.deepEqual(flagPayload(FlagValue.TerminateSession), hex('00 00 00 02'));
  assert.equal(parseFlagPayload(hex('00 00 00 03')), FlagValue.ConnectToPortError);
  assert.throws(() => parseFlagPayload(hex('00 01')), /Flag payload must be 4 bytes, got 2/);
  assert.throws(() => flagPayload(-1), /Flag value must be an integer/);
  assert.equal(sizePayload(120, 40).toString(), '{"cols":120,"rows":40}');
  assert.deepEqual(parseSizePayload(Buffer.from('{"cols":80,"rows":24}')), { cols: 80, rows: 24 });
  assert.throws(() => parseSizePayload(Buffer.from('{"cols":80}')), /rows must be a number/);
  assert.throws(() => parseSizePayload(Buffer.from('{"cols":-1,"rows":2}')), /cols must be an integer/);
});
