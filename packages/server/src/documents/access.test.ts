import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  AddTagsToResourceCommand, CreateDocumentCommand, DeleteDocumentCommand, DescribeDocumentCommand, DescribeDocumentPermissionCommand, GetDocumentCommand,
  ListDocumentMetadataHistoryCommand, ListDocumentVersionsCommand, ListTagsForResourceCommand, ModifyDocumentPermissionCommand, RemoveTagsFromResourceCommand,
  SSMClient, UpdateDocumentCommand, UpdateDocumentDefaultVersionCommand, UpdateDocumentMetadataCommand,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { callAs, commandContent, failure, runbookContent } from './test-support/fixtures.js';
import { resolveDocument } from './index.js';

onEveryEngine('Documents: built-ins, tags, IAM and reviews', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });

  test('built-in documents are served to a fresh account, owned by Amazon, and never changed', async () => {
    const fresh = await t.server.core.iam.createAccount({ name: `docs-fresh-${engine}` });
    const theirs = new SSMClient(t.clientConfig({ credentials: { accessKeyId: fresh.accessKeyId, secretAccessKey: fresh.secretAccessKey } }));
    const d = (await theirs.send(new DescribeDocumentCommand({ Name: 'AWS-RunShellScript' }))).Document!;
    assert.deepEqual([d.Owner, d.DocumentVersion, d.LatestVersion, d.DefaultVersion, d.DocumentType, d.Status], ['Amazon', '1', '1', '1', 'Command', 'Active']);
    assert.ok(d.Parameters!.some((p) => p.Name === 'commands'));
    assert.equal(d.Tags, undefined);
    const byArn = await theirs.send(new GetDocumentCommand({ Name: 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript' }));
    assert.equal(byArn.DocumentType, 'Command');
    assert.deepEqual((await theirs.send(new ListDocumentVersionsCommand({ Name: 'AWS-RunShellScript' }))).DocumentVersions!.map((v) => [v.DocumentVersion, v.IsDefaultVersion]), [['1', true]]);

    const name = 'AWS-RunShellScript';
    const content = commandContent('mine');
    assert.equal((await failure(theirs.send(new UpdateDocumentCommand({ Name: name, Content: content })))).name, 'InvalidDocumentOperation');
    assert.equal((await failure(theirs.send(new DeleteDocumentCommand({ Name: name })))).name, 'InvalidDocumentOperation');
    assert.equal((await failure(theirs.send(new UpdateDocumentDefaultVersionCommand({ Name: name, DocumentVersion: '1' })))).name, 'InvalidDocument');
    assert.equal((await failure(theirs.send(new ModifyDocumentPermissionCommand({ Name: name, PermissionType: 'Share', AccountIdsToAdd: [t.accountId] })))).name, 'InvalidDocument');
    assert.equal((await failure(theirs.send(new DescribeDocumentPermissionCommand({ Name: name, PermissionType: 'Share' })))).name, 'InvalidDocumentOperation');
    assert.equal((await failure(theirs.send(new UpdateDocumentMetadataCommand({ Name: name, DocumentReviews: { Action: 'Approve' } })))).name, 'InvalidDocumentOperation');
    assert.equal((await failure(theirs.send(new CreateDocumentCommand({ Name: name, Content: content })))).name, 'ValidationException');
    assert.equal((await failure(theirs.send(new AddTagsToResourceCommand({ ResourceType: 'Document', ResourceId: name, Tags: [{ Key: 'a', Value: 'b' }] })))).name, 'InvalidResourceId');
    assert.equal((await theirs.send(new DescribeDocumentCommand({ Name: name }))).Document!.Hash, d.Hash, 'unchanged');

    const resolved = await resolveDocument(callAs(t.server.core, fresh.accountId), 'AWS-RunShellScript');
    assert.deepEqual([resolved.owner, resolved.arn, resolved.version, resolved.documentType], ['Amazon', 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript', 1, 'Command']);
    assert.ok(resolved.parameters.some((p) => p.name === 'commands'));
    assert.equal(typeof resolved.content, 'object');
  });

  test('an account can shadow a built-in outside the reserved prefixes (session preferences), and its own document wins', async () => {
    const prefs = JSON.stringify({ schemaVersion: '1.0', description: 'My session preferences', sessionType: 'Standard_Stream', inputs: { idleSessionTimeout: '15' } });
    const d = (await ssm.send(new CreateDocumentCommand({ Name: 'SSM-SessionManagerRunShell', Content: prefs, DocumentType: 'Session' }))).DocumentDescription!;
    assert.equal(d.Owner, t.accountId);
    assert.equal((await ssm.send(new GetDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }))).Content, prefs);
    assert.equal((await resolveDocument(callAs(t.server.core, t.accountId), 'SSM-SessionManagerRunShell')).owner, t.accountId);
    const amazon = await ssm.send(new GetDocumentCommand({ Name: 'arn:aws:ssm:us-east-1::document/SSM-SessionManagerRunShell' }));
    assert.notEqual(amazon.Content, prefs, 'AWS\'s stays reachable by its ARN');
    await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }))).Document!.Owner, 'Amazon');
  });

  test('tags: given at creation, and through the shared tagging operations with ResourceType Document', async () => {
    await ssm.send(new CreateDocumentCommand({ Name: 'app-tagged', Content: commandContent('tags'), Tags: [{ Key: 'team', Value: 'ops' }] }));
    const list = async () => (await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Document', ResourceId: 'app-tagged' }))).TagList;
    assert.deepEqual(await list(), [{ Key: 'team', Value: 'ops' }]);
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Document', ResourceId: 'app-tagged', Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'dev' }] }));
    assert.deepEqual(await list(), [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'dev' }]);
    await ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: 'Document', ResourceId: 'app-tagged', TagKeys: ['team'] }));
    assert.deepEqual((await ssm.send(new DescribeDocumentCommand({ Name: 'app-tagged' }))).Document!.Tags, [{ Key: 'env', Value: 'prod' }]);
    assert.equal((await failure(ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Document', ResourceId: 'app-untagged-missing' })))).name, 'InvalidResourceId');
    assert.equal((await failure(ssm.send(new CreateDocumentCommand({ Name: 'app-aws-tag', Content: commandContent('x'), Tags: [{ Key: 'aws:reserved', Value: 'x' }] })))).name, 'ValidationException');
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    assert.equal((await failure(ssm.send(new CreateDocumentCommand({ Name: 'app-many-tags', Content: commandContent('x'), Tags: many })))).name, 'ValidationException');
    assert.equal((await failure(ssm.send(new GetDocumentCommand({ Name: 'app-many-tags' })))).name, 'InvalidDocument');
  });

  test('IAM: a user allowed ssm:GetDocument only on document/app-* reads those and nothing else', async () => {
    await ssm.send(new CreateDocumentCommand({ Name: 'app-readable', Content: commandContent('readable') }));
    await ssm.send(new CreateDocumentCommand({ Name: 'other', Content: commandContent('other') }));
    const iam = new IAMClient(t.clientConfig());
    await iam.send(new CreateUserCommand({ UserName: 'doc-reader' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'doc-reader' }))).AccessKey!;
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'doc-reader',
        PolicyName: 'app-documents',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetDocument', Resource: `arn:aws:ssm:*:${t.accountId}:document/app-*` }] }),
      }),
    );
    const reader = new SSMClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
    assert.equal(JSON.parse((await reader.send(new GetDocumentCommand({ Name: 'app-readable' }))).Content!).description, 'Say readable');
    await assert.rejects(reader.send(new GetDocumentCommand({ Name: 'other' })), { name: 'AccessDeniedException' });
    await assert.rejects(reader.send(new DescribeDocumentCommand({ Name: 'app-readable' })), { name: 'AccessDeniedException' });
    await assert.rejects(reader.send(new GetDocumentCommand({ Name: 'AWS-RunShellScript' })), { name: 'AccessDeniedException' }, 'AWS\'s documents have their own ARN');
  });

  test('UpdateDocumentMetadata records reviews; DescribeDocument and ListDocumentMetadataHistory show them', async () => {
    await ssm.send(new CreateDocumentCommand({ Name: 'app-template', Content: runbookContent('v1'), DocumentType: 'Automation' }));
    await ssm.send(new UpdateDocumentCommand({ Name: 'app-template', Content: runbookContent('v2') }));
    await ssm.send(new UpdateDocumentMetadataCommand({ Name: 'app-template', DocumentVersion: '1', DocumentReviews: { Action: 'SendForReview', Comment: [{ Type: 'Comment', Content: 'please look' }] } }));
    await ssm.send(new UpdateDocumentMetadataCommand({ Name: 'app-template', DocumentVersion: '1', DocumentReviews: { Action: 'Approve' } }));
    await ssm.send(new UpdateDocumentMetadataCommand({ Name: 'app-template', DocumentReviews: { Action: 'SendForReview' } }));
    const v1 = (await ssm.send(new DescribeDocumentCommand({ Name: 'app-template', DocumentVersion: '1' }))).Document!;
    assert.deepEqual([v1.ReviewStatus, v1.ApprovedVersion, v1.PendingReviewVersion], ['APPROVED', '1', '2']);
    assert.deepEqual(v1.ReviewInformation!.map((r) => [r.Status, r.Reviewer]), [['PENDING', 'admin'], ['APPROVED', 'admin']]);
    assert.equal((await ssm.send(new GetDocumentCommand({ Name: 'app-template', DocumentVersion: '2' }))).ReviewStatus, 'PENDING');
    const history = await ssm.send(new ListDocumentMetadataHistoryCommand({ Name: 'app-template', DocumentVersion: '1', Metadata: 'DocumentReviews' }));
    assert.equal(history.Author, `arn:aws:iam::${t.accountId}:user/admin`);
    assert.deepEqual(history.Metadata!.ReviewerResponse!.map((r) => [r.ReviewStatus, r.Comment!.map((c) => c.Content)]), [['PENDING', ['please look']], ['APPROVED', []]]);
    assert.equal((await failure(ssm.send(new UpdateDocumentMetadataCommand({ Name: 'app-template', DocumentVersion: '5', DocumentReviews: { Action: 'Reject' } })))).name, 'InvalidDocumentVersion');
    assert.equal((await failure(ssm.send(new UpdateDocumentMetadataCommand({ Name: 'app-nope', DocumentReviews: { Action: 'Reject' } })))).name, 'InvalidDocument');
  });

  test('documents are partitioned by region and account', async () => {
    await ssm.send(new CreateDocumentCommand({ Name: 'app-regional', Content: commandContent('virginia') }));
    const ireland = new SSMClient(t.clientConfig({ region: 'eu-west-1' }));
    assert.equal((await failure(ireland.send(new GetDocumentCommand({ Name: 'app-regional' })))).name, 'InvalidDocument');
    await ireland.send(new CreateDocumentCommand({ Name: 'app-regional', Content: commandContent('ireland') }));
    assert.equal(JSON.parse((await ireland.send(new GetDocumentCommand({ Name: 'app-regional' }))).Content!).description, 'Say ireland');
    assert.equal(JSON.parse((await ssm.send(new GetDocumentCommand({ Name: 'app-regional' }))).Content!).description, 'Say virginia');
    assert.equal((await ireland.send(new DescribeDocumentCommand({ Name: 'AWS-RunShellScript' }))).Document!.Owner, 'Amazon');
    const other = await t.server.core.iam.createAccount({ name: `docs-other-${engine}` });
    const theirs = new SSMClient(t.clientConfig({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }));
    assert.equal((await failure(theirs.send(new GetDocumentCommand({ Name: 'app-regional' })))).name, 'InvalidDocument');
    assert.equal((await failure(theirs.send(new GetDocumentCommand({ Name: `arn:aws:ssm:us-east-1:${t.accountId}:document/app-regional` })))).name, 'InvalidDocument');
  });
});
