import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  CreateMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowExecutionTaskInvocationsCommand,
  DescribeMaintenanceWindowExecutionTasksCommand,
  SSMClient,
  type CreateMaintenanceWindowCommandInput,
  type MaintenanceWindowExecution,
} from '@aws-sdk/client-ssm';
import type { CommandPayload, JobMessage } from '@capstan/wire';
import { ManualClock } from '../../scheduler/clock.js';
import { okStep, SimulatedAgent } from '../../test-support/sim-agent.js';
import { startTestServer, type Engine, type TestServer } from '../../test-support/server.js';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const ENDED = ['SUCCESS', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED_OVERLAPPING'];

/** A job a simulated node received: when (server clock), and the script it was to run. */
export interface Received {
  agent: SimulatedAgent;
  job: JobMessage;
  at: number;
  script: string;
  done: boolean;
}

/**
 * A server on a ManualClock with simulated nodes that hold every command until the test (or
 * `settle`) answers it, so what each node has outstanding at any moment is known exactly.
 */
export class Harness {
  t!: TestServer;
  readonly clock: ManualClock;
  readonly agents: SimulatedAgent[] = [];
  readonly received: Received[] = [];
  /** Scripts matching this are left running until the test answers them itself. */
  holdPattern: RegExp | undefined;
  /** A script matching this fails. */
  failPattern: RegExp | undefined;
  /** The most jobs of one marker (the text after `task:` in a script) outstanding at once, across nodes. */
  readonly peak = new Map<string, number>();

  constructor(start: number) {
    this.clock = new ManualClock(start);
  }

  async start(engine: Engine = 'sqlite'): Promise<void> {
    this.t = await startTestServer({ engine, clock: this.clock, schedulerPollMs: 20, agentPingMs: 30_000 });
  }

  async stop(): Promise<void> {
    for (const a of this.agents) await a.close();
    await this.t?.stop();
  }

  /** The SDK signs with its own clock; each client is made level with the server's, which the tests move. */
  ssm(): SSMClient {
    return new SSMClient({ ...this.t.clientConfig(), systemClockOffset: this.clock.now() - Date.now() });
  }

  async node(tags: Record<string, string> = {}): Promise<SimulatedAgent> {
    const { ActivationId, ActivationCode } = await this.ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const a = new SimulatedAgent(this.t.endpoint, `node-${this.agents.length}`);
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    a.behaviour = (job) => {
      const script = JSON.stringify((job.payload as CommandPayload).document);
      this.received.push({ agent: a, job, at: this.clock.now(), script, done: false });
      this.measure();
      // Started, as a real agent says once it runs a job: a job only acknowledged is "delivered
      // but not started", which Run Command times out at the command's TimeoutSeconds (1 h, the
      // windows' cutoff in these tests, so the two raced).
      a.progress(job.id, [{ ...okStep('0.aws:runShellScript'), status: 'InProgress', code: -1 }]);
      return 'hold';
    };
    if (Object.keys(tags).length) await this.ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: a.instanceId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    this.agents.push(a);
    return a;
  }

  private measure(): void {
    const outstanding = new Map<string, number>();
    for (const r of this.received) {
      if (r.done) continue;
      const marker = /task:([\w-]+)/.exec(r.script)?.[1] ?? '';
      outstanding.set(marker, (outstanding.get(marker) ?? 0) + 1);
    }
    for (const [k, n] of outstanding) this.peak.set(k, Math.max(this.peak.get(k) ?? 0, n));
  }

  /** Answers every held job not matching holdPattern: Success, or Failed for failPattern. */
  answer(): void {
    for (const r of this.received) {
      if (r.done || (this.holdPattern && this.holdPattern.test(r.script))) continue;
      this.finish(r, this.failPattern?.test(r.script) ? 'Failed' : 'Success');
    }
  }

  finish(r: Received, status: 'Success' | 'Failed' | 'Cancelled'): void {
    r.done = true;
    r.agent.finish(r.job.id, status, [status === 'Success' ? okStep('0.aws:runShellScript', 'ok\n') : { ...okStep('0.aws:runShellScript'), status: status === 'Failed' ? 'Failed' : 'Cancelled', code: status === 'Failed' ? 1 : -1 }]);
  }

  /**
   * Runs what is due, answers the nodes, moves the clock `stepMs` a round, until `probe` holds.
   * After `rounds` rounds the clock stops moving, but the rounds go on until `minRealMs` of real
   * time have passed: a loaded machine gets time to deliver without the server's time running on.
   */
  async settle<T>(probe: () => Promise<T | undefined | false>, stepMs = SECOND, rounds = 300, minRealMs = 0): Promise<T> {
    const until = Date.now() + minRealMs;
    for (let i = 0; i < rounds || Date.now() < until; i++) {
      await this.t.server.core.scheduler.tick();
      await new Promise((r) => setTimeout(r, 15));
      this.answer();
      await new Promise((r) => setTimeout(r, 5));
      const v = await probe();
      if (v) return v;
      if (i < rounds) this.clock.advance(stepMs);
    }
    throw new Error('did not settle');
  }

  /** Runs what is due now without moving the clock. */
  async quiet(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      await this.t.server.core.scheduler.tick();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async window(input: Partial<CreateMaintenanceWindowCommandInput> & { Schedule: string }): Promise<string> {
    const out = await this.ssm().send(new CreateMaintenanceWindowCommand({ Name: 'test-window', Duration: 4, Cutoff: 1, AllowUnassociatedTargets: false, ...input }));
    return out.WindowId!;
  }

  executions = async (windowId: string): Promise<MaintenanceWindowExecution[]> => (await this.ssm().send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId }))).WindowExecutions ?? [];

  /** Waits for the window to have `n` executions, all ended; newest first. */
  ended = (windowId: string, n: number, stepMs = SECOND) =>
    this.settle(async () => {
      const list = await this.executions(windowId);
      return list.length === n && list.every((e) => ENDED.includes(e.Status!)) && list;
    }, stepMs);

  tasks = async (executionId: string) => (await this.ssm().send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: executionId }))).WindowExecutionTaskIdentities ?? [];
  invocations = async (executionId: string, taskId: string) => (await this.ssm().send(new DescribeMaintenanceWindowExecutionTaskInvocationsCommand({ WindowExecutionId: executionId, TaskId: taskId }))).WindowExecutionTaskInvocationIdentities ?? [];
}

/** AWS-RunShellScript whose script names its task (`task:NAME`) so the nodes can tell tasks apart. */
export const shellTask = (marker: string, extra: string[] = []) => ({ RunCommand: { Parameters: { commands: [`echo task:${marker} {{RESOURCE_ID}} {{WINDOW_EXECUTION_ID}}`, ...extra] } } });
