import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';

/** The audited source address of a GetServiceSetting sent with the given X-Forwarded-For. */
async function auditedSource(t: TestServer, settingId: string, forwardedFor: string): Promise<string> {
  const r = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: { ...jsonHeaders('AmazonSSM.GetServiceSetting'), 'x-forwarded-for': forwardedFor }, body: JSON.stringify({ SettingId: settingId }) });
  // The setting does not exist: the refused call is audited all the same, with where it came from.
  assert.equal(r.status, 400, r.text);
  const trail = new CloudTrailClient(t.clientConfig());
  const out = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: `arn:aws:ssm:us-east-1:${t.accountId}:servicesetting${settingId}` }] }));
  trail.destroy();
  return (JSON.parse(out.Events![0]!.CloudTrailEvent!) as { sourceIPAddress: string }).sourceIPAddress;
}

/** The same through the Query protocol (IAM), which Fastify's router serves. */
async function auditedQuerySource(t: TestServer, forwardedFor: string): Promise<string> {
  const r = await rawCall({ endpoint: t.endpoint, service: 'iam', credentials: t.credentials, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-forwarded-for': forwardedFor }, body: 'Action=GetUser&Version=2010-05-08' });
  assert.equal(r.status, 200, r.text);
  const trail = new CloudTrailClient(t.clientConfig());
  const out = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetUser' }] }));
  trail.destroy();
  return (JSON.parse(out.Events![0]!.CloudTrailEvent!) as { sourceIPAddress: string }).sourceIPAddress;
}

describe('the caller’s source address', () => {
  let behind: TestServer;
  let direct: TestServer;
  before(async () => {
    behind = await startTestServer({ trustProxy: true });
    direct = await startTestServer({});
  });
  after(async () => {
    await behind.stop();
    await direct.stop();
  });

  test('behind a trusted balancer it is the address the balancer saw, not what the client claims to the left of it', async () => {
    assert.equal(await auditedSource(behind, '/ssm/xff-1', '203.0.113.9, 198.51.100.7'), '198.51.100.7');
    assert.equal(await auditedSource(behind, '/ssm/xff-2', '198.51.100.8'), '198.51.100.8');
    assert.equal(await auditedQuerySource(behind, '203.0.113.10, 198.51.100.9'), '198.51.100.9');
  });

  test('without --trust-proxy the header is ignored', async () => {
    assert.equal(await auditedSource(direct, '/ssm/xff-3', '203.0.113.9'), '127.0.0.1');
  });
});
