import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CreateActivationCommand, DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { freePort } from '../../test-support/replica-set.js';
import { until } from '../../test-support/until.js';
import { admin, CLI, cliRoot as root, serveCli, type CliServer } from './cli-server.js';

/**
 * `capstan server` on an address other machines can reach (0.0.0.0; the test itself connects over
 * 127.0.0.1) with no certificate of the operator's: it must serve HTTPS with a self-signed
 * certificate kept in the data directory, print the fingerprint agents pin, and not answer plain
 * HTTP, unless told `--insecure-http`.
 */
const run = promisify(execFile);

const dirs: string[] = [];
const servers: CliServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'capstan-tls-'));
  dirs.push(d);
  return d;
}

/** The TLS lines of the banner follow the serving line; wait for them when a certificate is expected. */
async function serve(dataDir: string, listen: string, extra: string[] = []): Promise<CliServer> {
  const selfSigned = !listen.startsWith('127.') && !extra.includes('--insecure-http');
  const s = await serveCli({ dataDir, listen, args: extra, ...(selfSigned ? { until: /Agents: / } : {}) });
  servers.push(s);
  return s;
}

const fingerprintIn = (output: string) => /SHA-256 fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/.exec(output)?.[1];

/** An SSM client that trusts exactly this certificate (full verification, the address checked against the certificate's names). */
function ssmOver(url: string, ca: Buffer): SSMClient {
  return new SSMClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    maxAttempts: 1,
    // No servername: the host name checked is 127.0.0.1, as for AWS_CA_BUNDLE users connecting by address.
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca }) }),
  });
}

describe('TLS by default off loopback', () => {
  test('0.0.0.0 without a certificate: HTTPS with a self-signed certificate whose printed fingerprint agents pin; no plain HTTP', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const s = await serve(dataDir, `0.0.0.0:${port}`);
    const fingerprint = fingerprintIn(s.output());
    assert.ok(fingerprint, `a SHA-256 fingerprint is printed:\n${s.output()}`);

    const certFile = join(dataDir, 'tls', 'server.crt');
    const keyFile = join(dataDir, 'tls', 'server.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the private key is readable by its owner only');
    const cert = readFileSync(certFile);
    assert.equal(new X509Certificate(cert).fingerprint256, fingerprint, 'the printed fingerprint is the certificate on disk');

    // The SDK over verified TLS, trusting only this certificate.
    const ssm = ssmOver(`https://127.0.0.1:${port}`, cert);
    const info = await ssm.send(new DescribeInstanceInformationCommand({}));
    assert.deepEqual(info.InstanceInformationList, []);

    // The certificate the server presents is the one printed.
    const presented = await new Promise<string>((resolve, reject) => {
      import('node:tls').then(({ connect }) => {
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert }, () => {
          resolve(socket.getPeerCertificate().fingerprint256);
          socket.end();
        });
        socket.on('error', reject);
      }, reject);
    });
    assert.equal(presented, fingerprint);

    // Plain HTTP on the same port gets no HTTP answer.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'plain HTTP must not be served');

    // A real agent registers over HTTPS with the printed pin, and refuses a wrong one.
    const activation = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2 }));
    const register = (pin: string, stateDir: string) =>
      run(process.execPath, [...CLI, 'agent', 'register', '--endpoint', `https://127.0.0.1:${port}`, '--activation-id', activation.ActivationId!, '--activation-code', activation.ActivationCode!, '--region', 'us-east-1', '--state-dir', stateDir, '--pin-sha256', pin], { cwd: root });
    const wrong = fingerprint.replace(/^[0-9A-F]{2}/, (b) => (b === '00' ? '01' : '00'));
    await assert.rejects(register(wrong, join(tempDir(), 'agent')), /not the pinned one/);
    const agentDir = join(tempDir(), 'agent');
    await register(fingerprint, agentDir);
    const identity = JSON.parse(readFileSync(join(agentDir, 'identity.json'), 'utf8')) as { instanceId: string };
    assert.match(identity.instanceId, /^mi-[0-9a-f]{17}$/);

    // A restart keeps the certificate, so pins keep working.
    await s.stop();
    const again = await serve(dataDir, `0.0.0.0:${port}`);
    assert.equal(fingerprintIn(again.output()), fingerprint);
    assert.match(again.output(), /made on the first start/);
    await again.stop();
  });

  test('--insecure-http keeps plain HTTP on 0.0.0.0, with a warning and no certificate', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const s = await serve(dataDir, `0.0.0.0:${port}`, ['--insecure-http']);
    await until('the --insecure-http warning', () => /warning: --insecure-http: plain HTTP on 0\.0\.0\.0/.test(s.output()), { detail: s.output });
    assert.equal(fingerprintIn(s.output()), undefined);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);
    assert.throws(() => statSync(join(dataDir, 'tls', 'server.key')), /ENOENT/);
    await s.stop();
  });

  test('loopback stays plain HTTP without a certificate', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const s = await serve(dataDir, `127.0.0.1:${port}`, ['--insecure-http']);
    assert.doesNotMatch(s.output(), /--insecure-http/, 'no warning on loopback');
    await s.stop();
    const plain = await serve(dataDir, `127.0.0.1:${port}`);
    assert.match(plain.output(), new RegExp(`serving at http://127\\.0\\.0\\.1:${port}`));
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    assert.throws(() => statSync(join(dataDir, 'tls', 'server.key')), /ENOENT/);
    await plain.stop();
  });
});
