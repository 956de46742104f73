import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkName, normalisePath, parentOf, splitLevel } from './paths';

test('a level lists its parameters and its folders with counts', () => {
  const all = ['/app/db/url', '/app/db/password', '/app/name', '/other', 'plain'].map((Name) => ({ Name }));
  assert.deepEqual(splitLevel('/app', all), {
    params: [{ Name: '/app/name' }],
    folders: [{ path: '/app/db', name: 'db', count: 2 }],
  });
  const root = splitLevel('/', all);
  assert.deepEqual(root.params.map((p) => p.Name), ['/other', 'plain']);
  assert.deepEqual(root.folders.map((f) => f.path), ['/app']);
});

test('paths and names', () => {
  assert.equal(parentOf('/a/b/c'), '/a/b');
  assert.equal(parentOf('/a'), '/');
  assert.equal(normalisePath('a/b/'), '/a/b');
  assert.equal(checkName('/prod/db/url'), undefined);
  assert.match(checkName('/aws/x')!, /aws or ssm/);
  assert.match(checkName('a/b')!, /starts with \//);
  assert.match(checkName('/a b')!, /letters/);
});
