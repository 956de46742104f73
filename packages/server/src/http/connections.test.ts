import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { startTestServer, type TestServer } from '../test-support/server.js';

describe('connections', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({});
  });
  after(async () => {
    await t.stop();
  });

  /** GET /health on `agent`: the Keep-Alive header and whether the request went on a socket already used. */
  const health = (agent: Agent) =>
    new Promise<{ keepAlive: string | undefined; reused: boolean }>((resolve, reject) => {
      const req = request(`${t.endpoint}/health`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ keepAlive: res.headers['keep-alive'] as string | undefined, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end();
    });

  test('an idle connection is kept 72 s, announced in Keep-Alive, and is still there after Node’s default 5 s', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await health(agent);
      assert.equal(first.keepAlive, 'timeout=72');
      assert.equal(first.reused, false);
      await new Promise((r) => setTimeout(r, 6_000));
      const second = await health(agent);
      assert.equal(second.reused, true, 'the second request went on the connection of the first');
    } finally {
      agent.destroy();
    }
  });
});
