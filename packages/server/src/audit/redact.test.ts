import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redact } from './redact.js';

test('redaction hides declared and always-secret members at any depth and leaves the input untouched', () => {
  const input = { Name: '/a', Value: 's3cret', Nested: [{ Password: 'p' }, { Keep: 1 }], Deep: { Inner: { Value: 'x' } } };
  const out = redact(input, ['Value']) as typeof input;
  assert.deepEqual(out, { Name: '/a', Value: REDACTED, Nested: [{ Password: REDACTED }, { Keep: 1 }], Deep: { Inner: { Value: REDACTED } } });
  assert.equal(input.Value, 's3cret');
  assert.equal(input.Nested[0]!.Password, 'p');
  assert.equal(out.Nested[1], input.Nested[1], 'parts with nothing to hide are shared, not copied');
  const plain = { Name: '/b', WithDecryption: true };
  assert.equal(redact(plain, ['Value']), plain);
});
