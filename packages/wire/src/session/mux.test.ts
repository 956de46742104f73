import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadType } from './agent-message.js';
import { ManualClock } from './clock.js';
import {
  MUX_DEFAULT_WINDOW,
  MUX_HEADER_LENGTH,
  MUX_PORT_RECEIVE_WINDOW,
  Mux,
  MuxFrameParser,
  MuxFrameType,
  MuxProtocolError,
  encodeMuxFrame,
  encodeOpenPayload,
  parseOpenPayload,
  type MuxFrame,
  type MuxStream,
  type OpenTarget,
} from './mux.js';
import { ReliableStream } from './reliable.js';
import { Link, Rng, type LinkOptions } from './test-support/sim.js';

/** Two muxes over two fast-mode reliable streams over lossy simulated links. */
function muxOverSession(
  seed: number,
  link: LinkOptions,
  onStream: (s: MuxStream, t: OpenTarget) => void,
  onClientStream?: (s: MuxStream, t: OpenTarget) => void,
) {
  const clock = new ManualClock();
  const rng = new Rng(seed);
  const errors: Error[] = [];
  let cm: Mux | undefined;
  let am: Mux | undefined;
  const cr = new ReliableStream({ role: 'client', mode: 'fast', clock, frameSize: 16384, onData: (_t, b) => cm!.receive(b), onDrain: () => cm!.drain() });
  const ar = new ReliableStream({ role: 'agent', mode: 'fast', clock, frameSize: 16384, onData: (_t, b) => am!.receive(b), onDrain: () => am!.drain() });
  // the client hands DATA frames over in pieces, the agent whole: both paths cross the lossy links
  cm = new Mux({ role: 'client', send: (b) => cr.write(PayloadType.Output, b), sendParts: (p) => cr.write(PayloadType.Output, p), onError: (e) => errors.push(e), ...(onClientStream ? { onStream: onClientStream } : {}) });
  am = new Mux({ role: 'agent', send: (b) => ar.write(PayloadType.Output, b), onStream, onError: (e) => errors.push(e) });
  cr.attach(new Link(clock, rng, (b) => ar.receive(b), link, false).send);
  ar.attach(new Link(clock, rng, (b) => cr.receive(b), link, false).send);
  return { clock, rng, client: cm, agent: am, cr, ar, errors };
}

/** Two muxes joined directly, each frame delivered 1 ms later. */
function directPair(options: { window?: number; receiveWindow?: { client?: number; agent?: number }; onStream?: (s: MuxStream, t: OpenTarget) => void; onAgentError?: (e: Error) => void } = {}) {
  const clock = new ManualClock();
  const wire: { from: 'client' | 'agent'; frame: Buffer }[] = [];
  let client: Mux | undefined;
  let agent: Mux | undefined;
  client = new Mux({
    role: 'client',
    ...(options.window ? { initialWindow: options.window } : {}),
    ...(options.receiveWindow?.client ? { receiveWindow: options.receiveWindow.client } : {}),
    send: (b) => {
      wire.push({ from: 'client', frame: b });
      clock.setTimeout(() => agent!.receive(b), 1);
      return true;
    },
  });
  agent = new Mux({
    role: 'agent',
    ...(options.window ? { initialWindow: options.window } : {}),
    ...(options.receiveWindow?.agent ? { receiveWindow: options.receiveWindow.agent } : {}),
    send: (b) => {
      wire.push({ from: 'agent', frame: b });
      clock.setTimeout(() => client!.receive(b), 1);
      return true;
    },
    ...(options.onStream ? { onStream: options.onStream } : {}),
    ...(options.onAgentError ? { onError: options.onAgentError } : {}),
  });
  return { clock, client, agent, wire };
}

/** Writes a buffer into a mux stream in random pieces, honouring backpressure, then ends it. */
function writeAll(s: MuxStream, data: Buffer, rng: Rng, end = true): () => boolean {
  let off = 0;
  const go = () => {
    while (off < data.length) {
      const n = Math.min(rng.int(1, 70_000), data.length - off);
      const ok = s.write(data.subarray(off, off + n));
      off += n;
      if (!ok) return;
    }
    if (end) s.end();
  };
  s.onDrain = go;
  go();
  return () => off >= data.length;
}

