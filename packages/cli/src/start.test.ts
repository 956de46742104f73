import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const root = new URL('../../../', import.meta.url).pathname;
const nodeArgs = ['--conditions=capstan-src', '--import', 'tsx', join(root, 'packages/cli/src/main.ts')];
const env = { CAPSTAN_ADMIN_ACCOUNT_ID: '444455550000', CAPSTAN_ADMIN_ACCESS_KEY_ID: 'AKIASTARTTEST0000001', CAPSTAN_ADMIN_SECRET_ACCESS_KEY: 'start-test-secret-0123456789abcdefghijk' };
const base = mkdtempSync(join(tmpdir(), 'capstan-start-'));
const dir = join(base, 'data');
const procs = new Set<ChildProcess>();
after(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

/** Runs `capstan start` until it names its local node. */
async function start(listen = '127.0.0.1:0'): Promise<{ proc: ChildProcess; url: string; instanceId: string; output: () => string }> {
  const proc = spawn(process.execPath, [...nodeArgs, 'start', '--data-dir', dir, '--listen', listen], { cwd: root, env: { ...process.env, ...env } });
  procs.add(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const [url, instanceId] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start did not name its node:\n${out}`)), 30_000);
    proc.stdout!.on('data', () => {
      const u = /serving at (https?:\/\/[\d.:]+)/.exec(out)?.[1];
      const id = /Local agent: managed node (mi-[0-9a-f]{17})/.exec(out)?.[1];
      if (u && id) (clearTimeout(timer), resolve([u, id]));
    });
    proc.on('exit', (code) => reject(new Error(`start exited with ${code}:\n${out}`)));
  });
  return { proc, url, instanceId, output: () => out };
}

const stop = (proc: ChildProcess) => new Promise<number | null>((resolve) => (proc.once('exit', (code) => (procs.delete(proc), resolve(code))), proc.kill('SIGTERM')));

async function onlineNodes(url: string, ca?: Buffer): Promise<{ InstanceId?: string; PingStatus?: string }[]> {
  const ssm = new SSMClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: env.CAPSTAN_ADMIN_ACCESS_KEY_ID, secretAccessKey: env.CAPSTAN_ADMIN_SECRET_ACCESS_KEY },
    maxAttempts: 1,
    ...(ca ? { requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca }) }) } : {}),
  });
  const end = Date.now() + 15_000;
  for (;;) {
    const list = (await ssm.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList ?? [];
    if (list.length > 0 && list.every((n) => n.PingStatus === 'Online')) return list;
    if (Date.now() > end) assert.fail(`no Online node: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('capstan start brings up one Online local node, and a restart keeps its identity', async () => {
  const first = await start();
  const nodes = await onlineNodes(first.url);
  assert.equal(nodes.length, 1);
  assert.equal(nodes[0]!.InstanceId, first.instanceId);
  assert.equal(statSync(join(dir, 'agent')).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'agent', 'private-key.pem')).mode & 0o777, 0o600);
  assert.equal(await stop(first.proc), 0);

  // Another free port: the local agent follows the server to it.
  const second = await start();
  assert.equal(second.instanceId, first.instanceId);
  const again = await onlineNodes(second.url);
  assert.deepEqual(again.map((n) => n.InstanceId), [first.instanceId]);
  assert.equal(await stop(second.proc), 0);

  // Beyond loopback the server makes its own certificate, and the local agent pins it.
  const open = await start('0.0.0.0:0');
  assert.match(open.url, /^https:/);
  assert.equal(open.instanceId, first.instanceId);
  const port = new URL(open.url).port;
  const viaTls = await onlineNodes(`https://127.0.0.1:${port}`, readFileSync(join(dir, 'tls', 'server.crt')));
  assert.deepEqual(viaTls.map((n) => n.InstanceId), [first.instanceId]);
  assert.equal(await stop(open.proc), 0);
});
