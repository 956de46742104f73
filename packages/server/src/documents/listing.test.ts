import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateDocumentCommand, DeleteDocumentCommand, ListDocumentsCommand, SSMClient, UpdateDocumentCommand, type ListDocumentsCommandInput } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { calendarContent, commandContent, failure, powershellContent, runbookContent } from './test-support/fixtures.js';

onEveryEngine('Documents: ListDocuments', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
    const create = (input: ConstructorParameters<typeof CreateDocumentCommand>[0]) => ssm.send(new CreateDocumentCommand(input));
    await create({ Name: 'list-alpha', Content: commandContent('alpha'), TargetType: '/AWS::EC2::Instance', Tags: [{ Key: 'team', Value: 'ops' }], DisplayName: 'Alpha' });
    await create({ Name: 'list-beta', Content: powershellContent('beta'), Tags: [{ Key: 'team', Value: 'dev' }] });
    await create({ Name: 'list-gamma', Content: runbookContent('gamma'), DocumentType: 'Automation', DisplayName: 'Gamma Runbook' });
    await create({ Name: 'other-delta', Content: calendarContent('DEFAULT_OPEN', []), DocumentType: 'ChangeCalendar', DocumentFormat: 'TEXT' });
    await create({ Name: 'zz-last', Content: commandContent('last') });
    await ssm.send(new UpdateDocumentCommand({ Name: 'list-alpha', Content: commandContent('alpha two') }));
  });
  after(async () => {
    await t.stop();
  });

  async function list(input: ListDocumentsCommandInput = {}): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(new ListDocumentsCommand({ ...input, ...(token ? { NextToken: token } : {}) }));
      out.push(...page.DocumentIdentifiers!.map((d) => d.Name!));
      token = page.NextToken;
    } while (token);
    return out;
  }
  const self = (Key: string, Values?: string[]) => list({ Filters: [{ Key: 'Owner', Values: ['Self'] }, { Key, ...(Values ? { Values } : {}) }] });
  const mine = ['list-alpha', 'list-beta', 'list-gamma', 'other-delta', 'zz-last'];

  test('a DocumentIdentifier describes the default version of the document', async () => {
    const page = await ssm.send(new ListDocumentsCommand({ Filters: [{ Key: 'Name', Values: ['list-alpha'] }] }));
    const d = page.DocumentIdentifiers![0]!;
    assert.deepEqual(
      [d.Name, d.Owner, d.DocumentVersion, d.DocumentType, d.SchemaVersion, d.DocumentFormat, d.TargetType, d.DisplayName, d.PlatformTypes],
      ['list-alpha', t.accountId, '1', 'Command', '2.2', 'JSON', '/AWS::EC2::Instance', 'Alpha', ['Linux', 'MacOS']],
    );
    assert.deepEqual(d.Tags, [{ Key: 'team', Value: 'ops' }]);
    assert.equal(d.Author, `arn:aws:iam::${t.accountId}:user/admin`);
    assert.ok(d.CreatedDate instanceof Date);
  });

  test('Owner: Self, Amazon, All, ThirdParty, and by default the account\'s and AWS\'s documents together', async () => {
    assert.deepEqual(await list({ Filters: [{ Key: 'Owner', Values: ['Self'] }] }), mine);
    const amazon = await list({ Filters: [{ Key: 'Owner', Values: ['Amazon'] }] });
    assert.ok(amazon.includes('AWS-RunShellScript'));
    assert.ok(!amazon.some((n) => mine.includes(n)));
    const everything = await list();
    assert.deepEqual(everything, [...amazon, ...mine].sort(), 'merged in name order');
    assert.deepEqual(await list({ Filters: [{ Key: 'Owner', Values: ['All'] }] }), everything);
    assert.deepEqual(await list({ Filters: [{ Key: 'Owner', Values: ['ThirdParty'] }] }), []);
  });

  test('Name, DocumentType, PlatformTypes, SchemaVersion, TargetType, tag and SearchKeyword filters; several keys all apply', async () => {
    assert.deepEqual(await list({ Filters: [{ Key: 'Name', Values: ['list-'] }] }), ['list-alpha', 'list-beta', 'list-gamma']);
    assert.deepEqual(await list({ Filters: [{ Key: 'Name', Values: ['list-a', 'zz'] }] }), ['list-alpha', 'zz-last']);
    assert.deepEqual(await self('DocumentType', ['Automation']), ['list-gamma']);
    assert.deepEqual(await self('DocumentType', ['ChangeCalendar', 'Automation']), ['list-gamma', 'other-delta']);
    assert.deepEqual(await self('PlatformTypes', ['Windows']), ['list-beta', 'list-gamma', 'other-delta']);
    assert.deepEqual(await self('SchemaVersion', ['0.3']), ['list-gamma']);
    assert.deepEqual(await list({ Filters: [{ Key: 'TargetType', Values: ['/AWS::EC2::Instance'] }] }), ['list-alpha']);
    assert.deepEqual(await list({ Filters: [{ Key: 'tag:team', Values: ['ops'] }] }), ['list-alpha']);
    assert.deepEqual(await list({ Filters: [{ Key: 'tag:team' }] }), ['list-alpha', 'list-beta']);
    assert.deepEqual(await self('SearchKeyword', ['GAMMA']), ['list-gamma']);
    assert.deepEqual(await list({ Filters: [{ Key: 'SearchKeyword', Values: ['runshell'] }] }), ['AWS-RunShellScript', 'SSM-SessionManagerRunShell']);
    assert.deepEqual(await list({ Filters: [{ Key: 'DocumentType', Values: ['Command'] }, { Key: 'tag:team', Values: ['dev', 'qa'] }] }), ['list-beta']);
    assert.deepEqual(await list({ Filters: [{ Key: 'Name', Values: ['nothing-'] }] }), []);
  });

  test('the deprecated DocumentFilterList works alone and is refused together with Filters', async () => {
    assert.deepEqual(await list({ DocumentFilterList: [{ key: 'Owner', value: 'Self' }, { key: 'DocumentType', value: 'Automation' }] }), ['list-gamma']);
    assert.deepEqual(await list({ DocumentFilterList: [{ key: 'Name', value: 'zz' }] }), ['zz-last']);
    const both = await failure(ssm.send(new ListDocumentsCommand({ DocumentFilterList: [{ key: 'Owner', value: 'Self' }], Filters: [{ Key: 'Name', Values: ['x'] }] })));
    assert.equal(both.name, 'ValidationException');
  });

  test('bad filters, sizes and tokens are refused with AWS\'s codes', async () => {
    const bad = (input: ListDocumentsCommandInput) => failure(ssm.send(new ListDocumentsCommand(input)));
    assert.equal((await bad({ Filters: [{ Key: 'Colour', Values: ['red'] }] })).name, 'InvalidFilterKey');
    assert.equal((await bad({ Filters: [{ Key: 'Owner', Values: ['Self', 'Amazon'] }] })).name, 'ValidationException');
    assert.equal((await bad({ Filters: [{ Key: 'Owner', Values: ['Nobody'] }] })).name, 'ValidationException');
    assert.equal((await bad({ Filters: [{ Key: 'Name' }] })).name, 'ValidationException');
    assert.equal((await bad({ Filters: Array.from({ length: 7 }, () => ({ Key: 'Name', Values: ['x'] })) })).name, 'ValidationException');
    assert.equal((await bad({ DocumentFilterList: [{ key: 'Colour' as 'Name', value: 'x' }] })).name, 'ValidationException');
    assert.equal((await bad({ MaxResults: 51 })).name, 'ValidationException');
    assert.equal((await bad({ MaxResults: 0 })).name, 'ValidationException');
    assert.equal((await bad({ NextToken: 'not-a-token' })).name, 'InvalidNextToken');
    const page = await ssm.send(new ListDocumentsCommand({ MaxResults: 2 }));
    assert.equal((await bad({ NextToken: page.NextToken!, Filters: [{ Key: 'Owner', Values: ['Self'] }] })).name, 'InvalidNextToken', 'a token belongs to its listing');
  });

  test('pages hold MaxResults documents and together list everything once, in order', async () => {
    const all = await list();
    for (const MaxResults of [1, 3, 50]) assert.deepEqual(await list({ MaxResults }), all, `MaxResults ${MaxResults}`);
    const first = await ssm.send(new ListDocumentsCommand({ MaxResults: 3 }));
    assert.equal(first.DocumentIdentifiers!.length, 3);
    assert.ok(first.NextToken);
    const last = await ssm.send(new ListDocumentsCommand({ Filters: [{ Key: 'Owner', Values: ['Self'] }], MaxResults: 5 }));
    assert.equal(last.DocumentIdentifiers!.length, 5);
    assert.equal(last.NextToken, undefined, 'no token after the last document');
  });

  test('paging stays stable while documents are created and deleted between pages', async () => {
    const first = await ssm.send(new ListDocumentsCommand({ MaxResults: 4 }));
    const seen = first.DocumentIdentifiers!.map((d) => d.Name!);
    await ssm.send(new CreateDocumentCommand({ Name: '0-before-everything', Content: commandContent('early') }));
    await ssm.send(new CreateDocumentCommand({ Name: 'list-aardvark', Content: commandContent('middle') }));
    await ssm.send(new DeleteDocumentCommand({ Name: 'zz-last' }));
    let token = first.NextToken;
    while (token) {
      const page = await ssm.send(new ListDocumentsCommand({ MaxResults: 4, NextToken: token }));
      seen.push(...page.DocumentIdentifiers!.map((d) => d.Name!));
      token = page.NextToken;
    }
    assert.equal(new Set(seen).size, seen.length, 'no document twice');
    assert.deepEqual([...seen].sort(), seen, 'still in order');
    for (const n of ['AWS-RunShellScript', 'list-alpha', 'list-beta', 'list-gamma', 'other-delta', 'list-aardvark']) assert.ok(seen.includes(n), n);
    assert.ok(!seen.includes('0-before-everything'), 'created behind the cursor: not in this walk');
    assert.ok(!seen.includes('zz-last'), 'deleted before its page');
    await ssm.send(new CreateDocumentCommand({ Name: 'zz-last', Content: commandContent('last') }));
    await ssm.send(new DeleteDocumentCommand({ Name: '0-before-everything' }));
    await ssm.send(new DeleteDocumentCommand({ Name: 'list-aardvark' }));
  });
});
