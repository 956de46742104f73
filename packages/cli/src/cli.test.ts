import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const root = new URL('../../../', import.meta.url).pathname;
const main = join(root, 'packages/cli/src/main.ts');
const nodeArgs = ['--conditions=capstan-src', '--import', 'tsx', main];

/** Runs the real `capstan` command to completion. */
function capstan(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...nodeArgs, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Running {
  proc: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `capstan server` and waits for it to say where it serves. */
async function serve(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const proc = spawn(process.execPath, [...nodeArgs, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { cwd: root, env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /serving at (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { proc, url, output: () => out };
}

function stop(r: Running): Promise<number | null> {
  return new Promise((resolve) => {
    r.proc.once('exit', (code) => resolve(code));
    r.proc.kill('SIGTERM');
  });
}

describe('capstan server', () => {
  let dir: string;
  let server: Running;
  const env = { CAPSTAN_ADMIN_ACCOUNT_ID: '444455556666', CAPSTAN_ADMIN_ACCESS_KEY_ID: 'AKIACLITEST000000001', CAPSTAN_ADMIN_SECRET_ACCESS_KEY: 'cli-test-secret-0123456789abcdefghijklmn' };
  const client = () => ({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: env.CAPSTAN_ADMIN_ACCESS_KEY_ID, secretAccessKey: env.CAPSTAN_ADMIN_SECRET_ACCESS_KEY }, maxAttempts: 1 });

  before(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'capstan-cli-')), 'data');
    server = await serve(dir, env);
  });
  after(async () => {
    if (server.proc.exitCode === null) await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  test('bootstraps the preset admin, prints the secret once, and writes private credential and key files', async () => {
    assert.match(server.output(), /Created admin account 444455556666/);
    assert.match(server.output(), /cli-test-secret-0123456789abcdefghijklmn/);
    const creds = readFileSync(join(dir, 'credentials'), 'utf8');
    assert.match(creds, /\[default\]\naws_access_key_id = AKIACLITEST000000001\naws_secret_access_key = cli-test-secret-0123456789abcdefghijklmn\n/);
    assert.equal(statSync(join(dir, 'credentials')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'root.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'capstan.db')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const who = await new STSClient(client()).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, 'arn:aws:iam::444455556666:user/admin');
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
  });

  test('capstan iam manages users through the API, with the data directory\'s credentials', () => {
    const created = capstan(['iam', 'create-user', '--user-name', 'carol', '--endpoint', server.url, '--data-dir', dir]);
    assert.equal(created.status, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).User.UserName, 'carol');
    const attached = capstan(['iam', 'attach-user-policy', '--user-name', 'carol', '--policy-arn', 'AmazonSSMReadOnlyAccess', '--endpoint', server.url, '--data-dir', dir]);
    assert.equal(attached.status, 0, attached.stderr);
    const listed = capstan(['iam', 'list-attached-user-policies', '--user-name', 'carol', '--endpoint', server.url, '--data-dir', dir]);
    assert.equal(JSON.parse(listed.stdout).AttachedPolicies[0].PolicyArn, 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess');
    const dup = capstan(['iam', 'create-user', '--user-name', 'carol', '--endpoint', server.url, '--data-dir', dir]);
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /EntityAlreadyExists.*carol already exists/);
  });

  test('capstan audit shows who did what', () => {
    const r = capstan(['audit', '--event-name', 'CreateUser', '--endpoint', server.url, '--data-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 2, r.stdout);
    assert.match(lines[0]!, /\tadmin\tiam\tCreateUser\t127\.0\.0\.1\t/);
    assert.ok(lines.some((l) => l.endsWith('EntityAlreadyExists')), 'the failed duplicate is recorded');
  });

  test('capstan account create makes a tenant whose key works at once', async () => {
    const r = capstan(['account', 'create', '--name', 'team-b', '--account-id', '777788889999', '--data-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    const acct = JSON.parse(r.stdout) as { AccountId: string; AccessKeyId: string; SecretAccessKey: string };
    assert.equal(acct.AccountId, '777788889999');
    const who = await new STSClient({ ...client(), credentials: { accessKeyId: acct.AccessKeyId, secretAccessKey: acct.SecretAccessKey } }).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, '777788889999');
    const again = capstan(['account', 'create', '--name', 'dup', '--account-id', '777788889999', '--data-dir', dir]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /777788889999 already exists/);
  });

  test('capstan throttle sets, lists and refuses bad limits', () => {
    const bad = capstan(['throttle', 'set', '--account-id', '444455556666', '--family', 'ssm:read', '--rate', '0', '--data-dir', dir]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /at least 1/);
    const ok = capstan(['throttle', 'set', '--account-id', '444455556666', '--family', 'kms:write', '--rate', '2000', '--data-dir', dir]);
    assert.equal(ok.status, 0, ok.stderr);
    const list = capstan(['throttle', 'list', '--data-dir', dir]);
    assert.match(list.stdout, /444455556666\tkms:write\t2000\/s\tburst 4000/);
  });

  test('a restart keeps the data and does not print the secret again; SIGTERM stops cleanly', async () => {
    assert.equal(await stop(server), 0);
    server = await serve(dir);
    assert.doesNotMatch(server.output(), /secret|Created admin/);
    const who = await new STSClient(client()).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, '444455556666');
  });

  test('a root key that does not match the store is refused at start', async () => {
    assert.equal(await stop(server), 0);
    const r = capstan(['server', '--data-dir', dir, '--listen', '127.0.0.1:0'], { CAPSTAN_ROOT_KEY: Buffer.alloc(32, 7).toString('base64') });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the root key does not open the secrets in this database/);
    server = await serve(dir);
  });

  test('a bad --listen is refused with a clear message', () => {
    const r = capstan(['server', '--data-dir', dir, '--listen', 'nowhere']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--listen must be HOST:PORT/);
  });

  test('bad replica settings are refused with a clear message, before anything starts', () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--public-url', 'not a url'], {}, /--public-url must be a URL such as/],
      [['--public-url', 'capstan-1:9700'], {}, /--public-url must be http\(s\):\/\//],
      [['--public-url', 'ftp://capstan-1'], {}, /--public-url must be http\(s\):\/\//],
      [[], { CAPSTAN_JOB_LEASE_MS: '500' }, /CAPSTAN_JOB_LEASE_MS must be a whole number of milliseconds, at least 1000 \(got 500\)/],
      [[], { CAPSTAN_REPLICA_HEARTBEAT_MS: '1000', CAPSTAN_REPLICA_DEAD_AFTER_MS: '2000' }, /must be at least three heartbeats/],
      [[], { CAPSTAN_SESSION_RESUME_WINDOW_MS: 'soon' }, /CAPSTAN_SESSION_RESUME_WINDOW_MS must be a whole number/],
    ];
    for (const [args, env, message] of cases) {
      const r = capstan(['server', '--data-dir', dir, '--listen', '127.0.0.1:0', ...args], env);
      assert.equal(r.status, 1, `${args.join(' ')} ${JSON.stringify(env)}`);
      assert.match(r.stderr, message);
    }
    const pool = capstan(['server', '--data-dir', dir, '--listen', '127.0.0.1:0', '--database', 'postgres://nowhere.invalid/x'], { CAPSTAN_DATABASE_POOL_SIZE: '1' });
    assert.equal(pool.status, 1);
    assert.match(pool.stderr, /CAPSTAN_DATABASE_POOL_SIZE must be a whole number from 2 to 1000 \(got 1\)/);
  });
});
