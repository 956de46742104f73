/**
 * Automation survives the death of its server: a real `capstan server` on SQLite is SIGKILLed
 * while an execution sleeps, while its aws:runCommand runs on a real agent, and while an
 * aws:executeScript runs, then started again on the same data directory and port. Sleeps and
 * commands carry on from the database without repeating anything; a script, which may have had
 * its effect, is failed rather than run twice.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateActivationCommand,
  CreateDocumentCommand,
  DescribeAutomationStepExecutionsCommand,
  DescribeInstanceInformationCommand,
  GetAutomationExecutionCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SSMClient,
  StartAutomationExecutionCommand,
  type AutomationExecution,
  type Command,
} from '@aws-sdk/client-ssm';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { ServerProcess } from '../test-support/server-process.js';
import { until } from '../test-support/until.js';

const ENDED = ['Success', 'Failed', 'TimedOut', 'Cancelled'];

describe('automation across a SIGKILL of capstan server', () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-automation-restart-'));
  let server: ServerProcess;
  let ssm: SSMClient;
  let agent: AgentProcess;
  let runbooks = 0;

  const runbook = async (name: string, doc: Record<string, unknown>) => {
    const full = `${name}-${++runbooks}`;
    await ssm.send(new CreateDocumentCommand({ Name: full, DocumentType: 'Automation', DocumentFormat: 'JSON', Content: JSON.stringify({ schemaVersion: '0.3', ...doc }) }));
    return full;
  };
  const start = async (name: string, parameters?: Record<string, string[]>) => (await ssm.send(new StartAutomationExecutionCommand({ DocumentName: name, ...(parameters ? { Parameters: parameters } : {}) }))).AutomationExecutionId!;
  const get = async (id: string) => (await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }))).AutomationExecution!;
  const show = (e: AutomationExecution | undefined) => `${e?.AutomationExecutionStatus} ${JSON.stringify(e?.StepExecutions?.map((s) => [s.StepName, s.StepStatus, s.FailureMessage]))}`;
  const ended = (id: string, ms = 45_000) => {
    let last: AutomationExecution | undefined;
    return until(`execution ${id} to end`, async () => ((last = await get(id)), ENDED.includes(last.AutomationExecutionStatus ?? '') ? last : undefined), {
      ms,
      every: 250,
      detail: () => `last seen: ${show(last)}\nserver output:\n${server.output}`,
    });
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

  /** SIGKILL; returns when. */
  const kill = async (): Promise<number> => {
    await server.kill();
    ssm.destroy();
    return Date.now();
  };
  /** The same data directory and port, as a service manager restarts it. */
  const restart = async () => {
    await server.launch();
    ssm = new SSMClient(server.clientConfig());
  };

  before(async () => {
    const [s, bundle] = await Promise.all([
      // A short job lease: after a SIGKILL the dead process's lease on a running job must run out before the restarted one takes the job.
      ServerProcess.start({ dataDir: join(work, 'data'), env: { CAPSTAN_JOB_LEASE_MS: '3000' } }),
      buildAgentBundle(join(work, 'agent-bundle')),
    ]);
    server = s;
    ssm = new SSMClient(server.clientConfig());
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const stateDir = join(work, 'agent');
    mkdirSync(stateDir);
    agent = await AgentProcess.register({ bundle, endpoint: server.url, activationId: ActivationId!, activationCode: ActivationCode!, stateDir });
    await agent.start();
  });

  after(async () => {
    await agent?.kill();
    ssm?.destroy();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('killed during an aws:sleep: the sleep is not restarted, and the step after it writes its parameter once', async () => {
    const name = await runbook('sleep-then-write', {
      mainSteps: [
        { name: 'Nap', action: 'aws:sleep', inputs: { Duration: 'PT4S' } },
        { name: 'Write', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/restart/{{ automation:EXECUTION_ID }}', Value: 'written after the restart', Type: 'String' }, outputs: [{ Name: 'Version', Selector: '$.Version', Type: 'Integer' }] },
      ],
      outputs: ['Write.Version'],
    });
    const id = await start(name);
    const sleeping = await until('the sleep step InProgress', async () => {
      const e = await get(id);
      return e.StepExecutions?.[0]?.StepStatus === 'InProgress' ? e : undefined;
    });
    const napStarted = sleeping.StepExecutions![0]!.ExecutionStartTime!.getTime();
    const killedAt = await kill();
    assert.ok(killedAt < napStarted + 4_000, 'the server died during the sleep');
    await restart();

    const done = await ended(id);
    assert.equal(done.AutomationExecutionStatus, 'Success', show(done));
    assert.deepEqual(done.StepExecutions?.map((s) => [s.StepName, s.StepStatus]), [['Nap', 'Success'], ['Write', 'Success']], 'each step recorded once');
    const nap = done.StepExecutions![0]!;
    assert.equal(nap.ExecutionStartTime!.getTime(), napStarted, 'the sleep kept its start time');
    assert.ok(nap.ExecutionEndTime!.getTime() >= napStarted + 4_000, `the sleep lasted its 4 s from its first start (ended ${nap.ExecutionEndTime!.getTime() - napStarted} ms after it)`);
    const naps = await ssm.send(new DescribeAutomationStepExecutionsCommand({ AutomationExecutionId: id, Filters: [{ Key: 'StepName', Values: ['Nap'] }] }));
    assert.equal(naps.StepExecutions?.length, 1);
    assert.deepEqual(done.Outputs, { 'Write.Version': ['1'] });
    const param = await ssm.send(new GetParameterCommand({ Name: `/restart/${id}` }));
    assert.equal(param.Parameter?.Value, 'written after the restart');
    assert.equal(param.Parameter?.Version, 1, 'the parameter was written once');
  });

  test('killed during an aws:runCommand: the agent reconnects, and the command it was running is neither sent again nor lost', async () => {
    const marker = join(work, `runcommand-marker-${Date.now()}`);
    const name = await runbook('run-on-node', {
      parameters: { Node: { type: 'String' } },
      mainSteps: [
        {
          name: 'Run',
          action: 'aws:runCommand',
          inputs: { DocumentName: 'AWS-RunShellScript', InstanceIds: ['{{ Node }}'], Parameters: { commands: [`sleep 3; echo ran >> '${marker}'; echo done`] } },
          outputs: [{ Name: 'Said', Selector: '$.Output', Type: 'String' }],
        },
      ],
      outputs: ['Run.Said'],
    });
    const id = await start(name, { Node: [agent.instanceId] });
    const comment = `Automation ${id} step Run`;
    // The step shows its outputs only at its end; the command is found by the comment the step gives it.
    const command = await until('the step’s command running on the node', async () => {
      const e = await get(id);
      if (e.StepExecutions?.[0]?.StepStatus !== 'InProgress') return undefined;
      const c = (await allCommands()).find((x) => x.Comment === comment);
      if (!c) return undefined;
      const inv = await ssm.send(new ListCommandInvocationsCommand({ CommandId: c.CommandId! }));
      return inv.CommandInvocations?.[0]?.Status === 'InProgress' ? c : undefined;
    }, { every: 50 });
    const onlineBefore = agent.onlineCount;
    await kill();
    assert.equal(existsSync(marker), false, 'the server died while the command was still running');
    // The node finishes while the server is down: its result has to wait for the reconnection.
    await until('the command finished on the node', () => existsSync(marker), { ms: 15_000, detail: () => agent.output });
    await restart();

    await agent.waitOnline(onlineBefore + 1);
    const done = await ended(id);
    assert.equal(done.AutomationExecutionStatus, 'Success', show(done));
    const step = done.StepExecutions![0]!;
    assert.equal(step.StepStatus, 'Success');
    assert.match(step.Outputs?.Output?.[0] ?? '', /done/);
    assert.deepEqual(done.Outputs, { 'Run.Said': ['done\n'] });
    assert.deepEqual(step.Outputs?.CommandId, [command.CommandId]);
    const mine = (await allCommands()).filter((c) => c.Comment === comment);
    assert.deepEqual(mine.map((c) => [c.CommandId, c.Status]), [[command.CommandId, 'Success']], 'exactly one command for the step');
    const invocations = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: command.CommandId! }))).CommandInvocations ?? [];
    assert.deepEqual(invocations.map((i) => [i.InstanceId, i.Status]), [[agent.instanceId, 'Success']]);
    assert.equal(readFileSync(marker, 'utf8'), 'ran\n', 'the script ran once on the node');
    const node = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [agent.instanceId] }] }))).InstanceInformationList?.[0];
    assert.equal(node?.PingStatus, 'Online');
  });

  test('killed during an aws:executeScript: the step fails saying why, and the script is not run again', async () => {
    // The script reports each start over HTTP (the sandbox leaves it the network, nothing else).
    let starts = 0;
    const hits: Server = createServer((req, res) => {
      starts += 1;
      res.end('ok');
    });
    await new Promise<void>((resolve) => hits.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hits.address() as AddressInfo).port}/started`;
      const name = await runbook('busy-script', {
        parameters: { Url: { type: 'String' } },
        mainSteps: [
          {
            name: 'Busy',
            action: 'aws:executeScript',
            inputs: {
              Runtime: 'nodejs20.x',
              Handler: 'handler',
              Script: 'async function handler(events) { await fetch(events.url); const end = Date.now() + 3000; while (Date.now() < end) {} return { finished: true }; }',
              InputPayload: { url: '{{ Url }}' },
            },
          },
          { name: 'Never', action: 'aws:sleep', inputs: { Duration: 'PT0S' } },
        ],
      });
      const id = await start(name, { Url: [url] });
      await until('the script running', () => starts > 0, { every: 20, detail: () => `execution: ${id}\nserver output:\n${server.output}` });
      await kill();
      await restart();

      const done = await ended(id);
      assert.equal(done.AutomationExecutionStatus, 'Failed', show(done));
      assert.deepEqual(done.StepExecutions?.map((s) => [s.StepName, s.StepStatus]), [['Busy', 'Failed']]);
      const busy = done.StepExecutions![0]!;
      assert.equal(busy.FailureMessage, 'Capstan stopped while this aws:executeScript step was running. It may have taken effect, and aws:executeScript steps are not run twice, so the step failed; check its effect before running the automation again.');
      assert.equal(busy.FailureDetails?.FailureType, 'Unknown');
      assert.match(done.FailureMessage ?? '', /^Step Busy failed: Capstan stopped while this aws:executeScript step was running/);
      assert.equal(starts, 1, 'the script was started once');
    } finally {
      await new Promise((resolve) => hits.close(resolve));
    }
  });
});
