import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateDocumentCommand, DeleteDocumentCommand, DescribeDocumentCommand, DescribeDocumentPermissionCommand, GetDocumentCommand, ListDocumentsCommand,
  ListDocumentVersionsCommand, ModifyDocumentPermissionCommand, ResetServiceSettingCommand, SSMClient, UpdateDocumentCommand, UpdateServiceSettingCommand,
  type ModifyDocumentPermissionCommandInput,
} from '@aws-sdk/client-ssm';
import type { AccountBootstrap } from '../iam/service.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { resolveDocument } from './index.js';
import { callAs, commandContent, failure } from './test-support/fixtures.js';

onEveryEngine('Documents: sharing', (engine) => {
  let t: TestServer;
  let a: SSMClient;
  let bAccount: AccountBootstrap;
  let cAccount: AccountBootstrap;
  let b: SSMClient;
  let c: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    a = new SSMClient(t.clientConfig());
    bAccount = await t.server.core.iam.createAccount({ name: `share-b-${engine}` });
    cAccount = await t.server.core.iam.createAccount({ name: `share-c-${engine}` });
    const client = (acct: AccountBootstrap) => new SSMClient(t.clientConfig({ credentials: { accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey } }));
    b = client(bAccount);
    c = client(cAccount);
  });
  after(async () => {
    await t.stop();
  });
  const arn = (name: string) => `arn:aws:ssm:us-east-1:${t.accountId}:document/${name}`;
  const modify = (input: Omit<ModifyDocumentPermissionCommandInput, 'PermissionType'> & { PermissionType?: string }) =>
    a.send(new ModifyDocumentPermissionCommand({ PermissionType: 'Share', ...input } as ModifyDocumentPermissionCommandInput));
  const names = async (client: SSMClient, owner?: string) =>
    (await client.send(new ListDocumentsCommand(owner ? { Filters: [{ Key: 'Owner', Values: [owner] }] } : {}))).DocumentIdentifiers!.map((d) => `${d.Name}|${d.Owner}`);

  test('a document shared with B is read by B through its ARN only; B cannot change it; C cannot see it', async () => {
    await a.send(new CreateDocumentCommand({ Name: 'team-runbook', Content: commandContent('v1') }));
    await a.send(new UpdateDocumentCommand({ Name: 'team-runbook', Content: commandContent('v2') }));
    await modify({ Name: 'team-runbook', AccountIdsToAdd: [bAccount.accountId] });
    const perms = await a.send(new DescribeDocumentPermissionCommand({ Name: 'team-runbook', PermissionType: 'Share' }));
    assert.deepEqual(perms.AccountIds, [bAccount.accountId]);
    assert.deepEqual(perms.AccountSharingInfoList, [{ AccountId: bAccount.accountId, SharedDocumentVersion: '$DEFAULT' }]);

    const got = await b.send(new GetDocumentCommand({ Name: arn('team-runbook') }));
    assert.equal(JSON.parse(got.Content!).description, 'Say v1');
    const described = (await b.send(new DescribeDocumentCommand({ Name: arn('team-runbook') }))).Document!;
    assert.deepEqual([described.Name, described.Owner, described.DefaultVersion, described.Tags], ['team-runbook', t.accountId, '1', undefined]);
    assert.equal((await failure(b.send(new GetDocumentCommand({ Name: arn('team-runbook'), DocumentVersion: '2' })))).name, 'InvalidDocumentVersion', 'only the default version was shared');
    assert.deepEqual((await b.send(new ListDocumentVersionsCommand({ Name: arn('team-runbook') }))).DocumentVersions!.map((v) => v.DocumentVersion), ['1']);
    assert.equal((await failure(b.send(new GetDocumentCommand({ Name: 'team-runbook' })))).name, 'InvalidDocument', 'a bare name is B\'s own namespace');
    assert.ok((await names(b, 'Private')).includes(`${arn('team-runbook')}|${t.accountId}`));
    assert.ok((await names(b)).includes(`${arn('team-runbook')}|${t.accountId}`), 'listed by default with the documents shared with B');
    assert.ok(!(await names(b, 'Self')).some((n) => n.includes('team-runbook')));

    // Each attempt starts only when the previous one has failed: a promise rejected before anyone awaits it is an unhandled rejection.
    for (const attempt of [
      () => b.send(new UpdateDocumentCommand({ Name: 'team-runbook', Content: commandContent('hijack') })),
      () => b.send(new DeleteDocumentCommand({ Name: 'team-runbook' })),
      () => b.send(new ModifyDocumentPermissionCommand({ Name: 'team-runbook', PermissionType: 'Share', AccountIdsToAdd: [cAccount.accountId] })),
      () => b.send(new DescribeDocumentPermissionCommand({ Name: 'team-runbook', PermissionType: 'Share' })),
    ]) {
      assert.equal((await failure(attempt())).name, 'InvalidDocument');
    }

    const resolved = await resolveDocument(callAs(t.server.core, bAccount.accountId), arn('team-runbook'));
    assert.deepEqual([resolved.owner, resolved.name, resolved.version, resolved.arn], [t.accountId, 'team-runbook', 1, arn('team-runbook')]);
    assert.deepEqual(resolved.parameters.map((p) => [p.name, p.default]), [['Message', 'v1']]);
    assert.equal((resolved.content as { description: string }).description, 'Say v1');

    assert.equal((await failure(c.send(new GetDocumentCommand({ Name: arn('team-runbook') })))).name, 'InvalidDocument');
    assert.equal((await failure(c.send(new DescribeDocumentCommand({ Name: arn('team-runbook') })))).name, 'InvalidDocument');
    await assert.rejects(resolveDocument(callAs(t.server.core, cAccount.accountId), arn('team-runbook')), { name: 'InvalidDocument' });
    assert.ok(!(await names(c, 'All')).some((n) => n.includes('team-runbook')));

    const stillShared = await failure(a.send(new DeleteDocumentCommand({ Name: 'team-runbook' })));
    assert.equal(stillShared.name, 'InvalidDocumentOperation');
    assert.match(stillShared.message, /shared/);

    await modify({ Name: 'team-runbook', AccountIdsToAdd: [bAccount.accountId], SharedDocumentVersion: '$ALL' });
    assert.equal(JSON.parse((await b.send(new GetDocumentCommand({ Name: arn('team-runbook'), DocumentVersion: '2' }))).Content!).description, 'Say v2');
    await modify({ Name: 'team-runbook', AccountIdsToRemove: [bAccount.accountId] });
    assert.equal((await failure(b.send(new GetDocumentCommand({ Name: arn('team-runbook') })))).name, 'InvalidDocument');
    assert.deepEqual((await a.send(new DescribeDocumentPermissionCommand({ Name: 'team-runbook', PermissionType: 'Share' }))).AccountIds, []);
    await a.send(new DeleteDocumentCommand({ Name: 'team-runbook' }));
  });

  test('a document shared with All is public: any account reads it by ARN and finds it with Owner Public', async () => {
    await a.send(new CreateDocumentCommand({ Name: 'public-tool', Content: commandContent('public') }));
    await modify({ Name: 'public-tool', AccountIdsToAdd: ['All'] });
    assert.deepEqual((await a.send(new DescribeDocumentPermissionCommand({ Name: 'public-tool', PermissionType: 'Share' }))).AccountSharingInfoList, [{ AccountId: 'all', SharedDocumentVersion: '$DEFAULT' }]);
    assert.equal(JSON.parse((await c.send(new GetDocumentCommand({ Name: arn('public-tool') }))).Content!).description, 'Say public');
    assert.ok((await names(c, 'Public')).includes(`${arn('public-tool')}|${t.accountId}`));
    assert.ok(!(await names(c, 'Private')).some((n) => n.includes('public-tool')), 'public is not private sharing');
    assert.ok((await names(c, 'All')).includes(`${arn('public-tool')}|${t.accountId}`));
    assert.equal((await resolveDocument(callAs(t.server.core, cAccount.accountId), arn('public-tool'))).owner, t.accountId);
    await modify({ Name: 'public-tool', AccountIdsToRemove: ['all'] });
    assert.equal((await failure(c.send(new GetDocumentCommand({ Name: arn('public-tool') })))).name, 'InvalidDocument');
  });

  test('the public-sharing-permission service setting set to Disable refuses sharing with All, not with accounts', async () => {
    await a.send(new CreateDocumentCommand({ Name: 'kept-private', Content: commandContent('private') }));
    await a.send(new UpdateServiceSettingCommand({ SettingId: '/ssm/documents/console/public-sharing-permission', SettingValue: 'Disable' }));
    try {
      const e = await failure(modify({ Name: 'kept-private', AccountIdsToAdd: ['All'] }));
      assert.equal(e.name, 'InvalidPermissionType');
      assert.match(e.message, /public-sharing-permission/);
      assert.equal((await failure(c.send(new GetDocumentCommand({ Name: arn('kept-private') })))).name, 'InvalidDocument');
      await modify({ Name: 'kept-private', AccountIdsToAdd: [cAccount.accountId] });
      assert.equal((await c.send(new GetDocumentCommand({ Name: arn('kept-private') }))).DocumentVersion, '1');
    } finally {
      await a.send(new ResetServiceSettingCommand({ SettingId: '/ssm/documents/console/public-sharing-permission' }));
    }
    await modify({ Name: 'kept-private', AccountIdsToAdd: ['All'] });
  });

  test('ModifyDocumentPermission and DescribeDocumentPermission refuse bad requests with AWS\'s codes, changing nothing', async () => {
    await a.send(new CreateDocumentCommand({ Name: 'perm-errors', Content: commandContent('errors') }));
    const type = await failure(modify({ Name: 'perm-errors', PermissionType: 'Read', AccountIdsToAdd: [bAccount.accountId] }));
    assert.equal(type.name, 'InvalidPermissionType');
    assert.equal((await failure(a.send(new DescribeDocumentPermissionCommand({ Name: 'perm-errors', PermissionType: 'Read' as 'Share' })))).name, 'InvalidPermissionType');
    assert.equal((await failure(modify({ Name: 'perm-errors', AccountIdsToAdd: ['All', bAccount.accountId] }))).name, 'DocumentPermissionLimit');
    assert.equal((await failure(modify({ Name: 'perm-errors' }))).name, 'ValidationException');
    assert.equal((await failure(modify({ Name: 'perm-errors', AccountIdsToAdd: ['12345'] }))).name, 'ValidationException');
    assert.equal((await failure(modify({ Name: 'perm-errors', AccountIdsToAdd: Array.from({ length: 21 }, (_, i) => String(200000000000 + i)) }))).name, 'ValidationException');
    assert.equal((await failure(modify({ Name: 'perm-errors', AccountIdsToAdd: [t.accountId] }))).name, 'ValidationException');
    assert.equal((await failure(modify({ Name: 'perm-errors', AccountIdsToAdd: [bAccount.accountId], SharedDocumentVersion: '2' }))).name, 'ValidationException');
    assert.equal((await failure(modify({ Name: 'perm-missing', AccountIdsToAdd: [bAccount.accountId] }))).name, 'InvalidDocument');
    assert.deepEqual((await a.send(new DescribeDocumentPermissionCommand({ Name: 'perm-errors', PermissionType: 'Share' }))).AccountIds, []);

    await modify({ Name: 'perm-errors', AccountIdsToAdd: [bAccount.accountId, cAccount.accountId], AccountIdsToRemove: [cAccount.accountId] });
    assert.deepEqual((await a.send(new DescribeDocumentPermissionCommand({ Name: 'perm-errors', PermissionType: 'Share' }))).AccountIds, [bAccount.accountId], 'removal wins');
    await modify({ Name: 'perm-errors', AccountIdsToAdd: ['333344445555', '444455556666'] });
    const first = await a.send(new DescribeDocumentPermissionCommand({ Name: 'perm-errors', PermissionType: 'Share', MaxResults: 2 }));
    assert.equal(first.AccountIds!.length, 2);
    const second = await a.send(new DescribeDocumentPermissionCommand({ Name: 'perm-errors', PermissionType: 'Share', MaxResults: 2, NextToken: first.NextToken! }));
    assert.deepEqual(new Set([...first.AccountIds!, ...second.AccountIds!]), new Set([bAccount.accountId, '333344445555', '444455556666']));
    assert.equal(second.NextToken, undefined);
    assert.equal((await failure(a.send(new DescribeDocumentPermissionCommand({ Name: 'perm-errors', PermissionType: 'Share', NextToken: 'nope' })))).name, 'InvalidNextToken');
  });
});
