import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessageType,
  PayloadType,
  acknowledgeMessage,
  decodeAgentMessage,
  encodeAgentMessage,
  flagPayload,
  parseAcknowledge,
  publicationMessage,
  sizePayload,
  type AgentMessage,
} from './agent-message.js';
import { ManualClock } from './clock.js';
import { AWS_FRAME_SIZE, FAST_FRAME_SIZE, ReliableStream, isStreamPayload, type ReliableStreamOptions, type TransportMode } from './reliable.js';
import { Link, Rng, normalize, type LinkOptions } from './test-support/sim.js';

interface Rec {
  type: number;
  bytes: Buffer;
}

/** Tracks, from the wire, the payload bytes a sender has out and unacknowledged. */
class InflightTracker {
  private out = new Map<number, number>();
  private bytes = 0;
  max = 0;
  sent(m: AgentMessage): void {
    if (m.messageType !== MessageType.InputStreamData && m.messageType !== MessageType.OutputStreamData) return;
    if (this.out.has(m.sequenceNumber) || m.sequenceNumber < this.floor) return;
    this.out.set(m.sequenceNumber, m.payload.length);
    this.bytes += m.payload.length;
    this.max = Math.max(this.max, this.bytes);
  }
  private floor = 0;
  acked(m: AgentMessage): void {
    if (m.messageType !== MessageType.Acknowledge) return;
    const a = parseAcknowledge(m.payload);
    for (const [seq, n] of [...this.out]) {
      if (seq === a.AcknowledgedMessageSequenceNumber || (a.Cumulative && seq <= a.AcknowledgedMessageSequenceNumber)) {
        this.out.delete(seq);
        this.bytes -= n;
      }
    }
    if (a.Cumulative) this.floor = Math.max(this.floor, a.AcknowledgedMessageSequenceNumber + 1);
  }
}

interface PairOptions {
  mode: TransportMode;
  seed: number;
  link?: LinkOptions;
  client?: Partial<ReliableStreamOptions>;
  agent?: Partial<ReliableStreamOptions>;
}

/** A client and an agent stream over two simulated links, with everything recorded. */
function pair(o: PairOptions) {
  const clock = new ManualClock();
  const rng = new Rng(o.seed);
  const got = { client: [] as Rec[], agent: [] as Rec[] };
  const errors: Error[] = [];
  const controls: AgentMessage[] = [];
  const trackC = new InflightTracker();
  const trackA = new InflightTracker();
  const client: ReliableStream = new ReliableStream({
    role: 'client',
    mode: o.mode,
    clock,
    onData: (type, bytes) => got.client.push({ type, bytes: Buffer.from(bytes) }),
    onControl: (m) => controls.push(m),
    onError: (e) => errors.push(e),
    ...o.client,
  });
  const agent: ReliableStream = new ReliableStream({
    role: 'agent',
    mode: o.mode,
    clock,
    onData: (type, bytes) => got.agent.push({ type, bytes: Buffer.from(bytes) }),
    onControl: (m) => controls.push(m),
    onError: (e) => errors.push(e),
    ...o.agent,
  });
  const links: { up: Link; down: Link }[] = [];
  const connect = () => {
    const up = new Link(clock, rng, (b) => {
      trackA.acked(decodeAgentMessage(b));
      agent.receive(b);
    }, o.link);
    const down = new Link(clock, rng, (b) => {
      trackC.acked(decodeAgentMessage(b));
      client.receive(b);
    }, o.link);
    links.push({ up, down });
    client.attach((b) => {
      trackC.sent(decodeAgentMessage(b));
      up.send(b);
    });
    agent.attach((b) => {
      trackA.sent(decodeAgentMessage(b));
      down.send(b);
    });
  };
  connect();
  const drop = () => {
    const l = links[links.length - 1]!;
    l.up.cut();
    l.down.cut();
    client.detach();
    agent.detach();
  };
  const sentBy = (side: 'client' | 'agent'): AgentMessage[] => links.flatMap((l) => (side === 'client' ? l.up.sent : l.down.sent));
  return { clock, rng, client, agent, got, errors, controls, trackC, trackA, links, connect, drop, sentBy };
}

