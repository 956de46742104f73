import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../protocol/errors.js';
import { validFixture, validFixtures } from './fixtures/index.js';
import { convertContent, parseContent, validateDocument } from './index.js';

const structured = validFixtures.filter((f) => f.format !== 'TEXT');

function rejection(run: () => unknown): AwsError {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof AwsError);
    return e;
  }
  assert.fail('accepted');
}

for (const f of structured) {
  const other = f.format === 'JSON' ? 'YAML' : 'JSON';
  test(`round trip ${f.format} -> ${other} -> ${f.format}: ${f.name}`, () => {
    const converted = convertContent(f.content, f.format, other);
    const back = convertContent(converted, other, f.format);
    const original = parseContent(f.content, f.format);
    assert.deepEqual(parseContent(converted, other), original);
    assert.deepEqual(parseContent(back, f.format), original);
    // The converted text is a document of the same meaning, not merely parseable.
    const a = validateDocument({ content: f.content, format: f.format, documentType: f.type });
    const b = validateDocument({ content: converted, format: other, documentType: f.type });
    assert.deepEqual(b, a);
  });
}

test('JSON to YAML writes block YAML, keeps key order and multi-line strings, and does not fold long lines', () => {
  const long = 'a long sentence that a folding writer would wrap '.repeat(8).trim();
  const json = JSON.stringify({ schemaVersion: '2.2', description: 'line one\nline two\n', long, list: ['a', 'b'] });
  const yaml = convertContent(json, 'JSON', 'YAML');
  assert.ok(!yaml.trimStart().startsWith('{'), yaml);
  assert.deepEqual(
    yaml.split('\n').filter((l) => /^\w/.test(l)).map((l) => l.slice(0, l.indexOf(':'))),
    ['schemaVersion', 'description', 'long', 'list'],
  );
  assert.ok(yaml.includes(`long: ${long}\n`), 'a long line stays one line');
  assert.match(yaml, /description: \|\n {2}line one\n {2}line two\n/);
  assert.equal(yaml.match(/^schemaVersion: .*$/m)![0], 'schemaVersion: "2.2"', 'a version string stays a string');
});

test('YAML to JSON writes indented JSON of the same value', () => {
  const yaml = validFixture('automation-0.3-restore').content;
  const json = convertContent(yaml, 'YAML', 'JSON');
  assert.ok(json.startsWith('{\n  "description": '), json.slice(0, 40));
  assert.deepEqual(JSON.parse(json), parseContent(yaml, 'YAML'));
});

test('converting to the same format returns the content untouched, after checking it', () => {
  const f = validFixture('command-2.2-cross-platform');
  assert.equal(convertContent(f.content, 'JSON', 'JSON'), f.content);
  assert.equal(rejection(() => convertContent('{"a": ', 'JSON', 'JSON')).code, 'InvalidDocumentContent');
});

test('TEXT content is never converted', () => {
  const calendar = validFixture('changecalendar-freeze').content;
  assert.equal(convertContent(calendar, 'TEXT', 'JSON'), calendar);
  assert.equal(convertContent(calendar, 'TEXT', 'TEXT'), calendar);
  const json = validFixture('package-2.0').content;
  assert.equal(convertContent(json, 'JSON', 'TEXT'), json);
  assert.equal(rejection(() => convertContent('key: [', 'YAML', 'TEXT')).code, 'InvalidDocumentContent');
});

test('content that is not of the stated format is InvalidDocumentContent', () => {
  const yaml = validFixture('session-interactive').content;
  const e = rejection(() => convertContent(yaml, 'JSON', 'YAML'));
  assert.equal(e.code, 'InvalidDocumentContent');
  assert.match(e.message, /^The content is not valid JSON: /);
  const bad = rejection(() => convertContent('a: 1\n\tb: 2\n', 'YAML', 'JSON'));
  assert.equal(bad.code, 'InvalidDocumentContent');
  assert.match(bad.message, /^The content is not valid YAML: /);
  assert.doesNotMatch(bad.message, /\n/, 'one line, without the source snippet');
});

test('parseContent reads YAML 1.2: no implicit booleans from yes/no, no dates, versions stay as written when quoted', () => {
  const value = parseContent("a: yes\nb: 2024-01-01\nc: '2.0'\nd: 2.0\ne: ~\n", 'YAML');
  assert.deepEqual(value, { a: 'yes', b: '2024-01-01', c: '2.0', d: 2, e: null });
  assert.equal(parseContent('plain text', 'TEXT'), 'plain text');
  assert.deepEqual(parseContent('{"a":[1,{"b":null}]}', 'JSON'), { a: [1, { b: null }] });
});

test('YAML aliases are expanded, but not without bound', () => {
  assert.deepEqual(parseContent('base: &b {x: 1}\ncopy: *b\n', 'YAML'), { base: { x: 1 }, copy: { x: 1 } });
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  assert.equal(rejection(() => parseContent(bomb.join('\n'), 'YAML')).code, 'InvalidDocumentContent');
});
