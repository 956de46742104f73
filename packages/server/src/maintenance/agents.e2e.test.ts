/**
 * Maintenance windows against real agents: an in-process server on a ManualClock, which only
 * opens the window and paces the execution, and real `capstan agent` processes that run
 * AWS-RunShellScript on this machine. Each command appends `TASK NODE start|end NANOSECONDS`
 * (`date +%s%N`, the node's own clock) to a shared log, so the order and overlap of the work
 * are read from what the nodes did, not from what the server recorded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  CreateMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowExecutionTaskInvocationsCommand,
  DescribeMaintenanceWindowExecutionTasksCommand,
  RegisterTargetWithMaintenanceWindowCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  SSMClient,
  type MaintenanceWindowExecution,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';

const SECOND = 1_000;
const ENDED = ['SUCCESS', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

interface Span {
  task: string;
  node: string;
  start: bigint;
  end: bigint;
}

/** The most spans running at one instant. */
function peak(spans: Span[]): number {
  const edges = spans.flatMap((s) => [
    { at: s.start, d: 1 },
    { at: s.end, d: -1 },
  ]);
  // An end and a start at the same nanosecond do not overlap.
  edges.sort((a, b) => (a.at === b.at ? a.d - b.d : a.at < b.at ? -1 : 1));
  let n = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (n += e.d));
  return most;
}

describe('Maintenance windows with real agents', () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-mw-agents-'));
  const log = join(work, 'work.log');
  // Wednesday 2026-11-25 10:00 UTC; the window opens on Sunday 2026-11-29 at 03:00 UTC.
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
  let t: TestServer;
  const agents: AgentProcess[] = [];
  const ssm = () => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const send = async <T,>(f: (c: SSMClient) => Promise<T>): Promise<T> => {
    const c = ssm();
    try {
      return await f(c);
    } finally {
      c.destroy();
    }
  };
  const agentsOutput = () => agents.map((a) => `${a.instanceId}:\n${a.output}`).join('\n');

  before(async () => {
    const [server, bundle] = await Promise.all([startTestServer({ clock, schedulerPollMs: 20, agentPingMs: 5 * SECOND }), buildAgentBundle(join(work, 'agent-bundle'))]);
    t = server;
    for (let i = 0; i < 3; i++) {
      const { ActivationId, ActivationCode } = await send((c) => c.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 })));
      const stateDir = join(work, `agent-${i}`);
      mkdirSync(stateDir);
      agents.push(await AgentProcess.register({ bundle, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir }));
    }
    await Promise.all(agents.map((a) => a.start()));
    for (const a of agents) await send((c) => c.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: a.instanceId, Tags: [{ Key: 'Role', Value: 'web' }] })));
  });

  after(async () => {
    for (const a of agents) await a.kill();
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('priority order and MaxConcurrency, as the nodes themselves timed them', async () => {
    const windowId = (await send((c) => c.send(new CreateMaintenanceWindowCommand({ Name: 'real-nodes', Schedule: 'cron(0 3 ? * SUN *)', Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false })))).WindowId!;
    const { WindowTargetId } = await send((c) => c.send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId: windowId, ResourceType: 'INSTANCE', Targets: [{ Key: 'tag:Role', Values: ['web'] }] })));
    const work = (name: string, seconds: number) => [`echo "${name} {{RESOURCE_ID}} start $(date +%s%N)" >> '${log}'`, `sleep ${seconds}`, `echo "${name} {{RESOURCE_ID}} end $(date +%s%N)" >> '${log}'`];
    const task = (name: string, priority: number, concurrency: string, seconds: number) =>
      send((c) =>
        c.send(
          new RegisterTaskWithMaintenanceWindowCommand({
            WindowId: windowId,
            Name: name,
            TaskType: 'RUN_COMMAND',
            TaskArn: 'AWS-RunShellScript',
            Targets: [{ Key: 'WindowTargetIds', Values: [WindowTargetId!] }],
            Priority: priority,
            MaxConcurrency: concurrency,
            MaxErrors: '0',
            TaskInvocationParameters: { RunCommand: { Parameters: { commands: work(name, seconds) } } },
          }),
        ),
      );
    await task('drain', 1, '1', 0.4);
    await task('patch', 2, '2', 1);
    await task('restart', 2, '3', 1);
    await task('undrain', 3, '100%', 0.2);

    clock.set(Date.UTC(2026, 10, 29, 3, 0, 0));
    let last: MaintenanceWindowExecution[] = [];
    const [execution] = await until(
      'the window execution to end',
      async () => {
        await t.server.core.scheduler.tick();
        last = (await send((c) => c.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId })))).WindowExecutions ?? [];
        if (last.length === 1 && ENDED.includes(last[0]!.Status!)) return last;
        // The server's time moves a second for every tenth of a real one: its polls keep up with the nodes.
        clock.advance(SECOND);
        return undefined;
      },
      { ms: 90_000, every: 100, detail: () => `executions: ${JSON.stringify(last)}\nlog:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}\n${agentsOutput()}` },
    );
    assert.equal(execution!.Status, 'SUCCESS', execution!.StatusDetails);

    const marks = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string, 'start' | 'end', string]);
    const spans: Span[] = [];
    for (const [task, node, kind, ns] of marks) {
      if (kind === 'start') spans.push({ task, node, start: BigInt(ns), end: -1n });
      else spans.find((s) => s.task === task && s.node === node && s.end === -1n)!.end = BigInt(ns);
    }
    const of = (task: string) => spans.filter((s) => s.task === task);
    const nodes = agents.map((a) => a.instanceId).sort();
    for (const name of ['drain', 'patch', 'restart', 'undrain']) assert.deepEqual(of(name).map((s) => s.node).sort(), nodes, `${name} ran once on every node`);
    assert.ok(spans.every((s) => s.end > s.start));
    const max = (list: Span[]) => list.reduce((m, s) => (s.end > m ? s.end : m), 0n);
    const min = (list: Span[]) => list.reduce((m, s) => (s.start < m ? s.start : m), BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n);

    assert.equal(peak(of('drain')), 1, 'drain ran on one node at a time (MaxConcurrency 1)');
    assert.ok(peak(of('patch')) <= 2, `patch ran on at most two nodes at once, saw ${peak(of('patch'))}`);
    assert.ok(peak([...of('patch'), ...of('restart')]) >= 2, 'patch and restart, of one priority, ran side by side');
    const p2 = [...of('patch'), ...of('restart')];
    assert.ok(min(p2) > max(of('drain')), 'priority 2 began on the nodes after every drain had ended');
    assert.ok(min(of('undrain')) > max(p2), 'priority 3 began after every patch and restart had ended');

    // The server's record agrees: one invocation per node per task, each its own command.
    const tasks = (await send((c) => c.send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: execution!.WindowExecutionId! })))).WindowExecutionTaskIdentities!;
    assert.equal(tasks.length, 4);
    for (const x of tasks) {
      const invocations = (await send((c) => c.send(new DescribeMaintenanceWindowExecutionTaskInvocationsCommand({ WindowExecutionId: execution!.WindowExecutionId!, TaskId: x.TaskExecutionId! })))).WindowExecutionTaskInvocationIdentities!;
      assert.equal(invocations.length, 3);
      assert.equal(new Set(invocations.map((i) => i.ExecutionId)).size, 3);
      assert.ok(invocations.every((i) => i.Status === 'SUCCESS'));
    }
  });
});
