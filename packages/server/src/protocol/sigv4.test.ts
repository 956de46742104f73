/**
 * The reference for "correct" is the signer the AWS SDK for JavaScript uses
 * (@smithy/signature-v4), plus the worked example from the AWS documentation and
 * real SDK clients talking to a local HTTP server; never this module's own helpers.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4, getCanonicalHeaders } from '@smithy/signature-v4';
import { buildQueryString, extendedEncodeURIComponent } from '@smithy/core/protocols';
import type { Checksum, HttpRequest as SmithyRequest, SourceData } from '@smithy/types';
import { SSMClient, DescribeInstanceInformationCommand, GetParameterCommand } from '@aws-sdk/client-ssm';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  parseAuthorization,
  verifySignature,
  signingKeyCacheSize,
  SigV4Error,
  type AuthFailureReason,
  type IncomingSignedRequest,
  type ParsedAuthorization,
} from './sigv4.js';

const ACCESS_KEY = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const T0 = new Date('2025-01-01T00:00:00Z');
const HOST = 'ssm.us-east-1.amazonaws.com';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

// ---------------------------------------------------------------------------
// Reference signing
// ---------------------------------------------------------------------------

/** The SDK signer takes a hash constructor; node's crypto stands in for @aws-crypto/sha256-js. */
class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = NodeSha256.create(secret);
  }
  private static create(secret?: SourceData): Hash | Hmac {
    if (secret === undefined) return createHash('sha256');
    if (typeof secret === 'string') return createHmac('sha256', secret);
    const bytes = ArrayBuffer.isView(secret)
      ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
      : Buffer.from(secret);
    return createHmac('sha256', bytes);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = NodeSha256.create(this.secret);
  }
}

interface SignSpec {
  method?: string;
  /** The path as the SDK puts it on the wire (labels already percent-encoded). */
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  service?: string;
  region?: string;
  accessKeyId?: string;
  secret?: string;
  sessionToken?: string;
  date?: Date;
  /** false (default here) = no x-amz-content-sha256 header, as hand-rolled signers send; the SDK clients send one. */
  applyChecksum?: boolean;
}

function signer(spec: SignSpec): SignatureV4 {
  const credentials = {
    accessKeyId: spec.accessKeyId ?? ACCESS_KEY,
    secretAccessKey: spec.secret ?? SECRET,
    ...(spec.sessionToken === undefined ? {} : { sessionToken: spec.sessionToken }),
  };
  return new SignatureV4({
    service: spec.service ?? 'ssm',
    region: spec.region ?? 'us-east-1',
    credentials,
    sha256: NodeSha256,
    applyChecksum: spec.applyChecksum ?? false,
  });
}

function smithyRequest(spec: SignSpec): SmithyRequest {
  return {
    method: spec.method ?? 'POST',
    protocol: 'https:',
    hostname: HOST,
    path: spec.path ?? '/',
    query: spec.query ?? {},
    headers: spec.headers ?? { host: HOST },
    body: spec.body,
  };
}

/** What the server would see: the SDK's wire query string and Node's lower-cased headers. */
function toIncoming(signed: SmithyRequest, body: string | undefined): IncomingSignedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return {
    method: signed.method,
    path: signed.path,
    query: buildQueryString(signed.query ?? {}),
    headers,
    body: Buffer.from(body ?? ''),
  };
}

async function sign(spec: SignSpec = {}): Promise<IncomingSignedRequest> {
  const signed = await signer(spec).sign(smithyRequest(spec), { signingDate: spec.date ?? T0 });
  return toIncoming(signed, spec.body);
}

async function presign(spec: SignSpec & { expiresIn?: number } = {}): Promise<IncomingSignedRequest> {
  const request = smithyRequest({ method: 'GET', ...spec });
  const signed = await signer(spec).presign(request, { signingDate: spec.date ?? T0, expiresIn: spec.expiresIn ?? 300 });
  return toIncoming(signed, spec.body);
}

const jsonCall = (overrides: SignSpec = {}): SignSpec => ({
  method: 'POST',
  headers: {
    host: HOST,
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'AmazonSSM.GetParameter',
    'user-agent': 'aws-sdk-js/3 test',
  },
  body: JSON.stringify({ Name: '/app/db password', WithDecryption: true }),
  ...overrides,
});

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

/**
 * Verifies, then proves the check has teeth: the same request with one
 * signature digit changed must be refused.
 */
