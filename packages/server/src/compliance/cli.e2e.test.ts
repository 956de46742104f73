/**
 * Compliance as people drive it from the shell: the AWS CLI (version 1, the `aws` on PATH here,
 * printing timestamps as epoch seconds; version 2, /usr/bin/aws, printing ISO 8601) and boto3,
 * each a process of its own pointed at a Capstan server, against a registered node. Each is
 * skipped, saying why, where it is not installed. The server keeps real time: the tools sign with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SSMClient } from '@aws-sdk/client-ssm';
import { simulatedNode } from '../associations/test-support/fleet.js';
import { okStep, type SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { awsClis, botoProbe, cliTime, runTool, ToolFiles } from '../test-support/aws-tools.js';

const files = new ToolFiles('capstan-compliance-cli-');
const clis = awsClis();
const boto = botoProbe();

let t: TestServer;
let sdk: SSMClient;
let agent: SimulatedAgent;

/** Runs a tool as the test's admin, with `extra` in its environment. */
const run = (command: string, args: string[], extra: NodeJS.ProcessEnv = {}) => runTool(command, args, files.env(t.credentials, extra));

/** The tools' output is untyped JSON; the assertions are what check its shape. */
type Json = Record<string, any>;

before(async () => {
  t = await startTestServer({});
  sdk = new SSMClient(t.clientConfig());
  agent = await simulatedNode(sdk, t, 'compliance-cli', () => ({ status: 'Success', steps: [okStep()] }));
});

after(async () => {
  sdk?.destroy();
  await agent?.close();
  await t?.stop();
  files.remove();
});

const zero = { CriticalCount: 0, HighCount: 0, MediumCount: 0, LowCount: 0, InformationalCount: 0, UnspecifiedCount: 0 };

