import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost } from './loopback.js';

test('loopback: localhost, 127.0.0.0/8 and ::1, however written', () => {
  for (const h of [
    'localhost', 'LOCALHOST', 'LocalHost',
    '127.0.0.1', '127.0.0.2', '127.1.2.3', '127.255.255.254', '127.255.255.255',
    '::1', '[::1]', '0:0:0:0:0:0:0:1', '0::1',
    '::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '::FFFF:127.1.2.3', '[::ffff:7f00:1]',
  ]) assert.equal(isLoopbackHost(h), true, h);
});

test('not loopback: every other address, every other name, and anything ambiguous', () => {
  for (const h of [
    '0.0.0.0', '::', '[::]', '::0', '10.0.0.5', '192.168.1.2', '128.0.0.1', '126.255.255.255',
    '::ffff:10.0.0.1', '::ffff:0.0.0.0', '::127.0.0.1', '64:ff9b::7f00:1', '::2', 'fe80::1',
    '::1%lo', '[::1%25lo]',
    '127.0.0.1.evil.com', '127.example.net', 'localhost.', 'LOCALHOST.', 'foo.localhost', 'localhost.evil.com', 'evil-localhost',
    '127.1', '0177.0.0.1', '127.000.000.001', '2130706433', '0x7f000001',
    '[::1', '::1]', '[localhost]', '[127.0.0.1]', ' localhost', '127.0.0.1 ', '', '[]',
    'capstan.example.net',
  ]) assert.equal(isLoopbackHost(h), false, h);
});

test('a URL hostname of a loopback address is loopback; one with a trailing dot or a suffix is not', () => {
  for (const u of ['http://localhost:9700/', 'http://127.0.0.1/', 'http://127.1/', 'http://0x7f.1/', 'http://2130706433/', 'ws://[::1]:1/', 'http://[0:0:0:0:0:0:0:1]/', 'http://[::ffff:127.0.0.1]/']) {
    assert.equal(isLoopbackHost(new URL(u).hostname), true, u);
  }
  for (const u of ['http://localhost./', 'http://127.0.0.1.evil.com/', 'http://0.0.0.0/', 'http://[::]/', 'ws://[::ffff:a00:1]/', 'http://localhost@evil.com/']) {
    assert.equal(isLoopbackHost(new URL(u).hostname), false, u);
  }
});
