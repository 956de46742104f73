import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachUserPolicyCommand, ChangePasswordCommand, CreateAccessKeyCommand, CreateLoginProfileCommand, CreateUserCommand, DeleteAccessKeyCommand, DeleteAccountPasswordPolicyCommand,
  DeleteLoginProfileCommand, DeleteUserCommand, GetAccountPasswordPolicyCommand, GetLoginProfileCommand, IAMClient, ListAccessKeysCommand, PutUserPolicyCommand,
  UpdateAccessKeyCommand, UpdateAccountPasswordPolicyCommand, UpdateLoginProfileCommand, CreateRoleCommand, PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';

const API = '/capstan/console/v1';
const HOUR = 3_600_000;
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
type Identity = { csrfToken: string; principal: { arn: string; accountId: string; userName: string }; expiresAt: number };

/** What a browser holds: the cookie the server set and the CSRF token it answered with. */
class Browser {
  cookie = '';
  csrf = '';
  constructor(private readonly endpoint: string) {}

  async signIn(body: unknown, contentType = 'application/json') {
    const res = await fetch(`${this.endpoint}${API}/sign-in`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const setCookie = res.headers.get('set-cookie');
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status === 200) {
      this.cookie = setCookie!.split(';')[0]!;
      this.csrf = (json as unknown as Identity).csrfToken;
    }
    return { status: res.status, setCookie, json };
  }

  async me() {
    const res = await fetch(`${this.endpoint}${API}/me`, { headers: this.cookie ? { cookie: this.cookie } : {} });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async call(target: string, input: unknown = {}, opts: { csrf?: string | null; region?: string } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-target': target };
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null) headers['x-capstan-csrf'] = csrf;
    if (opts.region) headers['x-capstan-region'] = opts.region;
    const res = await fetch(`${this.endpoint}${API}/call`, { method: 'POST', headers, body: JSON.stringify(input) });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  }