test('mux: 20 concurrent streams over a lossy session arrive byte-exact, both directions, and all close', () => {
  for (const seed of [1, 2, 3]) {
    const agentGot = new Map<number, Buffer[]>();
    const agentEnded = new Set<number>();
    const fromAgent: Buffer[] = [];
    let clientAccepted: MuxStream | undefined;
    const onClientStream = (s: MuxStream) => {
      clientAccepted = s;
      s.onData = (d) => fromAgent.push(Buffer.from(d));
      s.onEnd = () => s.end();
    };
    const p = muxOverSession(seed, { loss: 0.05, duplicate: 0.02, latency: 5, jitter: 15 }, (s, target) => {
      assert.equal(target.port, 10_000 + ((s.id - 1) >> 1));
      const parts: Buffer[] = [];
      agentGot.set(s.id, parts);
      // an echo server with backpressure, like a TCP target would be
      s.onData = (d) => {
        parts.push(Buffer.from(d));
        if (!s.write(d)) s.pause();
      };
      s.onDrain = () => s.resume();
      s.onEnd = () => {
        agentEnded.add(s.id);
        s.end();
      };
    }, onClientStream);
    const payloads: Buffer[] = [];
    const echoed = new Map<number, Buffer[]>();
    let closed = 0;
    for (let i = 0; i < 20; i++) {
      const data = p.rng.bytes(p.rng.chance(0.2) ? 0 : p.rng.int(1, 400_000));
      payloads.push(data);
      const s = p.client.open({ host: 'localhost', port: 10_000 + i });
      assert.equal(s.id, 2 * i + 1);
      const parts: Buffer[] = [];
      echoed.set(s.id, parts);
      s.onData = (d) => parts.push(Buffer.from(d));
      s.onClose = () => closed++;
      writeAll(s, data, p.rng);
    }
    // the agent opens streams too (even ids)
    const reverse = p.rng.bytes(300_000);
    const as = p.agent.open({ port: 22 });
    assert.equal(as.id, 2);
    writeAll(as, reverse, p.rng);

    p.clock.runUntil(() => closed === 20 && p.client.size === 0 && p.agent.size === 0 && p.cr.idle && p.ar.idle && p.clock.pending === 0);
    assert.deepEqual(p.errors, []);
    assert.equal(closed, 20);
    for (let i = 0; i < 20; i++) {
      const id = 2 * i + 1;
      assert.ok(Buffer.concat(agentGot.get(id)!).equals(payloads[i]!), `seed ${seed} stream ${id} client→agent`);
      assert.ok(Buffer.concat(echoed.get(id)!).equals(payloads[i]!), `seed ${seed} stream ${id} echo`);
      assert.ok(agentEnded.has(id));
    }
    assert.ok(clientAccepted);
    assert.ok(Buffer.concat(fromAgent).equals(reverse));
    assert.equal(p.client.size, 0);
    assert.equal(p.agent.size, 0);
    assert.ok(p.cr.stats.bytesSent > 2_000_000 && p.ar.stats.bytesSent > 2_000_000);
    assert.ok(p.cr.stats.framesResent > 0, 'the link really lost frames');
  }
});

test('mux: a stalled stream holds at most its window and does not block the others', () => {
  const streams = new Map<number, MuxStream>();
  const got = new Map<number, number>();
  const p = directPair({
    onStream: (s) => {
      streams.set(s.id, s);
      got.set(s.id, 0);
      if (s.id === 1) s.pause(); // this reader is stuck (its TCP socket does not drain)
      s.onData = (d) => got.set(s.id, got.get(s.id)! + d.length);
    },
  });
  const rng = new Rng(5);
  const stuck = p.client.open({ port: 1 });
  const stuckDone = writeAll(stuck, rng.bytes(2_000_000), rng);
  const others = Array.from({ length: 5 }, (_, i) => p.client.open({ port: 2 + i }));
  const done = others.map((s) => writeAll(s, rng.bytes(1_000_000), rng));
  p.clock.runUntil(() => others.every((s) => got.get(s.id) === 1_000_000) && p.clock.pending === 0);
  for (const s of others) assert.equal(got.get(s.id), 1_000_000);
  assert.ok(done.every((d) => d()));
  // the stuck stream: exactly one window crossed, held on the agent, the rest waits on the client
  const agentSide = streams.get(1)!;
  assert.equal(agentSide.heldBytes, MUX_DEFAULT_WINDOW);
  assert.equal(got.get(1), 0);
  assert.equal(stuck.credit, 0);
  assert.ok(!stuckDone());
  assert.ok(stuck.queuedBytes > 0 && stuck.queuedBytes <= 2_000_000 - MUX_DEFAULT_WINDOW);
  const stuckBytesOnWire = p.wire
    .filter((w) => w.from === 'client' && w.frame[0] === MuxFrameType.Data && w.frame.readUInt32BE(1) === 1)
    .reduce((n, w) => n + w.frame.length - 9, 0);
  assert.equal(stuckBytesOnWire, MUX_DEFAULT_WINDOW);
  // the reader recovers: everything arrives
  agentSide.resume();
  p.clock.runUntil(() => got.get(1) === 2_000_000 && p.clock.pending === 0);
  assert.equal(got.get(1), 2_000_000);
  assert.ok(p.agent.stats.windowUpdatesSent > 0);
});

