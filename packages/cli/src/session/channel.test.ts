import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wsOpener } from './channel.js';

// Only addresses that stay on this machine even if the check let them through.
test('a ws: stream URL that is not loopback is refused before connecting', async () => {
  for (const url of ['ws://0.0.0.0:1/data-channel/s-1', 'ws://[::]:1/data-channel/s-1']) {
    await assert.rejects(wsOpener({})(url), /is not TLS \(wss:\), and .* is not loopback/, url);
  }
});
