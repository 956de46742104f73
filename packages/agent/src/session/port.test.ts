/**
 * The port plugin's side of PluginContext.write: mux DATA frames go out as a header and the data
 * after it (pieces, not a joined copy), and the pieces joined are a byte-exact mux stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { MUX_HEADER_LENGTH, MUX_PORT_RECEIVE_WINDOW, Mux, MuxFrameType, PayloadType } from '@capstan/wire/session';
import { startPort } from './port.js';
import type { PluginContext } from './types.js';

test('port plugin: DATA frames are written as pieces, byte-exact once joined', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 12_345);
  const service = createServer((s) => s.end(data));
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  const port = (service.address() as AddressInfo).port;
  const writes: { type: number; pieces: Buffer[] }[] = [];
  let client: Mux | undefined;
  const ctx: PluginContext = {
    sessionId: 's-port-test',
    write(type, bytes) {
      // the plugin may not reuse what it wrote; copies make sure of it here
      const pieces = (Array.isArray(bytes) ? bytes : [bytes]).map((b: Uint8Array) => Buffer.from(b));
      writes.push({ type, pieces });
      if (type === PayloadType.Output) client!.receive(Buffer.concat(pieces));
      return true;
    },
    onDrain: () => undefined,
    finish: () => undefined,
    log: () => undefined,
    capstanClient: true,
  };
  const plugin = startPort(ctx, { type: 'session', sessionId: 's-port-test', sessionType: 'Port', properties: { portNumber: String(port), host: '127.0.0.1' } });
  client = new Mux({
    role: 'client',
    receiveWindow: MUX_PORT_RECEIVE_WINDOW,
    send: (b) => plugin.input(PayloadType.Output, b),
    sendParts: (parts) => plugin.input(PayloadType.Output, Buffer.concat(parts)),
  });
  try {
    const stream = client.open({});
    const got: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.onData = (d) => got.push(Buffer.from(d));
      stream.onEnd = () => resolve();
      stream.onReset = (why) => reject(new Error(`reset: ${why}`));
    });
    assert.ok(Buffer.concat(got).equals(data), 'the bytes arrive as sent');
    const dataFrames = writes.filter((w) => w.pieces[0]!.length === MUX_HEADER_LENGTH && w.pieces[0]![0] === MuxFrameType.Data);
    assert.ok(dataFrames.length > 0, 'DATA frames came in pieces');
    for (const w of dataFrames) {
      assert.ok(w.pieces.length >= 2, 'a header, then the data as read');
      assert.equal(w.pieces[0]!.readUInt32BE(5), w.pieces.slice(1).reduce((n, p) => n + p.length, 0), 'the header counts the pieces after it');
    }
  } finally {
    plugin.kill();
    service.close();
  }
});