/** Writes a plan of records into a stream over time, honouring backpressure. */
class Producer {
  private i = 0;
  private waiting = false;
  done = false;
  constructor(
    private readonly stream: ReliableStream,
    private readonly plan: Rec[],
    private readonly clock: ManualClock,
    private readonly rng: Rng,
    private readonly maxGap = 20,
  ) {}
  start(): void {
    this.clock.setTimeout(() => this.step(), this.rng.int(0, this.maxGap));
  }
  drain(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.clock.setTimeout(() => this.step(), 0);
  }
  private step(): void {
    let burst = this.rng.int(1, 6);
    while (burst-- > 0 && this.i < this.plan.length) {
      const r = this.plan[this.i++]!;
      if (!this.stream.write(r.type, r.bytes)) {
        this.waiting = true;
        return;
      }
    }
    if (this.i >= this.plan.length) this.done = true;
    else this.clock.setTimeout(() => this.step(), this.rng.int(0, this.maxGap));
  }
}

function makePlan(rng: Rng, totalBytes: number, bigChunks: boolean): Rec[] {
  const plan: Rec[] = [];
  let n = 0;
  while (n < totalBytes) {
    const k = rng.next();
    if (k < 0.06) plan.push({ type: PayloadType.Size, bytes: sizePayload(rng.int(20, 300), rng.int(10, 100)) });
    else if (k < 0.08) plan.push({ type: PayloadType.Flag, bytes: flagPayload(rng.int(1, 3)) });
    else if (k < 0.1) plan.push({ type: PayloadType.ExitCode, bytes: Buffer.from(`EXIT_CODE: ${rng.int(0, 255)}`) });
    else if (k < 0.25) {
      const b = rng.bytes(rng.int(0, 3000));
      plan.push({ type: PayloadType.StdErr, bytes: b });
      n += b.length;
    } else {
      const size = bigChunks && rng.chance(0.3) ? rng.int(20_000, 300_000) : rng.int(0, 5000);
      const b = rng.bytes(size);
      plan.push({ type: PayloadType.Output, bytes: b });
      n += b.length;
    }
  }
  return plan;
}

function assertSame(got: Rec[], want: Rec[], what: string): void {
  const g = normalize(got, isStreamPayload);
  const w = normalize(want, isStreamPayload);
  assert.equal(g.length, w.length, `${what}: ${g.length} records delivered, ${w.length} written`);
  for (let i = 0; i < w.length; i++) {
    assert.equal(g[i]!.type, w[i]!.type, `${what}: record ${i} type`);
    assert.ok(g[i]!.bytes.equals(w[i]!.bytes), `${what}: record ${i} (${w[i]!.bytes.length} bytes of type ${w[i]!.type}) differs`);
  }
}

function checkAwsWire(messages: AgentMessage[], role: 'client' | 'agent'): void {
  const dataType = role === 'client' ? MessageType.InputStreamData : MessageType.OutputStreamData;
  for (const m of messages) {
    if (m.messageType === dataType) {
      assert.ok(m.payload.length <= AWS_FRAME_SIZE, `aws mode sent a ${m.payload.length}-byte payload`);
      assert.equal(m.flags, role === 'agent' && m.sequenceNumber === 0 ? 1 : 0, `flags of ${role} frame ${m.sequenceNumber}`);
      assert.equal(m.schemaVersion, 1);
    } else {
      assert.equal(m.messageType, MessageType.Acknowledge);
      assert.equal(m.flags, 3);
      assert.equal(m.sequenceNumber, 0);
      assert.equal(m.payloadType, 0);
      const a = JSON.parse(m.payload.toString());
      assert.deepEqual(Object.keys(a), ['AcknowledgedMessageType', 'AcknowledgedMessageId', 'AcknowledgedMessageSequenceNumber', 'IsSequentialMessage']);
      assert.equal(a.AcknowledgedMessageType, role === 'client' ? MessageType.OutputStreamData : MessageType.InputStreamData);
    }
  }
}

