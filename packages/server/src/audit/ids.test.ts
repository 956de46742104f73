import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeOrderedId } from './ids.js';

test('audit event ids are version-7 UUIDs that sort by time', () => {
  const a = timeOrderedId(Date.UTC(2026, 0, 1));
  const b = timeOrderedId(Date.UTC(2026, 0, 1) + 1);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a < b);
  assert.equal(parseInt(a.replace(/-/g, '').slice(0, 12), 16), Date.UTC(2026, 0, 1));
  assert.notEqual(timeOrderedId(5), timeOrderedId(5));
});
