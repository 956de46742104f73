import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, encodeRecord } from './sqlite-writer.js';
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

test('records are encoded as the worker reads them: the columns in table order, then type/name pairs', () => {
  const rec = record({}, [{ type: 'AWS::SSM::Parameter', name: 'arn:p' }]);
  const row = JSON.parse(encodeRecord(rec)) as unknown[];
  assert.equal(row.length, 20);
  assert.deepEqual(row.slice(0, 5), [rec.event.event_id, rec.event.request_id, rec.event.account_id, rec.event.region, rec.event.event_time]);
  assert.deepEqual(row[19], ['AWS::SSM::Parameter', 'arn:p']);
});
