import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateDocumentCommand, DescribeDocumentCommand, GetDocumentCommand, ModifyDocumentPermissionCommand, SSMClient, UpdateDocumentCommand } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import type { DocumentTables, VersionRow } from './tables.js';
import { commandContent, failure } from './test-support/fixtures.js';

// Reaching AWS's quotas through the API would take thousands of calls; the rows are written
// directly, and the API call that crosses the quota is the one under test.
onEveryEngine('Documents: quotas', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  const db = () => t.server.core.database.db.withTables<DocumentTables>();
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });

  async function insertChunked<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) await write(rows.slice(i, i + 200));
  }

  test('an account has at most 500 documents in a region: DocumentLimitExceeded, and nothing created', async () => {
    const region = 'ap-southeast-2';
    const regional = new SSMClient(t.clientConfig({ region }));
    await regional.send(new CreateDocumentCommand({ Name: 'quota-first', Content: commandContent('first') }));
    const rows = Array.from({ length: 499 }, (_, i) => ({
      account_id: t.accountId, region, name: `quota-${String(i).padStart(3, '0')}`, document_type: 'Command', latest_version: 1, default_version: 1, created_at: Date.now(), tags: '{}',
    }));
    await insertChunked(rows, (chunk) => db().insertInto('documents').values(chunk).execute());
    const e = await failure(regional.send(new CreateDocumentCommand({ Name: 'quota-one-too-many', Content: commandContent('x') })));
    assert.equal(e.name, 'DocumentLimitExceeded');
    assert.match(e.message, /500/);
    assert.equal((await failure(regional.send(new GetDocumentCommand({ Name: 'quota-one-too-many' })))).name, 'InvalidDocument');
    assert.equal((await ssm.send(new CreateDocumentCommand({ Name: 'quota-elsewhere', Content: commandContent('x') }))).DocumentDescription!.Status, 'Active', 'the quota is per region');
  });

  test('a document has at most 1000 versions: DocumentVersionLimitExceeded, and nothing added', async () => {
    const created = (await ssm.send(new CreateDocumentCommand({ Name: 'many-versions', Content: commandContent('v1') }))).DocumentDescription!;
    const first = await db().selectFrom('document_versions').selectAll().where('name', '=', 'many-versions').executeTakeFirstOrThrow();
    const rows: VersionRow[] = Array.from({ length: 999 }, (_, i) => ({ ...first, version: i + 2, hash: `${created.Hash}-${i}`, content: commandContent(`v${i + 2}`) }));
    await insertChunked(rows, (chunk) => db().insertInto('document_versions').values(chunk).execute());
    await db().updateTable('documents').set({ latest_version: 1000 }).where('name', '=', 'many-versions').execute();
    const e = await failure(ssm.send(new UpdateDocumentCommand({ Name: 'many-versions', Content: commandContent('v1001') })));
    assert.equal(e.name, 'DocumentVersionLimitExceeded');
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: 'many-versions' }))).Document!.LatestVersion, '1000');
  });

  test('a document is shared with at most 1000 accounts, and an account shares at most 5 documents publicly: DocumentPermissionLimit', async () => {
    await ssm.send(new CreateDocumentCommand({ Name: 'widely-shared', Content: commandContent('shared') }));
    const shares = Array.from({ length: 995 }, (_, i) => ({
      account_id: t.accountId, region: 'us-east-1', name: 'widely-shared', shared_with: String(100000000000 + i), shared_version: '$DEFAULT', created_at: Date.now(),
    }));
    await insertChunked(shares, (chunk) => db().insertInto('document_shares').values(chunk).execute());
    const add = (ids: string[]) => ssm.send(new ModifyDocumentPermissionCommand({ Name: 'widely-shared', PermissionType: 'Share', AccountIdsToAdd: ids }));
    await add(['999999999991', '999999999992', '999999999993', '999999999994', '999999999995']);
    const e = await failure(add(['999999999996']));
    assert.equal(e.name, 'DocumentPermissionLimit');
    assert.match(e.message, /1000/);

    for (let i = 0; i < 5; i++) {
      await ssm.send(new CreateDocumentCommand({ Name: `public-${i}`, Content: commandContent(`public ${i}`) }));
      await ssm.send(new ModifyDocumentPermissionCommand({ Name: `public-${i}`, PermissionType: 'Share', AccountIdsToAdd: ['All'] }));
    }
    await ssm.send(new CreateDocumentCommand({ Name: 'public-5', Content: commandContent('public 5') }));
    const sixth = await failure(ssm.send(new ModifyDocumentPermissionCommand({ Name: 'public-5', PermissionType: 'Share', AccountIdsToAdd: ['All'] })));
    assert.equal(sixth.name, 'DocumentPermissionLimit');
    await ssm.send(new ModifyDocumentPermissionCommand({ Name: 'public-0', PermissionType: 'Share', AccountIdsToAdd: ['all'] }));
  });
});
