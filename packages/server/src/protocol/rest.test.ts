import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { GetTagsCommand, ResourceGroupsClient, UntagCommand } from '@aws-sdk/client-resource-groups';
import { GetIncidentRecordCommand, SSMIncidentsClient, UntagResourceCommand } from '@aws-sdk/client-ssm-incidents';
import { AwsError } from './errors.js';
import { defineOperation } from './registry.js';
import { RESOURCE_GROUPS, SSM_INCIDENTS } from './services.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

/**
 * REST-JSON operations registered only here: they prove that path labels (ARNs full of
 * encoded characters), query lists, bodies and status codes route and sign correctly through
 * the official clients before the capabilities that own these operations exist.
 */
const seen: Record<string, unknown>[] = [];
const restOps = [
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'GetTags',
    http: { method: 'GET', path: '/resources/{Arn}/tags' },
    input: z.object({ Arn: z.string().min(12) }),
    resources: (i) => [i.Arn],
    handler: async (i) => ({ Arn: i.Arn, Tags: { env: 'prod' } }),
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'Untag',
    http: { method: 'PATCH', path: '/resources/{Arn}/tags' },
    input: z.object({ Arn: z.string(), Keys: z.array(z.string()).min(1) }),
    handler: async (i) => (seen.push(i), { Arn: i.Arn, Keys: i.Keys }),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'UntagResource',
    http: { method: 'DELETE', path: '/tags/{resourceArn}', query: { tagKeys: 'tagKeys' }, successStatus: 204 },
    input: z.object({ resourceArn: z.string(), tagKeys: z.union([z.string(), z.array(z.string())]) }),
    handler: async (i) => (seen.push(i), {}),
  }),
  defineOperation({
    service: SSM_INCIDENTS,
    name: 'GetIncidentRecord',
    http: { method: 'GET', path: '/getIncidentRecord', query: { arn: 'arn' } },
    input: z.object({ arn: z.string().min(1) }),
    handler: async (i) => {
      throw new AwsError('ResourceNotFoundException', `Incident record ${i.arn} not found`, { status: 404 });
    },
  }),
];

let t: TestServer;
before(async () => {
  t = await startTestServer({ operations: restOps });
});
after(async () => {
  await t.stop();
});

describe('REST-JSON routing through the official clients', () => {
  const arn = 'arn:aws:resource-groups:us-east-1:111122223333:group/web servers+blue';

  test('a GET with an ARN in the path arrives decoded and signed', async () => {
    const out = await new ResourceGroupsClient(t.clientConfig()).send(new GetTagsCommand({ Arn: arn }));
    assert.equal(out.Arn, arn);
    assert.deepEqual(out.Tags, { env: 'prod' });
  });

  test('a PATCH with a body carries both the path label and the body members', async () => {
    await new ResourceGroupsClient(t.clientConfig()).send(new UntagCommand({ Arn: arn, Keys: ['env', 'team'] }));
    assert.deepEqual(seen.at(-1), { Arn: arn, Keys: ['env', 'team'] });
  });

  test('a DELETE with a repeated query parameter answers 204', async () => {
    const out = await new SSMIncidentsClient(t.clientConfig()).send(
      new UntagResourceCommand({ resourceArn: 'arn:aws:ssm-incidents::111122223333:response-plan/p1', tagKeys: ['a', 'b'] }),
    );
    assert.equal(out.$metadata.httpStatusCode, 204);
    assert.deepEqual(seen.at(-1), { resourceArn: 'arn:aws:ssm-incidents::111122223333:response-plan/p1', tagKeys: ['a', 'b'] });
  });

  test('an error keeps its HTTP status and code', async () => {
    await assert.rejects(new SSMIncidentsClient(t.clientConfig()).send(new GetIncidentRecordCommand({ arn: 'arn:aws:ssm-incidents::111122223333:incident-record/x/1' })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, 'ResourceNotFoundException');
      assert.equal(e.$metadata.httpStatusCode, 404);
      assert.match(e.message, /not found/);
      return true;
    });
  });

  test('REST calls are authenticated and authorized like the others', async () => {
    const bad = new ResourceGroupsClient(t.clientConfig({ credentials: { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'z'.repeat(40) } }));
    await assert.rejects(bad.send(new GetTagsCommand({ Arn: arn })), { name: 'InvalidSignatureException' });
    const res = await fetch(`${t.endpoint}/resources/x/tags`);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'UnrecognizedClientException');
  });

  test('a path no operation answers is UnknownOperationException with 404', async () => {
    const res = await fetch(`${t.endpoint}/no/such/route`, { method: 'POST' });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { __type: string }).__type, 'UnknownOperationException');
  });
});