test('mux: a larger receive window is granted at open, and a peer with the plain window is held to it', () => {
  const agentStreams: MuxStream[] = [];
  // more than either window, so that both stall
  const N = MUX_PORT_RECEIVE_WINDOW + 1_000_000;
  const got = { agent: 0, client: 0 };
  const errors: Error[] = [];
  // the client lets the port-forwarding window through; the agent keeps the protocol's initial window
  const p = directPair({
    receiveWindow: { client: MUX_PORT_RECEIVE_WINDOW },
    onAgentError: (e) => errors.push(e),
    onStream: (s) => {
      agentStreams.push(s);
      s.pause();
      s.onData = (d) => (got.agent += d.length);
    },
  });
  const resets: string[] = [];
  const rng = new Rng(8);
  const up = p.client.open({ port: 1 });
  up.onReset = (r) => resets.push(r);
  up.pause();
  up.onData = (d) => (got.client += d.length);
  writeAll(up, rng.bytes(N), rng);
  p.clock.runUntil(() => p.clock.pending === 0);
  const down = agentStreams[0]!;
  down.onReset = (r) => resets.push(r);
  writeAll(down, rng.bytes(N), rng);
  p.clock.runUntil(() => p.clock.pending === 0);
  const dataOnWire = (from: 'client' | 'agent') =>
    p.wire.filter((w) => w.from === from && w.frame[0] === MuxFrameType.Data).reduce((n, w) => n + w.frame.length - 9, 0);
  // both readers stalled: the agent holds its 256 KiB, the client the window it granted
  assert.equal(dataOnWire('client'), MUX_DEFAULT_WINDOW);
  assert.equal(down.heldBytes, MUX_DEFAULT_WINDOW);
  assert.equal(dataOnWire('agent'), MUX_PORT_RECEIVE_WINDOW);
  assert.equal(up.heldBytes, MUX_PORT_RECEIVE_WINDOW);
  down.resume();
  up.resume();
  p.clock.runUntil(() => (got.agent === N && got.client === N) || p.clock.pending === 0);
  assert.deepEqual(got, { agent: N, client: N });
  assert.deepEqual(resets, []);
  assert.deepEqual(errors, []);
  assert.throws(() => new Mux({ role: 'client', send: () => true, receiveWindow: MUX_DEFAULT_WINDOW - 1 }), /receiveWindow/);
});

test('mux: a stalled stream does not stall others over a real session either', () => {
  const got = new Map<number, number>();
  let stuckAgent: MuxStream | undefined;
  const p = muxOverSession(9, { latency: 10, jitter: 5 }, (s) => {
    got.set(s.id, 0);
    if (s.id === 1) {
      stuckAgent = s;
      s.pause();
    }
    s.onData = (d) => got.set(s.id, got.get(s.id)! + d.length);
  });
  const stuck = p.client.open({ port: 1 });
  writeAll(stuck, p.rng.bytes(3_000_000), p.rng);
  const others = Array.from({ length: 8 }, (_, i) => p.client.open({ port: 2 + i }));
  for (const s of others) writeAll(s, p.rng.bytes(500_000), p.rng);
  p.clock.runUntil(() => others.every((s) => got.get(s.id) === 500_000) && p.cr.idle && p.clock.pending === 0);
  for (const s of others) assert.equal(got.get(s.id), 500_000);
  assert.ok(stuckAgent!.heldBytes <= MUX_DEFAULT_WINDOW);
  stuckAgent!.resume();
  p.clock.runUntil(() => got.get(1) === 3_000_000 && p.clock.pending === 0);
  assert.equal(got.get(1), 3_000_000);
});

