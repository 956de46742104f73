import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  CreateAssociationCommand,
  DeleteAssociationCommand,
  DescribeAssociationExecutionsCommand,
  DescribeAssociationExecutionTargetsCommand,
  SSMClient,
  StartAssociationsOnceCommand,
  type AssociationExecution,
} from '@aws-sdk/client-ssm';
import { nodeService } from '../nodes/index.js';
import { ManualClock } from '../scheduler/clock.js';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { onEveryEngine } from '../test-support/engines.js';
import { freshSchema, postgresSkipReason } from '../test-support/postgres.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { okStep, SimulatedAgent } from '../test-support/sim-agent.js';
import { applyOnBoot } from './boot.js';
import { associationService } from './index.js';
import { tables } from './store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const shell = (commands: string[]) => ({ Name: 'AWS-RunShellScript', Parameters: { commands } });
const ENDED = ['Success', 'Failed', 'Skipped'];

/** A fleet on one or more servers sharing a store, with the helpers every test here needs. */
function fleet(servers: () => TestServer[], clock: () => ManualClock) {
  const agents: SimulatedAgent[] = [];
  const t = () => servers()[0]!;
  // The SDK signs with its own clock; keep it level with the servers', which the tests move.
  const ssm = () => new SSMClient({ ...t().clientConfig(), systemClockOffset: clock().now() - Date.now() });
  const tick = async () => {
    for (const s of servers()) await s.server.core.scheduler.tick();
  };

  /** A node that has connected once, booted at `bootTime`, with associations on boot asked for unless told otherwise. */
  async function node(tags: Record<string, string>, bootTime = clock().now() - HOUR, apply = true): Promise<SimulatedAgent> {
    const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const a = new SimulatedAgent(t().endpoint, `boot-${agents.length}`);
    await a.register(ActivationId!, ActivationCode!);
    a.bootTime = bootTime;
    a.applyAssociationsOnBoot = apply;
    await a.connect();
    a.behaviour = (job) => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', `ran ${job.id}\n`)] });
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: a.instanceId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    agents.push(a);
    return a;
  }

  /** The agent's channel drops and comes back, reporting `bootTime`: the same as before is a reconnect, another a reboot. */
  async function reconnect(a: SimulatedAgent, o: { bootTime?: number; apply?: boolean; endpoint?: string } = {}): Promise<void> {
    await a.close();
    if (o.bootTime !== undefined) a.bootTime = o.bootTime;
    if (o.apply !== undefined) a.applyAssociationsOnBoot = o.apply;
    await a.connect(o.endpoint);
  }

  /** Lets the schedulers run what is due (moving the clock by `stepMs` a round) until `probe` holds. */
  async function settle<T>(probe: () => Promise<T | undefined | false>, stepMs = 1_000, rounds = 200): Promise<T> {
    for (let i = 0; i < rounds; i++) {
      await tick();
      const v = await probe();
      if (v) return v;
      clock().advance(stepMs);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('did not settle');
  }

  /** Gives the schedulers every chance to do something they should not. */
  async function idle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await tick();
      clock().advance(1_000);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const executions = async (id: string) => (await ssm().send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
  const ended = (list: AssociationExecution[], n: number) => list.length === n && list.every((e) => ENDED.includes(e.Status!)) && list;
  const targetsOf = async (id: string, executionId: string) =>
    ((await ssm().send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: executionId }))).AssociationExecutionTargets ?? []).map((x) => x.ResourceId).sort();
  /** Why each run of the association happened, oldest first (not in AWS's shape, so read from the store). */
  const triggers = async (id: string) =>
    (await tables(t().server.core.database.db).selectFrom('association_executions').select('trigger').where('association_id', '=', id).orderBy('created_at').orderBy('execution_id').execute()).map((r) => r.trigger);

  async function create(input: Record<string, unknown>): Promise<string> {
    const { AssociationDescription: d } = await ssm().send(new CreateAssociationCommand(input as never));
    return d!.AssociationId!;
  }

  return { agents, ssm, node, reconnect, settle, idle, executions, ended, targetsOf, triggers, create };
}

