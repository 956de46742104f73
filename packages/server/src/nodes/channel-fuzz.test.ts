import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CreateActivationCommand, DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import fc from 'fast-check';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess } from '../test-support/server-process.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';
import { CHANNEL_PATH, CLOSE_REFUSED } from './channel.js';

/**
 * The agent control channel fed malformed frames, by a peer that never proved an identity and
 * by one that did. Whatever arrives, the server keeps answering the SDK and well-behaved agents,
 * closes or ignores the peer as the channel's rules say, and stores nothing for bad frames.
 */
const SEED = Number(process.env.CAPSTAN_FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.CAPSTAN_FUZZ_RUNS_CHANNEL ?? 150);
const counts = { unauthenticated: 0, authenticated: 0, closed: 0, authenticatedClosed: 0, authenticatedIgnored: 0 };

/**
 * Tables that change without any frame (the audit trail of the SDK probes, the replica
 * registry's heartbeat, the scheduler's leases) and, for the authenticated peer, the row of its
 * own node, which every hello and ping rewrites (connection, last ping) by design.
 */
const CHANGES_BY_DESIGN = /^(audit_|cluster_|scheduler_leases?$|kysely_)/;
const PROJECTIONS: Record<string, string> = { scheduler_jobs: 'kind, dedupe_key, payload' };

let t: TestServer;
let tables: string[] = [];
const ssm = () => new SSMClient(t.clientConfig());

before(async () => {
  t = await startTestServer();
  tables = (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(t.server.core.database.db)).rows.map((r) => r.name);
});
after(async () => {
  await t.stop();
  console.log(`# channel fuzz: seed ${SEED}, ${counts.unauthenticated} frames from unauthenticated peers, ${counts.closed} closing the peer; ${counts.authenticated} from an authenticated one, ${counts.authenticatedClosed} closing it and ${counts.authenticatedIgnored} ignored`);
});

async function snapshot(skip: (table: string) => boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of tables) {
    if (CHANGES_BY_DESIGN.test(name) || skip(name)) continue;
    const columns = PROJECTIONS[name];
    const q = columns ? sql<Record<string, unknown>>`select ${sql.raw(columns)} from ${sql.table(name)} order by ${sql.raw(columns)}` : sql<Record<string, unknown>>`select * from ${sql.table(name)}`;
    const rows = (await q.execute(t.server.core.database.db)).rows;
    out.set(name, `${rows.length}:${createHash('sha256').update(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).digest('hex')}`);
  }
  return out;
}
const changed = (a: Map<string, string>, b: Map<string, string>) => [...a].filter(([k, v]) => b.get(k) !== v).map(([k]) => k);

type Frame = { text: string } | { bytes: Uint8Array };
const send = (ws: WebSocket, f: Frame) => ('text' in f ? ws.send(f.text) : ws.send(f.bytes, { binary: true }));

const KNOWN_TYPES = ['hello', 'ping', 'rotate-key', 'ack', 'reply', 'output', 'inventory', 'patch-report', 'session-ack', 'welcome', 'job'];
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, -1, 1e308, '', '\uD800', 'x'.repeat(5000), [], {}));
/** A known message shape whose members have the wrong types, or an unknown type. */
const wrongShape = fc
  .record({
    type: fc.oneof(fc.constantFrom(...KNOWN_TYPES), fc.string({ maxLength: 30 }), anyValue),
    members: fc.dictionary(fc.constantFrom('id', 'replyId', 'instanceId', 'signature', 'info', 'status', 'steps', 'items', 'publicKey', 'proof', 'data', 'offset', 'stream', 'step', 'sessionId', 'probe'), anyValue, { maxKeys: 6 }),
  })
  .map(({ type, members }) => ({ text: JSON.stringify({ ...members, type }) }));
const frames: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: wrongShape, weight: 5 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes })), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text })), weight: 1 },
  { arbitrary: fc.jsonValue().map((v) => ({ text: JSON.stringify(v).slice(0, Math.max(1, JSON.stringify(v).length - 1)) })), weight: 1 },
  { arbitrary: fc.constantFrom<Frame>({ text: 'null' }, { text: '[]' }, { text: '7' }, { text: '"hello"' }, { text: '' }, { bytes: Buffer.from('{"type":"ping"}') }), weight: 1 },
);

/** Sends a frame and waits until the server closes the connection or has had time to answer. */
function outcome(ws: WebSocket, f: Frame, quietMs = 60): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    if (ws.readyState !== WebSocket.OPEN) return resolve('closed');
    const timer = setTimeout(() => (ws.off('close', onClose), resolve('open')), quietMs);
    const onClose = () => (clearTimeout(timer), resolve('closed'));
    ws.once('close', onClose);
    send(ws, f);
  });
}

