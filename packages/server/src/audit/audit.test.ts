import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import { CreateUserCommand, CreateAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetServiceSettingCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { probeOperation } from '../test-support/probe-operation.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { sql } from 'kysely';

/** A write whose `Value` member is a secret, as PutParameter's is. */
const secretWrite = defineOperation({
  service: SSM,
  name: 'PutParameter',
  input: z.object({ Name: z.string().min(1), Value: z.string().min(1).max(16), Type: z.string().optional() }),
  sensitive: ['Value'],
  resources: (i, c) => [`arn:aws:ssm:${c.region}:${c.accountId}:parameter/${i.Name.replace(/^\//, '')}`],
  handler: async () => ({ Version: 1, Tier: 'Standard' }),
});

const SECRET = 'pa55-W0rd-xyzzy';

onEveryEngine('audit trail through @aws-sdk/client-cloudtrail', (engine) => {
  let t: TestServer;
  let trail: CloudTrailClient;
  before(async () => {
    t = await startTestServer({ operations: [probeOperation, secretWrite], engine });
    trail = new CloudTrailClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });

  const lookup = (input: LookupEventsCommandInput = {}) => trail.send(new LookupEventsCommand(input));

    test('an allowed call is recorded with who, what, when, from where, and on which resource', async () => {
      const started = Date.now();
      await new SSMClient(t.clientConfig({ region: 'us-east-1' })).send(new GetServiceSettingCommand({ SettingId: '/ssm/audited' }));
      const out = await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: `arn:aws:ssm:us-east-1:${t.accountId}:servicesetting/ssm/audited` }] });
      assert.equal(out.Events?.length, 1);
      const e = out.Events![0]!;
      assert.equal(e.EventName, 'GetServiceSetting');
      assert.equal(e.EventSource, 'ssm.amazonaws.com');
      assert.equal(e.Username, 'admin');
      assert.equal(e.AccessKeyId, t.credentials.accessKeyId);
      assert.equal(e.ReadOnly, 'true');
      assert.ok(e.EventTime!.getTime() >= started - 1000 && e.EventTime!.getTime() <= Date.now() + 1000);
      assert.deepEqual(e.Resources, [{ ResourceType: 'AWS::SSM::Servicesetting', ResourceName: `arn:aws:ssm:us-east-1:${t.accountId}:servicesetting/ssm/audited` }]);
      const detail = JSON.parse(e.CloudTrailEvent!) as Record<string, unknown>;
      assert.equal(detail.sourceIPAddress, '127.0.0.1');
      assert.match(String(detail.userAgent), /aws-sdk-js/);
      assert.equal(detail.awsRegion, 'us-east-1');
      assert.deepEqual(detail.requestParameters, { SettingId: '/ssm/audited' });
      assert.equal((detail.userIdentity as { arn: string }).arn, `arn:aws:iam::${t.accountId}:user/admin`);
      assert.equal(detail.errorCode, undefined);
    });

    test('a denied call is recorded with its error code', async () => {
      const iam = new IAMClient(t.clientConfig());
      await iam.send(new CreateUserCommand({ UserName: 'nobody' }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'nobody' }))).AccessKey!;
      const theirs = new SSMClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
      await assert.rejects(theirs.send(new GetServiceSettingCommand({ SettingId: '/ssm/forbidden' })), { name: 'AccessDeniedException' });
      const out = await lookup({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'nobody' }] });
      assert.equal(out.Events?.length, 1);
      const detail = JSON.parse(out.Events![0]!.CloudTrailEvent!) as Record<string, unknown>;
      assert.equal(detail.errorCode, 'AccessDeniedException');
      assert.match(String(detail.errorMessage), /ssm:GetServiceSetting/);
    });

    test('a call that fails authentication is kept out of the account\'s trail', async () => {
      const bad = new SSMClient(t.clientConfig({ credentials: { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'y'.repeat(40) } }));
      await assert.rejects(bad.send(new GetServiceSettingCommand({ SettingId: '/ssm/badsig' })));
      // Unauthenticated calls belong to no account; they must not appear in this account's trail.
      const out = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetServiceSetting' }] });
      assert.ok(out.Events!.every((e) => !JSON.stringify(e).includes('/ssm/badsig')));
    });

    test('secrets are redacted in the trail and never reach the database file', async () => {
      const ssm = new SSMClient(t.clientConfig());
      await ssm.send(new PutParameterCommand({ Name: '/app/db/password', Value: SECRET, Type: 'SecureString' }));
      // A failed validation must not echo the secret either.
      await assert.rejects(ssm.send(new PutParameterCommand({ Name: '/app/db/other', Value: SECRET + SECRET, Type: 'SecureString' })), (e: Error) => {
        assert.equal(e.name, 'ValidationException');
        assert.ok(!e.message.includes(SECRET), e.message);
        return true;
      });
      const out = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutParameter' }] });
      assert.equal(out.Events?.length, 2);
      for (const e of out.Events!) {
        const detail = JSON.parse(e.CloudTrailEvent!) as { requestParameters: Record<string, unknown> };
        assert.equal(detail.requestParameters.Value, 'HIDDEN_DUE_TO_SECURITY_REASONS');
        assert.match(String(detail.requestParameters.Name), /^\/app\/db\//);
      }
      await t.server.core.audit.flush();
      assert.ok(!(await storedText()).includes(SECRET), 'the store holds the plaintext secret');
    });

    test('new access keys\' secrets never reach the trail or the database in plaintext', async () => {
      const iam = new IAMClient(t.clientConfig());
      await iam.send(new CreateUserCommand({ UserName: 'keyholder' }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'keyholder' }))).AccessKey!;
      await t.server.core.audit.flush();
      assert.ok(!(await storedText()).includes(key.SecretAccessKey!), 'the store holds an access key secret');
    });

    test('filters: EventName, ReadOnly, AccessKeyId, EventSource and a time range', async () => {
      const ssm = new SSMClient(t.clientConfig());
      for (let i = 0; i < 3; i++) await ssm.send(new GetServiceSettingCommand({ SettingId: `/ssm/f${i}` }));
      const byName = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetServiceSetting' }] });
      assert.ok(byName.Events!.length >= 3);
      assert.ok(byName.Events!.every((e) => e.EventName === 'GetServiceSetting'));
      const writes = await lookup({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] });
      assert.ok(writes.Events!.length > 0 && writes.Events!.every((e) => e.ReadOnly === 'false'));
      const iamEvents = await lookup({ LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' }] });
      assert.ok(iamEvents.Events!.length > 0 && iamEvents.Events!.every((e) => e.EventSource === 'iam.amazonaws.com'));
      const byKey = await lookup({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: 'AKIANOTUSED000000000' }] });
      assert.equal(byKey.Events!.length, 0);
      const one = byName.Events![1]!;
    const byId = await lookup({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: one.EventId! }] });
    assert.deepEqual(byId.Events!.map((e) => e.EventId), [one.EventId]);
    const byResource = await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceType', AttributeValue: 'AWS::SSM::Servicesetting' }] });
    assert.ok(byResource.Events!.length >= 3 && byResource.Events!.every((e) => e.Resources!.some((r) => r.ResourceType === 'AWS::SSM::Servicesetting')));
    const future = await lookup({ StartTime: new Date(Date.now() + 3_600_000) });
      assert.equal(future.Events!.length, 0);
    });

    test('pagination walks every event once, newest first', async () => {
      const ssm = new SSMClient(t.clientConfig());
      for (let i = 0; i < 7; i++) await ssm.send(new GetServiceSettingCommand({ SettingId: `/ssm/page${i}` }));
      const seen: string[] = [];
      const times: number[] = [];
      let token: string | undefined;
      do {
        const page = await lookup({ MaxResults: 3, LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetServiceSetting' }], ...(token ? { NextToken: token } : {}) });
        assert.ok(page.Events!.length <= 3);
        for (const e of page.Events!) {
          seen.push(e.EventId!);
          times.push(e.EventTime!.getTime());
        }
        token = page.NextToken;
      } while (token);
      assert.equal(new Set(seen).size, seen.length, 'no event twice');
      assert.ok(seen.length >= 7);
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
    });

    test('events are partitioned by account and region', async () => {
      const other = await t.server.core.iam.createAccount({ name: 'other-audit' });
      const theirs = new CloudTrailClient(t.clientConfig({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }));
      const out = await theirs.send(new LookupEventsCommand({}));
      assert.ok(out.Events!.every((e) => e.Username === undefined || JSON.parse(e.CloudTrailEvent!).recipientAccountId === other.accountId));
      await new SSMClient(t.clientConfig({ region: 'ap-south-1' })).send(new GetServiceSettingCommand({ SettingId: '/ssm/in-mumbai' }));
      const mumbai = await new CloudTrailClient(t.clientConfig({ region: 'ap-south-1' })).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetServiceSetting' }] }));
      assert.equal(mumbai.Events!.length, 1);
      const virginia = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetServiceSetting' }] });
      assert.ok(virginia.Events!.every((e) => !e.CloudTrailEvent!.includes('in-mumbai')));
    });

    test('bad input gets CloudTrail\'s error codes', async () => {
      await assert.rejects(lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'a' }, { AttributeKey: 'Username', AttributeValue: 'b' }] }), { name: 'InvalidLookupAttributesException' });
      await assert.rejects(lookup({ LookupAttributes: [{ AttributeKey: 'Colour' as 'EventName', AttributeValue: 'a' }] }), { name: 'InvalidLookupAttributesException' });
      await assert.rejects(lookup({ MaxResults: 51 }), { name: 'InvalidMaxResultsException' });
      await assert.rejects(lookup({ MaxResults: 0 }), { name: 'InvalidMaxResultsException' });
      await assert.rejects(lookup({ StartTime: new Date(2026, 1, 2), EndTime: new Date(2026, 1, 1) }), { name: 'InvalidTimeRangeException' });
      await assert.rejects(lookup({ NextToken: 'garbage' }), { name: 'InvalidNextTokenException' });
    });

  /** Everything the store holds, as text: the SQLite files' bytes, or every PostgreSQL table's rows. */
  async function storedText(): Promise<string> {
    if (engine === 'sqlite') return readdirSync(t.dataDir).filter((n) => n.startsWith('capstan.db')).map((f) => readFileSync(join(t.dataDir, f)).toString('latin1')).join('|');
    const db = t.server.core.database.db;
    const tables = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(db);
    let out = '';
    for (const { name } of tables.rows) out += (await sql<{ t: string }>`select string_agg(x::text, '|') as t from ${sql.table(name)} x`.execute(db)).rows[0]?.t ?? '';
    return out;
  }
});