test('mux: data from ready streams is interleaved round-robin', () => {
  const frames: MuxFrame[] = [];
  const parser = new MuxFrameParser();
  let writable = false; // the transport is full while both streams queue
  const m = new Mux({
    role: 'client',
    maxChunk: 1000,
    send: (b) => {
      frames.push(...parser.push(b));
      return writable;
    },
  });
  const a = m.open();
  const b = m.open();
  a.write(Buffer.alloc(5000, 1));
  b.write(Buffer.alloc(3000, 2));
  assert.equal(frames.filter((f) => f.type === MuxFrameType.Data).length, 0);
  writable = true;
  m.drain();
  const order = frames.filter((f) => f.type === MuxFrameType.Data).map((f) => f.streamId);
  assert.deepEqual(order, [1, 3, 1, 3, 1, 3, 1, 1]);
});

test('mux: FIN half-closes; the other direction carries on until its own FIN', () => {
  let agentStream: MuxStream | undefined;
  const events: string[] = [];
  const p = directPair({
    onStream: (s) => {
      agentStream = s;
      s.onData = (d) => events.push(`agent data ${d.toString()}`);
      s.onEnd = () => events.push('agent end');
      s.onClose = () => events.push('agent close');
    },
  });
  const s = p.client.open({ host: 'db.internal', port: 5432 });
  s.onData = (d) => events.push(`client data ${d.toString()}`);
  s.onEnd = () => events.push('client end');
  s.onClose = () => events.push('client close');
  s.write(Buffer.from('hello'));
  s.end();
  assert.throws(() => s.write(Buffer.from('late')), /write after end/);
  p.clock.advance(5);
  assert.deepEqual(agentStream!.target, { host: 'db.internal', port: 5432 });
  assert.deepEqual(events, ['agent data hello', 'agent end']);
  agentStream!.write(Buffer.from('reply'));
  agentStream!.write(Buffer.from(' more'));
  p.clock.advance(5);
  assert.deepEqual(events.slice(2), ['client data reply', 'client data  more']);
  agentStream!.end();
  p.clock.advance(5);
  assert.deepEqual(events.slice(4), ['agent close', 'client end', 'client close']);
  assert.ok(s.closed && agentStream!.closed);
  assert.equal(p.client.size, 0);
  assert.equal(p.agent.size, 0);
});

test('mux: RST resets both directions, drops queued data, and leaves other streams alone', () => {
  const agentStreams: MuxStream[] = [];
  const agentData = new Map<number, string>();
  const resets: string[] = [];
  const p = directPair({
    onStream: (s) => {
      agentStreams.push(s);
      agentData.set(s.id, '');
      s.onData = (d) => agentData.set(s.id, agentData.get(s.id)! + d.toString());
      s.onReset = (r) => resets.push(`agent ${s.id}: ${r}`);
    },
  });
  const a = p.client.open();
  const b = p.client.open();
  a.write(Buffer.from('a1'));
  b.write(Buffer.from('b1'));
  p.clock.advance(5);
  // the agent answers on stream a while the client resets it: the late data is ignored
  agentStreams[0]!.write(Buffer.from('too late'));
  let clientGotLate = false;
  a.onData = () => (clientGotLate = true);
  let clientClosed = false;
  a.onClose = () => (clientClosed = true);
  a.reset('connection refused');
  assert.ok(a.closed && clientClosed);
  assert.throws(() => a.write(Buffer.from('x')), /closed/);
  b.write(Buffer.from('b2'));
  p.clock.advance(5);
  assert.ok(!clientGotLate);
  assert.deepEqual(resets, ['agent 1: connection refused']);
  assert.ok(agentStreams[0]!.closed);
  assert.equal(agentData.get(3), 'b1b2');
  assert.equal(p.client.size, 1);
  assert.equal(p.agent.size, 1);
  // a reset from the agent side, with data queued on the client waiting for credit
  const c = p.client.open();
  p.clock.advance(5);
  const agentC = agentStreams[2]!;
  agentC.pause();
  c.write(Buffer.alloc(MUX_DEFAULT_WINDOW + 5000));
  p.clock.advance(5);
  assert.equal(c.queuedBytes, 5000);
  let reason = '';
  c.onReset = (r) => (reason = r);
  agentC.reset('target closed');
  p.clock.advance(5);
  assert.equal(reason, 'target closed');
  assert.equal(c.queuedBytes, 0);
  assert.ok(c.closed);
  // a stream nobody listens for is refused
  const out: MuxFrame[] = [];
  const parser = new MuxFrameParser();
  const lonelyOut = new Mux({ role: 'agent', send: (bytes) => void out.push(...parser.push(bytes)) });
  lonelyOut.receive(encodeMuxFrame(MuxFrameType.Open, 7, encodeOpenPayload({ port: 80 })));
  assert.deepEqual(out.map((f) => [f.type, f.streamId, f.payload.toString()]), [[MuxFrameType.Rst, 7, 'no listener']]);
});

