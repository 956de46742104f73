/**
 * Three `capstan server` replicas on one PostgreSQL behind a TCP balancer, twenty real agents
 * (the self-contained agent nodes get) connected through it, and faults: a replica SIGKILLed in
 * the middle of a fan-out, a session whose relaying replica dies, scheduled jobs under churn.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  CreateActivationCommand,
  DescribeInstanceInformationCommand,
  DescribeSessionsCommand,
  GetParametersCommand,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
  TerminateSessionCommand,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import { listenForward } from '../../../cli/src/session/port-forward.js';
import { startSession } from '../../../cli/src/session/start.js';
import { freshSchema, postgresSkipReason } from '../test-support/postgres.js';
import { ReplicaSet } from '../test-support/replica-set.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';

const root = new URL('../../../../', import.meta.url).pathname;
const skip = await postgresSkipReason();
const AGENTS = 20;

interface Agent {
  dir: string;
  instanceId: string;
  proc: ChildProcess | undefined;
  out: string;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000, every = 200): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

describe('replicas on PostgreSQL', { skip: skip ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-replicas-e2e-'));
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  let set: ReplicaSet;
  let sql: pg.Client;
  const ssm: SSMClient[] = [];
  const agents: Agent[] = [];
  /** Replica index → its replica id (from its row in cluster_replicas). */
  const ids = new Map<number, string>();

  const replicaIds = async () => {
    // A replica started again on its port is a new replica; the dead one's row may still be there.
    const rows = await sql.query<{ replica_id: string; url: string }>('select replica_id, url from cluster_replicas order by started_at');
    for (const r of rows.rows) {
      const i = set.replicas.findIndex((x) => x.url === r.url);
      if (i >= 0) ids.set(i, r.replica_id);
    }
    return ids;
  };
  const channels = async () => (await sql.query<{ instance_id: string; channel_replica: string; connected: number }>('select instance_id, channel_replica, connected from managed_instances')).rows;
  const online = async (via: SSMClient) => {
    const out = await via.send(new DescribeInstanceInformationCommand({ MaxResults: 50 }));
    return (out.InstanceInformationList ?? []).filter((i) => i.PingStatus === 'Online').length;
  };
  const invocations = async (via: SSMClient, commandId: string) => {
    const all: CommandInvocation[] = [];
    let NextToken: string | undefined;
    do {
      const page = await via.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, ...(NextToken ? { NextToken } : {}) }));
      all.push(...(page.CommandInvocations ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return all;
  };
  const finished = (via: SSMClient, commandId: string, ms = 90_000) =>
    until(`command ${commandId} to finish on every node`, async () => {
      const inv = await invocations(via, commandId);
      return inv.length === AGENTS && inv.every((i) => ['Success', 'Failed', 'TimedOut', 'Cancelled', 'Undeliverable', 'Terminated', 'DeliveryTimedOut'].includes(i.StatusDetails ?? '')) ? inv : undefined;
    }, ms, 500);
  const stdout = (inv: CommandInvocation) => inv.CommandPlugins?.[0]?.Output ?? '';
  const startAgent = (a: Agent, main: string) => {
    a.proc = spawn(process.execPath, [main, 'agent', 'run', '--state-dir', a.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    a.proc.stdout!.on('data', (d: Buffer) => (a.out += d.toString()));
    a.proc.stderr!.on('data', (d: Buffer) => (a.out += d.toString()));
  };

  before(async () => {
    schema = await freshSchema();
    sql = new pg.Client({ connectionString: schema.url });
    await sql.connect();
    set = await ReplicaSet.start({
      count: 3,
      databaseUrl: schema.url,
      workDir: join(work, 'replicas'),
      // Faster take-over than production defaults, so the faults below resolve in seconds.
      env: { CAPSTAN_JOB_LEASE_MS: '3000', CAPSTAN_REPLICA_HEARTBEAT_MS: '300', CAPSTAN_REPLICA_DEAD_AFTER_MS: '2000', CAPSTAN_AGENT_PING_MS: '5000', CAPSTAN_SESSION_RESUME_WINDOW_MS: '4000' },
    });
    for (let i = 0; i < 3; i++) ssm.push(new SSMClient(set.clientConfig(i)));
    await replicaIds();

    await promisify(execFile)(process.execPath, [join(root, 'scripts/build-agent.mjs'), '--out', join(work, 'agent'), '--no-sea'], { cwd: root });
    const main = join(work, 'agent', 'capstan-agent.mjs');
    const { ActivationId, ActivationCode } = await ssm[0]!.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: AGENTS }));
    for (let n = 0; n < AGENTS; n++) {
      const dir = join(work, `agent-${n}`);
      mkdirSync(dir);
      agents.push({ dir, instanceId: '', proc: undefined, out: '' });
    }
    // Registration and the channels go through the balancer, as a fleet's agents would.
    await Promise.all(
      agents.map(async (a) => {
        await promisify(execFile)(process.execPath, [main, 'agent', 'register', '--endpoint', set.balancer.url, '--activation-id', ActivationId!, '--activation-code', ActivationCode!, '--state-dir', a.dir]);
        a.instanceId = (JSON.parse(readFileSync(join(a.dir, 'identity.json'), 'utf8')) as { instanceId: string }).instanceId;
        startAgent(a, main);
      }),
    );
    await until('every agent Online', async () => ((await online(ssm[1]!)) === AGENTS ? true : undefined));
    // Setting up took long enough on a busy machine for the servers to drop the clients' idle
    // keep-alive sockets; a request racing that close ends in "socket hang up". Fresh clients.
    for (let i = 0; i < 3; i++) {
      ssm[i]!.destroy();
      ssm[i] = new SSMClient(set.clientConfig(i));
    }
  });

  after(async () => {
    for (const a of agents) a.proc?.kill('SIGKILL');
    for (const c of ssm) c.destroy();
    await set?.stop();
    await sql?.end();
    await schema?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  test('the agents spread over the three replicas, and every replica sees all of them Online', async () => {
    const rows = await channels();
    const byReplica = new Map<string, number>();
    for (const r of rows) byReplica.set(r.channel_replica, (byReplica.get(r.channel_replica) ?? 0) + 1);
    assert.deepEqual([...byReplica.keys()].sort(), [...ids.values()].sort(), 'each replica holds some channels');
    for (const via of ssm) assert.equal(await online(via), AGENTS);
  });

  test('a command sent through each replica runs once on every node; results and followed output are the same from every replica', async () => {
    for (let i = 0; i < 3; i++) {
      const sent = await ssm[i]!.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: agents.map((a) => a.instanceId) }], Parameters: { commands: [`echo "via ${i} on $AWS_SSM_INSTANCE_ID"`] } }));
      const commandId = sent.Command!.CommandId!;
      const other = ssm[(i + 1) % 3]!;
      const inv = await finished(other, commandId);
      for (const a of agents) {
        const mine = inv.find((x) => x.InstanceId === a.instanceId);
        assert.equal(mine?.StatusDetails, 'Success', `${a.instanceId} on the command sent through replica ${i}`);
        assert.equal(stdout(mine!).trim(), `via ${i} on ${a.instanceId}`);
      }
      // A follower on the third replica gets each node's output exactly once, whoever stored it.
      const third = set.clientConfig((i + 2) % 3);
      const seen = new Map<string, string>();
      let cursor = '';
      for (let round = 0; round < 50; round++) {
        const r = await rawCall({ endpoint: third.endpoint, service: 'ssm', credentials: third.credentials, headers: jsonHeaders('AmazonSSM.CapstanFollowCommand'), body: JSON.stringify({ CommandId: commandId, ...(cursor ? { Cursor: cursor } : {}) }) });
        const out = r.json() as { Output: { InstanceId: string; Data: string }[]; Cursor: string; Done: boolean };
        for (const o of out.Output) seen.set(o.InstanceId, (seen.get(o.InstanceId) ?? '') + Buffer.from(o.Data, 'base64').toString());
        cursor = out.Cursor;
        if (out.Done) break;
      }
      for (const a of agents) assert.equal(seen.get(a.instanceId), `via ${i} on ${a.instanceId}\n`);
    }
  });

  test('a replica SIGKILLed during a fan-out: its agents reconnect elsewhere, and every invocation finishes exactly once with its output', async (t) => {
    const marker = `fanout-${randomBytes(4).toString('hex')}`;
    const sent = await ssm[0]!.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        Targets: [{ Key: 'InstanceIds', Values: agents.map((a) => a.instanceId) }],
        MaxConcurrency: '5',
        Parameters: { commands: [`echo ran >> "$CAPSTAN_AGENT_STATE_DIR/${marker}"`, 'sleep 1', `echo "done on $AWS_SSM_INSTANCE_ID"`] },
      }),
    );
    const commandId = sent.Command!.CommandId!;
    // The first nodes are running when the replica the command was sent through dies.
    await until('the fan-out under way', async () => ((await invocations(ssm[1]!, commandId)).some((i) => i.StatusDetails === 'InProgress') ? true : undefined), 30_000, 50);
    const dead = ids.get(0)!;
    const heldByDead = (await channels()).filter((r) => r.channel_replica === dead).length;
    assert.ok(heldByDead > 0, 'the killed replica held channels');
    const killedAt = Date.now();
    await set.kill(0);
    await until('the dead replica’s agents connected to the others', async () => {
      const rows = await channels();
      return rows.every((r) => r.connected === 1 && r.channel_replica !== dead && r.channel_replica !== '') ? true : undefined;
    });
    t.diagnostic(`${heldByDead} agents of the killed replica were back on the others ${Date.now() - killedAt} ms after the kill`);

    const inv = await finished(ssm[1]!, commandId);
    for (const a of agents) {
      const mine = inv.find((x) => x.InstanceId === a.instanceId)!;
      assert.equal(mine.StatusDetails, 'Success', `${a.instanceId}: ${mine.StatusDetails}\n${a.out.slice(-2000)}`);
      assert.equal(stdout(mine).trim(), `done on ${a.instanceId}`);
      assert.equal(readFileSync(join(a.dir, marker), 'utf8'), 'ran\n', `${a.instanceId} ran the command exactly once`);
    }
    await until('every agent Online on the surviving replicas', async () => ((await online(ssm[2]!)) === AGENTS ? true : undefined));
    await set.startReplica(0);
    await replicaIds();
  });

  test('a session started on one replica reaches a node whose channel is on another, and any replica can end it', async () => {
    const echo: Server = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    try {
      const port = (echo.address() as AddressInfo).port;
      const rows = await channels();
      const target = rows.find((r) => r.channel_replica !== ids.get(1))!;
      const s = await startSession(ssm[1]!, { target: target.instance_id, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: [String(port)], localPortNumber: ['0'] } });
      assert.ok(s.streamUrl.startsWith(set.replicas[1]!.url.replace(/^http/, 'ws')), `the stream is relayed by the replica that started it (${s.streamUrl})`);
      await s.channel.ready;
      const fwd = await listenForward(s.channel, { localPort: 0 });
      const data = randomBytes(200_000);
      const sock = connect(fwd.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.end(data);
      await new Promise((r) => sock.once('close', r));
      assert.ok(Buffer.concat(chunks).equals(data), 'the bytes came back through node and relay');

      await ssm[2]!.send(new TerminateSessionCommand({ SessionId: s.sessionId }));
      let over = false;
      void s.channel.ended$.then(() => (over = true));
      await until('the session to end at its relay', () => (over ? true : undefined), 15_000, 50);
      const hist = await ssm[0]!.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'SessionId', value: s.sessionId }] }));
      assert.equal(hist.Sessions?.[0]?.Status, 'Terminated');
      fwd.close();
    } finally {
      echo.close();
    }
  });

  test('a session whose relaying replica dies is taken over by the replica the client resumes on, and carries on', async () => {
    const echo: Server = createServer((c) => c.pipe(c));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    // The client knows only the balancer, as a user's AWS CLI configuration would.
    const viaBalancer = new SSMClient({ ...set.clientConfig(0), endpoint: set.balancer.url });
    try {
      const port = (echo.address() as AddressInfo).port;
      const s = await startSession(viaBalancer, { target: agents[0]!.instanceId, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: [String(port)], localPortNumber: ['0'] } });
      await s.channel.ready;
      const fwd = await listenForward(s.channel, { localPort: 0 });
      const roundTrip = async (size: number) => {
        const data = randomBytes(size);
        const sock = connect(fwd.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        let got = 0;
        sock.on('data', (d: Buffer) => {
          chunks.push(d);
          got += d.length;
          if (got >= size) sock.end();
        });
        sock.write(data);
        await new Promise((r) => sock.once('close', r));
        return Buffer.concat(chunks).equals(data);
      };
      assert.ok(await roundTrip(100_000), 'bytes flow before the kill');
      const relaying = set.replicas.findIndex((r) => s.streamUrl.startsWith(r.url.replace(/^http/, 'ws')));
      assert.ok(relaying >= 0, `the stream URL ${s.streamUrl} is a replica's own`);
      await set.kill(relaying);
      // Generous: the agent and the client each notice the dead replica before they resume, slower on a loaded machine.
      const moved = await until('the session relayed by another replica', async () => {
        const r = await sql.query<{ replica_id: string; status: string }>('select replica_id, status from sessions where session_id = $1', [s.sessionId]);
        const row = r.rows[0]!;
        return row.replica_id !== '' && row.replica_id !== ids.get(relaying) && row.status === 'Connected' ? row : undefined;
      }, 90_000, 250);
      assert.ok([...ids.values()].includes(moved.replica_id));
      assert.ok(await roundTrip(100_000), 'bytes flow through the new relay');
      await viaBalancer.send(new TerminateSessionCommand({ SessionId: s.sessionId }));
      fwd.close();
    } finally {
      viaBalancer.destroy();
      echo.close();
      for (const [i, r] of set.replicas.entries()) if (!r.proc) await set.startReplica(i);
      await replicaIds();
    }
  });

  test('a session whose relaying replica dies and which nobody resumes ends Terminated when the resume window passes', async () => {
    const echo: Server = createServer((c) => c.pipe(c));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    try {
      const port = (echo.address() as AddressInfo).port;
      // This client can only ask the replica that dies, and gives up at once.
      const s = await startSession(ssm[2]!, { target: agents[1]!.instanceId, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: [String(port)], localPortNumber: ['0'] } }, { resumeWindowMs: 500 });
      await s.channel.ready;
      await until('the session Connected', async () => {
        const out = await ssm[0]!.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'SessionId', value: s.sessionId }] }));
        return out.Sessions?.[0]?.Status === 'Connected' ? true : undefined;
      });
      await set.kill(2);
      const ended = await until('the session over', async () => {
        const out = await ssm[0]!.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'SessionId', value: s.sessionId }] }));
        return out.Sessions?.[0];
      }, 45_000, 250);
      assert.equal(ended.Status, 'Terminated');
      assert.match(ended.Details ?? '', /replica relaying the session stopped, and it was not resumed within 4 seconds/);
      const active = await ssm[1]!.send(new DescribeSessionsCommand({ State: 'Active' }));
      assert.equal(active.Sessions?.length ?? 0, 0);
    } finally {
      echo.close();
      await set.startReplica(2);
      await replicaIds();
    }
  });

  test('scheduled jobs falling due while replicas die and come back run exactly once', async () => {
    const names = Array.from({ length: 40 }, (_, k) => `/replicas/expiring/${k}`);
    // Far enough ahead that the 40 writes (in parallel, through all three replicas) land first even on a loaded machine.
    const at = new Date(Date.now() + 10_000).toISOString();
    await Promise.all(names.map((name, k) => ssm[k % 3]!.send(new PutParameterCommand({ Name: name, Value: 'v', Type: 'String', Tier: 'Advanced', Policies: JSON.stringify([{ Type: 'Expiration', Version: '1.0', Attributes: { Timestamp: at } }]) }))));
    await until('the jobs falling due', () => (Date.now() > Date.parse(at) - 300 ? true : undefined), 20_000, 50);
    // Churn across the due time: one replica killed as it claims, another restarted.
    await set.kill(1);
    await new Promise((r) => setTimeout(r, 1_000));
    await set.kill(0);
    await set.startReplica(1);
    await set.startReplica(0);
    const via = new SSMClient(set.clientConfig(2));
    try {
      await until('every parameter expired', async () => {
        const out = await via.send(new GetParametersCommand({ Names: names.slice(0, 10) }));
        const left = await via.send(new GetParametersCommand({ Names: names.slice(10, 20) }));
        const more = await via.send(new GetParametersCommand({ Names: names.slice(20, 30) }));
        const last = await via.send(new GetParametersCommand({ Names: names.slice(30) }));
        return [out, left, more, last].every((o) => (o.Parameters ?? []).length === 0) ? true : undefined;
      }, 60_000, 500);
    } finally {
      via.destroy();
    }
    const events = await sql.query<{ resources: string; n: string }>(`select resources, count(*) as n from events where detail_type = 'Parameter Store Policy Action' group by resources`);
    assert.equal(events.rows.length, names.length, 'one policy action per parameter');
    assert.ok(events.rows.every((r) => Number(r.n) === 1), `no policy action ran twice: ${JSON.stringify(events.rows.filter((r) => Number(r.n) !== 1))}`);
    const jobs = await sql.query<{ n: string }>(`select count(*) as n from scheduler_jobs where kind like 'parameters%'`);
    assert.equal(Number(jobs.rows[0]!.n), 0, 'no policy job is left behind');
  });
});
