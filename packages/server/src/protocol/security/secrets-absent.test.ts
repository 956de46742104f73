import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateActivationCommand, DescribeSessionsCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand, PutParameterCommand, SendCommandCommand, SSMClient,
  StartSessionCommand, TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import { jsonHeaders, rawCall } from '../../test-support/sign.js';
import { ServerProcess } from '../../test-support/server-process.js';
import { SessionClient, SimulatedSessionAgent } from '../../test-support/sim-session-agent.js';
import { until } from '../../test-support/until.js';
import { serveCli } from './cli-server.js';

/**
 * SecureString values, a `{{ssm-secure:…}}` reference resolved into a command, and the bytes of a
 * port-forwarding session go through a real `capstan server` process; then its output, the audit
 * trail, the error messages of failing calls around them, the API's records of the command and
 * the session, and every file in the data directory (the SQLite database and its WAL included)
 * are searched for them, as text and as base64.
 */

const tag = randomBytes(6).toString('hex');
const SECRET_PUT = `capstan-put-secret-${tag}`;
const SECRET_REF = `capstan-ref-secret-${tag}`;
const PORT_PAYLOAD = `capstan-port-payload-${tag}`;
const NEEDLES = [SECRET_PUT, SECRET_REF, PORT_PAYLOAD];
/** A plain String parameter's value: the same search must find it, or the search proves nothing. */
const CONTROL = `capstan-plain-control-${tag}`;

let dataDir: string;
let sp: ServerProcess;
let ssm: SSMClient;
let agent: SimulatedSessionAgent;
const messages: string[] = [];
const tally = { failing: 0, bytesScanned: 0, files: 0, events: 0 };

function found(text: string | Buffer, needles = NEEDLES): string[] {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return needles.filter((n) => buf.includes(n) || buf.includes(Buffer.from(n).toString('base64').slice(0, 24)) || buf.includes(Buffer.from(n, 'utf16le')));
}

/** Collects the error of a call that must fail; its message is searched later. */
async function failing(what: string, call: Promise<unknown>): Promise<void> {
  const e = await call.then(
    () => assert.fail(`${what} was expected to fail`),
    (err: Error) => err,
  );
  messages.push(`${what}: ${e.name}: ${e.message}`);
  tally.failing++;
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'capstan-secrets-'));
  sp = await ServerProcess.start({ dataDir });
  ssm = new SSMClient(sp.clientConfig());
  const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  agent = new SimulatedSessionAgent(sp.url);
  await agent.register(a.ActivationId!, a.ActivationCode!);
  await agent.connect();
});

after(async () => {
  await agent?.close();
  await sp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`# secrets absent: ${tally.failing} failing calls' messages, ${tally.events} audit events, ${tally.files} files (${tally.bytesScanned} bytes) and the server's output searched for ${NEEDLES.length} secrets`);
});

