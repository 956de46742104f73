import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePattern, PatternError } from './pattern.js';

const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Command Invocation Status-change Notification',
  source: 'aws.ssm',
  account: '111122223333',
  time: '2026-01-01T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:ssm:us-east-1:111122223333:managed-instance/mi-0123456789abcdef0', 'arn:aws:ssm:us-east-1:111122223333:managed-instance/mi-0123456789abcdef1'],
  detail: {
    'command-id': 'c-1',
    'instance-id': 'mi-0123456789abcdef0',
    status: 'Failed',
    count: 7,
    ratio: 0.5,
    ok: false,
    nothing: null,
    empty: '',
    ip: '10.0.3.17',
    ip6: '2001:db8::1',
    tags: ['web', 'prod'],
    nested: { state: { name: 'running' } },
    items: [{ name: 'a', size: 1 }, { name: 'b', size: 20 }],
    path: '/var/lib/app/data.png',
  },
};

const matches = (pattern: unknown) => parsePattern(JSON.stringify(pattern)).matches(event);
const refused = (pattern: string, why: RegExp) => assert.throws(() => parsePattern(pattern), (e: unknown) => e instanceof PatternError && why.test(e.message));

describe('event patterns', () => {
  test('exact values: strings, numbers, booleans and null, case and type sensitive', () => {
    assert.ok(matches({ source: ['aws.ssm'] }));
    assert.ok(matches({ source: ['aws.ec2', 'aws.ssm'] }), 'any of the listed values');
    assert.ok(!matches({ source: ['AWS.SSM'] }));
    assert.ok(matches({ detail: { count: [7] } }));
    assert.ok(matches({ detail: { count: [7.0] } }));
    assert.ok(!matches({ detail: { count: ['7'] } }), 'a string does not match a number');
    assert.ok(matches({ detail: { ok: [false] } }));
    assert.ok(matches({ detail: { nothing: [null] } }));
    assert.ok(!matches({ detail: { missing: [null] } }), 'null is not absence');
    assert.ok(matches({ detail: { empty: [''] } }));
    assert.ok(matches({ source: ['aws.ssm'], 'detail-type': ['EC2 Command Invocation Status-change Notification'], detail: { status: ['Failed'] } }), 'fields are and-ed');
    assert.ok(!matches({ source: ['aws.ssm'], detail: { status: ['Success'] } }));
  });

  test('nested detail, and arrays in the event match any element', () => {
    assert.ok(matches({ detail: { nested: { state: { name: ['running'] } } } }));
    assert.ok(!matches({ detail: { nested: { state: { name: ['stopped'] } } } }));
    assert.ok(matches({ resources: ['arn:aws:ssm:us-east-1:111122223333:managed-instance/mi-0123456789abcdef1'] }));
    assert.ok(matches({ detail: { tags: ['prod'] } }));
    assert.ok(matches({ detail: { items: { name: ['b'] } } }), 'an array of objects matches when one element does');
    assert.ok(!matches({ detail: { items: { name: ['c'] } } }));
    assert.ok(!matches({ detail: { nested: ['running'] } }), 'an object is not a leaf value');
  });

  test('prefix and suffix, with and without case', () => {
    assert.ok(matches({ time: [{ prefix: '2026-01-01' }] }));
    assert.ok(!matches({ time: [{ prefix: '2025' }] }));
    assert.ok(matches({ detail: { path: [{ suffix: '.png' }] } }));
    assert.ok(matches({ detail: { path: [{ suffix: { 'equals-ignore-case': '.PNG' } }] } }));
    assert.ok(matches({ source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] }));
    assert.ok(!matches({ detail: { count: [{ prefix: '7' }] } }), 'prefix matches strings only');
  });

  test('equals-ignore-case and wildcard', () => {
    assert.ok(matches({ detail: { status: [{ 'equals-ignore-case': 'FAILED' }] } }));
    assert.ok(matches({ detail: { path: [{ wildcard: '/var/*/data.*' }] } }));
    assert.ok(!matches({ detail: { path: [{ wildcard: '/etc/*' }] } }));
    assert.ok(matches({ detail: { 'instance-id': [{ wildcard: 'mi-*' }] } }));
    assert.ok(matches({ detail: { empty: [{ wildcard: '*' }] } }));
    assert.ok(!parsePattern(JSON.stringify({ a: [{ wildcard: 'x\\*y' }] })).matches({ a: 'xzy' }), 'an escaped star is a star');
    assert.ok(parsePattern(JSON.stringify({ a: [{ wildcard: 'x\\*y' }] })).matches({ a: 'x*y' }));
    assert.ok(parsePattern(JSON.stringify({ a: [{ wildcard: 'a.b' }] })).matches({ a: 'a.b' }));
    assert.ok(!parsePattern(JSON.stringify({ a: [{ wildcard: 'a.b' }] })).matches({ a: 'axb' }), 'only * is special');
  });

  test('anything-but: values, lists, prefix, suffix, ignore case, wildcard', () => {
    assert.ok(matches({ detail: { status: [{ 'anything-but': 'Success' }] } }));
    assert.ok(!matches({ detail: { status: [{ 'anything-but': 'Failed' }] } }));
    assert.ok(!matches({ detail: { status: [{ 'anything-but': ['Failed', 'TimedOut'] }] } }));
    assert.ok(matches({ detail: { count: [{ 'anything-but': [1, 2, 3] }] } }));
    assert.ok(!matches({ detail: { count: [{ 'anything-but': 7 }] } }));
    assert.ok(!matches({ source: [{ 'anything-but': { prefix: 'aws.' } }] }));
    assert.ok(matches({ source: [{ 'anything-but': { prefix: 'custom.' } }] }));
    assert.ok(!matches({ detail: { path: [{ 'anything-but': { suffix: '.png' } }] } }));
    assert.ok(!matches({ detail: { status: [{ 'anything-but': { 'equals-ignore-case': ['failed', 'x'] } }] } }));
    assert.ok(!matches({ detail: { path: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }));
    assert.ok(!matches({ detail: { missing: [{ 'anything-but': 'x' }] } }), 'anything-but needs the field');
    assert.ok(matches({ detail: { tags: [{ 'anything-but': 'web' }] } }), 'an array matches when any element is not excluded');
  });

  test('numeric ranges and equality', () => {
    assert.ok(matches({ detail: { count: [{ numeric: ['>', 0, '<=', 7] }] } }));
    assert.ok(!matches({ detail: { count: [{ numeric: ['>', 0, '<', 7] }] } }));
    assert.ok(matches({ detail: { count: [{ numeric: ['=', 7] }] } }));
    assert.ok(matches({ detail: { ratio: [{ numeric: ['>=', 0.5] }] } }));
    assert.ok(matches({ detail: { items: { size: [{ numeric: ['>', 10] }] } } }));
    assert.ok(!matches({ detail: { status: [{ numeric: ['>', 0] }] } }), 'numeric matches numbers only');
  });

  test('exists', () => {
    assert.ok(matches({ detail: { status: [{ exists: true }] } }));
    assert.ok(!matches({ detail: { missing: [{ exists: true }] } }));
    assert.ok(matches({ detail: { missing: [{ exists: false }] } }));
    assert.ok(!matches({ detail: { status: [{ exists: false }] } }));
    assert.ok(matches({ detail: { nothing: [{ exists: true }] } }), 'a null value exists');
    assert.ok(matches({ nowhere: { deep: [{ exists: false }] } }), 'an absent parent means an absent leaf');
  });

  test('cidr', () => {
    assert.ok(matches({ detail: { ip: [{ cidr: '10.0.0.0/16' }] } }));
    assert.ok(!matches({ detail: { ip: [{ cidr: '10.1.0.0/16' }] } }));
    assert.ok(matches({ detail: { ip6: [{ cidr: '2001:db8::/32' }] } }));
    assert.ok(!matches({ detail: { status: [{ cidr: '10.0.0.0/8' }] } }));
  });

  test('$or, at the top and nested', () => {
    assert.ok(matches({ $or: [{ source: ['aws.ec2'] }, { detail: { status: ['Failed'] } }] }));
    assert.ok(!matches({ $or: [{ source: ['aws.ec2'] }, { detail: { status: ['Success'] } }] }));
    assert.ok(matches({ source: ['aws.ssm'], detail: { $or: [{ count: [{ numeric: ['>', 100] }] }, { ok: [false] }] } }));
    assert.ok(!matches({ source: ['aws.ec2'], $or: [{ detail: { ok: [false] } }, { detail: { count: [7] } }] }), '$or is and-ed with its siblings');
  });

  test('bad patterns say what is wrong and where', () => {
    refused('not json', /not valid JSON/);
    refused('[]', /must be a JSON object/);
    refused('{}', /empty objects/);
    refused('{"source": []}', /empty arrays.*source/);
    refused('{"source": "aws.ssm"}', /must be an array of match values or an object/);
    refused('{"source": [["a"]]}', /a match value must be.*source\[0\]/);
    refused('{"detail": {"x": [{"prefixx": "a"}]}}', /unrecognized match type prefixx \(at detail\.x\[0\]\)/);
    refused('{"x": [{"prefix": 1}]}', /prefix takes a string/);
    refused('{"x": [{"prefix": "a", "suffix": "b"}]}', /exactly one match type/);
    refused('{"x": [{"exists": "yes"}]}', /exists takes true or false/);
    refused('{"x": [{"numeric": [">", "1"]}]}', /must be a number/);
    refused('{"x": [{"numeric": ["<", 5, ">", 1]}]}', /lower bound/);
    refused('{"x": [{"numeric": [">", 1, "<"]}]}', /takes \[operator, number\]/);
    refused('{"x": [{"numeric": ["~", 1]}]}', /unknown operator/);
    refused('{"x": [{"numeric": [">", 6e9]}]}', /outside the range/);
    refused('{"x": [{"anything-but": []}]}', /non-empty array/);
    refused('{"x": [{"anything-but": ["a", 1]}]}', /strings only or numbers only/);
    refused('{"x": [{"anything-but": {"numeric": [">", 1]}}]}', /cannot be used inside anything-but/);
    refused('{"x": [{"wildcard": "a**b"}]}', /consecutive wildcard/);
    refused('{"x": [{"cidr": "10.0.0.0/33"}]}', /cidr takes/);
    refused('{"$or": [{"a": ["b"]}]}', /at least two/);
  });
});
