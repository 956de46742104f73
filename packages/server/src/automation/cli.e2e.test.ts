/**
 * Automation as people drive it from the shell: the AWS CLI (`aws ssm create-document`,
 * `start-automation-execution`, `get-automation-execution`, the describe calls, an error) and
 * boto3 (an approval sent with send_automation_signal), each a process of its own pointed at a
 * Capstan server with --endpoint-url. Each AWS CLI found (version 1 and version 2) runs the CLI
 * tests; a tool that is not installed is skipped, saying why.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsClis, botoProbe, cliTime, runTool, ToolFiles } from '../test-support/aws-tools.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';

const files = new ToolFiles('capstan-automation-cli-');
const work = files.dir;
const clis = awsClis();
const boto = botoProbe();

const RUNBOOK = `schemaVersion: '0.3'
description: Records a greeting, reads it back and repeats it.
parameters:
  Greeting:
    type: String
    description: What to say.
  Times:
    type: Integer
    default: 2
mainSteps:
  - name: Record
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: PutParameter
      Name: /cli-e2e/{{ automation:EXECUTION_ID }}
      Value: '{{ Greeting }}'
      Type: String
    outputs:
      - Name: Version
        Selector: $.Version
        Type: Integer
  - name: ReadBack
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: GetParameter
      Name: /cli-e2e/{{ automation:EXECUTION_ID }}
    outputs:
      - Name: Value
        Selector: $.Parameter.Value
        Type: String
  - name: Repeat
    action: aws:executeScript
    inputs:
      Runtime: nodejs20.x
      Handler: handler
      Script: |-
        function handler(events) {
          return { said: Array(events.times).fill(events.text).join(' ') };
        }
      InputPayload:
        text: '{{ ReadBack.Value }}'
        times: '{{ Times }}'
    outputs:
      - Name: Said
        Selector: $.Payload.said
        Type: String
outputs:
  - Record.Version
  - Repeat.Said
`;

let t: TestServer;
before(async () => {
  if (clis.some((c) => !c.skip) || !boto.skip) t = await startTestServer({});
});
after(async () => {
  await t?.stop();
  files.remove();
});

for (const cli of clis) describe(`the AWS CLI: ${cli.label}`, { skip: cli.skip }, () => {
  const aws = (...args: string[]) => runTool(cli.command, ['ssm', ...args, '--endpoint-url', t.endpoint, '--output', 'json'], files.env(t.credentials));
  const awsJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
    const r = await aws(...args);
    assert.equal(r.code, 0, `aws ssm ${args.join(' ')} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  test('`aws ssm start-automation-execution` of a YAML runbook made with create-document, then get-automation-execution until Success', async () => {
    const name = `CliE2E-Greet-v${cli.major}-${process.pid}`;
    const file = join(work, 'greet.yaml');
    writeFileSync(file, RUNBOOK);
    const created = await awsJson<{ DocumentDescription: Record<string, unknown> }>('create-document', '--name', name, '--document-type', 'Automation', '--document-format', 'YAML', '--content', `file://${file}`);
    assert.equal(created.DocumentDescription.DocumentType, 'Automation');
    assert.equal(created.DocumentDescription.DocumentFormat, 'YAML');

    const started = await awsJson<{ AutomationExecutionId: string }>('start-automation-execution', '--document-name', name, '--parameters', 'Greeting=hello,Times=3');
    const id = started.AutomationExecutionId;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    type Step = { StepName: string; StepStatus: string; Action: string; Inputs: Record<string, string>; Outputs?: Record<string, string[]> };
    type Execution = { AutomationExecutionStatus: string; DocumentName: string; DocumentVersion: string; Mode: string; ExecutedBy: string; ExecutionStartTime: number | string; ExecutionEndTime: number | string; Parameters: Record<string, string[]>; Outputs: Record<string, string[]>; StepExecutions: Step[] };
    let last: Execution | undefined;
    const done = await until(
      'get-automation-execution to say the execution ended',
      async () => {
        last = (await awsJson<{ AutomationExecution: Execution }>('get-automation-execution', '--automation-execution-id', id)).AutomationExecution;
        return ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(last.AutomationExecutionStatus) ? last : undefined;
      },
      { ms: 45_000, every: 200, detail: () => JSON.stringify(last, null, 2) },
    );
    assert.equal(done.AutomationExecutionStatus, 'Success', JSON.stringify(done, null, 2));
    assert.equal(done.DocumentName, name);
    assert.equal(done.DocumentVersion, '1');
    assert.equal(done.Mode, 'Auto');
    assert.equal(done.ExecutedBy, `arn:aws:iam::${t.accountId}:user/admin`);
    const [startedAt, endedAt] = [cliTime(done.ExecutionStartTime), cliTime(done.ExecutionEndTime)];
    assert.ok(Math.abs(startedAt - Date.now()) < 120_000, `ExecutionStartTime ${done.ExecutionStartTime} is a time of this run`);
    assert.ok(endedAt >= startedAt, `ExecutionEndTime ${done.ExecutionEndTime} is not before ExecutionStartTime`);
    assert.deepEqual(done.Parameters, { Greeting: ['hello'], Times: ['3'] });
    assert.deepEqual(done.StepExecutions.map((s) => [s.StepName, s.Action, s.StepStatus]), [
      ['Record', 'aws:executeAwsApi', 'Success'],
      ['ReadBack', 'aws:executeAwsApi', 'Success'],
      ['Repeat', 'aws:executeScript', 'Success'],
    ]);
    assert.equal(done.StepExecutions[0]!.Inputs.Name, `/cli-e2e/${id}`);
    assert.deepEqual(done.StepExecutions[1]!.Outputs?.Value, ['hello']);
    assert.deepEqual(done.Outputs, { 'Record.Version': ['1'], 'Repeat.Said': ['hello hello hello'] });

    const listed = await awsJson<{ AutomationExecutionMetadataList: Record<string, unknown>[] }>('describe-automation-executions', '--filters', `Key=ExecutionId,Values=${id}`);
    assert.equal(listed.AutomationExecutionMetadataList.length, 1);
    const meta = listed.AutomationExecutionMetadataList[0]!;
    assert.equal(meta.AutomationExecutionId, id);
    assert.equal(meta.AutomationExecutionStatus, 'Success');
    assert.equal(meta.DocumentName, name);
    assert.equal(meta.AutomationType, 'Local');
    assert.deepEqual(meta.Outputs, done.Outputs);

    const steps = await awsJson<{ StepExecutions: Step[] }>('describe-automation-step-executions', '--automation-execution-id', id);
    assert.deepEqual(steps.StepExecutions.map((s) => [s.StepName, s.StepStatus]), [['Record', 'Success'], ['ReadBack', 'Success'], ['Repeat', 'Success']]);
    const one = await awsJson<{ StepExecutions: Step[] }>('describe-automation-step-executions', '--automation-execution-id', id, '--filters', 'Key=StepName,Values=Repeat');
    assert.deepEqual(one.StepExecutions.map((s) => [s.StepName, s.Outputs?.Said]), [['Repeat', ['hello hello hello']]]);
  });

  test('bad input: a runbook that does not exist, and a parameter the runbook does not declare', async () => {
    // Version 1 of the CLI exits 255 on a service error, version 2 254.
    const missing = await aws('start-automation-execution', '--document-name', `NoSuchRunbook-${process.pid}`);
    assert.ok([254, 255].includes(missing.code), `exit code ${missing.code}`);
    assert.match(missing.stderr, /AutomationDefinitionNotFoundException/);
    assert.match(missing.stderr, new RegExp(`NoSuchRunbook-${process.pid}`), 'the message names the runbook');
    assert.equal(missing.stdout, '');

    const name = `CliE2E-Strict-v${cli.major}-${process.pid}`;
    const file = join(work, 'strict.yaml');
    writeFileSync(file, RUNBOOK);
    await awsJson('create-document', '--name', name, '--document-type', 'Automation', '--document-format', 'YAML', '--content', `file://${file}`);
    const undeclared = await aws('start-automation-execution', '--document-name', name, '--parameters', 'Greeting=hi,Colour=red');
    assert.ok([254, 255].includes(undeclared.code), `exit code ${undeclared.code}`);
    assert.match(undeclared.stderr, /InvalidAutomationExecutionParametersException.*Colour/);
  });

  test(
    'tags given to start-automation-execution are listed by list-tags-for-resource --resource-type Automation',
    async () => {
      const name = `CliE2E-Tagged-v${cli.major}-${process.pid}`;
      const file = join(work, 'tagged.yaml');
      writeFileSync(file, RUNBOOK);
      await awsJson('create-document', '--name', name, '--document-type', 'Automation', '--document-format', 'YAML', '--content', `file://${file}`);
      const { AutomationExecutionId: id } = await awsJson<{ AutomationExecutionId: string }>('start-automation-execution', '--document-name', name, '--parameters', 'Greeting=hi', '--tags', 'Key=team,Value=ops');
      const byTag = await awsJson<{ AutomationExecutionMetadataList: { AutomationExecutionId: string }[] }>('describe-automation-executions', '--filters', 'Key=TagKey,Values=team');
      assert.ok(byTag.AutomationExecutionMetadataList.some((m) => m.AutomationExecutionId === id), 'the execution keeps its tags');
      const listed = await aws('list-tags-for-resource', '--resource-type', 'Automation', '--resource-id', id);
      assert.equal(listed.code, 0, `list-tags-for-resource failed:\n${listed.stderr}`);
      assert.deepEqual((JSON.parse(listed.stdout) as { TagList: unknown[] }).TagList, [{ Key: 'team', Value: 'ops' }]);
    },
  );
});

const BOTO_APPROVAL = `
import json, os, time
import boto3
from botocore.config import Config

config = Config(retries={'max_attempts': 1})
endpoint = os.environ['CAPSTAN_ENDPOINT']
ssm = boto3.client('ssm', endpoint_url=endpoint, config=config)
me = boto3.client('sts', endpoint_url=endpoint, config=config).get_caller_identity()['Arn']
name = os.environ['RUNBOOK']
ssm.create_document(Name=name, DocumentType='Automation', DocumentFormat='JSON', Content=json.dumps({
    'schemaVersion': '0.3',
    'parameters': {'Approver': {'type': 'String'}},
    'mainSteps': [
        {'name': 'Gate', 'action': 'aws:approve', 'inputs': {'Approvers': ['{{ Approver }}'], 'MinRequiredApprovals': 1, 'Message': 'Ship it?'}},
        {'name': 'Ship', 'action': 'aws:sleep', 'inputs': {'Duration': 'PT0S'}},
    ],
}))
eid = ssm.start_automation_execution(DocumentName=name, Parameters={'Approver': [me]})['AutomationExecutionId']

def wait(what, pred):
    for _ in range(200):
        e = ssm.get_automation_execution(AutomationExecutionId=eid)['AutomationExecution']
        if pred(e):
            return e
        time.sleep(0.1)
    raise SystemExit('timed out waiting for ' + what + ': ' + json.dumps(e, default=str))

waiting = wait('Waiting', lambda e: e['AutomationExecutionStatus'] == 'Waiting')
ssm.send_automation_signal(AutomationExecutionId=eid, SignalType='Approve', Payload={'Comment': ['ship it']})
done = wait('the end', lambda e: e['AutomationExecutionStatus'] in ('Success', 'Failed', 'TimedOut', 'Cancelled'))
print(json.dumps({'me': me, 'id': eid, 'waiting': waiting, 'done': done}, default=str))
`;

describe(boto.label, { skip: boto.skip }, () => {
  test('an approval runbook: start_automation_execution waits, send_automation_signal Approve lets it finish', async () => {
    const r = await runTool('python3', ['-c', BOTO_APPROVAL], files.env(t.credentials, { CAPSTAN_ENDPOINT: t.endpoint, RUNBOOK: `BotoE2E-Approval-${process.pid}` }));
    assert.equal(r.code, 0, r.stderr);
    type Step = { StepName: string; StepStatus: string; Outputs?: Record<string, string[]> };
    type Execution = { AutomationExecutionStatus: string; CurrentStepName?: string; StepExecutions: Step[] };
    const out = JSON.parse(r.stdout) as { me: string; id: string; waiting: Execution; done: Execution };
    assert.equal(out.me, `arn:aws:iam::${t.accountId}:user/admin`);
    assert.equal(out.waiting.CurrentStepName, 'Gate');
    assert.deepEqual(out.waiting.StepExecutions.map((s) => [s.StepName, s.StepStatus]), [['Gate', 'Waiting']]);
    assert.equal(out.done.AutomationExecutionStatus, 'Success', JSON.stringify(out.done, null, 2));
    assert.deepEqual(out.done.StepExecutions.map((s) => [s.StepName, s.StepStatus]), [['Gate', 'Success'], ['Ship', 'Success']]);
    const gate = out.done.StepExecutions[0]!;
    assert.deepEqual(gate.Outputs?.ApprovalStatus, ['Approved']);
    const decisions = JSON.parse(gate.Outputs?.ApproverDecisions?.[0] ?? '[]') as { Approver: string; Decision: string; Comment: string }[];
    assert.deepEqual(decisions.map((d) => [d.Approver, d.Decision, d.Comment]), [[out.me, 'Approved', 'ship it']]);
  });
});