/** Runs one random bidirectional transfer and checks exactly-once, in-order delivery. */
function randomRun(mode: TransportMode, seed: number, opts: { drops?: number } = {}): ReturnType<typeof pair> {
  const rng0 = new Rng(seed * 7919 + 1);
  const link: LinkOptions = {
    loss: rng0.next() * 0.25,
    duplicate: rng0.next() * 0.1,
    latency: rng0.int(1, 40),
    jitter: rng0.int(0, 60),
  };
  let extra: Partial<ReliableStreamOptions> = {};
  if (mode === 'fast') {
    const frameSize = [2048, 8192, 65536][rng0.int(0, 2)]!;
    extra = { frameSize, window: frameSize * rng0.int(2, 32), ackEvery: rng0.int(1, 32), ackDelay: rng0.int(0, 30) };
  }
  const p = pair({ mode, seed, link, client: { ...extra, onDrain: () => prodC.drain() }, agent: { ...extra, onDrain: () => prodA.drain() } });
  const planC = makePlan(p.rng, mode === 'aws' ? rng0.int(0, 60_000) : rng0.int(0, 600_000), mode === 'fast');
  const planA = makePlan(p.rng, mode === 'aws' ? rng0.int(0, 60_000) : rng0.int(0, 600_000), mode === 'fast');
  const prodC: Producer = new Producer(p.client, planC, p.clock, p.rng);
  const prodA: Producer = new Producer(p.agent, planA, p.clock, p.rng);
  prodC.start();
  prodA.start();
  // replace the connection a few times, at random moments
  for (let d = 0; d < (opts.drops ?? 0); d++) {
    p.clock.setTimeout(() => {
      p.drop();
      p.clock.setTimeout(() => p.connect(), p.rng.int(0, 3000));
    }, rng0.int(1, 4000) + d * 4000);
  }
  p.clock.runUntil(() => prodC.done && prodA.done && p.client.idle && p.agent.idle && p.clock.pending === 0, 2_000_000);
  assert.ok(prodC.done && prodA.done, `seed ${seed}: producers did not finish`);
  assert.ok(p.client.idle && p.agent.idle, `seed ${seed}: streams not idle`);
  assertSame(p.got.agent, planC, `${mode} seed ${seed} client→agent`);
  assertSame(p.got.client, planA, `${mode} seed ${seed} agent→client`);
  assert.deepEqual(p.errors, []);
  const wc = extra.window ?? p.client.window;
  assert.ok(p.trackC.max <= Math.max(wc, p.client.frameSize), `client had ${p.trackC.max} bytes in flight, window ${wc}`);
  assert.ok(p.trackA.max <= Math.max(wc, p.agent.frameSize), `agent had ${p.trackA.max} bytes in flight, window ${wc}`);
  assert.ok(p.client.stats.maxInFlight <= wc && p.agent.stats.maxInFlight <= wc);
  if (mode === 'aws') {
    checkAwsWire(p.sentBy('client'), 'client');
    checkAwsWire(p.sentBy('agent'), 'agent');
  }
  return p;
}

test('aws mode: random lossy, reordering, duplicating links deliver every byte exactly once, in order', () => {
  for (let seed = 1; seed <= 30; seed++) randomRun('aws', seed);
});

test('fast mode: random lossy, reordering, duplicating links deliver every byte exactly once, in order', () => {
  for (let seed = 1; seed <= 30; seed++) randomRun('fast', seed);
});

test('resume: replacing the connection mid-transfer (several times) loses and duplicates nothing', () => {
  for (const mode of ['aws', 'fast'] as const) {
    for (let seed = 100; seed < 112; seed++) {
      const p = randomRun(mode, seed, { drops: 3 });
      assert.ok(p.client.stats.resumes >= 1);
    }
  }
});

test('resume: unacknowledged frames are resent on the new transport, sequence numbers continue', () => {
  const p = pair({ mode: 'aws', seed: 5, link: { latency: 10 } });
  p.client.write(PayloadType.Output, Buffer.from('one'));
  p.clock.advance(100); // delivered and acked
  p.links[0]!.up.hold(); // the connection goes quiet…
  p.client.write(PayloadType.Output, Buffer.from('two'));
  p.client.write(PayloadType.Size, sizePayload(80, 24));
  p.drop(); // …then dies with both frames unacknowledged
  p.client.write(PayloadType.Output, Buffer.from('three')); // written while detached
  assert.equal(p.client.inFlightFrames, 2);
  assert.equal(p.client.queuedBytes, 5);
  p.connect();
  const resent = p.links[1]!.up.sent.filter((m) => m.messageType === MessageType.InputStreamData);
  assert.deepEqual(resent.map((m) => m.sequenceNumber), [1, 2, 3]);
  p.clock.advance(100);
  assert.deepEqual(
    p.got.agent.map((r) => r.bytes.toString()),
    ['one', 'two', '{"cols":80,"rows":24}', 'three'],
  );
  assert.ok(p.client.idle);
  assert.equal(p.client.nextSequenceNumber, 4);
});

