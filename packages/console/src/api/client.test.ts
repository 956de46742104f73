import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { call, ssm } from './client';
import { errorCode, type ApiError } from './errors';
import { sessionStore } from './session';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  sessionStore.set(null);
  sessionStore.setRegion(undefined);
});

const session = (csrfToken: string) => ({ csrfToken, principal: { arn: 'arn:aws:iam::111122223333:user/admin', accountId: '111122223333', userName: 'admin' }, expiresAt: 0 });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

test('a call carries the target, the CSRF token and the region; the answer is the JSON body', async () => {
  const seen: { url: string; headers: Record<string, string>; body: string }[] = [];
  globalThis.fetch = async (url, init) => {
    seen.push({ url: String(url), headers: init!.headers as Record<string, string>, body: String(init!.body) });
    return json(200, { Parameters: [] });
  };
  sessionStore.set(session('tok-1'));
  sessionStore.setRegion('eu-west-1');
  assert.deepEqual(await ssm('GetParametersByPath', { Path: '/' }), { Parameters: [] });
  assert.equal(seen[0]!.url, '/capstan/console/v1/call');
  assert.equal(seen[0]!.headers['x-amz-target'], 'AmazonSSM.GetParametersByPath');
  assert.equal(seen[0]!.headers['x-capstan-csrf'], 'tok-1');
  assert.equal(seen[0]!.headers['x-capstan-region'], 'eu-west-1');
  assert.equal(seen[0]!.body, '{"Path":"/"}');
});

test('a call may name its own region, over the header\'s', async () => {
  const regions: (string | undefined)[] = [];
  globalThis.fetch = async (_url, init) => {
    regions.push((init!.headers as Record<string, string>)['x-capstan-region']);
    return json(200, {});
  };
  sessionStore.set(session('tok-1'));
  await ssm('DescribeInstanceInformation', {}, { region: 'ap-south-1' });
  await ssm('DescribeInstanceInformation', {});
  sessionStore.setRegion('eu-west-1');
  await ssm('DescribeInstanceInformation', {}, { region: 'us-west-2' });
  await ssm('DescribeInstanceInformation', {});
  assert.deepEqual(regions, ['ap-south-1', undefined, 'us-west-2', 'eu-west-1']);
  assert.equal(sessionStore.effectiveRegion(), 'eu-west-1');
  sessionStore.setRegion(undefined);
  assert.equal(sessionStore.effectiveRegion(), 'us-east-1', 'blank is the server\'s default');
});

test('a stale CSRF token is renewed from /me once and the call repeated', async () => {
  const urls: string[] = [];
  globalThis.fetch = async (url, init) => {
    urls.push(String(url));
    if (String(url).endsWith('/me')) return json(200, session('tok-2'));
    const token = (init!.headers as Record<string, string>)['x-capstan-csrf'];
    return token === 'tok-2' ? json(200, { ok: true }) : json(403, { __type: 'InvalidCsrfToken', message: 'stale' });
  };
  sessionStore.set(session('tok-1'));
  assert.deepEqual(await call('AmazonSSM.ListDocuments', {}), { ok: true });
  assert.deepEqual(urls, ['/capstan/console/v1/call', '/capstan/console/v1/me', '/capstan/console/v1/call']);
  assert.equal(sessionStore.get()?.csrfToken, 'tok-2');
});

test('401 signs the app out; AWS errors keep their code after the #', async () => {
  globalThis.fetch = async () => json(400, { __type: 'com.amazonaws.ssm#InvalidDocument', Message: 'The specified document does not exist.' });
  sessionStore.set(session('tok-1'));
  const e = (await ssm('GetDocument', { Name: 'nope' }).catch((x: unknown) => x)) as ApiError;
  assert.equal(e.code, 'InvalidDocument');
  assert.equal(e.message, 'The specified document does not exist.');
  assert.ok(sessionStore.get());
  globalThis.fetch = async () => json(401, { __type: 'NotSignedIn' });
  await assert.rejects(ssm('ListDocuments'), { code: 'NotSignedIn' });
  assert.equal(sessionStore.get(), null);
  assert.equal(errorCode('ThrottlingException:http://internal.amazon.com/coral/'), 'ThrottlingException');
});
