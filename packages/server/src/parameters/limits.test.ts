import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient, type PutParameterCommandInput } from '@aws-sdk/client-ssm';
import pg from 'pg';
import { currentSchema } from '../store/database.js';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { POSTGRES_URL } from '../test-support/postgres.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import type { ParameterRow, ParameterTables, VersionRow } from './tables.js';

const STANDARD_LIMIT = 10_000;

onEveryEngine('Parameter Store tier limits', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  const region = 'eu-west-3';
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig({ region }));
    await fillStandardTier(STANDARD_LIMIT - 5);
  });
  after(async () => {
    ssm.destroy();
    await t.stop();
  });
  const put = (input: PutParameterCommandInput) => ssm.send(new PutParameterCommand(input));
  const db = () => t.server.core.database.db.withTables<ParameterTables>();
  const standardRows = async () =>
    Number((await db().selectFrom('parameters').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', t.accountId).where('region', '=', region).where('tier', '=', 'Standard').executeTakeFirstOrThrow()).n);

  /**
   * The state `count` creates leave behind, written in bulk: creating 10,000 parameters one
   * call at a time would take the suite most of a minute. The rows copy one made by PutParameter.
   */
  async function fillStandardTier(count: number): Promise<void> {
    await put({ Name: '/seed/template', Value: 'v', Type: 'String' });
    const row = (await db().selectFrom('parameters').selectAll().where('account_id', '=', t.accountId).where('region', '=', region).where('name', '=', '/seed/template').executeTakeFirstOrThrow()) as ParameterRow;
    const version = (await db().selectFrom('parameter_versions').selectAll().where('account_id', '=', t.accountId).where('region', '=', region).where('name', '=', '/seed/template').executeTakeFirstOrThrow()) as VersionRow;
    const names = Array.from({ length: count - 1 }, (_, i) => `/seed/p${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500);
      await db().insertInto('parameters').values(chunk.map((name) => ({ ...row, name }))).execute();
      await db().insertInto('parameter_versions').values(chunk.map((name) => ({ ...version, name }))).execute();
    }
    await db().updateTable('parameter_counts').set({ count }).where('account_id', '=', t.accountId).where('region', '=', region).where('tier', '=', 'Standard').execute();
    assert.equal(await standardRows(), count);
  }

  test('concurrent creates fill the Standard tier to exactly 10,000; the rest fail with ParameterLimitExceeded and leave nothing', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `/race/p${i}`);
    const results = await Promise.allSettled(names.map((Name) => put({ Name, Value: 'x', Type: 'String' })));
    const created = names.filter((_, i) => results[i]!.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    assert.equal(created.length, 5);
    assert.equal(refused.length, 7);
    for (const e of refused) {
      assert.equal(e.name, 'ParameterLimitExceeded');
      assert.match(e.message, /limit of 10000 standard parameters/);
    }
    assert.equal(await standardRows(), STANDARD_LIMIT);
    for (const [i, Name] of names.entries()) {
      if (results[i]!.status === 'fulfilled') assert.equal((await ssm.send(new GetParameterCommand({ Name }))).Parameter!.Value, 'x');
      else assert.equal((await failure(ssm.send(new GetParameterCommand({ Name })))).name, 'ParameterNotFound');
    }
  });

  test('at the limit an existing parameter still takes new versions, and other tiers still take new parameters', async () => {
    assert.equal((await put({ Name: '/seed/template', Value: 'v2', Overwrite: true })).Version, 2);
    assert.equal((await failure(put({ Name: '/full/standard', Value: 'x', Type: 'String', Tier: 'Standard' }))).name, 'ParameterLimitExceeded');
    assert.equal((await put({ Name: '/full/advanced', Value: 'x', Type: 'String', Tier: 'Advanced' })).Tier, 'Advanced');
    assert.equal((await put({ Name: '/full/intelligent', Value: 'x', Type: 'String', Tier: 'Intelligent-Tiering' })).Tier, 'Advanced');
    assert.equal(await standardRows(), STANDARD_LIMIT);
  });

  test('deleting a parameter, or moving one up to Advanced, makes room in the Standard tier', async () => {
    await ssm.send(new DeleteParameterCommand({ Name: '/seed/p00000' }));
    await put({ Name: '/room/after-delete', Value: 'x', Type: 'String' });
    assert.equal((await failure(put({ Name: '/room/none', Value: 'x', Type: 'String' }))).name, 'ParameterLimitExceeded');
    assert.equal((await put({ Name: '/seed/p00001', Value: 'up', Tier: 'Advanced', Overwrite: true })).Tier, 'Advanced');
    await put({ Name: '/room/after-move', Value: 'x', Type: 'String' });
    assert.equal(await standardRows(), STANDARD_LIMIT);
  });

  test('on PostgreSQL a parameter deleted by SQL outside Capstan, in a session with another search_path, makes room too', { skip: engine !== 'postgres' }, async () => {
    const schemaName = await currentSchema(t.server.core.database.db);
    const operator = new pg.Client({ connectionString: POSTGRES_URL });
    await operator.connect();
    try {
      await operator.query(`delete from ${schemaName}.parameters where account_id = $1 and region = $2 and name = '/seed/p00002'`, [t.accountId, region]);
    } finally {
      await operator.end();
    }
    await put({ Name: '/room/after-sql', Value: 'x', Type: 'String' });
    assert.equal((await failure(put({ Name: '/room/none', Value: 'x', Type: 'String' }))).name, 'ParameterLimitExceeded');
    assert.equal(await standardRows(), STANDARD_LIMIT);
  });
});