describe('secrets stay out of logs, records, messages and files', () => {
  test('SecureStrings, a resolved {{ssm-secure:…}} and port-forwarded bytes go through the server', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/secrets/put', Value: SECRET_PUT, Type: 'SecureString' }));
    await ssm.send(new PutParameterCommand({ Name: '/secrets/ref', Value: SECRET_REF, Type: 'SecureString' }));
    await ssm.send(new PutParameterCommand({ Name: '/secrets/control', Value: CONTROL, Type: 'String' }));

    // Calls around them that fail, each carrying a secret where a careless message would echo it.
    await failing('a value over the limit', ssm.send(new PutParameterCommand({ Name: '/secrets/long', Value: `${SECRET_PUT}${'x'.repeat(8200)}`, Type: 'SecureString' })));
    await failing('a bad name', ssm.send(new PutParameterCommand({ Name: 'bad name!', Value: SECRET_PUT, Type: 'SecureString' })));
    await failing('an unknown type', ssm.send(new PutParameterCommand({ Name: '/secrets/x', Value: SECRET_PUT, Type: 'Secret' as never })));
    await failing('an existing name without Overwrite', ssm.send(new PutParameterCommand({ Name: '/secrets/put', Value: SECRET_PUT, Type: 'SecureString' })));
    await failing('a value the pattern refuses', ssm.send(new PutParameterCommand({ Name: '/secrets/pattern', Value: SECRET_PUT, Type: 'SecureString', AllowedPattern: '^[0-9]+$' })));
    await failing('an unknown key', ssm.send(new PutParameterCommand({ Name: '/secrets/key', Value: SECRET_PUT, Type: 'SecureString', KeyId: 'alias/no-such-key' })));
    await failing('a type change', ssm.send(new PutParameterCommand({ Name: '/secrets/put', Value: SECRET_PUT, Type: 'String', Overwrite: true })));
    await failing('an unknown command parameter', ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [agent.instanceId], Parameters: { commands: ['true'], password: [SECRET_PUT] } })));
    await failing('a wrong parameter type', ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [agent.instanceId], Parameters: { commands: ['true'], executionTimeout: [SECRET_PUT] } })));
    await failing('a missing ssm-secure reference', ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [agent.instanceId], Parameters: { commands: ['use {{ssm-secure:/secrets/none}}'] } })));
    await failing('an ssm-secure reference to a command on no node', ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['mi-00000000000000000'], Parameters: { commands: ['use {{ssm-secure:/secrets/ref}}'] } })));
    await failing('KMS Encrypt under an unknown key', new KMSClient(sp.clientConfig()).send(new EncryptCommand({ KeyId: 'alias/no-such-key', Plaintext: Buffer.from(SECRET_PUT) })));

    // The reference resolves at send time; the node needs the value and gets it.
    const cmd = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [agent.instanceId], Parameters: { commands: ['test -n "{{ssm-secure:/secrets/ref}}"'] } }))).Command!;
    await until('the command to succeed', async () => (await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd.CommandId!, InstanceId: agent.instanceId }))).Status === 'Success');
    assert.ok(JSON.stringify(agent.jobs.find((j) => j.id === cmd.CommandId)).includes(SECRET_REF), 'the node received the resolved value');
    // The API's records of the command keep the reference, never the value.
    const records = JSON.stringify([cmd, await ssm.send(new ListCommandsCommand({ CommandId: cmd.CommandId! })), await ssm.send(new ListCommandInvocationsCommand({ CommandId: cmd.CommandId!, Details: true })), await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd.CommandId!, InstanceId: agent.instanceId }))]);
    assert.match(records, /\{\{ssm-secure:\/secrets\/ref\}\}/);
    assert.deepEqual(found(records), []);

    // A port-forwarding session carries bytes both ways; its transcript has none of them.
    const started = await ssm.send(new StartSessionCommand({ Target: agent.instanceId, DocumentName: 'AWS-StartPortForwardingSession', Parameters: { portNumber: ['5432'] } }));
    const client = new SessionClient(started.StreamUrl!);
    assert.equal(await client.open(started.TokenValue!), 'open');
    await until('the node dials the session', () => agent.sessions.get(started.SessionId!)?.ws);
    client.write(PORT_PAYLOAD);
    await until('the bytes to come back through the relay', () => client.output.includes(PORT_PAYLOAD));
    const transcript = await rawCall({ endpoint: sp.url, service: 'ssm', credentials: sp.clientConfig().credentials, headers: jsonHeaders('AmazonSSM.CapstanGetSessionTranscript'), body: JSON.stringify({ SessionId: started.SessionId }) });
    assert.equal(transcript.status, 200, transcript.text);
    assert.deepEqual(found(transcript.text), [], 'the transcript of a port session holds no payload');
    const sessions = await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'SessionId', value: started.SessionId! }] }));
    assert.equal(sessions.Sessions?.[0]?.Target, agent.instanceId, 'the session\'s metadata is kept');
    assert.deepEqual(found(JSON.stringify(sessions)), []);
    await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId! }));
    client.close();

    assert.deepEqual(messages.filter((m) => found(m).length > 0), [], 'no error message carries a secret');
  });

  test('the audit trail holds none of them', async () => {
    const trail = new CloudTrailClient(sp.clientConfig());
    let token: string | undefined;
    const hits: string[] = [];
    let putEvents = 0;
    let hidden = 0;
    do {
      const page = await trail.send(new LookupEventsCommand({ MaxResults: 50, ...(token ? { NextToken: token } : {}) }));
      for (const e of page.Events ?? []) {
        tally.events++;
        if (e.EventName === 'PutParameter') {
          putEvents++;
          if (e.CloudTrailEvent?.includes('HIDDEN_DUE_TO_SECURITY_REASONS')) hidden++;
        }
        if (found(JSON.stringify(e)).length) hits.push(`${e.EventName}: ${e.CloudTrailEvent?.slice(0, 300)}`);
      }
      token = page.NextToken;
    } while (token);
    assert.ok(tally.events > 10, `audit events read: ${tally.events}`);
    assert.deepEqual(hits, []);
    assert.ok(putEvents > 0 && putEvents === hidden, `PutParameter events are recorded with the value hidden (${hidden} of ${putEvents})`);
  });

  test('the server\'s output and every file of its data directory hold none of them, running and stopped', async () => {
    let controlFound = false;
    const scan = (): string[] => {
      const hits: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else {
            const bytes = readFileSync(path);
            tally.files++;
            tally.bytesScanned += bytes.length;
            for (const n of found(bytes)) hits.push(`${path}: ${n}`);
            if (found(bytes, [CONTROL]).length) controlFound = true;
          }
        }
      };
      walk(dataDir);
      return hits;
    };
    assert.deepEqual(scan(), [], 'while running (the WAL holds the latest writes)');
    assert.deepEqual(found(sp.output), [], 'the server printed a secret');
    const output = sp.output;
    await sp.stop();
    assert.deepEqual(scan(), [], 'after a clean stop (checkpointed into the database)');
    assert.ok(output.length > 0);
    assert.ok(controlFound, 'the search finds a plain String value in the data directory');
  });

  test('core dumps: the server turns them off for itself, unless CAPSTAN_ALLOW_CORE_DUMPS=1', async () => {
    const coreLimit = (pid: number) => /^Max core file size\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1];
    const dir = mkdtempSync(join(tmpdir(), 'capstan-core-'));
    try {
      // Started with core dumps allowed, as a shell with `ulimit -c unlimited` would start it.
      const s = await serveCli({ dataDir: dir, listen: '127.0.0.1:0', shellPrefix: 'ulimit -c unlimited' });
      assert.equal(coreLimit(s.proc.pid!), '0');
      await s.stop();
      const kept = await serveCli({ dataDir: dir, listen: '127.0.0.1:0', shellPrefix: 'ulimit -c unlimited', env: { CAPSTAN_ALLOW_CORE_DUMPS: '1' } });
      assert.equal(coreLimit(kept.proc.pid!), 'unlimited');
      await kept.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