test('mux: FIN and data wait while paused; data before a handler is set is held', () => {
  let agentStream: MuxStream | undefined;
  const p = directPair({ onStream: (s) => (agentStream = s) }); // no handlers yet
  const s = p.client.open();
  s.write(Buffer.from('abc'));
  s.write(Buffer.from('def'));
  s.end();
  p.clock.advance(5);
  const seen: string[] = [];
  agentStream!.onEnd = () => seen.push('end');
  agentStream!.pause();
  agentStream!.onData = (d) => seen.push(d.toString());
  assert.deepEqual(seen, []);
  assert.equal(agentStream!.heldBytes, 6);
  agentStream!.resume();
  assert.deepEqual(seen, ['abc', 'def', 'end']);
});

test('mux: protocol errors close the mux and reset its streams; credit violations reset the stream', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['unknown type', Buffer.from([9, 0, 0, 0, 1, 0, 0, 0, 0]), /unknown mux frame type 9/],
    ['stream 0', encodeFrameRaw(MuxFrameType.Data, 0, 0), /stream id 0 is reserved/],
    ['oversized', encodeFrameRaw(MuxFrameType.Data, 1, 5_000_000), /over 1048576/],
    ['wrong parity', encodeMuxFrame(MuxFrameType.Open, 4), /peer must use odd ids/],
    ['bad window', encodeMuxFrame(MuxFrameType.Window, 2, Buffer.alloc(3)), /WINDOW payload must be 4 bytes, got 3/],
    ['bad open', encodeMuxFrame(MuxFrameType.Open, 3, Buffer.from('{"port":70000}')), /OPEN port must be 1–65535/],
    ['open twice', Buffer.concat([encodeMuxFrame(MuxFrameType.Open, 5), encodeMuxFrame(MuxFrameType.Open, 5)]), /already open/],
  ];
  for (const [name, bytes, re] of cases) {
    const errors: Error[] = [];
    const resets: string[] = [];
    const m = new Mux({ role: 'agent', send: () => true, onError: (e) => errors.push(e), onStream: (s) => (s.onReset = (r) => resets.push(r)) });
    const mine = m.open();
    mine.onReset = (r) => resets.push(r);
    m.receive(bytes);
    assert.equal(errors.length, 1, name);
    assert.ok(errors[0] instanceof MuxProtocolError, name);
    assert.match(errors[0]!.message, re, name);
    assert.ok(m.closed, name);
    assert.ok(mine.closed, name);
    assert.ok(resets.every((r) => r.startsWith('mux error')) && resets.length >= 1, name);
    assert.throws(() => m.open(), /mux is closed/);
  }
  // a peer that ignores credit gets its stream reset
  const out: MuxFrame[] = [];
  const parser = new MuxFrameParser();
  const m = new Mux({ role: 'agent', initialWindow: 1000, send: (b) => void out.push(...parser.push(b)), onStream: () => {} });
  m.receive(encodeMuxFrame(MuxFrameType.Open, 1));
  m.receive(encodeMuxFrame(MuxFrameType.Data, 1, Buffer.alloc(600)));
  m.receive(encodeMuxFrame(MuxFrameType.Data, 1, Buffer.alloc(600)));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.type, MuxFrameType.Rst);
  assert.match(out[0]!.payload.toString(), /flow control violated: 600 bytes with 400 of credit/);
  assert.equal(m.size, 0);
  assert.ok(!m.closed);
});