test('aws mode: every frame gets its own acknowledge, payloads stay within 1024 bytes, the agent SYNs its first frame', () => {
  const p = pair({ mode: 'aws', seed: 1, link: { latency: 3 } });
  const data = new Rng(9).bytes(50_000);
  p.agent.write(PayloadType.Output, data);
  p.client.write(PayloadType.Output, data.subarray(0, 10_000));
  p.clock.runUntil(() => p.client.idle && p.agent.idle && p.clock.pending === 0);
  assert.ok(Buffer.concat(p.got.client.map((r) => r.bytes)).equals(data));
  assert.equal(p.agent.stats.framesSent, Math.ceil(50_000 / 1024));
  assert.equal(p.client.stats.framesReceived, p.agent.stats.framesSent);
  assert.equal(p.client.stats.acksSent, p.client.stats.framesReceived);
  assert.equal(p.agent.stats.acksSent, p.agent.stats.framesReceived);
  assert.equal(p.agent.stats.maxFramePayload, 1024);
  checkAwsWire(p.sentBy('agent'), 'agent');
  checkAwsWire(p.sentBy('client'), 'client');
  const first = p.sentBy('agent').find((m) => m.messageType === MessageType.OutputStreamData)!;
  assert.equal(first.sequenceNumber, 0);
  assert.equal(first.flags, 1);
  // each ack names the acknowledged frame's id and sequence
  const framesById = new Map(p.sentBy('agent').filter((m) => m.messageType === MessageType.OutputStreamData).map((m) => [m.messageId, m.sequenceNumber]));
  for (const m of p.sentBy('client').filter((x) => x.messageType === MessageType.Acknowledge)) {
    const a = parseAcknowledge(m.payload);
    assert.equal(framesById.get(a.AcknowledgedMessageId), a.AcknowledgedMessageSequenceNumber);
  }
  assert.throws(() => new ReliableStream({ role: 'client', mode: 'aws', frameSize: 2048, onData() {} }), /at most 1024/);
});

test('aws mode: the receiver buffers early frames, re-acks duplicates, and delivers in order', () => {
  const clock = new ManualClock();
  const got: string[] = [];
  const sent: AgentMessage[] = [];
  const s = new ReliableStream({ role: 'client', clock, onData: (_t, b) => got.push(b.toString()) });
  s.attach((b) => sent.push(decodeAgentMessage(b)));
  const frame = (seq: number, text: string) =>
    encodeAgentMessage({ messageType: MessageType.OutputStreamData, createdDate: clock.now(), sequenceNumber: seq, flags: seq === 0 ? 1 : 0, payloadType: 1, payload: Buffer.from(text) });
  const f = [frame(0, 'a'), frame(1, 'b'), frame(2, 'c'), frame(3, 'd')];
  for (const i of [2, 0, 2, 1, 1, 3, 0]) s.receive(f[i]!);
  assert.deepEqual(got, ['a', 'b', 'c', 'd']);
  const acked = sent.map((m) => parseAcknowledge(m.payload).AcknowledgedMessageSequenceNumber);
  assert.deepEqual(acked, [2, 0, 2, 1, 1, 3, 0]);
  assert.equal(s.stats.duplicatesReceived, 3);
  assert.equal(s.stats.outOfOrderReceived, 1);
  assert.equal(s.expectedSequenceNumber, 4);
});

