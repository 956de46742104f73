import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CreateDocumentCommand, DescribeDocumentCommand, DocumentType, GetDocumentCommand, ListDocumentsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { failure } from './test-support/fixtures.js';
import { validFixtures } from './validation/fixtures/index.js';
import { invalidFixtures } from './validation/fixtures/invalid/index.js';

/** The validator's name for a type, as the API spells it. */
const apiType = (type: string) => (type === 'ChangeTemplate' ? 'Automation.ChangeTemplate' : type) as DocumentType;
const API_TYPES: readonly string[] = Object.values(DocumentType);
// A package's manifest names archives that must be in the package store first; the fixtures'
// checksums name none, so Package documents go through the API in distributor.test.ts.
const stored = validFixtures.filter((f) => f.type !== 'Package');

// The validator's own fixtures, through the API: the capability stores what the validator
// accepts and refuses, with the validator's error, what it refuses.
onEveryEngine('Documents: the validator\'s fixtures through CreateDocument', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    await t.stop();
  });

  test('every valid fixture is created as sent and reads back with its type, format and hash', async () => {
    for (const f of stored) {
      const Name = `valid-${f.name}`;
      const d = (await ssm.send(new CreateDocumentCommand({ Name, Content: f.content, DocumentType: apiType(f.type), DocumentFormat: f.format }))).DocumentDescription!;
      assert.deepEqual([d.DocumentType, d.DocumentFormat, d.Status], [apiType(f.type), f.format, 'Active'], f.name);
      assert.equal(d.Hash, createHash('sha256').update(f.content).digest('hex'), f.name);
      assert.equal((await ssm.send(new GetDocumentCommand({ Name }))).Content, f.content, f.name);
    }
    let listed = 0;
    let token: string | undefined;
    do {
      const page = await ssm.send(new ListDocumentsCommand({ Filters: [{ Key: 'Owner', Values: ['Self'] }], ...(token ? { NextToken: token } : {}) }));
      listed += page.DocumentIdentifiers!.length;
      token = page.NextToken;
    } while (token);
    assert.equal(listed, stored.length);
    const template = (await ssm.send(new DescribeDocumentCommand({ Name: 'valid-change-template' }))).Document!;
    assert.equal(template.DocumentType, 'Automation.ChangeTemplate');
  });

  test('every invalid fixture is refused with the validator\'s code and message, and nothing is created', async () => {
    for (const f of invalidFixtures) {
      const Name = `invalid-${f.name}`.slice(0, 128);
      const e = await failure(ssm.send(new CreateDocumentCommand({ Name, Content: f.content, DocumentType: apiType(f.type), DocumentFormat: f.format })));
      // The model's constraints (content length, the type enum) refuse some before the validator sees them.
      const front = f.content === '' || !API_TYPES.includes(apiType(f.type));
      assert.equal(e.name, front ? 'ValidationException' : f.code, f.name);
      if (front) continue;
      assert.ok(e.message.includes(f.message), `${f.name}: ${e.message}`);
      assert.equal((await failure(ssm.send(new GetDocumentCommand({ Name })))).name, 'InvalidDocument', f.name);
    }
    const listed = (await ssm.send(new ListDocumentsCommand({ Filters: [{ Key: 'Name', Values: ['invalid-'] }] }))).DocumentIdentifiers!;
    assert.deepEqual(listed, []);
  });
});
