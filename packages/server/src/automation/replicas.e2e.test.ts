import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateDocumentCommand, GetAutomationExecutionCommand, GetParameterCommand, SendAutomationSignalCommand, SSMClient, StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { stringify } from 'yaml';
import { freshSchema, postgresSkipReason } from '../test-support/postgres.js';
import { ReplicaSet } from '../test-support/replica-set.js';
import { until } from '../test-support/until.js';

const skip = await postgresSkipReason();
const EXECUTIONS = 8;

describe('Automation across replicas on PostgreSQL', { skip: skip ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-automation-replicas-'));
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  let set: ReplicaSet;
  let one: SSMClient;
  let two: SSMClient;

  before(async () => {
    schema = await freshSchema();
    // A short job lease, so the survivor takes over the dead replica's running work within seconds.
    set = await ReplicaSet.start({ count: 2, databaseUrl: schema.url, workDir: work, env: { CAPSTAN_JOB_LEASE_MS: '3000', CAPSTAN_REPLICA_HEARTBEAT_MS: '500', CAPSTAN_REPLICA_DEAD_AFTER_MS: '2500' } });
    one = new SSMClient(set.clientConfig(0));
    two = new SSMClient(set.clientConfig(1));
  });
  after(async () => {
    await set?.stop();
    await schema?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  test('executions approved on one replica continue on the other after the first is killed mid-sleep; each writes its parameter once', async () => {
    await one.send(
      new CreateDocumentCommand({
        Name: 'ReplicaRunbook',
        DocumentType: 'Automation',
        DocumentFormat: 'YAML',
        Content: stringify({
          schemaVersion: '0.3',
          parameters: { N: { type: 'String' } },
          mainSteps: [
            { name: 'Ask', action: 'aws:approve', inputs: { Approvers: ['admin'] } },
            { name: 'Nap', action: 'aws:sleep', inputs: { Duration: 'PT3S' } },
            { name: 'Write', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/replicas/{{ N }}', Value: '{{ automation:EXECUTION_ID }}', Type: 'String' } },
          ],
        }),
      }),
    );
    const ids: string[] = [];
    for (let n = 0; n < EXECUTIONS; n++) ids.push((await one.send(new StartAutomationExecutionCommand({ DocumentName: 'ReplicaRunbook', Parameters: { N: [String(n)] } }))).AutomationExecutionId!);
    const get = async (via: SSMClient, id: string) => (await via.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }))).AutomationExecution!;
    await until('every execution waits for its approval', async () => (await Promise.all(ids.map((id) => get(two, id)))).every((e) => e.AutomationExecutionStatus === 'Waiting'), { ms: 30_000 });
    // Approved through the other replica: its wake-up reaches whichever replica runs the job.
    for (const id of ids) await two.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Approve' }));
    await until('every execution sleeps', async () => (await Promise.all(ids.map((id) => get(two, id)))).every((e) => e.CurrentStepName === 'Nap' || e.AutomationExecutionStatus === 'Success'), { ms: 30_000 });
    await set.kill(0);
    const done = await until(
      'every execution ends',
      async () => {
        const all = await Promise.all(ids.map((id) => get(two, id)));
        return all.every((e) => ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(e.AutomationExecutionStatus!)) ? all : undefined;
      },
      { ms: 60_000, every: 500 },
    );
    for (const e of done) assert.equal(e.AutomationExecutionStatus, 'Success', e.FailureMessage);
    for (let n = 0; n < EXECUTIONS; n++) {
      const p = (await two.send(new GetParameterCommand({ Name: `/replicas/${n}` }))).Parameter!;
      assert.equal(p.Version, 1, `parameter ${n} was written once`);
      assert.equal(p.Value, ids[n]);
    }
  });
});