test('mux framing: parser reassembles frames split anywhere; OPEN payloads validate', () => {
  const frames = [
    encodeMuxFrame(MuxFrameType.Open, 1, encodeOpenPayload({ host: 'h', port: 1 })),
    encodeMuxFrame(MuxFrameType.Data, 1, Buffer.from('0123456789')),
    encodeMuxFrame(MuxFrameType.Window, 1, Buffer.from([0, 0, 1, 0])),
    encodeMuxFrame(MuxFrameType.Fin, 1),
    encodeMuxFrame(MuxFrameType.Rst, 3, Buffer.from('why')),
  ];
  const all = Buffer.concat(frames);
  const rng = new Rng(1);
  for (let run = 0; run < 50; run++) {
    const parser = new MuxFrameParser();
    const out: MuxFrame[] = [];
    let off = 0;
    while (off < all.length) {
      const n = run === 0 ? 1 : rng.int(1, 20);
      out.push(...parser.push(all.subarray(off, off + n)));
      off += n;
    }
    assert.equal(parser.buffered, 0);
    assert.deepEqual(
      out.map((f) => [f.type, f.streamId, f.payload.toString('hex')]),
      frames.map((f) => [f[0], f.readUInt32BE(1), f.subarray(9).toString('hex')]),
    );
  }
  assert.deepEqual(parseOpenPayload(Buffer.alloc(0)), {});
  assert.deepEqual(parseOpenPayload(encodeOpenPayload({ port: 443 })), { port: 443 });
  assert.throws(() => parseOpenPayload(Buffer.from('x')), /not JSON/);
  assert.throws(() => parseOpenPayload(Buffer.from('[]')), /must be a JSON object/);
  assert.throws(() => parseOpenPayload(Buffer.from('{"host":""}')), /host must be/);
  assert.throws(() => encodeOpenPayload({ port: 0 }), /port must be 1–65535/);
  assert.throws(() => encodeMuxFrame(MuxFrameType.Data, 0), /streamId/);
  assert.throws(() => new Mux({ role: 'client', send: () => true, initialWindow: 0 }), /initialWindow must be a positive integer/);
});

function encodeFrameRaw(type: number, id: number, length: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt8(type, 0);
  b.writeUInt32BE(id, 1);
  b.writeUInt32BE(length, 5);
  return b;
}

test('mux framing: OPEN carries a file copy request, validated both ways', () => {
  const put = { op: 'put' as const, path: '/tmp/x y', mode: 0o640, name: 'x y' };
  assert.deepEqual(parseOpenPayload(encodeOpenPayload({ file: put })), { file: put });
  assert.deepEqual(parseOpenPayload(encodeOpenPayload({ file: { op: 'get', path: 'rel/path' } })), { file: { op: 'get', path: 'rel/path' } });
  assert.throws(() => parseOpenPayload(Buffer.from('{"file":{"op":"rm","path":"/"}}')), /file\.op must be "get" or "put"/);
  assert.throws(() => parseOpenPayload(Buffer.from('{"file":{"op":"get","path":""}}')), /file\.path must be/);
  assert.throws(() => parseOpenPayload(Buffer.from('{"file":{"op":"get","path":"/a\\u0000b"}}')), /without NUL/);
  assert.throws(() => parseOpenPayload(Buffer.from('{"file":{"op":"put","path":"/a","mode":4096}}')), /file\.mode must be permission bits/);
  assert.throws(() => parseOpenPayload(Buffer.from('{"file":{"op":"put","path":"/a","name":"../b"}}')), /file\.name must be a plain file name/);
  assert.throws(() => encodeOpenPayload({ file: { op: 'get', path: 'x'.repeat(5000) } }), /file\.path must be/);
});

