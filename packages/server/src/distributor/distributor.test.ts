import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateDocumentCommand, DescribeDocumentCommand, GetDocumentCommand, ListDocumentVersionsCommand, SSMClient, UpdateDocumentCommand } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { manifestOf, putPackageFile, sha256, zipOf } from './test-support/packages.js';

// A web server package files are fetched from; only its /allowed/ folder is on the server's list.
const served = new Map<string, Buffer>();
let web: Server;
let webUrl = '';

before(async () => {
  web = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/zip' }).end(body);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  process.env.CAPSTAN_PACKAGE_SOURCE_URLS = `${webUrl}/allowed/`;
});

after(async () => {
  delete process.env.CAPSTAN_PACKAGE_SOURCE_URLS;
  await new Promise((r) => web.close(r));
});

const v1 = zipOf({ 'install.sh': 'echo v1\n', 'uninstall.sh': 'true\n' });
const v2 = zipOf({ 'install.sh': 'echo v2\n', 'uninstall.sh': 'true\n', 'update.sh': 'echo up\n' });

const rejects = async (p: Promise<unknown>, name: string, message: RegExp) => {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, e.message);
    assert.match(e.message, message);
    return true;
  });
};

onEveryEngine('Distributor package documents', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    ssm?.destroy();
    await t?.stop();
  });

  test('uploaded files make a package; each version is named by its manifest and shows its files with size and SHA-256', async () => {
    const up = await putPackageFile(t, v1);
    assert.equal(up.status, 200, up.text);
    assert.deepEqual(up.json(), { Sha256: sha256(v1), Size: v1.length });
    const stored = join(t.dataDir, 'packages', sha256(v1));
    assert.deepEqual(readFileSync(stored), v1);
    assert.equal(statSync(stored).mode & 0o077, 0, 'the stored file is the owner’s alone');

    const created = await ssm.send(new CreateDocumentCommand({ Name: 'ExampleAgent', DocumentType: 'Package', Content: manifestOf('1.0', 'agent.zip', v1, { publisher: 'Example' }) }));
    assert.equal(created.DocumentDescription?.DocumentType, 'Package');
    assert.equal(created.DocumentDescription?.VersionName, '1.0');
    assert.deepEqual(created.DocumentDescription?.AttachmentsInformation, [{ Name: 'agent.zip' }]);

    assert.equal((await putPackageFile(t, v2)).status, 200);
    const updated = await ssm.send(new UpdateDocumentCommand({ Name: 'ExampleAgent', DocumentVersion: '$LATEST', Content: manifestOf('2.0', 'agent-2.zip', v2, { size: v2.length }) }));
    assert.equal(updated.DocumentDescription?.DocumentVersion, '2');
    assert.equal(updated.DocumentDescription?.VersionName, '2.0');

    const got = await ssm.send(new GetDocumentCommand({ Name: 'ExampleAgent', VersionName: '2.0' }));
    assert.equal(got.DocumentType, 'Package');
    assert.equal(got.DocumentVersion, '2');
    assert.deepEqual(got.AttachmentsContent, [{ Name: 'agent-2.zip', Size: v2.length, Hash: sha256(v2), HashType: 'Sha256' }]);
    const first = await ssm.send(new GetDocumentCommand({ Name: 'ExampleAgent' }));
    assert.equal(first.VersionName, '1.0', 'the default version is the first');
    assert.equal(JSON.parse(first.Content!).version, '1.0');
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: 'ExampleAgent', VersionName: '2.0' }))).Document?.VersionName, '2.0');
    assert.deepEqual(
      (await ssm.send(new ListDocumentVersionsCommand({ Name: 'ExampleAgent' }))).DocumentVersions?.map((v) => v.VersionName),
      ['1.0', '2.0'],
    );
    // A manifest version used before names no new version.
    await rejects(ssm.send(new UpdateDocumentCommand({ Name: 'ExampleAgent', DocumentVersion: '$LATEST', Content: manifestOf('2.0', 'agent.zip', v1) })), 'DuplicateDocumentVersionName', /2\.0/);
  });

  test('a file that is not in the store, or is not what the manifest says, refuses the document and writes nothing', async () => {
    const unknown = zipOf({ 'install.sh': 'echo never\n' });
    await rejects(ssm.send(new CreateDocumentCommand({ Name: 'NotUploaded', DocumentType: 'Package', Content: manifestOf('1.0', 'x.zip', unknown) })), 'InvalidDocumentContent', new RegExp(`files\\.x\\.zip: no file with SHA-256 ${sha256(unknown)} is in the package store`));
    await rejects(ssm.send(new GetDocumentCommand({ Name: 'NotUploaded' })), 'InvalidDocument', /does not exist/);
    await rejects(ssm.send(new CreateDocumentCommand({ Name: 'WrongSize', DocumentType: 'Package', Content: manifestOf('1.0', 'agent.zip', v1, { size: v1.length + 1 }) })), 'InvalidDocumentContent', new RegExp(`size ${v1.length + 1}.*${v1.length} bytes`));
    await rejects(ssm.send(new GetDocumentCommand({ Name: 'WrongSize' })), 'InvalidDocument', /does not exist/);

    const bad = await putPackageFile(t, unknown, sha256(v1).replace(/^./, (c) => (c === '0' ? '1' : '0')));
    assert.equal(bad.status, 400);
    assert.equal(bad.json().__type, 'ValidationException');
    assert.match(String(bad.json().Message), /SHA-256 is [0-9a-f]{64}, not [0-9a-f]{64} as given; nothing was stored/);
    assert.equal(existsSync(join(t.dataDir, 'packages', sha256(unknown))), false);
    const unsigned = await fetch(new URL('/', t.endpoint), { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.CapstanPutPackageFile' }, body: JSON.stringify({ Sha256: sha256(unknown), Content: unknown.toString('base64') }) });
    assert.equal(unsigned.status, 400);
    assert.equal(existsSync(join(t.dataDir, 'packages', sha256(unknown))), false, 'an unsigned upload stores nothing');
  });

  test('Attachments: SourceUrl folders and S3FileUrl files under an allowed URL are fetched and checked; AttachmentReference names another package’s file', async () => {
    const fromWeb = zipOf({ 'install.sh': `echo web ${engine}\n` });
    served.set('/allowed/tools/web.zip', fromWeb);
    const created = await ssm.send(new CreateDocumentCommand({ Name: 'FromWeb', DocumentType: 'Package', Content: manifestOf('1.0', 'web.zip', fromWeb), Attachments: [{ Key: 'SourceUrl', Values: [`${webUrl}/allowed/tools`] }] }));
    assert.equal(created.DocumentDescription?.VersionName, '1.0');
    assert.deepEqual(readFileSync(join(t.dataDir, 'packages', sha256(fromWeb))), fromWeb);

    const single = zipOf({ 'install.sh': `echo single ${engine}\n` });
    served.set('/allowed/one/single.zip', single);
    await ssm.send(new UpdateDocumentCommand({ Name: 'FromWeb', DocumentVersion: '$LATEST', Content: manifestOf('2.0', 'single.zip', single), Attachments: [{ Key: 'S3FileUrl', Values: [`${webUrl}/allowed/one/single.zip`] }] }));
    assert.equal((await ssm.send(new GetDocumentCommand({ Name: 'FromWeb', VersionName: '2.0' }))).AttachmentsContent?.[0]?.Hash, sha256(single));

    const elsewhere = zipOf({ 'install.sh': `echo elsewhere ${engine}\n` });
    served.set('/private/e.zip', elsewhere);
    await rejects(ssm.send(new CreateDocumentCommand({ Name: 'NotAllowed', DocumentType: 'Package', Content: manifestOf('1.0', 'e.zip', elsewhere), Attachments: [{ Key: 'SourceUrl', Values: [`${webUrl}/private`] }] })), 'ValidationException', /is not under a URL this server fetches package files from/);
    await rejects(ssm.send(new CreateDocumentCommand({ Name: 'NotAllowed', DocumentType: 'Package', Content: manifestOf('1.0', 'e.zip', elsewhere), Attachments: [{ Key: 'SourceUrl', Values: [`${webUrl}/allowed/../private`] }] })), 'ValidationException', /is not under a URL/);

    const tampered = zipOf({ 'install.sh': `echo tampered ${engine}\n` });
    served.set('/allowed/t/t.zip', zipOf({ 'install.sh': 'echo something else\n' }));
    await rejects(ssm.send(new CreateDocumentCommand({ Name: 'Tampered', DocumentType: 'Package', Content: manifestOf('1.0', 't.zip', tampered), Attachments: [{ Key: 'SourceUrl', Values: [`${webUrl}/allowed/t`] }] })), 'InvalidDocumentContent', /does not match the manifest's checksums\.sha256/);
    await rejects(ssm.send(new GetDocumentCommand({ Name: 'Tampered' })), 'InvalidDocument', /does not exist/);

    const reused = await ssm.send(new CreateDocumentCommand({ Name: 'Reused', DocumentType: 'Package', Content: manifestOf('9.0', 'web.zip', fromWeb), Attachments: [{ Key: 'AttachmentReference', Values: ['FromWeb/1/web.zip'] }] }));
    assert.equal(reused.DocumentDescription?.VersionName, '9.0');
    await rejects(ssm.send(new CreateDocumentCommand({ Name: 'BadRef', DocumentType: 'Package', Content: manifestOf('1.0', 'web.zip', fromWeb), Attachments: [{ Key: 'AttachmentReference', Values: ['FromWeb/2/web.zip'] }] })), 'ValidationException', /FromWeb version 2 has no package file web\.zip/);
  });
});
