import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validFixture } from './fixtures/index.js';
import { validateDocument, type DocumentType } from './index.js';

const platformsOf = (doc: unknown, documentType: DocumentType = 'Command') =>
  validateDocument({ content: JSON.stringify(doc), format: 'JSON', documentType }).platformTypes;

const steps = (...list: { action: string; inputs: object; precondition?: object }[]) => ({
  schemaVersion: '2.2',
  mainSteps: list.map((s, i) => ({ name: `s${i}`, ...s })),
});
const shell = { action: 'aws:runShellScript', inputs: { runCommand: 'true' } };
const powershell = { action: 'aws:runPowerShellScript', inputs: { runCommand: 'true' } };
const msi = { action: 'aws:applications', inputs: { action: 'Install', source: 'https://x/y.msi' } };
const on = (platform: string) => ({ StringEquals: ['platformType', platform] });

test('a Command document runs where its plugins run', () => {
  assert.deepEqual(platformsOf(steps(shell)), ['Linux', 'MacOS']);
  assert.deepEqual(platformsOf(steps(powershell)), ['Windows', 'Linux', 'MacOS']);
  assert.deepEqual(platformsOf(steps(msi)), ['Windows']);
  assert.deepEqual(platformsOf(steps({ action: 'aws:configurePackage', inputs: { name: 'p', action: 'Install' } })), ['Windows', 'Linux']);
});

test('several steps give the union of their platforms', () => {
  assert.deepEqual(platformsOf(steps(msi, shell)), ['Windows', 'Linux', 'MacOS']);
  assert.deepEqual(platformsOf(steps(msi, { action: 'aws:domainJoin', inputs: { directoryId: 'd', directoryName: 'n', dnsIpAddresses: ['1.1.1.1'] } })), ['Windows', 'Linux']);
});

test('a platformType precondition narrows its step to that platform', () => {
  assert.deepEqual(platformsOf(steps({ ...powershell, precondition: on('Windows') })), ['Windows']);
  assert.deepEqual(platformsOf(steps({ ...powershell, precondition: on('windows') })), ['Windows'], 'compared without case, as the agent does');
  assert.deepEqual(platformsOf(steps({ ...powershell, precondition: on('Windows') }, { ...shell, precondition: on('Linux') })), ['Windows', 'Linux']);
  assert.deepEqual(platformsOf(steps({ ...shell, precondition: on('MacOS') })), ['MacOS']);
});

test('schema 1.2 documents run where their runtimeConfig plugins run', () => {
  const doc = { schemaVersion: '1.2', runtimeConfig: { 'aws:applications': { properties: [msi.inputs] }, 'aws:configureDocker': { properties: { action: 'Install' } } } };
  assert.deepEqual(platformsOf(doc), ['Windows', 'Linux']);
});

test('Policy documents derive their platforms like Command documents', () => {
  const doc = { schemaVersion: '2.0', mainSteps: [{ action: 'aws:configureDocker', name: 'docker', inputs: { action: 'Install' } }] };
  assert.deepEqual(platformsOf(doc, 'Policy'), ['Windows', 'Linux']);
});

test('a Package runs on the platforms its manifest lists', () => {
  const manifest = (packages: object) => ({
    schemaVersion: '2.0',
    version: '1',
    packages,
    files: { 'a.zip': { checksums: { sha256: 'f'.repeat(64) } } },
  });
  assert.deepEqual(platformsOf(manifest({ ubuntu: { _any: { x86_64: { file: 'a.zip' } } } }), 'Package'), ['Linux']);
  assert.deepEqual(platformsOf(manifest({ windows: { _any: { _any: { file: 'a.zip' } } } }), 'Package'), ['Windows']);
  assert.deepEqual(platformsOf(manifest({ _any: { _any: { _any: { file: 'a.zip' } } } }), 'Package'), ['Windows', 'Linux']);
});

test('runbooks, sessions and the other types apply to every platform', () => {
  for (const name of ['automation-0.3-restore', 'session-port', 'session-standard-stream', 'changecalendar-empty', 'application-configuration']) {
    const f = validFixture(name);
    assert.deepEqual(validateDocument({ content: f.content, format: f.format, documentType: f.type }).platformTypes, ['Windows', 'Linux', 'MacOS'], name);
  }
});