test('mux: with defer, what is written in one turn leaves together, in frames of up to maxChunk', () => {
  const later: (() => void)[] = [];
  const sent: Buffer[][] = [];
  const got: Buffer[] = [];
  let agent: Mux | undefined;
  const client = new Mux({
    role: 'client',
    maxChunk: 5000,
    streamHighWaterMark: 64 * 1024,
    defer: (fn) => later.push(fn),
    send: (b) => (sent.push([b]), agent!.receive(b), true),
    sendParts: (parts) => (sent.push(parts), agent!.receive(Buffer.concat(parts)), true),
  });
  agent = new Mux({ role: 'agent', send: (b) => client.receive(b), onStream: (s) => (s.onData = (d) => got.push(Buffer.from(d))) });
  const s = client.open({ port: 1 });
  const chunks = Array.from({ length: 12 }, (_, i) => Buffer.alloc(1000, i));
  for (const c of chunks) assert.equal(s.write(c), true);
  const dataFrames = () => sent.filter((parts) => parts[0]![0] === MuxFrameType.Data);
  assert.equal(dataFrames().length, 0, 'nothing is sent before the deferred flush');
  assert.equal(later.length, 1, 'one flush for the whole turn');
  later.shift()!();
  assert.deepEqual(
    dataFrames().map((parts) => parts.slice(1).reduce((n, p) => n + p.length, 0)),
    [5000, 5000, 2000],
  );
  // the pieces are views of what was written, not copies
  assert.equal(dataFrames()[0]![1]!.buffer, chunks[0]!.buffer);
  assert.ok(Buffer.concat(got).equals(Buffer.concat(chunks)));
  // past the high-water mark write() asks to wait, and the flush brings onDrain
  let drained = 0;
  s.onDrain = () => drained++;
  assert.equal(s.write(Buffer.alloc(64 * 1024)), false);
  later.shift()!();
  assert.equal(drained, 1);
  assert.equal(s.queuedBytes, 0);
});

test('mux: with deferFrom, a short write goes at once, taking along what waits', () => {
  const later: (() => void)[] = [];
  const sent: Buffer[][] = [];
  const got: Buffer[] = [];
  let agent: Mux | undefined;
  const client = new Mux({
    role: 'client',
    maxChunk: 256 * 1024,
    streamHighWaterMark: 512 * 1024,
    defer: (fn) => later.push(fn),
    deferFrom: 64 * 1024,
    send: (b) => (sent.push([b]), agent!.receive(b), true),
    sendParts: (parts) => (sent.push(parts), agent!.receive(Buffer.concat(parts)), true),
  });
  agent = new Mux({ role: 'agent', send: (b) => client.receive(b), onStream: (s) => (s.onData = (d) => got.push(Buffer.from(d))) });
  const s = client.open({ port: 1 });
  const dataFrames = () => sent.filter((parts) => parts[0]![0] === MuxFrameType.Data).map((parts) => parts.slice(1).reduce((n, p) => n + p.length, 0));
  // a keystroke is not held back
  s.write(Buffer.from('x'));
  assert.deepEqual(dataFrames(), [1]);
  // full reads wait for the turn to end; the short read that ends the burst sends them all
  s.write(Buffer.alloc(64 * 1024, 1));
  s.write(Buffer.alloc(64 * 1024, 2));
  assert.deepEqual(dataFrames(), [1]);
  s.write(Buffer.alloc(1000, 3));
  assert.deepEqual(dataFrames(), [1, 2 * 64 * 1024 + 1000]);
  for (const fn of later.splice(0)) fn();
  assert.deepEqual(dataFrames(), [1, 2 * 64 * 1024 + 1000]);
  assert.equal(Buffer.concat(got).length, 1 + 2 * 64 * 1024 + 1000);
});

test('mux: a paused stream keeps a large frame as it came, and copies a small one out of its buffer', () => {
  const held: Buffer[] = [];
  const m = new Mux({ role: 'agent', send: () => true, onStream: (s) => s.pause() });
  m.receive(encodeMuxFrame(MuxFrameType.Open, 1));
  const big = encodeMuxFrame(MuxFrameType.Data, 1, Buffer.alloc(60_000, 7));
  const small = Buffer.concat([encodeMuxFrame(MuxFrameType.Data, 1, Buffer.from('hi')), Buffer.alloc(60_000)]).subarray(0, MUX_HEADER_LENGTH + 2);
  m.receive(big);
  m.receive(small);
  const s = m.stream(1)!;
  assert.equal(s.heldBytes, 60_002);
  s.onData = (d) => held.push(d);
  s.resume();
  assert.equal(held[0]!.buffer, big.buffer, 'most of its buffer: kept as a view');
  assert.notEqual(held[1]!.buffer, small.buffer, 'a sliver of a large buffer: copied');
  assert.equal(held[1]!.toString(), 'hi');
});