/** Opens a socket; on the channels that speak first, resolves once the challenge has arrived. */
function openRaw(path = CHANNEL_PATH, speaksFirst = true, endpoint = t.endpoint): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${endpoint.replace(/^http/, 'ws')}${path}`);
    ws.on('error', () => undefined);
    if (speaksFirst) ws.once('message', () => resolve(ws));
    else ws.once('open', () => resolve(ws));
    ws.once('close', () => reject(new Error('closed before the challenge')));
  });
}

async function stillServing(): Promise<void> {
  const out = await ssm().send(new DescribeInstanceInformationCommand({}));
  assert.ok(Array.isArray(out.InstanceInformationList));
}

describe('the agent control channel under malformed frames', () => {
  let good: SimulatedAgent;
  let bad: SimulatedAgent;

  before(async () => {
    const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2 }));
    good = new SimulatedAgent(t.endpoint, 'good');
    bad = new SimulatedAgent(t.endpoint, 'fuzzer');
    await good.register(ActivationId!, ActivationCode!);
    await bad.register(ActivationId!, ActivationCode!);
    await good.connect();
  });
  after(async () => {
    await good.close();
    await bad.close();
  });

  test('an unauthenticated peer is refused and closed whatever it sends, and nothing is stored', async () => {
    const before = await snapshot(() => false);
    await fc.assert(
      fc.asyncProperty(frames, async (f) => {
        const ws = await openRaw();
        counts.unauthenticated++;
        // Before a hello proves an identity, every frame is either a bad hello or out of turn.
        const o = await outcome(ws, f, 2_000);
        assert.equal(o, 'closed', `frame ${JSON.stringify(f).slice(0, 200)} left the connection open`);
        counts.closed++;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    await stillServing();
    assert.deepEqual(changed(before, await snapshot(() => false)), []);
  });

  test('an unauthenticated frame over the size limit closes the connection with 1009', async () => {
    const ws = await openRaw();
    const code = await new Promise<number>((resolve) => {
      ws.once('close', (c) => resolve(c));
      ws.send(Buffer.alloc(8 * 1024 * 1024 + 1, 0x20));
    });
    counts.unauthenticated++;
    assert.equal(code, 1009);
    await stillServing();
  });

  test('the session sockets close an unauthenticated peer whatever its first frame', async () => {
    const before = await snapshot(() => false);
    const sockets = [
      { path: '/capstan/v1/session/no-such-session/stream', speaksFirst: false },
      { path: '/capstan/agent/v1/session/no-such-session', speaksFirst: true },
    ];
    for (const { path, speaksFirst } of sockets) {
      await fc.assert(
        fc.asyncProperty(frames, async (f) => {
          const ws = await openRaw(path, speaksFirst);
          counts.unauthenticated++;
          assert.equal(await outcome(ws, f, 2_000), 'closed', `${path}: frame ${JSON.stringify(f).slice(0, 200)} left the socket open`);
          counts.closed++;
        }),
        { seed: SEED, numRuns: Math.ceil(RUNS / 3), endOnFailure: true, includeErrorInReport: true },
      );
      const ws = await openRaw(path, speaksFirst);
      counts.unauthenticated++;
      assert.equal(await outcome(ws, { bytes: Buffer.alloc(2 * 1024 * 1024 + 1, 0x7b) }, 5_000), 'closed');
    }
    await stillServing();
    assert.deepEqual(changed(before, await snapshot(() => false)), []);
  });

  test('a hello that names a real node without its key is refused with 4003', async () => {
    const ws = await openRaw();
    const code = await new Promise<number>((resolve) => {
      ws.once('close', (c) => resolve(c));
      ws.send(JSON.stringify({ type: 'hello', instanceId: good.instanceId, signature: Buffer.alloc(64).toString('base64') }));
    });
    counts.unauthenticated++;
    assert.equal(code, CLOSE_REFUSED);
  });

  test('an authenticated peer sending malformed frames is closed or ignored; others are unaffected and nothing is stored', async () => {
    await bad.connect();
    const otherRows = (table: string) => table === 'managed_instances';
    const before = await snapshot(otherRows);
    await fc.assert(
      fc.asyncProperty(frames, async (f) => {
        if (bad.ws?.readyState !== WebSocket.OPEN) await bad.connect();
        counts.authenticated++;
        const o = await outcome(bad.ws!, f);
        if (o === 'closed') counts.authenticatedClosed++;
        else counts.authenticatedIgnored++;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    const huge = await outcome(bad.ws!, { bytes: Buffer.alloc(8 * 1024 * 1024 + 1, 0x7b) }, 5_000);
    counts.authenticated++;
    assert.equal(huge, 'closed');
    await stillServing();
    assert.deepEqual(changed(before, await snapshot(otherRows)), []);

    // The well-behaved agent's channel carried a command from start to finish throughout.
    const { Command } = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, InstanceIds: [good.instanceId] }));
    await until('the command on the well-behaved agent to succeed', async () => {
      const inv = await ssm().send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: good.instanceId })).catch(() => undefined);
      return inv?.Status === 'Success';
    });
  });
});

describe('a `capstan server` process', () => {
  test('outlives the frames that once threw out of the socket listeners (JSON null, frames over the limit)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capstan-channel-fuzz-'));
    const server = await ServerProcess.start({ dataDir });
    try {
      const sockets = [
        { path: CHANNEL_PATH, speaksFirst: true, limit: 8 * 1024 * 1024 },
        { path: '/capstan/v1/session/s-1/stream', speaksFirst: false, limit: 2 * 1024 * 1024 },
        { path: '/capstan/agent/v1/session/s-1', speaksFirst: true, limit: 2 * 1024 * 1024 },
      ];
      for (const { path, speaksFirst, limit } of sockets) {
        for (const f of [{ text: 'null' }, { bytes: Buffer.alloc(limit + 1, 0x7b) }] as Frame[]) {
          const ws = await openRaw(path, speaksFirst, server.url);
          assert.equal(await outcome(ws, f, 5_000), 'closed', `${path} left open`);
          await new Promise((r) => setTimeout(r, 50));
          assert.ok(server.running, `the server exited after ${'text' in f ? f.text : 'an oversized frame'} on ${path}:\n${server.output.slice(-800)}`);
        }
      }
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
