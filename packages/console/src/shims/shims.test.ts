import assert from 'node:assert/strict';
import { createHash as nodeHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Buffer as BrowserBuffer } from 'buffer/index.js';
import {
  MessageType,
  PayloadType,
  decodeAgentMessage,
  encodeAgentMessage,
  flagPayload,
  parseFlagPayload,
  parseSizePayload,
  sizePayload,
  uuidFromWire,
  uuidToWire,
} from '@capstan/wire/session';
import { createHash, randomUUID } from './crypto';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('createHash(sha256) digests as node:crypto does, across updates, into a Buffer', () => {
  const big = randomBytes(300_000);
  for (const parts of [[], [Buffer.from('abc')], [big], [big.subarray(0, 7), big.subarray(7, 70_001), big.subarray(70_001)]]) {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    const want = nodeHash('sha256');
    for (const p of parts) want.update(p);
    const got = h.digest();
    assert.equal(Buffer.from(got).toString('hex'), want.digest('hex'));
    assert.equal(typeof got.copy, 'function', 'the codec copies the digest into the frame');
  }
});

test('createHash refuses what it does not implement instead of hashing wrongly', () => {
  assert.throws(() => createHash('md5' as 'sha256'), /only sha256/);
});

test('randomUUID gives version-4 UUIDs, also where crypto.randomUUID is missing (plain http)', () => {
  assert.match(randomUUID(), UUID_V4);
  const real = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
  const webcrypto = globalThis.crypto;
  Object.defineProperty(globalThis, 'crypto', { configurable: true, value: { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) } });
  try {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = randomUUID();
      assert.match(id, UUID_V4);
      seen.add(id);
    }
    assert.equal(seen.size, 200);
  } finally {
    Object.defineProperty(globalThis, 'crypto', real);
  }
});

test("the session codec runs on the buffer package's Buffer, byte for byte as on Node's", () => {
  const payload = randomBytes(5_000);
  const init = {
    messageType: MessageType.InputStreamData,
    messageId: '0b6f6e2e-3c71-4a52-9d3e-4a1f0c2d5e6f',
    createdDate: 1_700_000_000_123,
    sequenceNumber: 42,
    flags: 3,
    payloadType: PayloadType.Output,
    payload,
  };
  const onNode = encodeAgentMessage(init);
  const nodeBuffer = globalThis.Buffer;
  (globalThis as { Buffer: unknown }).Buffer = BrowserBuffer;
  try {
    const onBrowser = encodeAgentMessage({ ...init, payload: BrowserBuffer.from(payload) });
    assert.ok(BrowserBuffer.isBuffer(onBrowser));
    assert.equal(nodeBuffer.compare(nodeBuffer.from(onBrowser), onNode), 0);
    // a frame as the browser's WebSocket hands it over: a plain Uint8Array on an ArrayBuffer
    const m = decodeAgentMessage(new Uint8Array(onNode.buffer.slice(onNode.byteOffset, onNode.byteOffset + onNode.length)));
    assert.equal(m.sequenceNumber, 42);
    assert.equal(m.createdDate, 1_700_000_000_123);
    assert.equal(m.messageId, init.messageId);
    assert.equal(nodeBuffer.compare(nodeBuffer.from(m.payload), payload), 0);
    assert.deepEqual(parseSizePayload(sizePayload(132, 43)), { cols: 132, rows: 43 });
    assert.equal(parseFlagPayload(flagPayload(0xfffffffe)), 0xfffffffe);
    assert.equal(uuidFromWire(uuidToWire(init.messageId)), init.messageId);
  } finally {
    (globalThis as { Buffer: unknown }).Buffer = nodeBuffer;
  }
});
