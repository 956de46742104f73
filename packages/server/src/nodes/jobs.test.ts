/**
 * One connection carries each job once. A hello sends what the node has not acknowledged while a
 * command's next wave may send the same jobs on the same new channel: whichever sends a job first,
 * the other leaves it. A connection that closes takes nothing with it: the next one gets every
 * unacknowledged job again.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';
import type { JobChannel, NewJob } from './jobs.js';
import type { NodeService } from './service.js';
import { nodeService } from './slot.js';

/** A connection as the delivery layer sees it: the ids of the jobs sent on it, in order. */
function connection(): { ch: JobChannel; ids: string[] } {
  const ids: string[] = [];
  return { ch: { send: (text) => ids.push((JSON.parse(text) as { id: string }).id) }, ids };
}

/** Long enough for a send whose payload is still being read to arrive. */
const settle = () => new Promise((r) => setTimeout(r, 200));

onEveryEngine('Job delivery on one connection', (engine) => {
  const clock = new ManualClock(Date.now());
  let t: TestServer;
  let nodes: NodeService;
  let instanceId: string;
  let n = 0;
  before(async () => {
    t = await startTestServer({ engine, clock });
    nodes = nodeService(t.server.core);
    const a = await nodes.createActivation(t.accountId, 'us-east-1', clock.now(), { IamRole: 'SSMServiceRole' });
    ({ instanceId } = await nodes.register({ activationId: a.ActivationId, activationCode: a.ActivationCode, publicKey: 'AAAA' }));
  });
  after(async () => {
    await t.stop();
  });
  beforeEach(async () => {
    const rows = await nodes.db.withTables<{ node_jobs: { instance_id: string; job_id: string } }>().selectFrom('node_jobs').select('job_id').where('instance_id', '=', instanceId).execute();
    await nodes.jobs.forget(undefined, instanceId, rows.map((r) => r.job_id));
  });

  /** A job stored as a dispatch wave stores it: committed before anything sends it. */
  const stored = async (): Promise<NewJob> => {
    const job: NewJob = { instanceId, id: `job-${++n}`, kind: 'command', payloadId: `payload-${n}` };
    await t.server.core.database.db.transaction().execute(async (trx) => {
      await nodes.jobs.savePayload(trx, job.payloadId, { commandId: job.id });
      await nodes.jobs.enqueue(trx, [job]);
    });
    return job;
  };
  /** What the channel endpoint does on a verified hello, then on close. */
  const open = (ch: JobChannel) => {
    nodes.jobs.channels.set(instanceId, ch);
    nodes.jobs.channelGone(instanceId);
  };
  const close = () => {
    nodes.jobs.channels.delete(instanceId);
    nodes.jobs.channelGone(instanceId);
  };

  test('a wave that sends while the hello’s resend is reading: the job once', async () => {
    const j = await stored();
    const c = connection();
    open(c.ch);
    const resent = nodes.jobs.resend(instanceId, c.ch);
    nodes.jobs.push([j]);
    await resent;
    await until('the job', () => c.ids.includes(j.id), { every: 10 });
    await settle();
    assert.deepEqual(c.ids, [j.id]);
    close();
  });

  test('a wave that sends after the hello’s resend: the job once', async () => {
    const j = await stored();
    const c = connection();
    open(c.ch);
    await nodes.jobs.resend(instanceId, c.ch);
    nodes.jobs.push([j]);
    await settle();
    assert.deepEqual(c.ids, [j.id]);
    close();
  });

  test('a wave that sends before the hello’s resend reads: the job once', async () => {
    const older = await stored();
    const j = await stored();
    const c = connection();
    open(c.ch);
    nodes.jobs.push([j]);
    await until('the pushed job', () => c.ids.includes(j.id), { every: 10 });
    await nodes.jobs.resend(instanceId, c.ch);
    await settle();
    assert.deepEqual(c.ids, [j.id, older.id]);
    close();
  });

  test('what a closed connection carried, unacknowledged, goes again on the next one', async () => {
    const pushed = await stored();
    const resentBefore = await stored();
    const first = connection();
    open(first.ch);
    await nodes.jobs.resend(instanceId, first.ch);
    nodes.jobs.push([pushed]);
    await settle();
    assert.deepEqual(first.ids, [pushed.id, resentBefore.id]);
    close();
    const second = connection();
    open(second.ch);
    const waveOnSecond = await stored();
    nodes.jobs.push([waveOnSecond]);
    await nodes.jobs.resend(instanceId, second.ch);
    await settle();
    assert.deepEqual([...second.ids].sort(), [pushed.id, resentBefore.id, waveOnSecond.id].sort());
    assert.equal(new Set(second.ids).size, second.ids.length, second.ids.join(', '));
    // A replaced connection (a hello without a close first) is the same.
    const third = connection();
    open(third.ch);
    await nodes.jobs.resend(instanceId, third.ch);
    await settle();
    assert.deepEqual(third.ids, [pushed.id, resentBefore.id, waveOnSecond.id]);
    close();
  });

  test('an acknowledged job is not sent again; one unacknowledged for ten minutes is, once', async () => {
    const acked = await stored();
    const waiting = await stored();
    const c = connection();
    open(c.ch);
    await nodes.jobs.resend(instanceId, c.ch);
    assert.deepEqual(c.ids, [acked.id, waiting.id]);
    await nodes.jobs.forget(undefined, instanceId, [acked.id]);
    await nodes.update(instanceId, { connected: 1, channel_replica: t.server.core.cluster.replicaId });
    assert.equal(await nodes.jobs.replay(0), 0);
    clock.advance(10 * 60_000 + 1);
    await nodes.jobs.replay(0);
    await settle();
    assert.deepEqual(c.ids, [acked.id, waiting.id, waiting.id]);
    close();
    await nodes.update(instanceId, { connected: 0, channel_replica: '' });
  });
});