onEveryEngine('State Manager on boot', (engine: Engine) => {
  let t: TestServer;
  let clock: ManualClock;
  const f = fleet(
    () => [t],
    () => clock,
  );

  before(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
    t = await startTestServer({ engine, clock, schedulerPollMs: 20, agentPingMs: 30_000 });
  });
  after(async () => {
    for (const a of f.agents) await a.close();
    await t.stop();
  });

  test('a reconnect is not a boot; a new boot with the preference on runs the association once, on that node only; with it off, not at all', async () => {
    const booted = clock.now() - 3 * HOUR;
    const [a, b] = [await f.node({ Role: 'web' }, booted), await f.node({ Role: 'web' }, booted)];
    const id = await f.create({ ...shell(['echo boot']), Targets: [{ Key: 'tag:Role', Values: ['web'] }], ScheduleExpression: 'rate(1 day)' });
    const first = await f.settle(async () => f.ended(await f.executions(id), 1));
    assert.deepEqual(await f.targetsOf(id, first[0]!.ExecutionId!), [a.instanceId, b.instanceId].sort());
    const jobsOfB = b.jobs.length;

    await f.reconnect(a);
    await f.idle();
    assert.equal((await f.executions(id)).length, 1, 'the same boot time again is a reconnect');

    const rebooted = clock.now() - 30_000;
    await f.reconnect(a, { bootTime: rebooted });
    const list = await f.settle(async () => f.ended(await f.executions(id), 2));
    const boot = list.find((e) => e.ExecutionId !== first[0]!.ExecutionId)!;
    assert.equal(boot.Status, 'Success');
    assert.deepEqual(await f.targetsOf(id, boot.ExecutionId!), [a.instanceId], 'only the node that booted');
    assert.deepEqual(await f.triggers(id), ['Creation', 'Boot']);
    assert.equal(b.jobs.length, jobsOfB, 'the other node was not sent anything');
    assert.deepEqual(await nodeService(t.server.core).boots.of(a.instanceId), { bootTime: rebooted, applyAssociationsOnBoot: true });

    await f.reconnect(a);
    await f.idle();
    assert.equal((await f.executions(id)).length, 2, 'reconnecting after the boot is not another boot');

    const quiet = clock.now() - 10_000;
    await f.reconnect(a, { bootTime: quiet, apply: false });
    await f.idle();
    assert.equal((await f.executions(id)).length, 2, 'a boot without the preference runs nothing');
    assert.deepEqual(await nodeService(t.server.core).boots.of(a.instanceId), { bootTime: quiet, applyAssociationsOnBoot: false }, 'the boot is recorded all the same: turning the preference on later is no boot');
    await f.reconnect(a, { apply: true });
    await f.idle();
    assert.equal((await f.executions(id)).length, 2);
    await f.ssm().send(new DeleteAssociationCommand({ AssociationId: id }));
  });

  test('the first hello is no boot; cron-only associations and a run still unfinished on the node are left alone', async () => {
    const id = await f.create({ ...shell(['echo db']), Targets: [{ Key: 'tag:Role', Values: ['db'] }], ScheduleExpression: 'rate(1 day)' });
    const cronOnly = await f.create({ ...shell(['echo at two']), Targets: [{ Key: 'tag:Role', Values: ['db'] }], ScheduleExpression: 'cron(0 2 * * ? *)', ApplyOnlyAtCronInterval: true });
    await f.settle(async () => f.ended(await f.executions(id), 1));
    // Registered after the association: the sweep gives it its run, and its first hello adds none.
    const c = await f.node({ Role: 'db' });
    await f.settle(async () => f.ended(await f.executions(id), 2), 5_000, 40);
    await f.idle();
    assert.deepEqual(await f.triggers(id), ['Creation', 'NewTarget']);

    // A run the node has not finished when it reboots (a document that asked for the reboot): the agent resumes it, and no second run starts.
    c.behaviour = () => 'hold';
    await f.ssm().send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    const sent = c.jobs.length;
    const held = await f.settle(async () => c.jobs[sent]);
    await f.reconnect(c, { bootTime: clock.now() - 20_000 });
    await f.idle();
    assert.deepEqual(await f.triggers(id), ['Creation', 'NewTarget', 'Manual']);
    c.finish(held.id, 'Success');
    await f.settle(async () => f.ended(await f.executions(id), 3));

    c.behaviour = (job) => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', `ran ${job.id}\n`)] });
    await f.reconnect(c, { bootTime: clock.now() - 5_000 });
    await f.settle(async () => f.ended(await f.executions(id), 4));
    assert.deepEqual(await f.triggers(id), ['Creation', 'NewTarget', 'Manual', 'Boot']);
    assert.deepEqual(await f.triggers(cronOnly), [], 'an association that only runs at its cron time does not run at boot');
    await f.ssm().send(new DeleteAssociationCommand({ AssociationId: id }));
    await f.ssm().send(new DeleteAssociationCommand({ AssociationId: cronOnly }));
  });

  test('two connections racing with one new boot make one run', async () => {
    const d = await f.node({ Role: 'race' });
    const id = await f.create({ ...shell(['echo race']), Targets: [{ Key: 'tag:Role', Values: ['race'] }], ScheduleExpression: 'rate(1 day)' });
    await f.settle(async () => f.ended(await f.executions(id), 1));
    await d.close();
    d.bootTime = clock.now() - 7_000;
    await Promise.all([d.connect(), d.connect(), d.connect()]);
    await f.settle(async () => (await f.triggers(id)).length === 2);
    await f.idle();
    assert.deepEqual(await f.triggers(id), ['Creation', 'Boot']);

    // The nodes capability tells a boot again when a listener failed: the repeat adds no run.
    const run = await tables(t.server.core.database.db).selectFrom('association_executions').selectAll().where('association_id', '=', id).where('trigger', '=', 'Boot').executeTakeFirstOrThrow();
    await applyOnBoot(t.server.core, associationService(t.server.core).runs, t.accountId, 'us-east-1', d.instanceId, { bootTime: d.bootTime!, detectedAt: run.created_at });
    assert.deepEqual(await f.triggers(id), ['Creation', 'Boot']);
    await f.ssm().send(new DeleteAssociationCommand({ AssociationId: id }));
  });
});

