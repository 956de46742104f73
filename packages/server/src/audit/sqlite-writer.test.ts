import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrations.js';
import { decodeRecord, encodeRecord, SqliteAuditWriter } from './sqlite-writer.js';
import { auditMigrations, type AuditTables } from './tables.js';
import type { AuditRecord } from './trail.js';

const record = (over: Partial<AuditRecord['event']> = {}, resources: AuditRecord['resources'] = []): AuditRecord => ({
  event: {
    event_id: '019abcde-f012-7abc-8def-0123456789ab',
    request_id: 'c0ffee00-0000-4000-8000-000000000001',
    account_id: '123456789012',
    region: 'eu-west-1',
    event_time: 1_764_190_000_123,
    event_source: 'ssm.amazonaws.com',
    event_name: 'GetParameter',
    read_only: 1,
    principal_arn: 'arn:aws:iam::123456789012:user/admin',
    principal_id: 'AIDAEXAMPLE',
    principal_type: 'IAMUser',
    username: 'admin',
    access_key_id: 'AKIAEXAMPLE',
    source_ip: '10.0.0.7',
    user_agent: 'aws-sdk-js/3 "quoted" \\ back',
    error_code: null,
    error_message: null,
    request_parameters: '{"Name":"/a/b"}',
    resources: '[]',
    ...over,
  },
  resources,
});

test('a record read back from its encoded form is the record written, column for column', () => {
  const cases = [
    record(),
    record({ error_code: 'AccessDeniedException', error_message: 'no \u0000 way: ü, 漢字, 🚀', read_only: 0 }, [
      { type: 'AWS::SSM::Parameter', name: 'arn:aws:ssm:eu-west-1:123456789012:parameter/a/b' },
      { type: 'AWS::KMS::Key', name: 'arn:aws:kms:eu-west-1:123456789012:key/1234' },
    ]),
    record({ account_id: '', region: '', principal_arn: '', username: '' }),
  ];
  for (const rec of cases) assert.deepEqual(decodeRecord(encodeRecord(rec)), rec);
});

test('a caller\'s fields are encoded once and reused only while every one of them is unchanged', () => {
  const base = record();
  const changed: Partial<AuditRecord['event']>[] = [
    { account_id: '210987654321' }, { region: 'eu-west-2' }, { event_source: 'kms.amazonaws.com' }, { event_name: 'PutParameter' }, { read_only: 0 },
    { principal_arn: 'arn:aws:iam::123456789012:user/other' }, { principal_id: 'AIDAOTHER' }, { principal_type: 'AssumedRole' }, { username: 'other' },
    { source_ip: '10.0.0.8' }, { user_agent: 'boto3/1.34' },
  ];
  // Each variant follows the unchanged record, with the same access key: a stale kept encoding would show.
  for (const over of changed) {
    for (const rec of [base, record({ ...over, request_id: 'c0ffee00-0000-4000-8000-000000000002' }), base]) assert.deepEqual(decodeRecord(encodeRecord(rec)), rec);
  }
  const otherKey = record({ access_key_id: 'AKIAOTHER', username: 'someone' });
  assert.deepEqual(decodeRecord(encodeRecord(otherKey)), otherKey);
  assert.deepEqual(decodeRecord(encodeRecord(base)), base);
});

test('the worker stores what it is sent, column for column, whatever the text holds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-audit-writer-'));
  const database = await openDatabase({ sqlitePath: join(dir, 'capstan.db') });
  await migrate(database, auditMigrations);
  const writer = new SqliteAuditWriter(join(dir, 'capstan.db'));
  try {
    // Texts that look like the encoding itself: lengths, colons, the null marker, surrogate pairs.
    const tricky = ['12:ab~', '~', ':', '0:', '🚀 x 漢字 ü', 'a\u0000b', ''.padEnd(5000, '9:')];
    const recs = tricky.map((t, i) =>
      record({ event_id: `019abcde-f012-7abc-8def-0000000000${String(i).padStart(2, '0')}`, event_time: 1_764_190_000_000 + i, user_agent: t, error_code: i % 2 ? t : null, error_message: i % 2 ? null : t, request_parameters: JSON.stringify({ Name: t }) }, [
        { type: 'AWS::SSM::Parameter', name: `arn:aws:ssm:eu-west-1:123456789012:parameter/${t}` },
        { type: 'AWS::KMS::Key', name: t },
      ]),
    );
    await writer.write(recs.map(encodeRecord));
    const db = database.db.withTables<AuditTables>();
    const events = await db.selectFrom('audit_events').selectAll().orderBy('event_time').execute();
    assert.deepEqual(events.map((e) => ({ ...e, event_time: Number(e.event_time), read_only: Number(e.read_only) })), recs.map((r) => r.event));
    const resources = await db.selectFrom('audit_resources').selectAll().execute();
    assert.equal(resources.length, recs.length * 2);
    for (const r of recs) {
      const mine = resources.filter((x) => x.event_id === r.event.event_id).map((x) => ({ type: x.resource_type, name: x.resource_name }));
      assert.deepEqual(mine.sort((a, b) => a.type.localeCompare(b.type)), [...r.resources].sort((a, b) => a.type.localeCompare(b.type)));
    }
  } finally {
    await writer.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