test('aws mode: the head frame is resent when older than the RTO, checked every 100 ms; RTO follows SRTT/RTTVAR', () => {
  const clock = new ManualClock();
  const sent: { at: number; m: AgentMessage }[] = [];
  const s = new ReliableStream({ role: 'agent', clock, onData() {} });
  const t0 = clock.now();
  s.attach((b) => sent.push({ at: clock.now() - t0, m: decodeAgentMessage(b) }));
  s.write(PayloadType.Output, Buffer.from('x'));
  s.write(PayloadType.Output, Buffer.alloc(1500, 1)); // two more frames
  assert.equal(s.rto, 200);
  clock.advance(1000);
  // only the head (seq 0) is resent: at 300 ms (not > 200 at 200 ms), then every 300 ms
  assert.deepEqual(
    sent.map((x) => [x.at, x.m.sequenceNumber]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [300, 0],
      [600, 0],
      [900, 0],
    ],
  );
  const ids = sent.slice(0, 3).map((x) => x.m.messageId);
  const ack = (seq: number) =>
    s.receive(encodeAgentMessage(acknowledgeMessage({ messageType: MessageType.OutputStreamData, messageId: ids[seq]!, sequenceNumber: seq }, { createdDate: clock.now() })));
  // ack of seq 0, 100 ms after its last send (at 900): R = 100 → RTTVAR 0, SRTT 100, RTO 110
  ack(0);
  assert.equal(s.rto, 110);
  assert.equal(s.inFlightFrames, 2);
  // seq 1 was last sent at 0: R = 1000 → RTTVAR = 0.25·900 = 225, SRTT = 212.5, RTO = 212.5 + 900 → capped at 1000
  ack(1);
  assert.equal(s.rto, 1000);
  assert.equal(s.smoothedRtt, 212.5);
  // the new head (seq 2) is now overdue: the next 100 ms check resends it
  sent.length = 0;
  clock.advance(100);
  assert.deepEqual(sent.map((x) => x.m.sequenceNumber), [2]);
  ack(2);
  assert.ok(s.idle);
  assert.equal(clock.pending, 0, 'no timers left when nothing is in flight');
});

test('fast mode: large frames and far fewer acknowledgements than frames', () => {
  const p = pair({ mode: 'fast', seed: 2, link: { latency: 5 }, client: { onDrain: () => pump() } });
  const data = new Rng(3).bytes(8 * 1024 * 1024);
  let off = 0;
  const pump = () => {
    while (off < data.length) {
      const n = Math.min(128 * 1024, data.length - off);
      const ok = p.client.write(PayloadType.Output, data.subarray(off, off + n));
      off += n;
      if (!ok) return;
    }
  };
  pump();
  p.clock.runUntil(() => off >= data.length && p.client.idle && p.clock.pending === 0);
  assert.ok(Buffer.concat(p.got.agent.map((r) => r.bytes)).equals(data));
  const frames = p.agent.stats.framesReceived;
  // each 128 KiB write is one frame, and writes queued behind a full window share frames of up to 256 KiB
  assert.ok(frames < data.length / (128 * 1024), `${frames} frames`);
  assert.equal(p.client.stats.maxFramePayload, FAST_FRAME_SIZE);
  assert.ok(p.agent.stats.acksSent * 8 <= frames, `${p.agent.stats.acksSent} acks for ${frames} frames`);
  assert.equal(p.client.stats.framesResent, 0);
  for (const m of p.sentBy('agent')) {
    assert.equal(m.messageType, MessageType.Acknowledge);
    assert.equal(parseAcknowledge(m.payload).Cumulative, true);
  }
  // small interactive writes are acknowledged by the delayed-ack timer, coalesced
  const before = p.agent.stats.acksSent;
  for (let i = 0; i < 50; i++) p.client.write(PayloadType.Output, Buffer.from('k'));
  p.clock.runUntil(() => p.client.idle && p.clock.pending === 0);
  assert.ok(p.agent.stats.acksSent - before <= 5, `${p.agent.stats.acksSent - before} acks for 50 small frames`);
});

test('fast mode: the window bounds bytes in flight and write() applies backpressure until drain', () => {
  let drains = 0;
  const p = pair({ mode: 'fast', seed: 4, link: { latency: 20 }, client: { frameSize: 4096, window: 16_384, onDrain: () => drains++ } });
  p.links[0]!.up.hold(); // nothing reaches the agent, so nothing is acknowledged
  let accepted = 0;
  while (p.client.write(PayloadType.Output, Buffer.alloc(1000, 7))) accepted++;
  // with the window open each small write leaves at once as its own frame; then they queue, coalesced
  assert.equal(p.client.inFlightBytes, 16_000);
  assert.equal(p.client.stats.framesSent, 16);
  assert.equal(p.client.queuedBytes, 5000, 'write() said false once a frame’s worth waited');
  assert.equal(accepted, 16 + 4);
  assert.equal(drains, 0);
  p.clock.advance(5000); // timeouts resend, but never beyond the window
  assert.equal(p.client.stats.framesSent, 16);
  assert.ok(p.client.stats.framesResent >= 16);
  assert.equal(p.trackC.max, 16_000);
  p.links[0]!.up.release();
  p.clock.runUntil(() => p.client.idle && p.clock.pending === 0);
  assert.ok(drains >= 1);
  assert.equal(Buffer.concat(p.got.agent.map((r) => r.bytes)).length, (accepted + 1) * 1000);
  assert.ok(p.trackC.max <= 16_384);
});