describe('compliance from the AWS CLI', () => {
  for (const cli of clis) {
    describe(cli.label, { skip: cli.skip }, () => {
      const aws = (...args: string[]) => run(cli.command, ['ssm', ...args, '--endpoint-url', t.endpoint, '--output', 'json']);
      const json = async (...args: string[]): Promise<Json> => {
        const r = await aws(...args);
        assert.equal(r.code, 0, `${cli.label} ssm ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
        return r.stdout.trim() ? (JSON.parse(r.stdout) as Json) : {};
      };
      const serviceError = cli.major >= 2 ? 254 : 255;
      const type = `Custom:CliV${cli.major}`;

      test('put-compliance-items, then list-compliance-items (a page at a time), list-resource-compliance-summaries, list-compliance-summaries; a bad resource type is refused', async () => {
        const node = agent.instanceId;
        const items = [
          { Id: 'ssh-root', Title: 'No root login', Severity: 'HIGH', Status: 'NON_COMPLIANT', Details: { File: '/etc/ssh/sshd_config' } },
          { Id: 'fw', Title: 'Firewall on', Severity: 'LOW', Status: 'COMPLIANT' },
        ];
        const summary = JSON.stringify({ ExecutionTime: '2026-11-25T10:00:00Z', ExecutionId: 'cli-run', ExecutionType: 'Command' });
        assert.deepEqual(await json('put-compliance-items', '--resource-id', node, '--resource-type', 'ManagedInstance', '--compliance-type', type, '--execution-summary', summary, '--items', JSON.stringify(items)), {});

        // A page size of one makes the CLI follow NextToken through every page.
        const listed = (await json('list-compliance-items', '--resource-ids', node, '--resource-types', 'ManagedInstance', '--filters', `Key=ComplianceType,Values=${type},Type=EQUAL`, '--page-size', '1')).ComplianceItems as Json[];
        assert.deepEqual(listed.map((i) => [i.Id, i.Title, i.Status, i.Severity]), [
          ['ssh-root', 'No root login', 'NON_COMPLIANT', 'HIGH'],
          ['fw', 'Firewall on', 'COMPLIANT', 'LOW'],
        ]);
        assert.equal(listed[0]!.ComplianceType, type);
        assert.equal(listed[0]!.ResourceId, node);
        assert.equal(listed[0]!.ResourceType, 'ManagedInstance');
        assert.deepEqual(listed[0]!.Details, { File: '/etc/ssh/sshd_config' });
        assert.equal(cliTime(listed[0]!.ExecutionSummary.ExecutionTime), Date.parse('2026-11-25T10:00:00Z'));
        assert.equal(listed[0]!.ExecutionSummary.ExecutionId, 'cli-run');

        const resources = (await json('list-resource-compliance-summaries', '--filters', `Key=ComplianceType,Values=${type}`)).ResourceComplianceSummaryItems as Json[];
        assert.equal(resources.length, 1);
        assert.equal(resources[0]!.ResourceId, node);
        assert.equal(resources[0]!.Status, 'NON_COMPLIANT');
        assert.equal(resources[0]!.OverallSeverity, 'HIGH');
        assert.deepEqual(resources[0]!.CompliantSummary, { CompliantCount: 1, SeveritySummary: { ...zero, LowCount: 1 } });
        assert.deepEqual(resources[0]!.NonCompliantSummary, { NonCompliantCount: 1, SeveritySummary: { ...zero, HighCount: 1 } });
        assert.equal(cliTime(resources[0]!.ExecutionSummary.ExecutionTime), Date.parse('2026-11-25T10:00:00Z'));

        const types = (await json('list-compliance-summaries', '--filters', `Key=ComplianceType,Values=${type}`)).ComplianceSummaryItems as Json[];
        assert.deepEqual(types, [{ ComplianceType: type, CompliantSummary: { CompliantCount: 0, SeveritySummary: zero }, NonCompliantSummary: { NonCompliantCount: 1, SeveritySummary: { ...zero, HighCount: 1 } } }]);

        const bad = await aws('put-compliance-items', '--resource-id', node, '--resource-type', 'Document', '--compliance-type', type, '--execution-summary', summary, '--items', '[]');
        assert.equal(bad.code, serviceError, bad.stderr);
        assert.match(bad.stderr, /\(InvalidResourceType\).*ManagedInstance/);
        const still = (await json('list-compliance-items', '--resource-ids', node, '--filters', `Key=ComplianceType,Values=${type}`)).ComplianceItems as Json[];
        assert.equal(still.length, 2, 'the refused upload changed nothing');
      });
    });
  }
});

const BOTO = `
import json, os, datetime
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ssm = boto3.client('ssm', endpoint_url=os.environ['CAPSTAN_ENDPOINT'], config=Config(retries={'max_attempts': 1}))
node = os.environ['NODE']
ssm.put_compliance_items(
    ResourceId=node, ResourceType='ManagedInstance', ComplianceType='Custom:Boto',
    ExecutionSummary={'ExecutionTime': datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.timezone.utc), 'ExecutionId': 'boto-run'},
    Items=[{'Id': 'i%d' % k, 'Severity': 'MEDIUM', 'Status': 'COMPLIANT' if k % 2 else 'NON_COMPLIANT'} for k in range(5)])
ssm.put_compliance_items(
    ResourceId=node, ResourceType='ManagedInstance', ComplianceType='Custom:Boto', UploadType='PARTIAL',
    ExecutionSummary={'ExecutionTime': datetime.datetime(2026, 11, 25, 11, 0, tzinfo=datetime.timezone.utc)},
    Items=[{'Id': 'i0', 'Severity': 'CRITICAL', 'Status': 'COMPLIANT'}])
pages = ssm.get_paginator('list_compliance_items').paginate(ResourceIds=[node], Filters=[{'Key': 'ComplianceType', 'Values': ['Custom:Boto']}], PaginationConfig={'PageSize': 2})
items = [i for p in pages for i in p['ComplianceItems']]
resources = ssm.list_resource_compliance_summaries(Filters=[{'Key': 'ComplianceType', 'Values': ['Custom:Boto']}])['ResourceComplianceSummaryItems']
types = ssm.list_compliance_summaries(Filters=[{'Key': 'ComplianceType', 'Values': ['Custom:B'], 'Type': 'BEGIN_WITH'}])['ComplianceSummaryItems']
try:
    ssm.list_compliance_items(ResourceIds=[node], Filters=[{'Key': 'Colour', 'Values': ['red']}])
    error = None
except ClientError as e:
    error = e.response['Error']
print(json.dumps({'items': items, 'resources': resources, 'types': types, 'error': error}, default=str))
`;

describe('compliance from boto3', { skip: boto.skip }, () => {
  test('put_compliance_items COMPLETE then PARTIAL; the list_compliance_items paginator; both summaries; an unknown filter key is InvalidFilter', async () => {
    const r = await run('python3', ['-c', BOTO], { CAPSTAN_ENDPOINT: t.endpoint, NODE: agent.instanceId });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { items: Json[]; resources: Json[]; types: Json[]; error: { Code: string; Message: string } };
    assert.deepEqual(out.items.map((i) => [i.Id, i.Status, i.Severity]), [
      ['i0', 'COMPLIANT', 'CRITICAL'],
      ['i1', 'COMPLIANT', 'MEDIUM'],
      ['i2', 'NON_COMPLIANT', 'MEDIUM'],
      ['i3', 'COMPLIANT', 'MEDIUM'],
      ['i4', 'NON_COMPLIANT', 'MEDIUM'],
    ]);
    assert.equal(Date.parse(out.items[0]!.ExecutionSummary.ExecutionTime), Date.parse('2026-11-25T11:00:00Z'));
    assert.equal(out.items[1]!.ExecutionSummary.ExecutionId, 'boto-run');
    assert.equal(out.resources.length, 1);
    assert.deepEqual([out.resources[0]!.Status, out.resources[0]!.OverallSeverity, out.resources[0]!.CompliantSummary.CompliantCount, out.resources[0]!.NonCompliantSummary.NonCompliantCount], ['NON_COMPLIANT', 'MEDIUM', 3, 2]);
    assert.deepEqual(out.types.map((x) => [x.ComplianceType, x.CompliantSummary.CompliantCount, x.NonCompliantSummary.NonCompliantCount, x.NonCompliantSummary.SeveritySummary.MediumCount]), [['Custom:Boto', 0, 1, 1]]);
    assert.equal(out.error.Code, 'InvalidFilter');
    assert.match(out.error.Message, /Colour/);
  });
});
