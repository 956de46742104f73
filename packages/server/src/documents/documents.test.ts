import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import {
  CreateDocumentCommand, DeleteDocumentCommand, DescribeDocumentCommand, GetDocumentCommand, ListDocumentVersionsCommand, SSMClient, UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand, type CreateDocumentCommandInput,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { registerDocumentUser } from './index.js';
import { commandContent, failure, yamlCommand } from './test-support/fixtures.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

onEveryEngine('Documents', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  const inUse = new Set<string>();
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
    registerDocumentUser(t.server.core, async (account, region, name) => inUse.has(`${account}/${region}/${name}`));
  });
  after(async () => {
    await t.stop();
  });
  const create = (input: CreateDocumentCommandInput) => ssm.send(new CreateDocumentCommand(input));
  const get = (Name: string, extra: { DocumentVersion?: string; VersionName?: string; DocumentFormat?: 'JSON' | 'YAML' | 'TEXT' } = {}) => ssm.send(new GetDocumentCommand({ Name, ...extra }));
  const describe = (Name: string, extra: { DocumentVersion?: string; VersionName?: string } = {}) => ssm.send(new DescribeDocumentCommand({ Name, ...extra }));
  const update = (Name: string, Content: string, extra: { DocumentVersion?: string; VersionName?: string; DocumentFormat?: 'JSON' | 'YAML'; TargetType?: string } = {}) =>
    ssm.send(new UpdateDocumentCommand({ Name, Content, ...extra }));

  test('CreateDocument describes the new document; GetDocument and DescribeDocument read it back', async () => {
    const content = commandContent('hello');
    const before = Date.now();
    const d = (
      await create({
        Name: 'app-hello',
        Content: content,
        DisplayName: 'Say hello',
        VersionName: 'Release-1.0',
        TargetType: '/AWS::EC2::Instance',
        Requires: [{ Name: 'app-schema', Version: '1' }],
        Attachments: [{ Key: 'SourceUrl', Values: ['https://example.com/files/tool.zip'] }, { Key: 'S3FileUrl', Values: ['s3://bucket/script.sh'], Name: 'runner.sh' }],
        Tags: [{ Key: 'team', Value: 'ops' }],
      })
    ).DocumentDescription!;
    assert.equal(d.Name, 'app-hello');
    assert.equal(d.Hash, sha256(content));
    assert.equal(d.HashType, 'Sha256');
    assert.equal(d.Owner, t.accountId);
    assert.equal(d.Status, 'Active');
    assert.deepEqual([d.DocumentVersion, d.LatestVersion, d.DefaultVersion], ['1', '1', '1']);
    assert.deepEqual([d.DocumentType, d.DocumentFormat, d.SchemaVersion], ['Command', 'JSON', '2.2']);
    assert.deepEqual([d.DisplayName, d.VersionName, d.TargetType, d.Description], ['Say hello', 'Release-1.0', '/AWS::EC2::Instance', 'Say hello']);
    assert.deepEqual(d.Parameters, [{ Name: 'Message', Type: 'String', Description: 'What to say', DefaultValue: 'hello' }]);
    assert.deepEqual(d.PlatformTypes, ['Linux', 'MacOS']);
    assert.deepEqual(d.Tags, [{ Key: 'team', Value: 'ops' }]);
    assert.deepEqual(d.Requires, [{ Name: 'app-schema', Version: '1' }]);
    assert.deepEqual(d.AttachmentsInformation, [{ Name: 'tool.zip' }, { Name: 'runner.sh' }]);
    assert.ok(d.CreatedDate!.getTime() >= before - 2000 && d.CreatedDate!.getTime() <= Date.now() + 2000);

    const g = await get('app-hello');
    assert.equal(g.Content, content, 'the content comes back exactly as sent');
    assert.deepEqual([g.Name, g.DocumentVersion, g.Status, g.DocumentType, g.DocumentFormat, g.VersionName, g.DisplayName], ['app-hello', '1', 'Active', 'Command', 'JSON', 'Release-1.0', 'Say hello']);
    assert.deepEqual(g.AttachmentsContent, [{ Name: 'tool.zip', Url: 'https://example.com/files/tool.zip' }, { Name: 'runner.sh', Url: 's3://bucket/script.sh' }]);
    assert.deepEqual(g.Requires, [{ Name: 'app-schema', Version: '1' }]);
    const described = (await describe('app-hello')).Document!;
    assert.deepEqual({ ...described, CreatedDate: undefined }, { ...d, CreatedDate: undefined });
    const byArn = await get(`arn:aws:ssm:us-east-1:${t.accountId}:document/app-hello`);
    assert.equal(byArn.Content, content);
  });

  test('GetDocument converts between JSON and YAML; the hash is that of the content as stored', async () => {
    const yaml = yamlCommand('converted');
    const d = (await create({ Name: 'app-yaml', Content: yaml, DocumentFormat: 'YAML' })).DocumentDescription!;
    assert.equal(d.Hash, sha256(yaml));
    assert.equal(d.DocumentFormat, 'YAML');
    const asStored = await get('app-yaml');
    assert.deepEqual([asStored.Content, asStored.DocumentFormat], [yaml, 'YAML']);
    const asJson = await get('app-yaml', { DocumentFormat: 'JSON' });
    assert.equal(asJson.DocumentFormat, 'JSON');
    assert.deepEqual(JSON.parse(asJson.Content!), parseYaml(yaml));
    const json = commandContent('to-yaml');
    await create({ Name: 'app-json', Content: json });
    const asYaml = await get('app-json', { DocumentFormat: 'YAML' });
    assert.equal(asYaml.DocumentFormat, 'YAML');
    assert.deepEqual(parseYaml(asYaml.Content!), JSON.parse(json));
    assert.equal((await describe('app-yaml')).Document!.Hash, sha256(yaml));
  });

  test('versions: updates add versions, the default rolls forward and back, and reads pick versions by number, $LATEST, $DEFAULT or name', async () => {
    await create({ Name: 'app-versions', Content: commandContent('v1'), VersionName: 'one' });
    const u2 = (await update('app-versions', commandContent('v2'), { VersionName: 'two', DocumentVersion: '$LATEST' })).DocumentDescription!;
    assert.deepEqual([u2.DocumentVersion, u2.LatestVersion, u2.DefaultVersion, u2.VersionName], ['2', '2', '1', 'two']);
    const u3 = (await update('app-versions', commandContent('v3'), { DocumentVersion: '2' })).DocumentDescription!;
    assert.deepEqual([u3.DocumentVersion, u3.LatestVersion, u3.DefaultVersion], ['3', '3', '1']);
    assert.equal(JSON.parse((await get('app-versions')).Content!).description, 'Say v1', 'the default version is read by default');
    assert.equal(JSON.parse((await get('app-versions', { DocumentVersion: '$LATEST' })).Content!).description, 'Say v3');
    assert.equal(JSON.parse((await get('app-versions', { VersionName: 'two' })).Content!).description, 'Say v2');
    assert.equal((await get('app-versions', { DocumentVersion: '2', VersionName: 'two' })).DocumentVersion, '2');
    assert.equal((await failure(get('app-versions', { DocumentVersion: '3', VersionName: 'two' }))).name, 'InvalidDocumentVersion');
    assert.equal((await failure(get('app-versions', { DocumentVersion: '9' }))).name, 'InvalidDocumentVersion');
    assert.equal((await failure(get('app-versions', { VersionName: 'nine' }))).name, 'InvalidDocumentVersion');

    const forward = await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: 'app-versions', DocumentVersion: '3' }));
    assert.deepEqual(forward.Description, { Name: 'app-versions', DefaultVersion: '3' });
    assert.equal((await describe('app-versions')).Document!.DefaultVersion, '3');
    assert.equal(JSON.parse((await get('app-versions', { DocumentVersion: '$DEFAULT' })).Content!).description, 'Say v3');
    const back = await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: 'app-versions', DocumentVersion: '2' }));
    assert.deepEqual(back.Description, { Name: 'app-versions', DefaultVersion: '2', DefaultVersionName: 'two' });
    assert.equal(JSON.parse((await get('app-versions')).Content!).description, 'Say v2');
    assert.equal((await failure(ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: 'app-versions', DocumentVersion: '7' })))).name, 'InvalidDocumentVersion');
    assert.equal((await failure(ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: 'app-versions', DocumentVersion: '$LATEST' })))).name, 'ValidationException');
    assert.equal((await failure(ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: 'app-missing', DocumentVersion: '1' })))).name, 'InvalidDocument');

    const versions = (await ssm.send(new ListDocumentVersionsCommand({ Name: 'app-versions' }))).DocumentVersions!;
    assert.deepEqual(
      versions.map((v) => [v.DocumentVersion, v.VersionName, v.IsDefaultVersion, v.Status, v.DocumentFormat]),
      [['1', 'one', false, 'Active', 'JSON'], ['2', 'two', true, 'Active', 'JSON'], ['3', undefined, false, 'Active', 'JSON']],
    );
    const paged = await ssm.send(new ListDocumentVersionsCommand({ Name: 'app-versions', MaxResults: 2 }));
    assert.equal(paged.DocumentVersions!.length, 2);
    const rest = await ssm.send(new ListDocumentVersionsCommand({ Name: 'app-versions', MaxResults: 2, NextToken: paged.NextToken! }));
    assert.deepEqual(rest.DocumentVersions!.map((v) => v.DocumentVersion), ['3']);
    assert.equal(rest.NextToken, undefined);
    assert.equal((await failure(ssm.send(new ListDocumentVersionsCommand({ Name: 'app-versions', NextToken: 'bogus' })))).name, 'InvalidNextToken');
    assert.equal((await failure(ssm.send(new ListDocumentVersionsCommand({ Name: 'app-missing' })))).name, 'InvalidDocument');
  });

  test('UpdateDocument refuses duplicate content, a used version name, a version other than the latest, and content of another type; nothing changes', async () => {
    await create({ Name: 'app-strict', Content: commandContent('a'), VersionName: 'first' });
    await update('app-strict', commandContent('b'));
    const duplicate = await failure(update('app-strict', commandContent('b')));
    assert.equal(duplicate.name, 'DuplicateDocumentContent');
    assert.equal((await failure(update('app-strict', commandContent('a')))).name, 'DuplicateDocumentContent', 'the content of any version counts');
    const named = await failure(update('app-strict', commandContent('c'), { VersionName: 'first' }));
    assert.equal(named.name, 'DuplicateDocumentVersionName');
    assert.match(named.message, /first/);
    const old = await failure(update('app-strict', commandContent('c'), { DocumentVersion: '1' }));
    assert.equal(old.name, 'InvalidDocumentVersion');
    assert.match(old.message, /latest/);
    const automation = JSON.stringify({ schemaVersion: '0.3', mainSteps: [{ name: 'wait', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] });
    assert.equal((await failure(update('app-strict', automation))).name, 'InvalidDocumentSchemaVersion', 'the new content is checked as a Command document');
    assert.equal((await failure(update('app-strict', '{not json'))).name, 'InvalidDocumentContent');
    assert.equal((await failure(update('app-missing', commandContent('x')))).name, 'InvalidDocument');
    const d = (await describe('app-strict')).Document!;
    assert.deepEqual([d.LatestVersion, d.DefaultVersion, d.DocumentType], ['2', '1', 'Command']);
  });

  test('DeleteDocument removes one version that is not the default, or the whole document', async () => {
    await create({ Name: 'app-delete', Content: commandContent('1'), VersionName: 'v1' });
    await update('app-delete', commandContent('2'), { VersionName: 'v2' });
    await update('app-delete', commandContent('3'), { VersionName: 'v3' });
    const refused = await failure(ssm.send(new DeleteDocumentCommand({ Name: 'app-delete', DocumentVersion: '1' })));
    assert.equal(refused.name, 'InvalidDocumentOperation');
    assert.match(refused.message, /default version/);
    assert.equal((await failure(ssm.send(new DeleteDocumentCommand({ Name: 'app-delete', DocumentVersion: '$DEFAULT' })))).name, 'InvalidDocumentOperation');
    await ssm.send(new DeleteDocumentCommand({ Name: 'app-delete', DocumentVersion: '3' }));
    assert.equal((await describe('app-delete')).Document!.LatestVersion, '2', 'the latest falls back to the highest version left');
    await ssm.send(new DeleteDocumentCommand({ Name: 'app-delete', VersionName: 'v2' }));
    assert.equal((await failure(get('app-delete', { VersionName: 'v2' }))).name, 'InvalidDocumentVersion');
    assert.equal((await failure(ssm.send(new DeleteDocumentCommand({ Name: 'app-delete', DocumentVersion: '8' })))).name, 'InvalidDocument');
    assert.equal((await update('app-delete', commandContent('4'))).DocumentDescription!.DocumentVersion, '2', 'numbers continue from the latest left');
    await ssm.send(new DeleteDocumentCommand({ Name: 'app-delete' }));
    assert.equal((await failure(get('app-delete'))).name, 'InvalidDocument');
    assert.equal((await failure(ssm.send(new DeleteDocumentCommand({ Name: 'app-delete' })))).name, 'InvalidDocument');
    await create({ Name: 'app-delete', Content: commandContent('again') });
    assert.equal((await describe('app-delete')).Document!.DocumentVersion, '1', 'a name can be used again after deletion');
  });

  test('DeleteDocument is refused with AssociatedInstances while another capability uses the document', async () => {
    await create({ Name: 'app-associated', Content: commandContent('assoc') });
    inUse.add(`${t.accountId}/us-east-1/app-associated`);
    assert.equal((await failure(ssm.send(new DeleteDocumentCommand({ Name: 'app-associated' })))).name, 'AssociatedInstances');
    assert.equal((await get('app-associated')).DocumentVersion, '1');
    inUse.delete(`${t.accountId}/us-east-1/app-associated`);
    await ssm.send(new DeleteDocumentCommand({ Name: 'app-associated' }));
  });

  test('names: the pattern, the reserved prefixes and existing names are refused, creating nothing', async () => {
    for (const Name of ['ab', 'has space', 'slash/name', 'x'.repeat(129)]) assert.equal((await failure(create({ Name, Content: commandContent('n') }))).name, 'ValidationException', Name);
    for (const Name of ['AWS-Mine', 'AmazonThing', 'AmazonEC2-Thing', 'AmazonSSM-Thing', 'AWSEC2-Thing', 'AWSConfigRemediation-X', 'AWSSupport-X']) {
      const e = await failure(create({ Name, Content: commandContent('n') }));
      assert.equal(e.name, 'ValidationException', Name);
      assert.match(e.message, /reserved/);
      assert.equal((await failure(get(Name))).name, 'InvalidDocument');
    }
    await create({ Name: 'app-taken', Content: commandContent('first') });
    assert.equal((await failure(create({ Name: 'app-taken', Content: commandContent('second') }))).name, 'DocumentAlreadyExists');
    assert.equal(JSON.parse((await get('app-taken')).Content!).description, 'Say first');
    assert.equal((await failure(get('app-nothing-here'))).name, 'InvalidDocument');
    assert.equal((await failure(get(`arn:aws:ssm:us-east-1:${t.accountId}:document/app-nothing-here`))).name, 'InvalidDocument');
    assert.equal((await failure(get('arn:aws:ssm:eu-west-1::document/AWS-RunShellScript'))).name, 'InvalidDocument', 'an ARN of another region names nothing here');
  });

  test('content the validator refuses, or larger than 64 KB, is refused with its error and creates nothing', async () => {
    const cases: [string, CreateDocumentCommandInput, string][] = [
      ['not JSON', { Name: 'bad-json', Content: '{"schemaVersion": ' }, 'InvalidDocumentContent'],
      ['YAML sent as JSON', { Name: 'bad-format', Content: yamlCommand('x') }, 'InvalidDocumentContent'],
      ['unknown schema version', { Name: 'bad-schema', Content: JSON.stringify({ schemaVersion: '9.9', mainSteps: [] }) }, 'InvalidDocumentSchemaVersion'],
      ['no steps', { Name: 'bad-steps', Content: JSON.stringify({ schemaVersion: '2.2', description: 'x' }) }, 'InvalidDocumentContent'],
      ['TEXT for a Command', { Name: 'bad-text', Content: commandContent('x'), DocumentFormat: 'TEXT' }, 'InvalidDocument'],
      ['too large', { Name: 'bad-size', Content: commandContent('x'.repeat(64 * 1024)) }, 'MaxDocumentSizeExceeded'],
    ];
    for (const [why, input, code] of cases) {
      const e = await failure(create(input));
      assert.equal(e.name, code, why);
      assert.ok(e.message.length > 0, why);
      assert.equal((await failure(get(input.Name!))).name, 'InvalidDocument', why);
    }
    // The message appears twice (description and default).
    const almost = commandContent('y'.repeat(Math.floor((64 * 1024 - commandContent('').length) / 2) - 4));
    assert.ok(Buffer.byteLength(almost) <= 64 * 1024);
    assert.equal((await create({ Name: 'app-large', Content: almost })).DocumentDescription!.Status, 'Active');
  });
});
