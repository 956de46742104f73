import { CreateDocumentCommand, GetAutomationExecutionCommand, SSMClient, StartAutomationExecutionCommand, type AutomationExecution } from '@aws-sdk/client-ssm';
import { stringify } from 'yaml';
import { ManualClock } from '../../scheduler/clock.js';
import { startTestServer, type Engine, type TestServer } from '../../test-support/server.js';

export interface AutomationHarness {
  t: TestServer;
  ssm: SSMClient;
  clock: ManualClock;
  /** Creates a runbook from an object (written as YAML) and returns its name. */
  runbook(name: string, doc: Record<string, unknown>): Promise<string>;
  start(name: string, parameters?: Record<string, string[]>, extra?: Record<string, unknown>): Promise<string>;
  get(id: string): Promise<AutomationExecution>;
  /** Runs due scheduler work until the execution satisfies `until` (moving the manual clock by `stepMs` each round when given). */
  waitFor(id: string, until: (e: AutomationExecution) => boolean, o?: { stepMs?: number; rounds?: number }): Promise<AutomationExecution>;
  stop(): Promise<void>;
}

let counter = 0;

/** A server with a manual clock whose scheduler the test drives, and helpers to run runbooks on it. */
export async function automationHarness(engine: Engine = 'sqlite', options: Parameters<typeof startTestServer>[0] = {}): Promise<AutomationHarness> {
  const clock = new ManualClock(Date.now());
  const t = await startTestServer({ engine, clock, schedulerPollMs: 20, ...options });
  // The SDK signs with its own clock; each client is made level with the server's, which tests move.
  const client = () => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const h: AutomationHarness = {
    t,
    get ssm() {
      return client();
    },
    clock,
    async runbook(name, doc) {
      const full = `${name}-${process.pid}-${++counter}`;
      await client().send(new CreateDocumentCommand({ Name: full, DocumentType: 'Automation', DocumentFormat: 'YAML', Content: stringify({ schemaVersion: '0.3', ...doc }) }));
      return full;
    },
    async start(name, parameters, extra = {}) {
      const out = await client().send(new StartAutomationExecutionCommand({ DocumentName: name, ...(parameters ? { Parameters: parameters } : {}), ...extra }));
      return out.AutomationExecutionId!;
    },
    async get(id) {
      return (await client().send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }))).AutomationExecution!;
    },
    async waitFor(id, until, o = {}) {
      const rounds = o.rounds ?? 400;
      let last: AutomationExecution | undefined;
      for (let i = 0; i < rounds; i++) {
        await t.server.core.scheduler.tick();
        last = await h.get(id);
        if (until(last)) return last;
        if (o.stepMs) clock.advance(o.stepMs);
        await new Promise((r) => setTimeout(r, 15));
      }
      throw new Error(`execution ${id} did not reach the expected state; it is ${last?.AutomationExecutionStatus} at ${last?.CurrentStepName}: ${JSON.stringify(last?.StepExecutions?.map((s) => [s.StepName, s.StepStatus, s.FailureMessage]))}`);
    },
    stop: () => t.stop(),
  };
  return h;
}

export const ended = (e: AutomationExecution) => ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(e.AutomationExecutionStatus ?? '');
