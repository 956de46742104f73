import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ALL_OPERATIONS } from '../server.js';
import { readTestFiles, renderCoverage } from './coverage.js';
import catalogue from './catalogue.json' with { type: 'json' };

const root = new URL('../../../../', import.meta.url).pathname;

test('docs/coverage.md matches the operation registry (run `npm run coverage` when this fails)', () => {
  const fresh = renderCoverage(ALL_OPERATIONS, readTestFiles(root));
  assert.equal(readFileSync(`${root}docs/coverage.md`, 'utf8'), fresh);
});

test('the catalogue lists every operation of the AWS models Capstan follows', () => {
  const count = (k: keyof typeof catalogue) => Object.values(catalogue[k].groups).flat().length;
  assert.equal(count('ssm'), 152);
  assert.equal(count('ssm-incidents'), 31);
  assert.equal(count('ssm-contacts'), 39);
  assert.equal(count('resource-groups'), 23);
});

test('every registered operation has a test that calls it through an AWS client', () => {
  const table = renderCoverage(ALL_OPERATIONS, readTestFiles(root));
  const untested = table.split('\n').filter((l) => l.includes('**none**'));
  assert.deepEqual(untested, []);
});