function assertVerifies(
  req: IncomingSignedRequest,
  opts: { now?: Date; services?: readonly string[]; secret?: string } = {},
): ParsedAuthorization {
  const parsed = parseAuthorization(req, opts.now ?? T0, opts.services ?? ['ssm']);
  verifySignature(req, parsed, opts.secret ?? SECRET);
  const last = parsed.signature.at(-1) === '0' ? '1' : '0';
  const forged = { ...parsed, signature: parsed.signature.slice(0, -1) + last };
  assertRejects(() => verifySignature(req, forged, opts.secret ?? SECRET), 'signature-mismatch', MISMATCH);
  return parsed;
}

function assertRejects(fn: () => unknown, reason: AuthFailureReason, message?: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SigV4Error, `expected SigV4Error, got ${String(e)}`);
    assert.equal(e.reason, reason, `reason (message: ${e.message})`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

/** Both phases, as the pipeline runs them. */
function authenticate(req: IncomingSignedRequest, now = T0, secret = SECRET, services: readonly string[] = ['ssm']): void {
  verifySignature(req, parseAuthorization(req, now, services), secret);
}

const minutes = (n: number): number => n * 60_000;
const at = (base: Date, ms: number): Date => new Date(base.getTime() + ms);

function withHeaders(req: IncomingSignedRequest, changes: Record<string, string | string[] | undefined>): IncomingSignedRequest {
  const headers = { ...req.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { ...req, headers };
}

function authorizationOf(req: IncomingSignedRequest): string {
  const value = req.headers.authorization;
  assert.equal(typeof value, 'string');
  return value as string;
}

// ---------------------------------------------------------------------------
// Requests that must verify
// ---------------------------------------------------------------------------

describe('verifies what the SDK signer produces', () => {
  test('the worked example from the AWS documentation (IAM ListUsers)', () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (2015 example)
    const req: IncomingSignedRequest = {
      method: 'GET',
      path: '/',
      query: 'Action=ListUsers&Version=2010-05-08',
      headers: {
        host: 'iam.amazonaws.com',
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
          'SignedHeaders=content-type;host;x-amz-date, ' +
          'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
      },
      body: Buffer.alloc(0),
    };
    const parsed = assertVerifies(req, { now: new Date('2015-08-30T12:36:00Z'), services: ['iam'] });
    assert.equal(parsed.region, 'us-east-1');
  });

  test('JSON 1.1 POST with a body', async () => {
    const parsed = assertVerifies(await sign(jsonCall()));
    assert.deepEqual(
      { ...parsed, requestTime: parsed.requestTime.toISOString(), signature: parsed.signature.length },
      {
        accessKeyId: ACCESS_KEY,
        date: '20250101',
        region: 'us-east-1',
        service: 'ssm',
        signedHeaders: ['content-type', 'host', 'x-amz-date', 'x-amz-target'],
        signature: 64,
        amzDate: '20250101T000000Z',
        requestTime: T0.toISOString(),
        presigned: false,
      },
    );
  });

  test('POST that declares its body hash in x-amz-content-sha256', async () => {
    const req = await sign(jsonCall({ applyChecksum: true }));
    assert.match(String(req.headers['x-amz-content-sha256']), /^[0-9a-f]{64}$/);
    assert.ok(assertVerifies(req).signedHeaders.includes('x-amz-content-sha256'));
  });

  test('GET whose query has repeated keys, special characters and empty values', async () => {
    const req = await sign({
      method: 'GET',
      query: {
        b: ['2', '10', '1'],
        a: '',
        'a-b': 'x',
        'key with space': "v/al+ue=&?#!'()*",
        'ünïcødé': '☃ snow',
        Tilde: '~x',
        'X-Amz-Meta': 'not auth',
      },
    });
    // Repeated values arrive unsorted, and `a=` must sort before `a-b=x` (by name first, not by whole pair).
    assert.ok(req.query.includes('b=2&b=10&b=1'), req.query);
    assert.ok(req.query.includes('a=&a-b=x'), req.query);
    assertVerifies(req);
    const reordered = req.query.split('&').reverse().join('&');
    assert.notEqual(reordered, req.query);
    assertVerifies({ ...req, query: reordered });
  });

  test('query that uses %7E and lower-case escapes on the wire still verifies', async () => {
    const req = await sign({ method: 'GET', query: { v: '~a:b' } });
    assert.equal(req.query, 'v=~a%3Ab');
    assertVerifies({ ...req, query: 'v=%7ea%3ab' });
  });

  test("a raw '+' in the query is a space, as hand-rolled form-encoding signers mean it", async () => {
    const req = await sign({ method: 'GET', query: { Filter: 'a b c' } });
    assert.equal(req.query, 'Filter=a%20b%20c');
    assertVerifies({ ...req, query: 'Filter=a+b%20c' });
    assertRejects(() => authenticate({ ...req, query: 'Filter=a%2Bb%20c' }), 'signature-mismatch');
  });

  test("a '%' that starts no valid escape is taken literally instead of throwing", async () => {
    const req = await sign({ method: 'GET', query: { p: '100%', q: '%zz%E9' } });
    assert.equal(req.query, 'p=100%25&q=%25zz%25E9');
    assertVerifies({ ...req, query: 'p=100%&q=%zz%25E9' });
  });

  test('REST path whose labels are percent-encoded ARNs', async () => {
    const arn = 'arn:aws:ssm:us-east-1:123456789012:document/My Doc (v2)*';
    const path = `/tags/${extendedEncodeURIComponent(arn)}`;
    assert.ok(path.includes('arn%3Aaws%3Assm') && path.includes('%20') && path.includes('%2F'));
    assertVerifies(await sign({ method: 'GET', path }));
  });

  test("REST path with unicode, '+', '%', '=' and an unencoded '$' in segments", async () => {
    const path = `/things/${extendedEncodeURIComponent('ä+b%c=d')}/$literal/x~y`;
    assertVerifies(await sign({ method: 'PUT', path, body: '{}' }));
  });

  test('empty, "." and ".." path segments are normalised the way the SDK normalises them', async () => {
    assertVerifies(await sign({ method: 'GET', path: '/a//b/./c/../d/' }));
    assertVerifies(await sign({ method: 'GET', path: '/../x' }));
    assertVerifies(await sign({ method: 'GET', path: '//./' }));
  });

  test('header value with leading, trailing and inner whitespace runs', async () => {
    const req = await sign(jsonCall({ headers: { host: HOST, 'x-amz-meta-note': '  a   b \t\t c  ', 'x-amz-target': 'T' } }));
    assert.ok(assertVerifies(req).signedHeaders.includes('x-amz-meta-note'));
  });

  test("repeated headers given as arrays are joined with ','", async () => {
    const req = await sign({ headers: { host: HOST, 'x-amz-meta-tags': 'one,two' } });
    assertVerifies(withHeaders(req, { 'x-amz-meta-tags': ['one', '  two  '] }));
    assertRejects(() => authenticate(withHeaders(req, { 'x-amz-meta-tags': ['two', 'one'] })), 'signature-mismatch');
  });

  test('headers as single-element arrays (req.headersDistinct) verify', async () => {
    const req = await sign(jsonCall({ sessionToken: 'tok', headers: { host: HOST, 'x-amz-meta-note': 'a   b' } }));
    const distinct: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) distinct[name] = [String(value)];
    assert.equal(assertVerifies({ ...req, headers: distinct }).securityToken, 'tok');
  });

  test('security token in x-amz-security-token is signed and exposed', async () => {
    const token = 'FwoGZXIvYXdzEJr//////////wEaDH+token/with=specials';
    const req = await sign(jsonCall({ sessionToken: token }));
    const parsed = assertVerifies(req);
    assert.equal(parsed.securityToken, token);
    assert.ok(parsed.signedHeaders.includes('x-amz-security-token'));
  });

  test('security token sent as X-Amz-Security-Token query parameter with header auth', async () => {
    const req = await sign(jsonCall({ query: { 'X-Amz-Security-Token': 'query/token' } }));
    assert.equal(req.headers['x-amz-security-token'], undefined);
    assert.equal(assertVerifies(req).securityToken, 'query/token');
  });

  test('SignedHeaders names are matched case-insensitively', async () => {
    const req = await sign(jsonCall());
    const upper = withHeaders(req, {
      authorization: authorizationOf(req).replace('SignedHeaders=content-type;host', 'SignedHeaders=Content-Type;Host'),
    });
    assert.notEqual(upper.headers.authorization, req.headers.authorization);
    assert.deepEqual(assertVerifies(upper).signedHeaders, ['content-type', 'host', 'x-amz-date', 'x-amz-target']);
  });

  test('no security token leaves securityToken undefined', async () => {
    assert.equal(assertVerifies(await sign(jsonCall())).securityToken, undefined);
  });

  test('UNSIGNED-PAYLOAD: the body is not part of the signature', async () => {
    const req = await sign(jsonCall({ headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }));
    assertVerifies(req);
    assertVerifies({ ...req, body: Buffer.from('something else entirely') });
  });

  test('presigned URL, including a session token carried in the query', async () => {
    const req = await presign({ sessionToken: 'session/tok+en=', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } });
    assert.equal(req.headers.authorization, undefined);
    assert.match(req.query, /X-Amz-Signature=[0-9a-f]{64}/);
    const parsed = assertVerifies(req, { now: at(T0, 299_000) });
    assert.equal(parsed.presigned, true);
    assert.equal(parsed.securityToken, 'session/tok+en=');
    assert.deepEqual(parsed.signedHeaders, ['host']);
  });

  test('presigned URL is usable up to its X-Amz-Expires and long after the 15-minute skew window', async () => {
    const req = await presign({ expiresIn: 3600 });
    assertVerifies(req, { now: at(T0, 3_600_000) });
    assertVerifies(req, { now: at(T0, minutes(45)) });
  });

  test('the Date header stands in for X-Amz-Date', async () => {
    // The SDK always adds X-Amz-Date, so sign through its canonicalisation with a Date header instead.
    class DateHeaderSigner extends SignatureV4 {
      async signWithDateHeader(request: SmithyRequest, date: Date): Promise<string> {
        const { longDate, shortDate } = this.formatDate(date);
        const payloadHash = createHash('sha256').update(String(request.body ?? '')).digest('hex');
        const canonical = this.createCanonicalRequest(request, getCanonicalHeaders(request), payloadHash);
        const stringToSign = await this.createStringToSign(
          longDate,
          `${shortDate}/us-east-1/ssm/aws4_request`,
          canonical,
          'AWS4-HMAC-SHA256',
        );
        return this.sign(stringToSign, { signingDate: date });
      }
    }
    const date = new Date('2025-01-01T00:00:07Z');
    const request = smithyRequest({ headers: { host: HOST, date: date.toUTCString() }, body: '{}' });
    const s = new DateHeaderSigner({ service: 'ssm', region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, sha256: NodeSha256 });
    const signature = await s.signWithDateHeader(request, date);
    const req = toIncoming(
      {
        ...request,
        headers: {
          ...request.headers,
          authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20250101/us-east-1/ssm/aws4_request, SignedHeaders=date;host, Signature=${signature}`,
        },
      },
      '{}',
    );
    assert.equal(req.headers.date, 'Wed, 01 Jan 2025 00:00:07 GMT');
    const parsed = assertVerifies(req);
    assert.equal(parsed.amzDate, '20250101T000007Z');
    assert.equal(parsed.requestTime.getTime(), date.getTime());
  });

  test('a credential scope far longer than any real one (a 1,500-character region) verifies', async () => {
    const region = 'r'.repeat(1500);
    assert.equal(assertVerifies(await sign(jsonCall({ region }))).region, region);
  });

  test('a scope with non-ASCII characters is signed over its UTF-8 bytes, as the SDK signs it', async () => {
    assert.equal(assertVerifies(await sign(jsonCall({ region: 'eu-zürich-1' }))).region, 'eu-zürich-1');
  });

  test('requests signed in the same second and in the next each carry their own time', async () => {
    const later = at(T0, 1000);
    for (const date of [T0, T0, later, T0]) {
      assert.equal(assertVerifies(await sign(jsonCall({ date })), { now: later }).requestTime.getTime(), date.getTime());
    }
  });

  test('an endpoint accepting several signing names accepts each of them', async () => {
    const req = await sign(jsonCall({ service: 'ec2messages' }));
    assert.equal(assertVerifies(req, { services: ['ssm', 'ec2messages'] }).service, 'ec2messages');
  });
});

// ---------------------------------------------------------------------------
// Real SDK clients over real HTTP
// ---------------------------------------------------------------------------

describe('real SDK clients over HTTP', () => {
  let server: http.Server;
  let endpoint: string;
  /** One entry per request and header form: 'ok' or the failure reason. */
  const outcomes: string[] = [];

  const verifyBothHeaderForms = (req: http.IncomingMessage, body: Buffer, service: string): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const base = { method: req.method ?? 'GET', path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), body };
    for (const headers of [req.headers, req.headersDistinct]) {
      try {
        authenticate({ ...base, headers }, new Date(), SECRET, [service]);
        outcomes.push('ok');
      } catch (e) {
        outcomes.push(e instanceof SigV4Error ? `${e.reason}: ${e.message}` : String(e));
      }
    }
  };

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const service = String(req.headers.authorization ?? '').match(/Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//)?.[1] ?? 'ssm';
        verifyBothHeaderForms(req, body, service);
        if (service === 'sts') {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end(
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
              '<Arn>arn:aws:iam::123456789012:user/t</Arn><UserId>AIDA</UserId><Account>123456789012</Account>' +
              '</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
          );
        } else {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const clientConfig = (sessionToken?: string) => ({
    endpoint,
    region: 'eu-central-1',
    maxAttempts: 1,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, ...(sessionToken ? { sessionToken } : {}) },
  });

  test('SSM (JSON 1.1) requests from @aws-sdk/client-ssm verify', async () => {
    outcomes.length = 0;
    const ssm = new SSMClient(clientConfig('tok/en+=='));
    await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
    await ssm.send(new GetParameterCommand({ Name: '/app/ünïcødé name', WithDecryption: true }));
    ssm.destroy();
    assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'ok']);
  });

  test('STS (Query protocol, form body) requests from @aws-sdk/client-sts verify', async () => {
    outcomes.length = 0;
    const sts = new STSClient(clientConfig());
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    assert.equal(identity.Account, '123456789012');
    assert.deepEqual(outcomes, ['ok', 'ok']);
  });

  test('REST path with encoded ARN, sent by node:http exactly as the SDK would', async () => {
    outcomes.length = 0;
    const { port } = new URL(endpoint);
    const host = `127.0.0.1:${port}`;
    const path = `/tags/${extendedEncodeURIComponent('arn:aws:ssm:eu-central-1:123456789012:document/My Doc (v2)')}`;
    const query = { tagKeys: ['b c', 'a'], 'empty': '' };
    const body = '{"Tags":[{"Key":"k","Value":"v  w"}]}';
    const signed = await signer({ region: 'eu-central-1' }).sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: Number(port), path, query, headers: { host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body },
      { signingDate: new Date() },
    );
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: `${path}?${buildQueryString(query)}`, headers: signed.headers },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.deepEqual(outcomes, ['ok', 'ok']);
  });
});

// ---------------------------------------------------------------------------
// Requests that must be refused
// ---------------------------------------------------------------------------

describe('signature mismatches', () => {
  test('wrong secret', async () => {
    const req = await sign(jsonCall());
    assertRejects(() => authenticate(req, T0, SECRET + 'x'), 'signature-mismatch', MISMATCH);
  });

  test('tampered body', async () => {
    const req = await sign(jsonCall());
    assertRejects(() => authenticate({ ...req, body: Buffer.from('{"Name":"/other"}') }), 'signature-mismatch', MISMATCH);
  });

  test('tampered body under a declared x-amz-content-sha256', async () => {
    const req = await sign(jsonCall({ applyChecksum: true }));
    authenticate(req);
    assertRejects(
      () => authenticate({ ...req, body: Buffer.from('{"Name":"/other"}') }),
      'signature-mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  });

  test('a signed header changed', async () => {
    const req = await sign(jsonCall());
    authenticate(req);
    assertRejects(() => authenticate(withHeaders(req, { 'x-amz-target': 'AmazonSSM.DeleteParameter' })), 'signature-mismatch');
  });

  test('an unsigned header changed or added still verifies', async () => {
    const req = await sign(jsonCall());
    assert.ok(!assertVerifies(req).signedHeaders.includes('user-agent'));
    assertVerifies(withHeaders(req, { 'user-agent': 'curl/8', 'x-forwarded-for': '10.0.0.1' }));
  });

  test('method, path or query changed', async () => {
    const req = await sign({ method: 'GET', path: '/tags/a', query: { k: 'v' } });
    authenticate(req);
    assertRejects(() => authenticate({ ...req, method: 'DELETE' }), 'signature-mismatch');
    assertRejects(() => authenticate({ ...req, path: '/tags/b' }), 'signature-mismatch');
    assertRejects(() => authenticate({ ...req, query: 'k=w' }), 'signature-mismatch');
    assertRejects(() => authenticate({ ...req, query: 'k=v&extra=1' }), 'signature-mismatch');
  });

  test('a signature that is not 64 lower-case hex digits', async () => {
    const req = await sign(jsonCall());
    const parsed = parseAuthorization(req, T0, ['ssm']);
    for (const signature of ['', 'zz', parsed.signature.toUpperCase(), parsed.signature + '00', parsed.signature.slice(2)]) {
      assertRejects(() => verifySignature(req, { ...parsed, signature }, SECRET), 'signature-mismatch', MISMATCH);
    }
  });

  test('a presigned URL whose query was changed', async () => {
    const req = await presign({ query: { Action: 'GetCallerIdentity' } });
    authenticate(req);
    assertRejects(() => authenticate({ ...req, query: req.query.replace('GetCallerIdentity', 'AssumeRole') }), 'signature-mismatch');
  });
});

describe('clock', () => {
  test('exactly 15 minutes either way is still accepted', async () => {
    const req = await sign(jsonCall());
    assertVerifies(req, { now: at(T0, minutes(15)) });
    assertVerifies(req, { now: at(T0, -minutes(15)) });
  });

  test('a request signed 16 minutes ago has expired', async () => {
    const req = await sign(jsonCall());
    assertRejects(
      () => parseAuthorization(req, at(T0, minutes(16)), ['ssm']),
      'expired',
      'Signature expired: 20250101T000000Z is now earlier than 20250101T000100Z (20250101T001600Z - 15 min.)',
    );
  });

  test('a request signed 16 minutes in the future is not yet current', async () => {
    const req = await sign(jsonCall());
    assertRejects(
      () => parseAuthorization(req, at(T0, -minutes(16)), ['ssm']),
      'expired',
      'Signature not yet current: 20250101T000000Z is still later than 20241231T235900Z (20241231T234400Z + 15 min.)',
    );
  });

  test('a presigned URL past its X-Amz-Expires', async () => {
    const req = await presign({ expiresIn: 300 });
    assertVerifies(req, { now: at(T0, 300_000) });
    assertRejects(
      () => parseAuthorization(req, at(T0, 301_000), ['ssm']),
      'expired',
      'Signature expired: 20250101T000000Z is now earlier than 20250101T000001Z (20250101T000501Z - 300 sec.)',
    );
  });

  test('a presigned URL dated in the future', async () => {
    const req = await presign({ expiresIn: 3600 });
    assertRejects(() => parseAuthorization(req, at(T0, -minutes(16)), ['ssm']), 'expired', /^Signature not yet current/);
  });
});

describe('scope', () => {
  let base: IncomingSignedRequest;
  before(async () => {
    base = await sign(jsonCall());
  });
  const rescoped = (credential: string): IncomingSignedRequest =>
    withHeaders(base, { authorization: authorizationOf(base).replace(/Credential=[^,]+/, `Credential=${credential}`) });

  test('a credential scoped to another service', async () => {
    const req = await sign(jsonCall({ service: 'ec2' }));
    assertRejects(() => parseAuthorization(req, T0, ['ssm']), 'wrong-service', "Credential should be scoped to correct service: 'ssm'.");
    assertVerifies(req, { services: ['ec2'] });
  });

  test('scope date differs from the X-Amz-Date date', () => {
    const nextDay = withHeaders(base, { 'x-amz-date': '20250102T000000Z' });
    assertRejects(
      () => parseAuthorization(nextDay, at(T0, 24 * minutes(60)), ['ssm']),
      'bad-scope',
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250101' != '20250102', from '20250102T000000Z'.",
    );
  });

  test('a scope without the aws4_request terminator', () => {
    assertRejects(
      () => parseAuthorization(rescoped(`${ACCESS_KEY}/20250101/us-east-1/ssm/aws4_reply`), T0, ['ssm']),
      'bad-scope',
      "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reply'.",
    );
  });

  test('a scope with the wrong number of elements', () => {
    for (const credential of [`${ACCESS_KEY}/20250101/us-east-1/ssm`, `${ACCESS_KEY}/20250101/us-east-1/ssm/x/aws4_request`, ACCESS_KEY]) {
      assertRejects(
        () => parseAuthorization(rescoped(credential), T0, ['ssm']),
        'bad-scope',
        `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
      );
    }
  });

  test('a scope with a malformed date, empty region or empty service', () => {
    const cases: Array<[string, RegExp]> = [
      [`${ACCESS_KEY}/2025-1-1/us-east-1/ssm/aws4_request`, /yyyyMMdd/],
      [`${ACCESS_KEY}/20250101//ssm/aws4_request`, /valid region/],
      [`${ACCESS_KEY}/20250101/us-east-1//aws4_request`, /valid service/],
    ];
    for (const [credential, message] of cases) {
      assertRejects(() => parseAuthorization(rescoped(credential), T0, ['ssm']), 'bad-scope', message);
    }
  });

  test('an empty access key id', () => {
    assertRejects(() => parseAuthorization(rescoped('/20250101/us-east-1/ssm/aws4_request'), T0, ['ssm']), 'incomplete', /access key id/);
  });

  test('what one request taught is checked again on the next with the same credential and header list', () => {
    // The first parse remembers the scope and the SignedHeaders list; each check still applies per request.
    assertVerifies(base);
    assertRejects(() => parseAuthorization(withHeaders(base, { 'content-type': undefined }), T0, ['ssm']), 'incomplete', "Header 'content-type' is listed in SignedHeaders but is not present in the request.");
    assertRejects(() => parseAuthorization(base, T0, ['ec2']), 'wrong-service', "Credential should be scoped to correct service: 'ec2'.");
    assertRejects(() => parseAuthorization(withHeaders(base, { 'x-amz-date': '20250102T000000Z' }), at(T0, 24 * minutes(60)), ['ssm']), 'bad-scope', /does not match/);
    const parsed = parseAuthorization(base, T0, ['ssm']);
    assertRejects(() => verifySignature(base, { ...parsed, signature: parsed.signature.toUpperCase() }, SECRET), 'signature-mismatch', MISMATCH);
    assertRejects(() => verifySignature(base, { ...parsed, signature: parsed.signature.slice(1) }, SECRET), 'signature-mismatch', MISMATCH);
    // The body's digest is remembered too: a body of the same length with one byte changed is not the same body.
    const body = Buffer.from(base.body);
    body[body.length - 2] ^= 1;
    assertRejects(() => authenticate({ ...base, body }), 'signature-mismatch');
    assertVerifies(base);
  });

  test('the untouched request still parses, so the cases above fail for their own reason', () => {
    assert.equal(parseAuthorization(rescoped(`${ACCESS_KEY}/20250101/us-east-1/ssm/aws4_request`), T0, ['ssm']).service, 'ssm');
  });
});

