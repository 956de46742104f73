import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiFilters, defaultCountBy, narrowTo, parseFilter, parseQuery, queryPath } from './query';

test('a filter splits at its first two colons, so epoch versions keep theirs', () => {
  assert.deepEqual(parseFilter('Version:LessThan:1:2.3-1'), { attr: 'Version', op: 'LessThan', value: '1:2.3-1' });
  assert.deepEqual(parseFilter('URL:Exists'), { attr: 'URL', op: 'Exists', value: '' });
  assert.equal(parseFilter('Name:Like:x'), undefined, 'an unknown operator');
  assert.equal(parseFilter('Name:Equal:'), undefined, 'a value is needed');
  assert.equal(parseFilter(':Equal:x'), undefined, 'an attribute is needed');
});

test('the question round-trips through the address and becomes GetInventory filters', () => {
  const q = parseQuery(new URLSearchParams('f=Name%3AEqual%3Aopenssl&f=Version%3ALessThan%3A3.0.13&platform=Ubuntu'));
  assert.equal(q.type, 'AWS:Application');
  assert.deepEqual(parseQuery(new URL(`http://x${queryPath(q)}`).searchParams), q);
  assert.deepEqual(apiFilters(q), [
    { Key: 'AWS:Application.Name', Values: ['openssl'], Type: 'Equal' },
    { Key: 'AWS:Application.Version', Values: ['3.0.13'], Type: 'LessThan' },
    { Key: 'AWS:InstanceInformation.PlatformName', Values: ['Ubuntu'], Type: 'Equal' },
  ]);
  assert.equal(queryPath({ type: 'Custom:Rack', filters: [], platform: '', by: '' }), '/inventory?type=Custom%3ARack');
});

test('narrowing to a value replaces an equality on that attribute and keeps the rest', () => {
  const q = parseQuery(new URLSearchParams('f=Name:Equal:openssl&f=Version:Equal:1&f=Version:LessThan:3'));
  assert.deepEqual(narrowTo(q, 'Version', '2').filters, [
    { attr: 'Name', op: 'Equal', value: 'openssl' },
    { attr: 'Version', op: 'LessThan', value: '3' },
    { attr: 'Version', op: 'Equal', value: '2' },
  ]);
});

test('values are counted by Version, else Name, else the first attribute', () => {
  assert.equal(defaultCountBy(['Name', 'Version']), 'Version');
  assert.equal(defaultCountBy(['Status', 'Name']), 'Name');
  assert.equal(defaultCountBy(['CPUModel']), 'CPUModel');
});
