/**
 * Patch Manager as people drive it from the shell: the AWS CLI (version 1, the `aws` on PATH
 * here, prints timestamps as epoch seconds; version 2, /usr/bin/aws, as ISO 8601) and boto3, each
 * a process of its own pointed at a Capstan server with --endpoint-url. A simulated node in the
 * patch group reports its patches over the real control channel. Each tool is skipped, saying
 * why, where it is not installed. The server keeps real time: the tools sign with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SSMClient } from '@aws-sdk/client-ssm';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { awsClis, botoProbe, cliTime, runTool, ToolFiles } from '../test-support/aws-tools.js';
import { aptPatch, patchNode, summary, type PatchingAgent } from './test-support/agents.js';

const files = new ToolFiles('capstan-patch-cli-');
const clis = awsClis();
const boto = botoProbe();

let t: TestServer;
let sdk: SSMClient;
let node: PatchingAgent;

/** Runs a tool as the test's admin; the boto3 script finds the server in CAPSTAN_ENDPOINT. */
const run = (command: string, args: string[], extra: NodeJS.ProcessEnv = {}) => runTool(command, args, files.env(t.credentials, { CAPSTAN_ENDPOINT: t.endpoint, ...extra }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

before(async () => {
  t = await startTestServer();
  sdk = new SSMClient(t.clientConfig());
  node = await patchNode(sdk, t, 'cli-web', ['Ubuntu', '22.04'], { 'Patch Group': 'cli-web' });
});

after(async () => {
  sdk?.destroy();
  await node?.close();
  await t?.stop();
  files.remove();
});

describe('Patch Manager from the AWS CLI', () => {
  for (const [k, cli] of clis.entries()) {
    test(cli.label, { skip: cli.skip }, async () => {
      const aws = async (...args: string[]): Promise<Json> => {
        const r = await run(cli.command, ['ssm', ...args, '--endpoint-url', t.endpoint, '--output', 'json']);
        assert.equal(r.code, 0, `aws ssm ${args[0]} failed:\n${r.stderr}`);
        return r.stdout.trim() ? (JSON.parse(r.stdout) as Json) : {};
      };
      const group = `cli-group-${k}`;
      const rules = JSON.stringify({ PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required', 'Important'] }] }, ComplianceLevel: 'HIGH' }] });
      const created = await aws('create-patch-baseline', '--name', `cli-ubuntu-${k}`, '--operating-system', 'UBUNTU', '--approval-rules', rules, '--rejected-patches', 'telnetd', '--tags', 'Key=team,Value=web');
      assert.match(created.BaselineId, /^pb-[0-9a-f]{17}$/);
      const registered = await aws('register-patch-baseline-for-patch-group', '--baseline-id', created.BaselineId, '--patch-group', group);
      assert.deepEqual(registered, { BaselineId: created.BaselineId, PatchGroup: group });
      const got = await aws('get-patch-baseline', '--baseline-id', created.BaselineId);
      assert.deepEqual(got.PatchGroups, [group]);
      assert.ok(cliTime(got.CreatedDate) > Date.now() - 600_000);

      const listed = await aws('describe-patch-baselines', '--filters', `Key=NAME_PREFIX,Values=cli-ubuntu-${k}`);
      assert.deepEqual(listed.BaselineIdentities.map((b: Json) => [b.BaselineId, b.OperatingSystem, b.DefaultBaseline]), [[created.BaselineId, 'UBUNTU', false]]);
      const predefined = await aws('describe-patch-baselines', '--filters', 'Key=OWNER,Values=AWS', 'Key=OPERATING_SYSTEM,Values=DEBIAN');
      assert.deepEqual(predefined.BaselineIdentities.map((b: Json) => b.BaselineName), ['AWS-DebianDefaultPatchBaseline']);

      await node.report({ commandId: `22222222-3333-4444-8555-66666666666${k}`, summary: summary({ BaselineId: created.BaselineId, PatchGroup: 'cli-web', MissingCount: 1, InstalledCount: 1 }), patches: [aptPatch('openssl', '3.0.2-0ubuntu1.15', 'INSTALLED'), aptPatch('libc6', '2.35-0ubuntu3.8', 'MISSING')] });
      const states = await aws('describe-instance-patch-states', '--instance-ids', node.instanceId);
      assert.equal(states.InstancePatchStates.length, 1);
      const s = states.InstancePatchStates[0] as Json;
      assert.equal(s.InstanceId, node.instanceId);
      assert.equal(s.PatchGroup, 'cli-web');
      assert.equal(s.MissingCount, 1);
      assert.equal(s.Operation, 'Scan');
      assert.equal(cliTime(s.OperationEndTime), Date.parse('2026-11-20T10:01:00Z'));
    });
  }
});

const BOTO = `
import json, os
import boto3
from botocore.config import Config

ssm = boto3.client('ssm', endpoint_url=os.environ['CAPSTAN_ENDPOINT'], config=Config(retries={'max_attempts': 1}))
bid = ssm.create_patch_baseline(Name='boto-rhel', OperatingSystem='REDHAT_ENTERPRISE_LINUX', ClientToken='boto-1',
    ApprovalRules={'PatchRules': [{'PatchFilterGroup': {'PatchFilters': [{'Key': 'CLASSIFICATION', 'Values': ['Security']}]}, 'ApproveAfterDays': 7}]})['BaselineId']
again = ssm.create_patch_baseline(Name='boto-rhel', OperatingSystem='REDHAT_ENTERPRISE_LINUX', ClientToken='boto-1',
    ApprovalRules={'PatchRules': [{'PatchFilterGroup': {'PatchFilters': [{'Key': 'CLASSIFICATION', 'Values': ['Security']}]}, 'ApproveAfterDays': 7}]})['BaselineId']
ssm.register_patch_baseline_for_patch_group(BaselineId=bid, PatchGroup='boto-group')
pages = [p['BaselineIdentities'] for p in ssm.get_paginator('describe_patch_baselines').paginate(PaginationConfig={'PageSize': 3})]
states = ssm.describe_instance_patch_states(InstanceIds=[os.environ['NODE']])['InstancePatchStates']
try:
    ssm.create_patch_baseline(Name='boto-bad', OperatingSystem='UBUNTU', ApprovalRules={'PatchRules': [{'PatchFilterGroup': {'PatchFilters': []}, 'ApproveAfterDays': 1}]})
    bad = None
except ssm.exceptions.ClientError as e:
    bad = e.response['Error']['Code']
print(json.dumps({'bid': bid, 'again': again, 'pages': pages, 'states': states, 'bad': bad,
    'group': ssm.get_patch_baseline_for_patch_group(PatchGroup='boto-group', OperatingSystem='REDHAT_ENTERPRISE_LINUX')['BaselineId']}, default=str))
`;

describe('Patch Manager from boto3', () => {
  test(boto.label, { skip: boto.skip }, async () => {
    await node.report({ commandId: '33333333-4444-4555-8666-777777777777', summary: summary({ BaselineId: 'pb-0123456789abcdef0', PatchGroup: 'cli-web', InstalledCount: 2 }), patches: [aptPatch('openssl', '3.0.2-0ubuntu1.15', 'INSTALLED'), aptPatch('libc6', '2.35-0ubuntu3.8', 'INSTALLED')] });
    const r = await run('python3', ['-c', BOTO], { NODE: node.instanceId });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { bid: string; again: string; pages: Json[][]; states: Json[]; bad: string; group: string };
    assert.equal(out.again, out.bid, 'the ClientToken made the second create return the first baseline');
    assert.equal(out.group, out.bid);
    assert.ok(out.pages.length >= 3, 'paged three at a time');
    assert.ok(out.pages.flat().some((b) => b.BaselineName === 'boto-rhel'));
    assert.equal(out.states[0]!.InstalledCount, 2);
    assert.equal(out.bad, 'ValidationException');
  });
});
