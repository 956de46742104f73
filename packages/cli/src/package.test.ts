import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetDocumentCommand, ListDocumentVersionsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { manifestOf, sha256, zipOf } from '../../server/src/distributor/test-support/packages.js';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';

const root = new URL('../../../', import.meta.url).pathname;
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
const work = mkdtempSync(join(tmpdir(), 'capstan-package-cli-'));
let t: TestServer;
let ssm: SSMClient;

before(async () => {
  t = await startTestServer();
  ssm = new SSMClient(t.clientConfig());
});
after(async () => {
  ssm?.destroy();
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function capstan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey, AWS_REGION: 'us-east-1' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...cli, ...args, '--endpoint', t.endpoint], { cwd: root, env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** An archive and its manifest on disk. */
function files(version: string, zipName: string) {
  const data = zipOf({ 'install.sh': `echo ${version}\n`, 'uninstall.sh': 'true\n' });
  const zip = join(work, zipName);
  writeFileSync(zip, data);
  const manifest = join(work, `manifest-${version}.json`);
  writeFileSync(manifest, manifestOf(version, zipName, data));
  return { data, zip, manifest };
}

test('capstan package create uploads the archives and creates the package, then adds versions to it', async () => {
  const one = files('1.0', 'cli-1.0.zip');
  const created = await capstan(['package', 'create', '--name', 'CliDemo', '--version', '1.0', '--manifest', one.manifest, '--files', one.zip]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), 'CliDemo version 1 (1.0) created; default version 1');
  assert.match(created.stderr, new RegExp(`uploaded cli-1\\.0\\.zip \\(${one.data.length} bytes, sha256 ${sha256(one.data)}\\)`));
  const got = await ssm.send(new GetDocumentCommand({ Name: 'CliDemo' }));
  assert.equal(got.DocumentType, 'Package');
  assert.deepEqual(got.AttachmentsContent, [{ Name: 'cli-1.0.zip', Size: one.data.length, Hash: sha256(one.data), HashType: 'Sha256' }]);

  const two = files('2.0', 'cli-2.0.zip');
  const added = await capstan(['package', 'create', '--name', 'CliDemo', '--version', '2.0', '--manifest', two.manifest, '--files', two.zip, '--json']);
  assert.equal(added.code, 0, added.stderr);
  const description = JSON.parse(added.stdout).DocumentDescription;
  assert.equal(description.DocumentVersion, '2');
  assert.equal(description.VersionName, '2.0');
  assert.equal(description.DefaultVersion, '1');
  assert.deepEqual((await ssm.send(new ListDocumentVersionsCommand({ Name: 'CliDemo' }))).DocumentVersions?.map((v) => v.VersionName), ['1.0', '2.0']);
});

test('capstan package create checks the manifest and the archives before sending anything', async () => {
  const three = files('3.0', 'cli-3.0.zip');
  const wrongVersion = await capstan(['package', 'create', '--name', 'CliOther', '--version', '3.1', '--manifest', three.manifest, '--files', three.zip]);
  assert.equal(wrongVersion.code, 2);
  assert.match(wrongVersion.stderr, /--version 3\.1 is not the manifest's version \("3\.0"\)/);

  const other = join(work, 'cli-3.0.zip');
  writeFileSync(other, zipOf({ 'install.sh': 'echo changed\n' }));
  const changed = await capstan(['package', 'create', '--name', 'CliOther', '--version', '3.0', '--manifest', three.manifest, '--files', other]);
  assert.equal(changed.code, 2);
  assert.match(changed.stderr, new RegExp(`its SHA-256 is [0-9a-f]{64}, but the manifest says ${sha256(three.data)}`));

  const notUploaded = await capstan(['package', 'create', '--name', 'CliOther', '--version', '3.0', '--manifest', three.manifest]);
  assert.equal(notUploaded.code, 1);
  assert.match(notUploaded.stderr, /InvalidDocumentContent: files\.cli-3\.0\.zip: no file with SHA-256 .* is in the package store/);
  await assert.rejects(ssm.send(new GetDocumentCommand({ Name: 'CliOther' })), { name: 'InvalidDocument' });
});
