import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetServiceSettingCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { probeOperation } from '../test-support/probe-operation.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';

const probe = probeOperation;

let t: TestServer;
before(async () => {
  t = await startTestServer({ operations: [probe] });
});
after(async () => {
  await t.stop();
});

const ssmError = async (client: SSMClient, settingId = '/ssm/x') => {
  try {
    await client.send(new GetServiceSettingCommand({ SettingId: settingId }));
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode: number }; $fault: string };
  }
  assert.fail('the call succeeded');
};

describe('AWS JSON 1.1 through @aws-sdk/client-ssm', () => {
  test('a signed call reaches the operation, with the region of the credential scope', async () => {
    const ssm = new SSMClient(t.clientConfig({ region: 'eu-west-1' }));
    const out = await ssm.send(new GetServiceSettingCommand({ SettingId: '/ssm/parameter-store/default-parameter-tier' }));
    assert.equal(out.ServiceSetting?.SettingValue, `eu-west-1:${t.accountId}`);
    assert.equal(out.ServiceSetting?.ARN, `arn:aws:ssm:eu-west-1:${t.accountId}:servicesetting/ssm/parameter-store/default-parameter-tier`);
    assert.ok(out.ServiceSetting?.LastModifiedDate instanceof Date, 'timestamps travel as epoch seconds and parse as dates');
    assert.ok(Math.abs(out.ServiceSetting!.LastModifiedDate!.getTime() - Date.now()) < 60_000);
  });

  test('an AWS error from a handler arrives with its code, message and HTTP 400', async () => {
    const e = await ssmError(new SSMClient(t.clientConfig()), '/ssm/missing');
    assert.equal(e.name, 'ServiceSettingNotFound');
    assert.equal(e.message, 'No setting /ssm/missing');
    assert.equal(e.$metadata.httpStatusCode, 400);
  });

  test('a field breaking the model is a ValidationException naming the member and the constraint', async () => {
    const e = await ssmError(new SSMClient(t.clientConfig()), 'not a setting id');
    assert.equal(e.name, 'ValidationException');
    assert.match(e.message, /^1 validation error detected: Value 'not a setting id' at 'settingId' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  test('an unexpected failure is InternalServerError with HTTP 500 and no internal detail', async () => {
    const ssm = new SSMClient(t.clientConfig());
    const e = await ssmError(ssm, '/ssm/crash');
    assert.equal(e.name, 'InternalServerError');
    assert.equal(e.$metadata.httpStatusCode, 500);
    assert.doesNotMatch(e.message, /hunter2/);
  });
});

describe('wire errors', () => {
  test('an unknown target is UnknownOperationException', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.DoesNotExist'), body: '{}' });
    assert.equal(res.status, 400);
    assert.equal(res.json().__type, 'UnknownOperationException');
    assert.equal(res.headers.get('x-amzn-errortype'), 'UnknownOperationException');
  });

  test('a malformed body is SerializationException', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.GetServiceSetting'), body: '{"SettingId": ' });
    assert.equal(res.status, 400);
    assert.equal(res.json().__type, 'SerializationException');
  });

  test('a JSON body that is not an object is SerializationException', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.GetServiceSetting'), body: '[1,2]' });
    assert.equal(res.json().__type, 'SerializationException');
  });

  test('a missing required member is a ValidationException saying it must not be null', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.GetServiceSetting'), body: '{}' });
    assert.equal(res.json().__type, 'ValidationException');
    assert.match(String(res.json().message), /Value null at 'settingId' failed to satisfy constraint: Member must not be null/);
  });

  test('a member of the wrong type is a ValidationException naming the type', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.GetServiceSetting'), body: '{"SettingId": 5}' });
    assert.equal(res.json().__type, 'ValidationException');
    assert.match(String(res.json().message), /Member must be of type string/);
  });

  test('GET /health answers 200', async () => {
    const res = await fetch(new URL('/health', t.endpoint));
    assert.equal(res.status, 200);
  });

  test('every response carries a request id', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.GetServiceSetting'), body: '{"SettingId":"/ssm/a"}' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('SigV4 authentication', () => {
  const call = (o: Partial<Parameters<typeof rawCall>[0]> = {}) =>
    rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.GetServiceSetting'), body: '{"SettingId":"/ssm/a"}', ...o });

  test('a wrong secret is InvalidSignatureException (SSM) and SignatureDoesNotMatch (STS)', async () => {
    const e = await ssmError(new SSMClient(t.clientConfig({ credentials: { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'x'.repeat(40) } })));
    assert.equal(e.name, 'InvalidSignatureException');
    assert.match(e.message, /The request signature we calculated does not match the signature you provided/);
    const sts = new STSClient(t.clientConfig({ credentials: { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'x'.repeat(40) } }));
    await assert.rejects(sts.send(new GetCallerIdentityCommand({})), (err: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(err.name, 'SignatureDoesNotMatch');
      assert.equal(err.$metadata.httpStatusCode, 403);
      return true;
    });
  });

  test('CloudTrail refuses a wrong secret and an unknown key the same way', async () => {
    const wrong = new CloudTrailClient(t.clientConfig({ credentials: { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'x'.repeat(40) } }));
    await assert.rejects(wrong.send(new LookupEventsCommand({})), { name: 'InvalidSignatureException' });
    const unknown = new CloudTrailClient(t.clientConfig({ credentials: { accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: 'x'.repeat(40) } }));
    await assert.rejects(unknown.send(new LookupEventsCommand({})), { name: 'UnrecognizedClientException' });
    const ok = await new CloudTrailClient(t.clientConfig()).send(new LookupEventsCommand({ MaxResults: 1 }));
    assert.ok(Array.isArray(ok.Events));
  });

  test('an unknown access key is UnrecognizedClientException (SSM) and InvalidClientTokenId (STS)', async () => {
    const creds = { accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: 'x'.repeat(40) };
    const e = await ssmError(new SSMClient(t.clientConfig({ credentials: creds })));
    assert.equal(e.name, 'UnrecognizedClientException');
    assert.equal(e.message, 'The security token included in the request is invalid.');
    await assert.rejects(new STSClient(t.clientConfig({ credentials: creds })).send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' });
  });

  test('a date older than 15 minutes is InvalidSignatureException with AWS\'s "Signature expired" message', async () => {
    const res = await call({ signingDate: new Date(Date.now() - 16 * 60_000) });
    assert.equal(res.json().__type, 'InvalidSignatureException');
    assert.match(String(res.json().message), /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  });

  test('a date 14 minutes old still verifies', async () => {
    const res = await call({ signingDate: new Date(Date.now() - 14 * 60_000) });
    assert.equal(res.status, 200, res.text);
  });

  test('a date more than 15 minutes ahead is refused as not yet current', async () => {
    const res = await call({ signingDate: new Date(Date.now() + 16 * 60_000) });
    assert.equal(res.json().__type, 'InvalidSignatureException');
    assert.match(String(res.json().message), /Signature not yet current/);
  });

  test('a credential scoped to another service is InvalidSignatureException', async () => {
    const res = await call({ service: 'kms' });
    assert.equal(res.json().__type, 'InvalidSignatureException');
    assert.match(String(res.json().message), /Credential should be scoped to correct service: 'ssm'/);
  });

  test('a tampered body is InvalidSignatureException', async () => {
    const res = await call({ tamper: (r) => void (r.body = '{"SettingId":"/ssm/b"}') });
    assert.equal(res.json().__type, 'InvalidSignatureException');
  });

  test('a tampered signed header is InvalidSignatureException', async () => {
    const res = await call({ tamper: (r) => void (r.headers['content-type'] = 'application/x-amz-json-1.0') });
    assert.equal(res.json().__type, 'InvalidSignatureException');
    const res2 = await call({ tamper: (r) => void (r.headers['x-amz-date'] = r.headers['x-amz-date']!.replace(/\d(?=Z$)/, (d) => String((Number(d) + 1) % 10))) });
    assert.equal(res2.json().__type, 'InvalidSignatureException');
  });

  test('no Authorization header is UnrecognizedClientException', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', headers: jsonHeaders('AmazonSSM.GetServiceSetting'), body: '{"SettingId":"/ssm/a"}' });
    assert.equal(res.status, 400);
    assert.equal(res.json().__type, 'UnrecognizedClientException');
    assert.match(String(res.json().message), /Missing Authentication Token/);
  });

  test('a malformed Authorization header is IncompleteSignatureException', async () => {
    const res = await call({ tamper: (r) => void (r.headers.authorization = r.headers.authorization!.replace(/, Signature=.*$/, '')) });
    assert.equal(res.json().__type, 'IncompleteSignatureException');
  });

  test('no Authorization header on STS is refused with an XML error', async () => {
    const res = await rawCall({ endpoint: t.endpoint, service: 'sts', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
    assert.ok(res.status >= 400);
    assert.match(res.text, /<ErrorResponse/);
  });
});

describe('STS', () => {
  test('GetCallerIdentity names the admin user of the bootstrapped account', async () => {
    const out = await new STSClient(t.clientConfig()).send(new GetCallerIdentityCommand({}));
    assert.equal(out.Account, t.accountId);
    assert.equal(out.Arn, `arn:aws:iam::${t.accountId}:user/admin`);
    assert.match(out.UserId ?? '', /^AIDA[A-Z2-7]{16}$/);
  });
});
