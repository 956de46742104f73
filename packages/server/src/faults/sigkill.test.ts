/**
 * SIGKILL at random points: a real `capstan server` (SQLite, then PostgreSQL) is killed a few
 * times while a 50-node fan-out, a multi-step automation and a maintenance window run on
 * simulated nodes, and started again on the same store and port. After each kill the store is
 * checked by its engine before the restart; once the work is done, every operation must have
 * ended, once. Kill points come from a seeded generator (CAPSTAN_FAULT_SEED), printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateDocumentCommand,
  CreateMaintenanceWindowCommand,
  DescribeAutomationStepExecutionsCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowExecutionTaskInvocationsCommand,
  DescribeMaintenanceWindowExecutionTasksCommand,
  GetAutomationExecutionCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  SendCommandCommand,
  SSMClient,
  StartAutomationExecutionCommand,
  type Command,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { okStep } from '../test-support/sim-agent.js';
import { until } from '../test-support/until.js';
import { FAULT_SEED, killableServer, peakRunning, seeded, simFleet, type DurableSimAgent, type Integrity, type KillableServer } from './harness.js';

const KILLS = 3;
const NODES = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

onEveryEngine('SIGKILL of capstan server during work', (engine) => {
  let server: KillableServer;
  let agents: DurableSimAgent[];
  let ssm: SSMClient;
  const rng = seeded(FAULT_SEED + (engine === 'postgres' ? 1 : 0));
  const checks: Integrity[] = [];

  /** Kills at up to KILLS random points while `busy`, checking the store each time before the restart. */
  const killDuring = async (what: string, busy: () => Promise<boolean>): Promise<number> => {
    let kills = 0;
    for (let k = 0; k < KILLS; k++) {
      const wait = Math.round(150 + rng() * 1200);
      await sleep(wait);
      if (!(await busy())) break;
      await server.kill();
      ssm.destroy();
      kills++;
      const integrity = await server.integrity();
      checks.push(integrity);
      assert.deepEqual(integrity.problems, [], `the ${engine} store after kill ${kills} during ${what}`);
      await server.start();
      ssm = server.client();
      // Nodes come back as the agent does: reconnecting, then sending what was not acknowledged.
      await Promise.all(agents.map((a) => a.connect()));
    }
    console.log(`${engine} ${what}: seed ${FAULT_SEED}, ${kills} kills`);
    return kills;
  };
  const finalCheck = async () => {
    const integrity = await server.integrity();
    checks.push(integrity);
    assert.deepEqual(integrity.problems, []);
    return integrity;
  };
  const allCommands = async () => {
    const all: Command[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(new ListCommandsCommand({ ...(NextToken ? { NextToken } : {}) }));
      all.push(...(page.Commands ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return all;
  };
  /** Each node's deliveries of `jobId`: never twice on one connection, and run once. */
  const deliveredOnce = (a: DurableSimAgent, jobId: string) => {
    const got = a.deliveries.filter((d) => d.id === jobId);
    assert.ok(got.length >= 1, `${a.instanceId} got ${jobId}`);
    // A job reaches a node again only on a new connection (what the last one carried may not have
    // arrived); the node answers `duplicate` and runs it once.
    assert.equal(new Set(got.map((d) => d.connection)).size, got.length, `${a.instanceId} was sent ${jobId} at most once per connection`);
    assert.equal(a.ran.filter((id) => id === jobId).length, 1, `${a.instanceId} ran ${jobId} once`);
    return got.length - 1;
  };

  before(async () => {
    server = await killableServer(engine);
    ssm = server.client();
    agents = await simFleet(server, NODES, `faults-${engine}`);
  });

  after(async () => {
    await Promise.all((agents ?? []).map((a) => a.close()));
    ssm?.destroy();
    await server?.close();
    const tables = Math.max(0, ...checks.map((c) => c.tables));
    console.log(`${engine}: ${checks.length} integrity checks (${tables} tables, ${checks.reduce((n, c) => n + c.rows, 0)} rows read, ${checks.reduce((n, c) => n + c.indexes, 0)} index checks), problems: ${checks.flatMap((c) => c.problems).length}`);
  });

  test(`a fan-out SendCommand to ${NODES} nodes, MaxConcurrency 10: every invocation ends Success once, never more than 10 at a time`, async () => {
    // Replies come 400-1200 ms after delivery, so the fan-out takes several waves.
    agents.forEach((a, i) => a.counting(() => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', `node ${i}\n`)], delayMs: 400 + (i % 5) * 200 })));
    const { Command: sent } = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: agents.map((a) => a.instanceId), MaxConcurrency: '10', MaxErrors: '0', Parameters: { commands: ['echo fan-out'] } }));
    const id = sent!.CommandId!;
    const status = async () => (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!;
    const kills = await killDuring('a fan-out', async () => ['Pending', 'InProgress'].includes((await status()).Status!));
    assert.ok(kills >= 1, 'the server was killed during the fan-out');

    const done = await until('the fan-out to end', async () => {
      const c = await status();
      return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(c.Status!) ? c : undefined;
    }, { ms: 45_000, every: 250, detail: () => server.output().slice(-3000) });
    assert.equal(done.Status, 'Success');
    assert.deepEqual([done.TargetCount, done.CompletedCount, done.ErrorCount], [NODES, NODES, 0]);
    const invocations = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, ...(NextToken ? { NextToken } : {}) }));
      invocations.push(...(page.CommandInvocations ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.equal(invocations.length, NODES, 'one invocation per node');
    assert.deepEqual(new Set(invocations.map((i) => i.StatusDetails)), new Set(['Success']));
    assert.equal(new Set(invocations.map((i) => i.InstanceId)).size, NODES);
    let again = 0;
    for (const a of agents) again += deliveredOnce(a, id);
    const spans = agents.map((a) => ({ start: a.deliveries.find((d) => d.id === id)!.at, end: a.ended.get(id)! }));
    const peak = peakRunning(spans);
    assert.ok(peak <= 10, `at most 10 nodes ran the command at once (${peak})`);
    const one = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: agents[7]!.instanceId }));
    assert.equal(one.StandardOutputContent, 'node 7\n', 'the reply stored is the node’s own');
    await until('every reply acknowledged', () => agents.every((a) => a.unacknowledged === 0));
    const integrity = await finalCheck();
    console.log(`${engine} fan-out: ${kills} kills, ${NODES} invocations checked, ${again} deliveries repeated after a restart (answered duplicate, not run), peak ${peak} running, ${integrity.tables} tables`);
  });

  test('an automation of sleeps, a read and two aws:runCommand steps: each step runs once and the execution succeeds', async () => {
    const [nodeA, nodeB] = [agents[0]!, agents[1]!];
    for (const a of [nodeA, nodeB]) a.counting(() => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', 'ran\n')], delayMs: 700 }));
    const name = `faults-runbook-${engine}`;
    await ssm.send(
      new CreateDocumentCommand({
        Name: name,
        DocumentType: 'Automation',
        DocumentFormat: 'JSON',
        Content: JSON.stringify({
          schemaVersion: '0.3',
          parameters: { A: { type: 'String' }, B: { type: 'String' } },
          mainSteps: [
            { name: 'Nap1', action: 'aws:sleep', inputs: { Duration: 'PT1S' } },
            { name: 'Run1', action: 'aws:runCommand', inputs: { DocumentName: 'AWS-RunShellScript', InstanceIds: ['{{ A }}'], Parameters: { commands: ['echo one'] } } },
            { name: 'Nap2', action: 'aws:sleep', inputs: { Duration: 'PT1S' } },
            { name: 'Read', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'DescribeInstanceInformation', Filters: [{ Key: 'InstanceIds', Values: ['{{ B }}'] }] }, outputs: [{ Name: 'Ping', Selector: '$.InstanceInformationList[0].PingStatus', Type: 'String' }] },
            { name: 'Run2', action: 'aws:runCommand', inputs: { DocumentName: 'AWS-RunShellScript', InstanceIds: ['{{ B }}'], Parameters: { commands: ['echo two'] } } },
            { name: 'Nap3', action: 'aws:sleep', inputs: { Duration: 'PT1S' } },
          ],
        }),
      }),
    );
    const deliveredBefore = [nodeA.deliveries.length, nodeB.deliveries.length];
    const { AutomationExecutionId: id } = await ssm.send(new StartAutomationExecutionCommand({ DocumentName: name, Parameters: { A: [nodeA.instanceId], B: [nodeB.instanceId] } }));
    const get = async () => (await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }))).AutomationExecution!;
    const kills = await killDuring('an automation', async () => ['Pending', 'InProgress', 'Waiting'].includes((await get()).AutomationExecutionStatus!));
    assert.ok(kills >= 1, 'the server was killed during the automation');

    const done = await until('the automation to end', async () => {
      const e = await get();
      return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(e.AutomationExecutionStatus!) ? e : undefined;
    }, { ms: 45_000, every: 250, detail: () => server.output().slice(-3000) });
    const show = JSON.stringify(done.StepExecutions?.map((s) => [s.StepName, s.StepStatus, s.FailureMessage]));
    assert.equal(done.AutomationExecutionStatus, 'Success', show);
    const steps = (await ssm.send(new DescribeAutomationStepExecutionsCommand({ AutomationExecutionId: id }))).StepExecutions ?? [];
    assert.deepEqual(steps.map((s) => [s.StepName, s.StepStatus]), ['Nap1', 'Run1', 'Nap2', 'Read', 'Run2', 'Nap3'].map((n) => [n, 'Success']), 'each step recorded once');
    const commands = (await allCommands()).filter((c) => c.Comment?.startsWith(`Automation ${id} step `));
    assert.deepEqual(commands.map((c) => c.Comment).sort(), [`Automation ${id} step Run1`, `Automation ${id} step Run2`], 'one command per aws:runCommand step');
    const run1 = commands.find((c) => c.Comment!.endsWith('Run1'))!.CommandId!;
    const run2 = commands.find((c) => c.Comment!.endsWith('Run2'))!.CommandId!;
    // What each node was sent since the execution started: its step's command, and nothing else.
    assert.deepEqual([...new Set(nodeA.deliveries.slice(deliveredBefore[0]).map((d) => d.id))], [run1]);
    assert.deepEqual([...new Set(nodeB.deliveries.slice(deliveredBefore[1]).map((d) => d.id))], [run2]);
    const again = deliveredOnce(nodeA, run1) + deliveredOnce(nodeB, run2);
    const integrity = await finalCheck();
    console.log(`${engine} automation: ${kills} kills, 6 steps and 2 commands checked, ${again} deliveries repeated after a restart, ${integrity.tables} tables`);
  });

  test('a maintenance window with a Run Command task on 10 nodes: one execution, the task once per target', async () => {
    const targets = agents.slice(10, 20);
    for (const a of targets) a.counting(() => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', 'window\n')], delayMs: 400 }));
    const deliveredBefore = targets.map((a) => a.deliveries.length);
    // Opens a few seconds from now (real time: the server is a process of its own).
    const opens = new Date(Math.ceil((Date.now() + 5_000) / 1000) * 1000);
    const { WindowId } = await ssm.send(new CreateMaintenanceWindowCommand({ Name: `faults-${engine}`, Schedule: `at(${opens.toISOString().slice(0, 19)})`, Duration: 1, Cutoff: 0, AllowUnassociatedTargets: true }));
    await ssm.send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId,
        TaskType: 'RUN_COMMAND',
        TaskArn: 'AWS-RunShellScript',
        Targets: [{ Key: 'InstanceIds', Values: targets.map((a) => a.instanceId) }],
        MaxConcurrency: '3',
        MaxErrors: '0',
        TaskInvocationParameters: { RunCommand: { Parameters: { commands: ['echo window'] } } },
      }),
    );
    const executions = async () => (await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId }))).WindowExecutions ?? [];
    await until('the window to open', async () => (await executions()).length > 0, { ms: 30_000, every: 200, detail: () => server.output().slice(-3000) });
    const kills = await killDuring('a maintenance window', async () => ['PENDING', 'IN_PROGRESS'].includes((await executions())[0]?.Status ?? ''));
    assert.ok(kills >= 1, 'the server was killed during the window');

    const [run] = await until('the window execution to end', async () => {
      const list = await executions();
      return list.length > 0 && list.every((e) => !['PENDING', 'IN_PROGRESS'].includes(e.Status!)) ? list : undefined;
    }, { ms: 45_000, every: 250, detail: () => server.output().slice(-3000) });
    assert.equal((await executions()).length, 1, 'the window ran once');
    assert.equal(run!.Status, 'SUCCESS', run!.StatusDetails);
    const tasks = (await ssm.send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: run!.WindowExecutionId }))).WindowExecutionTaskIdentities ?? [];
    assert.deepEqual(tasks.map((t) => t.Status), ['SUCCESS']);
    const invocations = (await ssm.send(new DescribeMaintenanceWindowExecutionTaskInvocationsCommand({ WindowExecutionId: run!.WindowExecutionId, TaskId: tasks[0]!.TaskExecutionId }))).WindowExecutionTaskInvocationIdentities ?? [];
    assert.equal(invocations.length, targets.length, 'one invocation per target');
    assert.deepEqual(new Set(invocations.map((i) => i.Status)), new Set(['SUCCESS']));
    const commandIds = invocations.map((i) => i.ExecutionId!);
    assert.equal(new Set(commandIds).size, targets.length, 'a command of its own per target');
    let again = 0;
    targets.forEach((a, i) => {
      const sent = [...new Set(a.deliveries.slice(deliveredBefore[i]).map((d) => d.id))];
      assert.equal(sent.length, 1, `${a.instanceId} was sent one command by the window (${sent})`);
      assert.ok(commandIds.includes(sent[0]!));
      again += deliveredOnce(a, sent[0]!);
    });
    const integrity = await finalCheck();
    console.log(`${engine} maintenance window: ${kills} kills, 1 execution, ${invocations.length} invocations checked, ${again} deliveries repeated after a restart, ${integrity.tables} tables`);
  });
});
