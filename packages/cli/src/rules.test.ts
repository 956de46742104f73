import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';
import { targetOf } from './rules/flags.js';
import { UsageError } from './run/parse.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];

let t: TestServer;
let roleArn: string;
before(async () => {
  t = await startTestServer({ schedulerPollMs: 20 });
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  roleArn = (await new IAMClient(t.clientConfig()).send(new CreateRoleCommand({ RoleName: 'cli-rules', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
});
after(async () => {
  await t.stop();
});

/** Runs the real `capstan rules …` (asynchronously: the server answering it runs in this process). */
function capstan(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey, AWS_REGION: 'us-east-1' };
  return new Promise((resolve) => {
    execFile(process.execPath, [...cli, 'rules', ...args, '--endpoint', t.endpoint], { cwd: root, env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

test('add-target flags become one PutTargets target, and their mistakes are usage errors', () => {
  assert.deepEqual(targetOf({ id: 'r', arn: 'arn:x', roleArn: 'arn:role', inputTemplate: '{"I": ["<n>"]}', inputPathMap: ['n=$.detail.instance-id'] }), {
    Id: 'r',
    Arn: 'arn:x',
    RoleArn: 'arn:role',
    InputTransformer: { InputTemplate: '{"I": ["<n>"]}', InputPathsMap: { n: '$.detail.instance-id' } },
  });
  assert.deepEqual(targetOf({ id: 'c', arn: 'arn:x', roleArn: 'arn:role', input: '{}', runCommandTargets: ['tag:Env=prod,dev'] }).RunCommandParameters, { RunCommandTargets: [{ Key: 'tag:Env', Values: ['prod', 'dev'] }] });
  assert.throws(() => targetOf({ id: 'x', arn: 'a', roleArn: 'r', input: '{}', inputPath: '$' }), UsageError);
  assert.throws(() => targetOf({ id: 'x', arn: 'a', roleArn: 'r', inputPathMap: ['n=$.x'] }), /goes with --input-template/);
  assert.throws(() => targetOf({ id: 'x', arn: 'a', roleArn: 'r', runCommandTargets: ['Env'] }), /expected KEY=V1,V2/);
});

test('capstan rules puts, lists, targets, tests, shows firings and deletes', async () => {
  const pattern = JSON.stringify({ 'detail-type': ['Parameter Store Change'], detail: { name: ['/cli/x'] } });
  const put = await capstan('put', 'cli-rule', '--pattern', pattern, '--description', 'from the CLI');
  assert.equal(put.status, 0, put.stderr);
  assert.equal(put.stdout.trim(), `arn:aws:events:us-east-1:${t.accountId}:rule/cli-rule`);
  const listed = await capstan('list', '--prefix', 'cli-');
  assert.equal(listed.stdout.trim(), ['cli-rule', 'ENABLED', pattern, 'from the CLI'].join('\t'));

  const runbook = `arn:aws:ssm:us-east-1:${t.accountId}:automation-definition/NoSuchRunbook`;
  const added = await capstan('add-target', 'cli-rule', '--id', 'rb', '--arn', runbook, '--role-arn', roleArn, '--input-template', '{"Name": ["<n>"]}', '--input-path-map', 'n=$.detail.name');
  assert.equal(added.status, 0, added.stderr);
  assert.equal((await capstan('targets', 'cli-rule')).stdout.trim(), ['rb', runbook, roleArn].join('\t'));
  const refused = await capstan('add-target', 'cli-rule', '--id', 'bad', '--arn', 'arn:aws:sqs:us-east-1:1:q', '--role-arn', roleArn);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /ValidationException: Target arn:aws:sqs.* is not a target Capstan can deliver to/);
  const misuse = await capstan('put', 'no-pattern');
  assert.equal(misuse.status, 2);
  assert.match(misuse.stderr, /give --pattern or --schedule/);

  const event = JSON.stringify({ id: '1', account: t.accountId, source: 'aws.ssm', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 'Parameter Store Change', detail: { name: '/cli/x' } });
  const tested = await capstan('test', '--pattern', pattern, '--event', event);
  assert.deepEqual([tested.status, tested.stdout.trim()], [0, 'matches']);

  // The role may not start runbooks: the firing is recorded as failed, with StartAutomationExecution's refusal.
  await new SSMClient(t.clientConfig()).send(new PutParameterCommand({ Name: '/cli/x', Value: 'v', Type: 'String' }));
  let line = '';
  for (let i = 0; i < 100 && !/FAILED|SUCCEEDED/.test(line); i++) {
    line = (await capstan('firings', '--rule', 'cli-rule')).stdout.trim();
    if (!/FAILED|SUCCEEDED/.test(line)) await new Promise((r) => setTimeout(r, 100));
  }
  const cols = line.split('\t');
  assert.deepEqual(cols.slice(1, 5), ['cli-rule', 'rb', 'Parameter Store Change', 'FAILED']);
  assert.match(cols[6]!, /^AccessDeniedException: .*assumed-role\/cli-rules\/events-cli-rule is not authorized to perform: ssm:StartAutomationExecution/);

  const stuck = await capstan('delete', 'cli-rule');
  assert.equal(stuck.status, 1);
  assert.match(stuck.stderr, /Rule can't be deleted since it has targets/);
  assert.equal((await capstan('delete', 'cli-rule', '--with-targets')).status, 0);
  assert.equal((await capstan('list', '--prefix', 'cli-')).stdout.trim(), '');
});