describe('State Manager on boot, two replicas on one PostgreSQL', { skip: (await postgresSkipReason()) ?? false }, () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
  const servers: TestServer[] = [];
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  const f = fleet(
    () => servers,
    () => clock,
  );

  before(async () => {
    schema = await freshSchema();
    const rootKey = { value: randomBytes(32).toString('base64') };
    for (let i = 0; i < 2; i++) servers.push(await startTestServer({ databaseUrl: schema.url, rootKey, clock, schedulerPollMs: 20, agentPingMs: 30_000 }));
  });
  after(async () => {
    for (const a of f.agents) await a.close();
    for (const s of servers) await s.stop();
    await schema?.drop();
  });

  test('a boot is run once, whichever replica the agent reaches, however often and wherever it reconnects', async () => {
    const [one, two] = servers.map((s) => s.endpoint) as [string, string];
    const a = await f.node({ Role: 'replicated' });
    const id = await f.create({ ...shell(['echo replicated']), Targets: [{ Key: 'tag:Role', Values: ['replicated'] }], ScheduleExpression: 'rate(1 day)' });
    await f.settle(async () => f.ended(await f.executions(id), 1));

    const booted = clock.now() - 20_000;
    await f.reconnect(a, { bootTime: booted, endpoint: one });
    await f.settle(async () => f.ended(await f.executions(id), 2));
    await f.reconnect(a, { endpoint: two });
    await f.reconnect(a, { endpoint: one });
    await f.idle();
    assert.deepEqual(await f.triggers(id), ['Creation', 'Boot'], 'the same boot on the other replica is a reconnect');

    await a.close();
    a.bootTime = clock.now() - 5_000;
    await Promise.all([a.connect(one), a.connect(two), a.connect(one), a.connect(two)]);
    await f.settle(async () => (await f.triggers(id)).length === 3);
    await f.idle();
    assert.deepEqual(await f.triggers(id), ['Creation', 'Boot', 'Boot'], 'hellos of one boot racing on both replicas: one run');
  });
});

describe('State Manager on boot, a real agent', () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-boot-agent-'));
  let t: TestServer;
  let agent: AgentProcess | undefined;

  before(async () => {
    t = await startTestServer({ agentPingMs: 30_000 });
  });
  after(async () => {
    await agent?.kill();
    await t.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('started with applyAssociationsOnBoot, it reports the preference and a boot time that stays put across restarts', async () => {
    const bundle = await buildAgentBundle(join(work, 'dist'));
    const ssm = new SSMClient(t.clientConfig());
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const stateDir = join(work, 'state');
    agent = await AgentProcess.register({ bundle, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir });
    writeFileSync(join(stateDir, 'config.json'), JSON.stringify({ applyAssociationsOnBoot: true }));
    await agent.start();
    const boots = nodeService(t.server.core).boots;
    const seen = await boots.of(agent.instanceId);
    assert.equal(seen?.applyAssociationsOnBoot, true);
    const bootTime = seen!.bootTime!;
    assert.equal(bootTime % 1000, 0, 'whole seconds');
    assert.ok(Math.abs(bootTime - (Date.now() - uptime() * 1000)) < 5_000, `${new Date(bootTime).toISOString()} is when this machine booted`);
    assert.match(agent.output, /applyAssociationsOnBoot is on/);

    // Restarted without the setting (the default is off): the same boot, the preference gone.
    await agent.kill();
    writeFileSync(join(stateDir, 'config.json'), '{}');
    await agent.start();
    assert.deepEqual(await boots.of(agent.instanceId), { bootTime, applyAssociationsOnBoot: false });
  });
});
