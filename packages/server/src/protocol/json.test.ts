import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeJson } from './json.js';

test('JSON 1.1 encoding: dates as epoch seconds, buffers as base64, and nothing changed for other code', () => {
  const text = encodeJson({ When: new Date(1_700_000_000_123), Blob: Buffer.from('hi'), Nested: [{ At: new Date(0) }], Plain: 'x' });
  assert.deepEqual(JSON.parse(text), { When: 1_700_000_000.123, Blob: 'aGk=', Nested: [{ At: 0 }], Plain: 'x' });
  assert.equal(JSON.stringify(new Date(0)), '"1970-01-01T00:00:00.000Z"');
  assert.deepEqual(JSON.parse(JSON.stringify(Buffer.from('hi'))), { type: 'Buffer', data: [104, 105] });
  assert.equal(encodeJson(undefined), '{}');
});
