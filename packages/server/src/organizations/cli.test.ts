import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cliRoot, serveCli, type CliServer } from '../protocol/security/cli-server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';

/**
 * `capstan account organization …` against the store of a running `capstan server`: what the
 * commands store, what they refuse (storing nothing), and that the server answers with it at once.
 */

const dir = mkdtempSync(join(tmpdir(), 'capstan-org-cli-'));
let server: CliServer;

function capstan(...args: string[]) {
  const r = spawnSync(process.execPath, [...CLI, ...args, '--data-dir', dir], { cwd: cliRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]) {
  const r = capstan(...args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
function refused(message: RegExp, ...args: string[]) {
  const r = capstan(...args);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, message);
}

const M = '210000000001';
const A = '210000000002';
const B = '210000000003';
const keys = new Map<string, { accessKeyId: string; secretAccessKey: string }>();

before(async () => {
  server = await serveCli({ dataDir: dir, listen: '127.0.0.1:0' });
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const describeAs = async (account: string) => {
  const url = /serving at (https?:\/\/[\d.:]+)/.exec(server.output())![1]!;
  const r = await rawCall({ endpoint: url, service: 'ssm', credentials: keys.get(account)!, headers: jsonHeaders('AmazonSSM.CapstanDescribeOrganization'), body: '{}' });
  assert.equal(r.status, 200, r.text);
  return r.json() as { Organization?: { Id: string; ManagementAccountId: string; IsManagementAccount: boolean; Members?: { AccountId: string }[] } };
};

test('create, add-member, remove-member and show keep one organization, refuse what is wrong, and the running server answers with it', async () => {
  for (const id of [M, A, B]) {
    const created = ok('account', 'create', '--name', `org-${id}`, '--account-id', id) as { AccessKeyId: string; SecretAccessKey: string };
    keys.set(id, { accessKeyId: created.AccessKeyId, secretAccessKey: created.SecretAccessKey });
  }
  assert.equal(capstan('account', 'organization', 'show').stdout.trim(), 'null', 'no organization yet');
  refused(/no organization yet: create one/, 'account', 'organization', 'add-member', '--account-id', A);
  refused(/Account 299999999999 does not exist on this server/, 'account', 'organization', 'create', '--management-account', '299999999999');
  refused(/not valid: an account id is 12 digits/, 'account', 'organization', 'create', '--management-account', '12345');
  assert.deepEqual(await describeAs(M), {}, 'the server sees no organization');

  const org = ok('account', 'organization', 'create', '--management-account', M) as { Id: string; ManagementAccountId: string; Members: unknown[] };
  assert.match(org.Id, /^o-[a-z0-9]{10}$/);
  assert.equal(org.ManagementAccountId, M);
  assert.deepEqual(org.Members, []);
  refused(new RegExp(`already has organization ${org.Id}, managed by account ${M}`), 'account', 'organization', 'create', '--management-account', A);
  refused(/is the management account of organization/, 'account', 'organization', 'add-member', '--account-id', M);

  ok('account', 'organization', 'add-member', '--account-id', A);
  const both = ok('account', 'organization', 'add-member', '--account-id', B) as { Members: { AccountId: string }[] };
  assert.deepEqual(both.Members.map((m) => m.AccountId), [A, B]);
  refused(new RegExp(`Account ${A} is already a member of organization ${org.Id}`), 'account', 'organization', 'add-member', '--account-id', A);

  const seen = await describeAs(M);
  assert.equal(seen.Organization?.Id, org.Id);
  assert.equal(seen.Organization?.IsManagementAccount, true);
  assert.deepEqual(seen.Organization?.Members?.map((m) => m.AccountId), [A, B], 'the running server reads what the command stored');

  const after = ok('account', 'organization', 'remove-member', '--account-id', B) as { Members: { AccountId: string }[] };
  assert.deepEqual(after.Members.map((m) => m.AccountId), [A]);
  refused(new RegExp(`Account ${B} is not a member of organization ${org.Id}`), 'account', 'organization', 'remove-member', '--account-id', B);
  assert.deepEqual(await describeAs(B), {}, 'a removed account is in no organization');
  assert.deepEqual((await describeAs(A)).Organization, { Id: org.Id, ManagementAccountId: M, IsManagementAccount: false });
  const shown = ok('account', 'organization', 'show') as { Id: string; Members: { AccountId: string }[] };
  assert.equal(shown.Id, org.Id);
  assert.deepEqual(shown.Members.map((m) => m.AccountId), [A], 'the refusals stored nothing');
});
