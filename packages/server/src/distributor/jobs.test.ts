import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateActivationCommand, CreateDocumentCommand, GetDocumentCommand, SendCommandCommand, SSMClient, UpdateDocumentCommand } from '@aws-sdk/client-ssm';
import type { CommandPayload, JobMessage } from '@capstan/wire';
import { onEveryEngine } from '../test-support/engines.js';
import { startS3Store, type TestS3Store } from '../test-support/s3-store.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { until } from '../test-support/until.js';
import { manifestOf, putPackageFile, sha256, zipOf } from './test-support/packages.js';

const v1 = zipOf({ 'install.sh': 'echo jobs v1\n', 'uninstall.sh': 'true\n' });
const v2 = zipOf({ 'install.sh': 'echo jobs v2\n', 'uninstall.sh': 'true\n' });

async function node(t: TestServer, ssm: SSMClient, name: string): Promise<SimulatedAgent> {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const a = new SimulatedAgent(t.endpoint, name);
  await a.register(ActivationId!, ActivationCode!);
  await a.connect();
  return a;
}

/** AWS-ConfigureAWSPackage sent to the nodes; each node's job as it arrived. */
async function configure(ssm: SSMClient, nodes: SimulatedAgent[], Parameters: Record<string, string[]>): Promise<CommandPayload[]> {
  const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-ConfigureAWSPackage', InstanceIds: nodes.map((n) => n.instanceId), Parameters }))).Command!.CommandId!;
  const jobs = await Promise.all(nodes.map((n) => until(`the job on ${n.instanceId}`, () => n.jobs.find((j: JobMessage) => j.id === id), { ms: 10_000 })));
  return jobs.map((j) => j.payload as CommandPayload);
}

onEveryEngine('Distributor: packages in nodes’ jobs', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  let a: SimulatedAgent;
  let b: SimulatedAgent;
  before(async () => {
    t = await startTestServer({ engine, schedulerPollMs: 50 });
    ssm = new SSMClient(t.clientConfig());
    for (const f of [v1, v2]) assert.equal((await putPackageFile(t, f)).status, 200);
    await ssm.send(new CreateDocumentCommand({ Name: 'JobsDemo', DocumentType: 'Package', Content: manifestOf('1.0', 'jobs-1.zip', v1) }));
    await ssm.send(new UpdateDocumentCommand({ Name: 'JobsDemo', DocumentVersion: '$LATEST', Content: manifestOf('2.0', 'jobs-2.zip', v2) }));
    [a, b] = [await node(t, ssm, 'a'), await node(t, ssm, 'b')];
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    ssm?.destroy();
    await t?.stop();
  });

  test('each node’s job carries the version asked for (the default when none is) with a link of its own that fetches the file', async () => {
    const [pa, pb] = await configure(ssm, [a, b], { action: ['Install'], name: ['JobsDemo'], version: ['2.0'] });
    const bundle = pa!.packages!.JobsDemo!;
    assert.ok(!('error' in bundle));
    assert.equal(bundle.version, '2.0');
    assert.equal((bundle.manifest as { version: string }).version, '2.0');
    const content = (await ssm.send(new GetDocumentCommand({ Name: 'JobsDemo', VersionName: '2.0' }))).Content!;
    assert.equal(bundle.hash, sha256(Buffer.from(content)), 'the version’s content hash');
    const link = bundle.files['jobs-2.zip']!;
    assert.deepEqual([link.sha256, link.size], [sha256(v2), v2.length]);
    const other = (pb!.packages!.JobsDemo as typeof bundle).files['jobs-2.zip']!;
    assert.notEqual(link.url, other.url, 'each node has its own link');
    for (const url of [link.url, other.url]) {
      assert.ok(url.startsWith(`${t.endpoint}/capstan/distributor/v1/files/`), url);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), v2);
    }
    const forged = await fetch(link.url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    assert.equal(forged.status, 404);

    const [defaulted] = await configure(ssm, [a], { action: ['Install'], name: ['JobsDemo'] });
    assert.equal((defaulted!.packages!.JobsDemo as typeof bundle).version, '1.0', 'no version: the default version');
  });

  test('a package or version that does not exist travels as its error, for the node’s step to report', async () => {
    const [missing] = await configure(ssm, [a], { action: ['Install'], name: ['NoSuchPackage'] });
    assert.deepEqual(missing!.packages, { NoSuchPackage: { name: 'NoSuchPackage', error: 'package NoSuchPackage does not exist or is not shared with this account' } });
    const [noVersion] = await configure(ssm, [a], { action: ['Install'], name: ['JobsDemo'], version: ['9.9'] });
    assert.deepEqual(noVersion!.packages, { JobsDemo: { name: 'JobsDemo', error: 'package JobsDemo has no version 9.9 this account can use' } });
    const [notPackage] = await configure(ssm, [a], { action: ['Install'], name: ['AWS-RunShellScript'] });
    assert.match((notPackage!.packages!['AWS-RunShellScript'] as { error: string }).error, /does not exist/);
  });
});

describe('Distributor with an S3-compatible bucket as the package store', () => {
  let s3: TestS3Store;
  let t: TestServer;
  let ssm: SSMClient;
  let a: SimulatedAgent;
  before(async () => {
    s3 = await startS3Store();
    process.env.CAPSTAN_PACKAGE_STORE_BUCKET = 'capstan-packages/store';
    try {
      t = await startTestServer({ s3: s3.config, schedulerPollMs: 50 });
    } finally {
      delete process.env.CAPSTAN_PACKAGE_STORE_BUCKET;
    }
    ssm = new SSMClient(t.clientConfig());
    a = await node(t, ssm, 'bucket');
  });
  after(async () => {
    await a?.close();
    ssm?.destroy();
    await t?.stop();
    await s3?.close();
  });

  test('uploads land in the bucket, signed; package versions are checked against it and nodes fetch from it', async () => {
    assert.equal((await putPackageFile(t, v1)).status, 200);
    assert.deepEqual(s3.bytes.get(`/capstan-packages/store/${sha256(v1)}`), v1);
    assert.equal(existsSync(join(t.dataDir, 'packages')), false, 'nothing in the data directory');
    await ssm.send(new CreateDocumentCommand({ Name: 'BucketDemo', DocumentType: 'Package', Content: manifestOf('1.0', 'b.zip', v1) }));
    assert.deepEqual((await ssm.send(new GetDocumentCommand({ Name: 'BucketDemo' }))).AttachmentsContent, [{ Name: 'b.zip', Size: v1.length, Hash: sha256(v1), HashType: 'Sha256' }]);
    await assert.rejects(ssm.send(new CreateDocumentCommand({ Name: 'BucketMissing', DocumentType: 'Package', Content: manifestOf('1.0', 'c.zip', v2) })), { name: 'InvalidDocumentContent' });
    const [payload] = await configure(ssm, [a], { action: ['Install'], name: ['BucketDemo'] });
    const res = await fetch((payload!.packages!.BucketDemo as { files: Record<string, { url: string }> }).files['b.zip']!.url);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), v1);
    assert.deepEqual(s3.problems, [], 'every request to the bucket was signed correctly');
  });
});