describe('missing and incomplete authorization', () => {
  let req: IncomingSignedRequest;
  let auth: string;
  before(async () => {
    req = await sign(jsonCall());
    auth = authorizationOf(req);
  });
  const withAuth = (authorization: string | string[] | undefined) => withHeaders(req, { authorization });
  const part = (name: string): string => auth.match(new RegExp(`${name}=[^,]*`))![0];

  test('no Authorization header and no X-Amz-Signature parameter', () => {
    assertRejects(() => parseAuthorization(withAuth(undefined), T0, ['ssm']), 'missing', 'Missing Authentication Token');
    const queryWithoutSignature = { ...withAuth(undefined), query: 'X-Amz-Date=20250101T000000Z&X-Amz-Algorithm=AWS4-HMAC-SHA256' };
    assertRejects(() => parseAuthorization(queryWithoutSignature, T0, ['ssm']), 'missing', 'Missing Authentication Token');
  });

  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    test(`Authorization without ${name}`, () => {
      const others = ['Credential', 'SignedHeaders', 'Signature'].filter((n) => n !== name).map(part);
      const without = `AWS4-HMAC-SHA256 ${others.join(', ')}`;
      assert.ok(!without.includes(`${name}=`) && without.startsWith('AWS4-HMAC-SHA256 '), without);
      assertRejects(() => parseAuthorization(withAuth(without), T0, ['ssm']), 'incomplete', `Authorization header requires '${name}' parameter.`);
    });
  }

  test('Authorization with an empty Signature value', () => {
    assertRejects(
      () => parseAuthorization(withAuth(auth.replace(/Signature=[0-9a-f]+/, 'Signature=')), T0, ['ssm']),
      'incomplete',
      "Authorization header requires 'Signature' parameter.",
    );
  });

  test('Authorization with only the algorithm lists every missing part', () => {
    assertRejects(
      () => parseAuthorization(withAuth('AWS4-HMAC-SHA256'), T0, ['ssm']),
      'incomplete',
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter.",
    );
  });

  test('Authorization without spaces after the commas still parses', () => {
    assertVerifies(withAuth(auth.replace(/, /g, ',')));
  });

  test('unsupported algorithm', () => {
    assertRejects(() => parseAuthorization(withAuth(auth.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512')), T0, ['ssm']), 'incomplete', /AWS4-HMAC-SHA512/);
    assertRejects(() => parseAuthorization(withAuth('Bearer abc'), T0, ['ssm']), 'incomplete', /'Bearer'/);
  });

  test('a parameter without an equal sign', () => {
    assertRejects(() => parseAuthorization(withAuth(`${auth}, Junk`), T0, ['ssm']), 'incomplete', /'Junk' not a valid key=value pair/);
  });

  test('a parameter given twice', () => {
    assertRejects(() => parseAuthorization(withAuth(`${auth}, ${part('Signature')}`), T0, ['ssm']), 'incomplete', /'Signature' parameter more than once/);
  });

  test('two Authorization headers', () => {
    assertRejects(() => parseAuthorization(withAuth([auth, auth]), T0, ['ssm']), 'incomplete', /Only one 'authorization' header/);
  });

  test('neither X-Amz-Date nor Date', () => {
    assertRejects(
      () => parseAuthorization(withHeaders(req, { 'x-amz-date': undefined }), T0, ['ssm']),
      'incomplete',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  });

  test('X-Amz-Date not in ISO 8601 basic format, or not a real date', () => {
    for (const bad of ['2025-01-01T00:00:00Z', '20250101T000000', '20250230T000000Z', '20250101T240000Z', '']) {
      assertRejects(
        () => parseAuthorization(withHeaders(req, { 'x-amz-date': bad }), T0, ['ssm']),
        'incomplete',
        `Date must be in ISO-8601 'basic format'. Got '${bad}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      );
    }
  });

  test('a Date header not in RFC 1123 form', () => {
    const noAmzDate = withHeaders(req, { 'x-amz-date': undefined, date: '2025-01-01T00:00:00Z' });
    assertRejects(() => parseAuthorization(noAmzDate, T0, ['ssm']), 'incomplete', /RFC 1123/);
  });

  test('host not signed', async () => {
    const unsignedHost = await sign(jsonCall({ headers: { 'x-amz-target': 'AmazonSSM.GetParameter' } }));
    const arrived = withHeaders(unsignedHost, { host: HOST });
    assertRejects(
      () => parseAuthorization(arrived, T0, ['ssm']),
      'incomplete',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  });

  test('a signed header absent from the request', () => {
    assertRejects(
      () => parseAuthorization(withHeaders(req, { 'x-amz-target': undefined }), T0, ['ssm']),
      'incomplete',
      "Header 'x-amz-target' is listed in SignedHeaders but is not present in the request.",
    );
  });

  test('a signed header naming an Object.prototype member is absent, not found', () => {
    const forged = withAuth(auth.replace('SignedHeaders=', 'SignedHeaders=constructor;'));
    assertRejects(() => parseAuthorization(forged, T0, ['ssm']), 'incomplete', /'constructor'/);
  });

  test('an x-amz-content-sha256 that is neither a digest nor UNSIGNED-PAYLOAD', async () => {
    const streaming = await sign(jsonCall({ headers: { host: HOST, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } }));
    assertRejects(() => parseAuthorization(streaming, T0, ['ssm']), 'incomplete', /x-amz-content-sha256/);
  });
});

describe('incomplete presigned URLs', () => {
  let req: IncomingSignedRequest;
  before(async () => {
    req = await presign({ expiresIn: 300 });
  });
  const dropParam = (name: string): IncomingSignedRequest => ({
    ...req,
    query: req.query
      .split('&')
      .filter((p) => !p.startsWith(`${name}=`))
      .join('&'),
  });

  for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Date']) {
    test(`without ${name}`, () => {
      assert.notEqual(dropParam(name).query, req.query);
      assertRejects(
        () => parseAuthorization(dropParam(name), T0, ['ssm']),
        'incomplete',
        `AWS query-string parameters must include '${name}'. Re-examine the query-string parameters.`,
      );
    });
  }

  test('X-Amz-Expires beyond a week', () => {
    const longLived = { ...req, query: req.query.replace('X-Amz-Expires=300', 'X-Amz-Expires=604801') };
    assert.notEqual(longLived.query, req.query);
    assertRejects(() => parseAuthorization(longLived, T0, ['ssm']), 'incomplete', /less than a week/);
  });

  test('X-Amz-Expires not a number', () => {
    const bad = { ...req, query: req.query.replace('X-Amz-Expires=300', 'X-Amz-Expires=-5') };
    assertRejects(() => parseAuthorization(bad, T0, ['ssm']), 'incomplete', /X-Amz-Expires/);
  });

  test('an auth parameter given twice', () => {
    assertRejects(() => parseAuthorization({ ...req, query: `${req.query}&X-Amz-Date=20250101T000000Z` }, T0, ['ssm']), 'incomplete', /more than once/);
  });

  test('another algorithm', () => {
    const other = { ...req, query: req.query.replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256') };
    assertRejects(() => parseAuthorization(other, T0, ['ssm']), 'incomplete', /X-Amz-Algorithm/);
  });
});

// ---------------------------------------------------------------------------
// Signing-key cache
// ---------------------------------------------------------------------------

describe('signing-key cache', () => {
  test('does not mix secrets, regions or services that share the other scope parts', async () => {
    const secretB = 'another/secret+key';
    const a = await sign(jsonCall());
    const b = await sign(jsonCall({ secret: secretB }));
    const otherRegion = await sign(jsonCall({ region: 'eu-west-1' }));
    const otherService = await sign(jsonCall({ service: 'ec2messages' }));

    authenticate(a); // warms the cache for (SECRET, us-east-1, ssm)
    authenticate(b, T0, secretB);
    assertRejects(() => authenticate(b), 'signature-mismatch');
    assertRejects(() => authenticate(a, T0, secretB), 'signature-mismatch');
    authenticate(otherRegion);
    assertRejects(() => authenticate(otherRegion, T0, secretB), 'signature-mismatch');
    authenticate(otherService, T0, SECRET, ['ec2messages']);
    authenticate(a);
  });

  test('stays bounded and still verifies after evictions', async () => {
    const req = await sign(jsonCall());
    const parsed = parseAuthorization(req, T0, ['ssm']);
    for (let i = 0; i < 5000; i++) {
      assertRejects(() => verifySignature(req, parsed, `wrong-secret-${i}`), 'signature-mismatch');
    }
    const size = signingKeyCacheSize();
    assert.ok(size > 1000 && size <= 4096, `cache size ${size}`);
    verifySignature(req, parsed, SECRET);
  });
});
