import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { rawCall } from '../test-support/sign.js';

describe('the router', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  let t: TestServer;
  before(async () => {
    process.on('warning', onWarning);
    t = await startTestServer({});
    await new Promise((r) => setImmediate(r));
  });
  after(async () => {
    process.off('warning', onWarning);
    await t.stop();
  });

  const getTags = (label: string) =>
    rawCall({ endpoint: t.endpoint, service: 'resource-groups', credentials: t.credentials, method: 'GET', path: `/resources/${label}/tags` });

  test('starts without a deprecation warning', () => {
    assert.deepEqual(warnings.map((w) => `${(w as Error & { code?: string }).code ?? w.name}: ${w.message}`), []);
  });

  test('a path label of 8192 characters reaches its operation; one longer is a ValidationException', async () => {
    // Percent-encoded on the wire; the limit counts the decoded characters.
    const arn = (n: number) => {
      const head = `arn:aws:resource-groups:us-east-1:${t.accountId}:group/`;
      return encodeURIComponent(head + 'g'.repeat(n - head.length));
    };
    // Past the router, the operation's own input check answers (an ARN is at most 1,600 characters).
    const longest = await getTags(arn(8192));
    assert.equal(longest.status, 400, longest.text.slice(0, 200));
    assert.equal(longest.json().__type, 'BadRequestException', longest.text.slice(0, 200));
    const over = await getTags(arn(8193));
    assert.equal(over.status, 400, over.text.slice(0, 200));
    assert.equal(over.json().__type ?? over.headers.get('x-amzn-errortype'), 'ValidationException', over.text.slice(0, 200));
    assert.match(over.text, /longer than 8192/);
  });
});
