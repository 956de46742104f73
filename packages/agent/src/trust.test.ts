import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkEndpoint } from './trust.js';

test('plain http only to loopback; https anywhere', () => {
  for (const e of ['http://127.0.0.1:9700', 'http://127.1.2.3:9700', 'http://localhost:9700', 'http://LOCALHOST:9700', 'http://[::1]:9700', 'http://[::ffff:127.0.0.1]:9700']) {
    assert.equal(checkEndpoint(e).href, new URL(e).href, e);
  }
  for (const e of ['http://0.0.0.0:9700', 'http://[::]:9700', 'http://10.20.30.40:9700', 'http://127.0.0.1.evil.com:9700', 'http://localhost.:9700', 'http://[::ffff:10.0.0.1]:9700']) {
    assert.throws(() => checkEndpoint(e), /plain http is only for loopback/, e);
  }
  assert.equal(checkEndpoint('https://10.20.30.40:9700').hostname, '10.20.30.40');
  assert.throws(() => checkEndpoint('ftp://127.0.0.1/'), /must be http\(s\)/);
});