test('fast mode: a lost frame is recovered by go-back-N from the first unacked frame on timeout, or by one fast retransmit when the peer reports a gap', () => {
  const clock = new ManualClock();
  const got: Buffer[] = [];
  const toAgent: Buffer[] = [];
  const client = new ReliableStream({ role: 'client', mode: 'fast', clock, frameSize: 1024, window: 64 * 1024, onData() {} });
  const agent = new ReliableStream({ role: 'agent', mode: 'fast', clock, onData: (_t, b) => got.push(Buffer.from(b)) });
  client.attach((b) => toAgent.push(b));
  agent.attach((b) => clock.setTimeout(() => client.receive(b), 10));
  client.write(PayloadType.Output, Buffer.alloc(10 * 1024, 1));
  assert.equal(toAgent.length, 10);
  // frame 0 is lost: the agent has nothing in order, sends nothing; the client times out (1 s)
  toAgent.shift();
  for (const b of toAgent.splice(0)) agent.receive(b);
  assert.equal(got.length, 0);
  clock.advance(999);
  assert.equal(toAgent.length, 0);
  clock.advance(1);
  // go-back-N: all ten frames again, in order
  assert.deepEqual(toAgent.map((b) => decodeAgentMessage(b).sequenceNumber), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(client.stats.timeouts, 1);
  for (const b of toAgent.splice(0)) agent.receive(b);
  assert.equal(Buffer.concat(got).length, 10 * 1024);
  clock.advance(50);
  assert.ok(client.idle);

  // a hole in the middle: the agent acknowledges the gap at once and the client resends just the missing frame
  client.write(PayloadType.Output, Buffer.alloc(6 * 1024, 2));
  const frames = toAgent.splice(0);
  agent.receive(frames[0]!);
  agent.receive(frames[1]!);
  for (const b of frames.slice(3)) agent.receive(b);
  clock.advance(10); // the gap ack reaches the client…
  assert.equal(toAgent.length, 0, '…which first allows 1.25 × SRTT for reordering');
  clock.advance(120);
  assert.equal(client.stats.fastRetransmits, 1);
  assert.equal(client.stats.timeouts, 1, 'no timeout needed');
  assert.deepEqual(toAgent.map((b) => decodeAgentMessage(b).sequenceNumber), [12]);
  agent.receive(toAgent.shift()!);
  clock.advance(50);
  assert.ok(client.idle);
  assert.equal(Buffer.concat(got).length, 16 * 1024);
});

test('pause_publication stops sending and retransmitting; start_publication (or any stream data) resumes', () => {
  const p = pair({ mode: 'aws', seed: 8, link: { latency: 5 } });
  p.agent.receive(encodeAgentMessage(publicationMessage('pause', p.clock.now())));
  assert.ok(p.agent.paused);
  p.agent.write(PayloadType.Output, Buffer.from('held'));
  p.clock.advance(2000);
  assert.equal(p.agent.stats.framesSent, 0);
  assert.equal(p.got.client.length, 0);
  p.agent.receive(encodeAgentMessage(publicationMessage('start', p.clock.now())));
  assert.ok(!p.agent.paused);
  p.clock.advance(100);
  assert.deepEqual(p.got.client.map((r) => r.bytes.toString()), ['held']);
  assert.deepEqual(p.controls.map((m) => m.messageType), ['pause_publication', 'start_publication']);

  p.agent.receive(encodeAgentMessage(publicationMessage('pause', p.clock.now())));
  p.agent.write(PayloadType.Output, Buffer.from('more'));
  p.client.write(PayloadType.Output, Buffer.from('input'));
  p.clock.advance(100);
  assert.ok(!p.agent.paused, 'incoming stream data unpauses');
  assert.deepEqual(p.got.client.map((r) => r.bytes.toString()), ['held', 'more']);
});

test('switching aws → fast mid-transfer (after the handshake) keeps the stream exact', () => {
  const p = pair({ mode: 'aws', seed: 11, link: { latency: 7, jitter: 10, loss: 0.05 } });
  const rng = new Rng(12);
  const a = rng.bytes(20_000);
  const b = rng.bytes(3_000_000);
  p.client.write(PayloadType.Output, a);
  p.agent.write(PayloadType.Output, a);
  p.clock.advance(30);
  p.client.setMode('fast', { frameSize: 32768 }); // client sends the HandshakeResponse, then switches
  p.clock.advance(15);
  p.agent.setMode('fast', { frameSize: 32768 }); // the agent switches when the response arrives
  let off = 0;
  const pump = () => {
    while (off < b.length) {
      const n = Math.min(50_000, b.length - off);
      const ok = p.client.write(PayloadType.Output, b.subarray(off, off + n));
      off += n;
      if (!ok) return;
    }
  };
  while (off < b.length) {
    pump();
    p.clock.advance(20);
  }
  p.agent.write(PayloadType.Output, b);
  p.clock.runUntil(() => p.client.idle && p.agent.idle && p.clock.pending === 0);
  assert.ok(Buffer.concat(p.got.agent.map((r) => r.bytes)).equals(Buffer.concat([a, b])));
  assert.ok(Buffer.concat(p.got.client.map((r) => r.bytes)).equals(Buffer.concat([a, b])));
  assert.equal(p.agent.stats.maxFramePayload, 32768);
});

test('payload transform applies per frame on send and before delivery; a failing transform is reported, not delivered', () => {
  const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
  const p = pair({
    mode: 'aws',
    seed: 3,
    agent: { transform: { outgoing: (t, b) => (t === PayloadType.Output ? Buffer.concat([Buffer.from('E'), xor(b)]) : b) } },
    client: {
      transform: {
        incoming: (t, b) => {
          if (t !== PayloadType.Output) return b;
          if (b[0] !== 0x45) throw new Error('bad ciphertext');
          return xor(b.subarray(1));
        },
      },
    },
  });
  p.agent.write(PayloadType.Output, Buffer.from('secret'));
  p.agent.write(PayloadType.Size, Buffer.from('{}'));
  p.clock.runUntil(() => p.agent.idle && p.clock.pending === 0);
  assert.deepEqual(p.got.client.map((r) => r.bytes.toString()), ['secret', '{}']);
  const wire = p.sentBy('agent').find((m) => m.payloadType === PayloadType.Output)!;
  assert.equal(wire.payload.toString('latin1'), 'E' + xor(Buffer.from('secret')).toString('latin1'));
  // a frame that fails the transform is neither delivered nor acknowledged
  p.client.receive(
    encodeAgentMessage({ messageType: MessageType.OutputStreamData, createdDate: p.clock.now(), sequenceNumber: 2, payloadType: 1, payload: Buffer.from('Xjunk') }),
  );
  assert.equal(p.errors.length, 1);
  assert.match(p.errors[0]!.message, /bad ciphertext/);
  assert.equal(p.client.expectedSequenceNumber, 2);
});

test('bad input is reported and ignored; control messages pass through; close stops everything', () => {
  const p = pair({ mode: 'fast', seed: 6 });
  p.client.receive(Buffer.from('garbage'));
  p.client.receive(encodeAgentMessage({ messageType: MessageType.Acknowledge, createdDate: 1, payload: Buffer.from('{}') }));
  assert.equal(p.client.stats.invalidReceived, 2);
  assert.match(p.errors[0]!.message, /header alone is 120/);
  assert.match(p.errors[1]!.message, /AcknowledgedMessageType must be a string/);
  p.client.receive(encodeAgentMessage({ messageType: MessageType.ChannelClosed, createdDate: 1, payload: Buffer.from('{}') }));
  p.client.receive(encodeAgentMessage({ messageType: MessageType.AgentSessionState, createdDate: 1, flags: 3 }));
  assert.deepEqual(p.controls.map((m) => m.messageType), ['channel_closed', 'agent_session_state']);
  assert.ok(p.client.sendControl({ messageType: MessageType.AgentSessionState, flags: 3 }));
  p.client.write(PayloadType.Output, Buffer.from('x'));
  p.client.close();
  assert.ok(p.client.closed);
  assert.throws(() => p.client.write(PayloadType.Output, Buffer.from('y')), /closed/);
  assert.throws(() => p.client.attach(() => {}), /closed/);
  assert.equal(p.client.sendControl({ messageType: 'x' }), false);
  p.clock.runUntil(() => p.clock.pending === 0);
  assert.equal(p.client.stats.framesResent, 0);
  assert.throws(() => new ReliableStream({ role: 'client', mode: 'fast', frameSize: 65536, window: 1000, onData() {} }), /smaller than one frame/);
  assert.throws(() => new ReliableStream({ role: 'x' as 'client', onData() {} }), /role must be/);
  assert.throws(() => p.agent.write(-1, Buffer.alloc(0)), /uint32/);
});

test('a payload written in pieces: stream bytes arrive joined, another type as one frame of the joined pieces', () => {
  const clock = new ManualClock();
  const got: [number, string][] = [];
  const sent: AgentMessage[] = [];
  const client = new ReliableStream({ role: 'client', mode: 'fast', clock, onData() {} });
  const agent = new ReliableStream({ role: 'agent', mode: 'fast', clock, onData: (t, b) => got.push([t, b.toString()]) });
  client.attach((b) => {
    const c = Buffer.from(b);
    sent.push(decodeAgentMessage(c));
    clock.setTimeout(() => agent.receive(c), 1);
  });
  agent.attach((b) => {
    const c = Buffer.from(b);
    clock.setTimeout(() => client.receive(c), 1);
  });
  client.write(PayloadType.Output, [Buffer.from('head|'), new Uint8Array(0), Buffer.from('body')]);
  client.write(PayloadType.Size, [Buffer.from('{"cols":80,'), new TextEncoder().encode('"rows":24}')]);
  clock.runUntil(() => client.idle && clock.pending === 0);
  assert.deepEqual(got, [
    [PayloadType.Output, 'head|body'],
    [PayloadType.Size, '{"cols":80,"rows":24}'],
  ]);
  assert.deepEqual(
    sent.filter((m) => m.messageType === MessageType.InputStreamData).map((m) => m.payload.toString()),
    ['head|body', '{"cols":80,"rows":24}'],
  );
  assert.equal(client.stats.bytesWritten, 9 + 21);
});

test('fast mode: a transform that leaves a type alone gets no joined copy of it; sealed types still go through it', () => {
  const seen: { type: number; pieces: number }[] = [];
  const sent: Buffer[] = [];
  const r = new ReliableStream({
    role: 'agent',
    mode: 'fast',
    clock: new ManualClock(),
    onData: () => undefined,
    transform: {
      outgoing: (type, payload) => (seen.push({ type, pieces: 1 }), type === PayloadType.Flag ? Buffer.from(payload).reverse() : payload),
      transforms: (type) => type === PayloadType.Flag,
    },
  });
  r.attach((b) => sent.push(Buffer.from(b)));
  r.write(PayloadType.Output, [Buffer.from('ab'), Buffer.from('cd')]);
  r.write(PayloadType.Flag, flagPayload(1));
  assert.deepEqual(seen, [{ type: PayloadType.Flag, pieces: 1 }]);
  const payloads = sent.map((b) => decodeAgentMessage(b)).map((m) => [m.payloadType, m.payload.toString('hex')]);
  assert.deepEqual(payloads, [
    [PayloadType.Output, Buffer.from('abcd').toString('hex')],
    [PayloadType.Flag, '01000000'],
  ]);
  r.close();
});

test('fast mode: large frames are acknowledged by bytes before the window fills, not only every ackEvery frames', () => {
  const clock = new ManualClock();
  const acks: AgentMessage[] = [];
  const rx = new ReliableStream({ role: 'client', mode: 'fast', clock, onData: () => undefined });
  rx.attach((b) => acks.push(decodeAgentMessage(b)));
  const tx = new ReliableStream({ role: 'agent', mode: 'fast', clock, onData: () => undefined });
  tx.attach((b) => rx.receive(b));
  // eight quarter-MiB frames: 2 MiB, half the window, in fewer frames than ackEvery
  for (let i = 0; i < 8; i++) tx.write(PayloadType.Output, Buffer.alloc(256 * 1024, i));
  assert.equal(acks.length, 1, 'acknowledged at once, without waiting for the delayed-ack timer');
  assert.equal(parseAcknowledge(acks[0]!.payload).AcknowledgedMessageSequenceNumber, 7);
  tx.close();
  rx.close();
});