  async changePassword(body: unknown, opts: { csrf?: string | null } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null) headers['x-capstan-csrf'] = csrf;
    const res = await fetch(`${this.endpoint}${API}/change-password`, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async signOut(csrf: string | null = this.csrf) {
    const headers: Record<string, string> = { cookie: this.cookie };
    if (csrf !== null) headers['x-capstan-csrf'] = csrf;
    const res = await fetch(`${this.endpoint}${API}/sign-out`, { method: 'POST', headers });
    return { status: res.status, setCookie: res.headers.get('set-cookie'), text: await res.text() };
  }
}

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

// This suite fails eight sign-ins from 127.0.0.1; an address may fail ten in five minutes.
onEveryEngine('The console', (engine) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    t = await startTestServer({ engine, clock });
  });
  after(async () => {
    await t.stop();
  });
  // SDK clients sign with the server's clock, which the expiry tests move.
  const cfg = (credentials?: Creds) => ({ ...t.clientConfig(credentials ? { credentials } : {}), systemClockOffset: clock.now() - Date.now() });
  const iam = () => new IAMClient(cfg());
  const browser = () => new Browser(t.endpoint);
  const admin = async () => {
    const b = browser();
    const r = await b.signIn(t.credentials);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return b;
  };
  let counter = 0;
  const newUser = async (...policies: string[]) => {
    const name = `console-${engine}-${++counter}`;
    await iam().send(new CreateUserCommand({ UserName: name }));
    for (const arn of policies) await iam().send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
    const key = (await iam().send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { name, creds: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } };
  };
  const events = async (eventName: string) => {
    const out = await new CloudTrailClient(cfg()).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }], MaxResults: 50 }));
    return out.Events!.map((e) => JSON.parse(e.CloudTrailEvent!) as Record<string, unknown> & { userIdentity: Record<string, string> });
  };

  describe('sign-in with an access key', () => {
    test('a wrong secret gets 401 SignInFailed and no cookie, with the same message as an unknown key', async () => {
      const wrong = await browser().signIn({ accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'not-the-secret-at-all-0000000000000000000' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.setCookie, null);
      assert.equal(wrong.json.__type, 'SignInFailed');
      const unknown = await browser().signIn({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.setCookie, null);
      assert.deepEqual(unknown.json, wrong.json);
    });

    test('malformed bodies are 400 ValidationException', async () => {
      for (const [body, type] of [
        ['{not json', 'application/json'],
        [{ accessKeyId: t.credentials.accessKeyId }, 'application/json'],
        [{ accessKeyId: 1, secretAccessKey: 2 }, 'application/json'],
        [{ accountId: t.accountId, userName: 'admin' }, 'application/json'],
        [[], 'application/json'],
        [t.credentials, 'text/plain'],
      ] as const) {
        const r = await browser().signIn(body, type);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.__type, 'ValidationException');
        assert.equal(r.setCookie, null);
      }
    });

    test('the right secret sets an HttpOnly, SameSite=Strict session cookie for the console API and says who signed in', async () => {
      const b = browser();
      const r = await b.signIn(t.credentials);
      assert.equal(r.status, 200);
      assert.match(r.setCookie!, /^capstan_console=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/capstan\/console$/);
      const body = r.json as unknown as Identity;
      assert.deepEqual(body.principal, { arn: `arn:aws:iam::${t.accountId}:user/admin`, accountId: t.accountId, userName: 'admin' });
      assert.equal(body.expiresAt, clock.now() + 12 * HOUR);
      assert.match(body.csrfToken, /^[A-Za-z0-9_-]{20,}$/);
      assert.ok(!JSON.stringify(body).includes(t.credentials.secretAccessKey));
      const me = await b.me();
      assert.equal(me.status, 200);
      assert.deepEqual(me.json, body);
      assert.deepEqual((await browser().me()).json.__type, 'NotSignedIn');
    });

    test('the store keeps only a hash of the cookie token and no secret', async () => {
      const b = await admin();
      const token = b.cookie.slice('capstan_console='.length);
      const rows = await t.server.core.database.db.withTables<{ console_sessions: Record<string, unknown> }>().selectFrom('console_sessions').selectAll().execute();
      const text = JSON.stringify(rows);
      assert.ok(rows.some((r) => r.token_hash === createHash('sha256').update(token).digest('hex')));
      for (const secret of [token, b.csrf, t.credentials.secretAccessKey]) assert.ok(!text.includes(secret));
    });
  });

  describe('calls', () => {
    test('without a session a call is 401 NotSignedIn; without or with a wrong CSRF header it is 403 InvalidCsrfToken', async () => {
      const none = await browser().call('AmazonSSM.DescribeInstanceInformation');
      assert.equal(none.status, 401);
      assert.equal(none.json.__type, 'NotSignedIn');
      const b = await admin();
      const missing = await b.call('AmazonSSM.DescribeInstanceInformation', {}, { csrf: null });
      assert.equal(missing.status, 403);
      assert.equal(missing.json.__type, 'InvalidCsrfToken');
      const wrong = await b.call('AmazonSSM.DescribeInstanceInformation', {}, { csrf: b.csrf.slice(0, -2) + 'xx' });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.json.__type, 'InvalidCsrfToken');
      const other = await admin();
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation', {}, { csrf: other.csrf })).status, 403, "another session's token is no good");
    });

    test('a call answers what the SDK gets, status and body, errors included', async () => {
      const ssm = new SSMClient(cfg());
      await ssm.send(new PutParameterCommand({ Name: '/console/greeting', Value: 'hello', Type: 'String' }));
      const b = await admin();
      const got = await b.call('AmazonSSM.GetParameter', { Name: '/console/greeting' });
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'application/x-amz-json-1.1');
      assert.equal(got.headers.get('cache-control'), 'no-store');
      assert.match(got.headers.get('x-amzn-requestid')!, /^[0-9a-f-]{36}$/);
      const sdk = (await ssm.send(new GetParameterCommand({ Name: '/console/greeting' }))).Parameter!;
      const p = got.json.Parameter as Record<string, unknown>;
      assert.deepEqual([p.Name, p.Value, p.Version, p.ARN, p.Type, (p.LastModifiedDate as number) * 1000], [sdk.Name, sdk.Value, sdk.Version, sdk.ARN, sdk.Type, sdk.LastModifiedDate!.getTime()]);
      const nodes = await b.call('AmazonSSM.DescribeInstanceInformation');
      assert.equal(nodes.status, 200);
      assert.deepEqual(nodes.json, { InstanceInformationList: [] });
      const keys = await b.call('TrentService.ListKeys');
      assert.equal(keys.status, 200);
      assert.ok(Array.isArray(keys.json.Keys));
      // The same error as a signed call of the same operation, for an AWS operation and a Capstan one.
      for (const [target, input] of [['AmazonSSM.GetParameter', { Name: '/console/missing' }], ['AmazonSSM.CapstanFollowCommand', { CommandId: '00000000-0000-0000-0000-000000000000' }], ['AmazonSSM.GetParameter', { Name: 7 }]] as const) {
        const viaConsole = await b.call(target, input);
        const direct = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, signingDate: new Date(clock.now()), headers: jsonHeaders(target), body: JSON.stringify(input) });
        assert.equal(viaConsole.status, direct.status, target);
        assert.notEqual(viaConsole.status, 200);
        assert.deepEqual(viaConsole.json, direct.json(), target);
      }
      const unknown = await b.call('AmazonSSM.NoSuchOperation');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.json.__type, 'UnknownOperationException');
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation', {}, { region: 'eu-west-1' })).status, 200);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation', {}, { region: 'nowhere' })).json.__type, 'UnrecognizedClientException');
    });

    test('a user without permissions gets AccessDeniedException, and a policy attached later applies on the next call', async () => {
      const u = await newUser();
      const b = browser();
      assert.equal((await b.signIn(u.creds)).status, 200);
      const denied = await b.call('AmazonSSM.DescribeInstanceInformation');
      assert.equal(denied.status, 400);
      assert.equal(denied.json.__type, 'AccessDeniedException');
      assert.match(denied.json.Message as string, new RegExp(`user/${u.name} is not authorized to perform: ssm:DescribeInstanceInformation`));
      await iam().send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }));
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 200);
    });

    test("deactivating the session's key refuses its calls; deleting it ends the session", async () => {
      const u = await newUser('arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess');
      const b = browser();
      assert.equal((await b.signIn(u.creds)).status, 200);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 200);
      await iam().send(new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId, Status: 'Inactive' }));
      const inactive = await b.call('AmazonSSM.DescribeInstanceInformation');
      assert.equal(inactive.json.__type, 'UnrecognizedClientException');
      await iam().send(new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId, Status: 'Active' }));
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 200);
      await iam().send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: u.creds.accessKeyId }));
      const gone = await b.call('AmazonSSM.DescribeInstanceInformation');
      assert.equal(gone.status, 401);
      assert.equal(gone.json.__type, 'NotSignedIn');
      assert.equal((await b.me()).status, 401);
    });

    test('sign-out needs the CSRF header, then deletes the session and clears the cookie', async () => {
      const b = await admin();
      const refused = await b.signOut(null);
      assert.equal(refused.status, 403);
      assert.equal((await b.me()).status, 200);
      const out = await b.signOut();
      assert.equal(out.status, 204);
      assert.match(out.setCookie!, /^capstan_console=; HttpOnly; SameSite=Strict; Path=\/capstan\/console; Max-Age=0/);
      // The old cookie, replayed, opens nothing.
      assert.equal((await b.me()).status, 401);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 401);
      assert.equal((await b.signOut()).status, 401);
    });

    test('console calls are audited as capstan-console from the browser, and sign-ins as ConsoleLogin', async () => {
      const b = await admin();
      await b.call('AmazonSSM.DescribeInstanceInformation', { MaxResults: 7 });
      const calls = (await events('DescribeInstanceInformation')).filter((e) => (e.requestParameters as { MaxResults?: number } | null)?.MaxResults === 7);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.userAgent, 'capstan-console');
      assert.equal(calls[0]!.sourceIPAddress, '127.0.0.1');
      assert.equal(calls[0]!.userIdentity.accessKeyId, t.credentials.accessKeyId);
      await browser().signIn({ accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'a-wrong-secret-for-the-audit-trail-test' });
      const logins = await events('ConsoleLogin');
      assert.ok(logins.every((e) => e.eventSource === 'signin.amazonaws.com'));
      assert.ok(logins.some((e) => e.errorCode === undefined && e.userIdentity.userName === 'admin'));
      const failed = logins.find((e) => e.errorCode === 'SignInFailed');
      assert.ok(failed, 'a failed sign-in against a known key is in its account\'s trail');
      assert.equal(failed.errorMessage, 'Failed authentication');
      assert.ok(!JSON.stringify(logins).includes('a-wrong-secret'));
    });
  });

  describe('IAM login profiles through @aws-sdk/client-iam', () => {
    test('create, get, update and delete a login profile', async () => {
      const u = await newUser();
      const created = (await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Correct-Horse-7', PasswordResetRequired: true }))).LoginProfile!;
      assert.equal(created.UserName, u.name);
      assert.equal(created.PasswordResetRequired, true);
      assert.equal(created.CreateDate!.getTime(), clock.now());
      const got = (await iam().send(new GetLoginProfileCommand({ UserName: u.name }))).LoginProfile!;
      assert.deepEqual(got, created);
      await iam().send(new UpdateLoginProfileCommand({ UserName: u.name, PasswordResetRequired: false }));
      assert.equal((await iam().send(new GetLoginProfileCommand({ UserName: u.name }))).LoginProfile!.PasswordResetRequired, false);
      await iam().send(new UpdateLoginProfileCommand({ UserName: u.name, Password: 'Battery-Staple-9' }));
      await iam().send(new DeleteLoginProfileCommand({ UserName: u.name }));
      const e = await failure(iam().send(new GetLoginProfileCommand({ UserName: u.name })));
      assert.equal(e.name, 'NoSuchEntityException');
      assert.equal(e.$metadata.httpStatusCode, 404);
    });

    test('bad inputs get IAM\'s errors, and the password never reaches the audit trail', async () => {
      const u = await newUser();
      const code = async (p: Promise<unknown>) => {
        const e = await failure(p);
        return `${e.name} ${e.$metadata.httpStatusCode}`;
      };
      assert.equal(await code(iam().send(new CreateLoginProfileCommand({ UserName: 'nobody-here', Password: 'Correct-Horse-7' }))), 'NoSuchEntityException 404');
      for (const weak of ['Sh0rt!', 'alllowercase', 'lowercase1234', 'UPPER-CASE-ONLY']) {
        assert.equal(await code(iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: weak }))), 'PasswordPolicyViolationException 400', weak);
      }
      const tooLong = await failure(iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: `Aa1-${'x'.repeat(130)}` })));
      assert.equal(tooLong.name, 'ValidationError');
      assert.ok(!tooLong.message.includes('xxxx'), 'the password is not echoed');
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Correct-Horse-7' }));
      assert.equal(await code(iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Correct-Horse-8' }))), 'EntityAlreadyExistsException 409');
      assert.equal(await code(iam().send(new UpdateLoginProfileCommand({ UserName: u.name, Password: 'short' }))), 'PasswordPolicyViolationException 400');
      assert.equal(await code(iam().send(new DeleteUserCommand({ UserName: u.name }))), 'DeleteConflictException 409');
      const other = await newUser();
      assert.equal(await code(iam().send(new UpdateLoginProfileCommand({ UserName: other.name, Password: 'Correct-Horse-7' }))), 'NoSuchEntityException 404');
      assert.equal(await code(iam().send(new DeleteLoginProfileCommand({ UserName: other.name }))), 'NoSuchEntityException 404');
      const trail = JSON.stringify(await events('CreateLoginProfile'));
      assert.ok(trail.includes('HIDDEN_DUE_TO_SECURITY_REASONS'));
      assert.ok(!trail.includes('Correct-Horse'));
    });

    test("password sign-in acts as the user with the user's own policies, through a key that is not the user's", async () => {
      const u = await newUser();
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Correct-Horse-7' }));
      const wrong = await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Correct-Horse-8' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.setCookie, null);
      const nobody = await browser().signIn({ accountId: t.accountId, userName: 'no-such-user', password: 'Correct-Horse-7' });
      const noAccount = await browser().signIn({ accountId: '999999999999', userName: u.name, password: 'Correct-Horse-7' });
      assert.deepEqual([nobody.status, noAccount.status], [401, 401]);
      assert.deepEqual(nobody.json, wrong.json);
      assert.deepEqual(noAccount.json, wrong.json);
      const keyFailure = await browser().signIn({ accessKeyId: u.creds.accessKeyId, secretAccessKey: 'wrong' });
      assert.deepEqual(keyFailure.json, wrong.json, 'one message for every failed sign-in');

      const b = browser();
      const ok = await b.signIn({ accountId: t.accountId, userName: u.name, password: 'Correct-Horse-7' });
      assert.equal(ok.status, 200);
      assert.deepEqual((ok.json as unknown as Identity).principal, { arn: `arn:aws:iam::${t.accountId}:user/${u.name}`, accountId: t.accountId, userName: u.name });
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).json.__type, 'AccessDeniedException');
      await iam().send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }));
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation', { MaxResults: 9 })).status, 200);

      // The session's key: not listed, not counted against the user's two, gone with the session.
      const listed = (await iam().send(new ListAccessKeysCommand({ UserName: u.name }))).AccessKeyMetadata!.map((k) => k.AccessKeyId);
      assert.deepEqual(listed, [u.creds.accessKeyId]);
      await iam().send(new CreateAccessKeyCommand({ UserName: u.name }));
      const call = (await events('DescribeInstanceInformation')).find((e) => (e.requestParameters as { MaxResults?: number } | null)?.MaxResults === 9)!;
      const sessionKey = call.userIdentity.accessKeyId!;
      assert.match(sessionKey, /^ASIA/);
      assert.equal(call.userIdentity.userName, u.name);
      const e = await failure(iam().send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: sessionKey })));
      assert.equal(e.name, 'NoSuchEntityException');
      const logins = (await events('ConsoleLogin')).filter((ev) => ev.userIdentity.userName === u.name || ev.userIdentity.userName === 'HIDDEN_DUE_TO_SECURITY_REASONS');
      assert.ok(logins.some((ev) => ev.errorCode === undefined && ev.userIdentity.accessKeyId === sessionKey));
      assert.ok(logins.some((ev) => ev.errorCode === 'SignInFailed' && ev.userIdentity.userName === u.name));
      assert.ok(logins.some((ev) => ev.errorCode === 'SignInFailed' && ev.userIdentity.userName === 'HIDDEN_DUE_TO_SECURITY_REASONS'), 'a name matching no user is not recorded');
      assert.ok(!JSON.stringify(logins).includes('Correct-Horse'));

      assert.equal((await b.signOut()).status, 204);
      assert.equal(await t.server.core.credentials.resolve(sessionKey), undefined);
    });

    test("deleting the login profile ends the user's password sessions", async () => {
      const u = await newUser('arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess');
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Correct-Horse-7' }));
      const b = browser();
      assert.equal((await b.signIn({ accountId: t.accountId, userName: u.name, password: 'Correct-Horse-7' })).status, 200);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 200);
      await iam().send(new DeleteLoginProfileCommand({ UserName: u.name }));
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 401);
      assert.equal((await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Correct-Horse-7' })).status, 401);
    });
  });

  describe('session expiry', () => {
    test('a session ends after an hour unused', async () => {
      const b = await admin();
      for (let i = 0; i < 3; i++) {
        clock.advance(59 * 60_000);
        assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 200, `used again after 59 minutes (${i + 1})`);
      }
      clock.advance(HOUR);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 401);
      assert.equal((await b.me()).status, 401);
    });

    test('a session ends twelve hours after sign-in however busy, and its password key with it', async () => {
      const u = await newUser('arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess');
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Correct-Horse-7' }));
      const b = browser();
      const signedIn = await b.signIn({ accountId: t.accountId, userName: u.name, password: 'Correct-Horse-7' });
      const ends = (signedIn.json as unknown as Identity).expiresAt;
      const keyOf = async () => (await t.server.core.database.db.withTables<{ console_sessions: { access_key_id: string; user_name: string } }>().selectFrom('console_sessions').select('access_key_id').where('user_name', '=', u.name).executeTakeFirst())?.access_key_id;
      const key = (await keyOf())!;
      while (clock.now() + 50 * 60_000 < ends) {
        clock.advance(50 * 60_000);
        assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 200);
      }
      clock.set(ends);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 401);
      assert.equal(await keyOf(), undefined);
      assert.equal(await t.server.core.credentials.resolve(key), undefined);
    });
  });

  // After the expiry tests: the clock has moved on, so the sign-in failures above no longer count.
  describe('the account password policy and ChangePassword', () => {
    const code = async (p: Promise<unknown>) => {
      const e = await failure(p);
      return `${e.name} ${e.$metadata.httpStatusCode}`;
    };
    const asUser = (creds: Creds) => new IAMClient(cfg(creds));

    test('Update, Get and DeleteAccountPasswordPolicy, with IAM\'s limits, and CreateLoginProfile held to the policy', async () => {
      assert.equal(await code(iam().send(new GetAccountPasswordPolicyCommand({}))), 'NoSuchEntityException 404');
      assert.equal(await code(iam().send(new DeleteAccountPasswordPolicyCommand({}))), 'NoSuchEntityException 404');
      for (const bad of [{ MinimumPasswordLength: 5 }, { MinimumPasswordLength: 129 }, { MaxPasswordAge: 0 }, { MaxPasswordAge: 1096 }, { PasswordReusePrevention: 0 }, { PasswordReusePrevention: 25 }]) {
        const e = await failure(iam().send(new UpdateAccountPasswordPolicyCommand(bad)));
        assert.equal(`${e.name} ${e.$metadata.httpStatusCode}`, 'ValidationError 400', JSON.stringify(bad));
      }
      await iam().send(new UpdateAccountPasswordPolicyCommand({}));
      assert.deepEqual((await iam().send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy, {
        MinimumPasswordLength: 6, RequireSymbols: false, RequireNumbers: false, RequireUppercaseCharacters: false, RequireLowercaseCharacters: false,
        AllowUsersToChangePassword: false, ExpirePasswords: false, HardExpiry: false,
      });
      await iam().send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 12, RequireSymbols: true, RequireNumbers: true, MaxPasswordAge: 90, PasswordReusePrevention: 3, HardExpiry: false }));
      assert.deepEqual((await iam().send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy, {
        MinimumPasswordLength: 12, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: false, RequireLowercaseCharacters: false,
        AllowUsersToChangePassword: false, ExpirePasswords: true, MaxPasswordAge: 90, PasswordReusePrevention: 3, HardExpiry: false,
      });
      const u = await newUser();
      for (const weak of ['Short-pw-1', 'no-digits-in-here!', 'nosymbols12345']) {
        assert.equal(await code(iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: weak }))), 'PasswordPolicyViolationException 400', weak);
      }
      // The policy replaces the default rules: one kind of letter is enough when the policy asks no more.
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'lowercase-only-1' }));
      assert.equal(await code(iam().send(new UpdateLoginProfileCommand({ UserName: u.name, Password: 'lowercase-only-1' }))), 'PasswordPolicyViolationException 400', 'the current password is not reused');
      await iam().send(new DeleteAccountPasswordPolicyCommand({}));
      assert.equal(await code(iam().send(new GetAccountPasswordPolicyCommand({}))), 'NoSuchEntityException 404');
      assert.equal(await code(iam().send(new UpdateLoginProfileCommand({ UserName: u.name, Password: 'lowercaseletters' }))), 'PasswordPolicyViolationException 400', 'back to the default rules');
      await iam().send(new DeleteLoginProfileCommand({ UserName: u.name }));
    });

    test("ChangePassword with the user's own credentials: allowed by the policy or iam:ChangePassword, held to the policy, and it clears PasswordResetRequired", async () => {
      const u = await newUser();
      const self = asUser(u.creds);
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Correct-Horse-7', PasswordResetRequired: true }));
      assert.equal(await code(self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-7', NewPassword: 'Correct-Horse-8' }))), 'AccessDenied 403', 'no permission yet');
      await iam().send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 10, RequireNumbers: true, AllowUsersToChangePassword: true, PasswordReusePrevention: 2 }));
      // AllowUsersToChangePassword lets users read the policy too.
      assert.equal((await self.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy!.MinimumPasswordLength, 10);
      assert.equal(await code(self.send(new ChangePasswordCommand({ OldPassword: 'Wrong-Horse-7', NewPassword: 'Correct-Horse-8' }))), 'AccessDenied 403');
      assert.equal(await code(self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-7', NewPassword: 'Short-1' }))), 'PasswordPolicyViolationException 400');
      assert.equal(await code(self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-7', NewPassword: 'Correct-Horse-7' }))), 'PasswordPolicyViolationException 400', 'reuse');
      assert.equal((await failure(self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-7', NewPassword: '' })))).name, 'ValidationError');
      await self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-7', NewPassword: 'Correct-Horse-8' }));
      assert.equal((await iam().send(new GetLoginProfileCommand({ UserName: u.name }))).LoginProfile!.PasswordResetRequired, false);
      assert.equal((await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Correct-Horse-8' })).status, 200);
      assert.equal(await code(self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-8', NewPassword: 'Correct-Horse-7' }))), 'PasswordPolicyViolationException 400', 'the last two may not return');

      // The user's own explicit deny beats the account's grant; without the grant, iam:ChangePassword on itself is enough.
      await iam().send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: 'no-change', PolicyDocument: policy({ Effect: 'Deny', Action: 'iam:ChangePassword', Resource: '*' }) }));
      assert.equal(await code(self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-8', NewPassword: 'Correct-Horse-9' }))), 'AccessDenied 403');
      await iam().send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: 'no-change', PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:ChangePassword', Resource: `arn:aws:iam::${t.accountId}:user/${u.name}` }) }));
      await iam().send(new UpdateAccountPasswordPolicyCommand({ AllowUsersToChangePassword: false }));
      await self.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-8', NewPassword: 'Correct-Horse-9' }));

      // A user without a password, and wrong old passwords one after another.
      assert.equal(await code(new IAMClient(cfg()).send(new ChangePasswordCommand({ OldPassword: 'whatever-1', NewPassword: 'whatever-2' }))), 'NoSuchEntityException 404');
      const wrong = [];
      for (let i = 0; i < 6; i++) wrong.push(await code(self.send(new ChangePasswordCommand({ OldPassword: `Not-It-${i}`, NewPassword: 'Correct-Horse-10' }))));
      assert.deepEqual(wrong, [...Array(5).fill('AccessDenied 403'), 'LimitExceededException 409']);
      const trail = JSON.stringify(await events('ChangePassword'));
      assert.ok(!trail.includes('Correct-Horse') && !trail.includes('Not-It'), 'no password in the trail');
      await iam().send(new DeleteAccountPasswordPolicyCommand({}));
    });

    test('ChangePassword from a role session is InvalidUserType: only IAM users have passwords', async () => {
      const role = `pw-role-${Math.random().toString(36).slice(2, 8)}`;
      await iam().send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${t.accountId}:root` }, Action: 'sts:AssumeRole' }) }));
      await iam().send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'change', PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:ChangePassword', Resource: '*' }) }));
      const out = await new STSClient(cfg()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${t.accountId}:role/${role}`, RoleSessionName: 'pw' }));
      const c = out.Credentials!;
      const asRole = new IAMClient(cfg({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }));
      assert.equal(await code(asRole.send(new ChangePasswordCommand({ OldPassword: 'Correct-Horse-1', NewPassword: 'Correct-Horse-2' }))), 'InvalidUserTypeException 400');
    });

    test('a password sign-in with PasswordResetRequired may only change the password, through the console endpoint, and then use the console', async () => {
      const u = await newUser('arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess');
      await iam().send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 10, AllowUsersToChangePassword: true }));
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Temporary-Pass-1', PasswordResetRequired: true }));
      const b = browser();
      const signedIn = await b.signIn({ accountId: t.accountId, userName: u.name, password: 'Temporary-Pass-1' });
      assert.equal(signedIn.status, 200);
      assert.equal(signedIn.json.passwordChangeRequired, true);
      assert.equal(signedIn.json.signInMethod, 'Password');
      assert.equal((await b.me()).json.passwordChangeRequired, true);
      const held = await b.call('AmazonSSM.DescribeInstanceInformation');
      assert.equal(held.status, 403);
      assert.equal(held.json.__type, 'PasswordChangeRequired');

      assert.equal((await b.changePassword({ oldPassword: 'Temporary-Pass-1', newPassword: 'Brand-New-Pass-2' }, { csrf: null })).json.__type, 'InvalidCsrfToken');
      assert.equal((await browser().changePassword({ oldPassword: 'Temporary-Pass-1', newPassword: 'Brand-New-Pass-2' })).status, 401);
      assert.equal((await b.changePassword({ oldPassword: 'Temporary-Pass-1' })).json.__type, 'ValidationException');
      const short = await b.changePassword({ oldPassword: 'Temporary-Pass-1', newPassword: 'Short-1' });
      assert.deepEqual([short.status, short.json.__type], [400, 'PasswordPolicyViolation']);
      assert.match(short.json.message as string, /at least 10 characters/);
      const wrongOld = await b.changePassword({ oldPassword: 'Not-The-Password', newPassword: 'Brand-New-Pass-2' });
      assert.deepEqual([wrongOld.status, wrongOld.json.__type], [403, 'AccessDenied']);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 403, 'still held');

      const changed = await b.changePassword({ oldPassword: 'Temporary-Pass-1', newPassword: 'Brand-New-Pass-2' });
      assert.equal(changed.status, 200, JSON.stringify(changed.json));
      assert.equal(changed.json.passwordChangeRequired, false);
      assert.equal(changed.json.csrfToken, b.csrf);
      assert.equal((await b.call('AmazonSSM.DescribeInstanceInformation')).status, 200);
      assert.equal((await b.me()).json.passwordChangeRequired, false);
      assert.equal((await iam().send(new GetLoginProfileCommand({ UserName: u.name }))).LoginProfile!.PasswordResetRequired, false);
      assert.equal((await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Temporary-Pass-1' })).status, 401);
      const again = await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Brand-New-Pass-2' });
      assert.equal(again.json.passwordChangeRequired, false);

      const audited = (await events('ChangePassword')).filter((e) => e.userIdentity.userName === u.name);
      assert.ok(audited.some((e) => e.userAgent === 'capstan-console' && e.errorCode === undefined && /^ASIA/.test(e.userIdentity.accessKeyId!)));
      assert.ok(!JSON.stringify(audited).includes('Pass-'), 'no password in the trail');
      // An access-key session has no password to change here.
      const keyed = browser();
      assert.equal((await keyed.signIn(u.creds)).json.signInMethod, 'AccessKey');
      assert.equal((await keyed.me()).json.signInMethod, 'AccessKey');
      await iam().send(new DeleteAccountPasswordPolicyCommand({}));
    });

    test("a password older than the policy's MaxPasswordAge must be changed at sign-in; with HardExpiry it cannot sign in", async () => {
      const u = await newUser();
      await iam().send(new CreateLoginProfileCommand({ UserName: u.name, Password: 'Aging-Password-1' }));
      await iam().send(new UpdateAccountPasswordPolicyCommand({ MaxPasswordAge: 1, AllowUsersToChangePassword: true }));
      const fresh = await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Aging-Password-1' });
      assert.equal(fresh.json.passwordChangeRequired, false);
      clock.advance(25 * HOUR);
      const b = browser();
      const expired = await b.signIn({ accountId: t.accountId, userName: u.name, password: 'Aging-Password-1' });
      assert.equal(expired.json.passwordChangeRequired, true);
      await iam().send(new UpdateAccountPasswordPolicyCommand({ MaxPasswordAge: 1, HardExpiry: true }));
      const hard = await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Aging-Password-1' });
      assert.deepEqual([hard.status, hard.json.__type], [401, 'SignInFailed']);
      await iam().send(new UpdateLoginProfileCommand({ UserName: u.name, Password: 'Renewed-Password-2' }));
      assert.equal((await browser().signIn({ accountId: t.accountId, userName: u.name, password: 'Renewed-Password-2' })).json.passwordChangeRequired, false);
      await iam().send(new DeleteAccountPasswordPolicyCommand({}));
    });
  });
});

describe('The console over TLS', () => {
  let t: TestServer;
  let dir: string;
  let ca: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capstan-console-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    ca = readFileSync(join(dir, 'cert.pem'));
    t = await startTestServer({ tls: { cert: ca, key: readFileSync(join(dir, 'key.pem')) } });
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; setCookie: string[] | undefined; json: Record<string, unknown> }>((resolve, reject) => {
      const req = httpsRequest(new URL(`${t.endpoint}${path}`), { method: 'POST', ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, setCookie: res.headers['set-cookie'], json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const signIn = (body: unknown) => post(`${API}/sign-in`, body);

  test('the session cookie is Secure, and calls work over TLS', async () => {
    const r = await signIn(t.credentials);
    assert.equal(r.status, 200);
    assert.match(r.setCookie![0]!, /; HttpOnly; SameSite=Strict; Path=\/capstan\/console; Secure$/);
    const cookie = r.setCookie![0]!.split(';')[0]!;
    const call = await post(`${API}/call`, {}, { cookie, 'x-capstan-csrf': (r.json as unknown as Identity).csrfToken, 'x-amz-target': 'AmazonSSM.DescribeInstanceInformation' });
    assert.equal(call.status, 200);
    assert.deepEqual(call.json, { InstanceInformationList: [] });
  });

  test('ten failed sign-ins from one address hold off the next for a while', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await signIn({ accessKeyId: t.credentials.accessKeyId, secretAccessKey: `wrong-${i}` })).status, 401);
    const held = await signIn(t.credentials);
    assert.equal(held.status, 429);
    assert.equal(held.json.__type, 'ThrottlingException');
  });
});

describe('The console app', () => {
  const CSP = "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
  let dist: string;
  let built: TestServer;
  let unbuilt: TestServer;
  const previous = process.env.CAPSTAN_CONSOLE_DIST;
  before(async () => {
    dist = mkdtempSync(join(tmpdir(), 'capstan-console-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Capstan</title><script type="module" src="/console/assets/index-3f2a1b.js"></script>');
    writeFileSync(join(dist, 'assets', 'index-3f2a1b.js'), 'console.log("capstan");');
    writeFileSync(join(dist, 'assets', 'index-9c8d7e.css'), 'body{margin:0}');
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(tmpdir(), 'capstan-console-outside.txt'), 'outside');
    process.env.CAPSTAN_CONSOLE_DIST = dist;
    built = await startTestServer();
    process.env.CAPSTAN_CONSOLE_DIST = join(dist, 'not-there');
    unbuilt = await startTestServer();
    if (previous === undefined) delete process.env.CAPSTAN_CONSOLE_DIST;
    else process.env.CAPSTAN_CONSOLE_DIST = previous;
  });
  after(async () => {
    await built.stop();
    await unbuilt.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${built.endpoint}${path}`, { headers, redirect: 'manual' });
  const assertSecurityHeaders = (res: Response) => {
    assert.equal(res.headers.get('content-security-policy'), CSP);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  };

  test('serves the built app with its security headers, long-cached assets and index.html for app routes', async () => {
    const index = await get('/console/');
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assertSecurityHeaders(index);
    assert.match(await index.text(), /<title>Capstan<\/title>/);

    for (const [path, type] of [['/console/assets/index-3f2a1b.js', 'text/javascript; charset=utf-8'], ['/console/assets/index-9c8d7e.css', 'text/css; charset=utf-8']]) {
      const asset = await get(path!);
      assert.equal(asset.status, 200);
      assert.equal(asset.headers.get('content-type'), type);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assertSecurityHeaders(asset);
    }
    const icon = await get('/console/favicon.svg');
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.equal(icon.headers.get('cache-control'), 'no-cache');

    for (const route of ['/console/nodes', '/console/nodes/mi-0123456789abcdef0?tab=output', '/console/index.html', '/console/assets/../index.html']) {
      const page = await get(route);
      assert.equal(page.status, 200, route);
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8', route);
      assert.equal(page.headers.get('cache-control'), 'no-cache', route);
      assertSecurityHeaders(page);
    }
    assert.equal((await get('/console/assets/index-000000.js')).status, 404, 'a missing asset is not answered with the app');
    for (const escape of ['/console/%2e%2e/capstan-console-outside.txt', '/console/..%2f..%2fcapstan-console-outside.txt', '/console/%2fetc%2fpasswd']) {
      const res = await get(escape);
      const text = await res.text();
      assert.notEqual(text, 'outside', escape);
      assert.ok(!text.includes('root:'), escape);
    }
    const bare = await get('/console');
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/console/');
  });

  test('a browser opening / is sent to the console; API clients and /health are not', async () => {
    const root = await get('/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/console/');
    assert.notEqual((await get('/')).status, 302);
    assert.notEqual((await get('/?Action=GetCallerIdentity&Version=2011-06-15', { accept: 'text/html' })).status, 302);
    assert.equal((await get('/health', { accept: 'text/html' })).status, 200);
    const sts = await rawCall({ endpoint: built.endpoint, service: 'sts', credentials: built.credentials, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
    assert.equal(sts.status, 200);
    assert.match(sts.text, /<Account>111122223333<\/Account>/);
  });

  test('without a build, /console/ answers 503 saying to run npm run build', async () => {
    for (const path of ['/console/', '/console/nodes']) {
      const res = await fetch(`${unbuilt.endpoint}${path}`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assertSecurityHeaders(res);
      assert.match(await res.text(), /npm run build/);
    }
  });
});
