import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateActivationCommand, CreateDocumentCommand, DeleteDocumentCommand, SSMClient, StartSessionCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { session as wire } from '@capstan/wire';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { SessionClient, SimulatedSessionAgent, type SimAgentSession } from '../test-support/sim-session-agent.js';

/**
 * The server's half of KMS-encrypted sessions: an agent has the client's data key opened over its
 * own session socket, for its own active session only.
 */
let t: TestServer;
let ssm: SSMClient;
let kms: KMSClient;
let keyArn = '';
const agents: SimulatedSessionAgent[] = [];
const clients: SessionClient[] = [];

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function node(): Promise<SimulatedSessionAgent> {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const a = new SimulatedSessionAgent(t.endpoint);
  await a.register(ActivationId!, ActivationCode!);
  await a.connect();
  agents.push(a);
  return a;
}

async function open(a: SimulatedSessionAgent): Promise<{ id: string; side: SimAgentSession }> {
  const started = await ssm.send(new StartSessionCommand({ Target: a.instanceId }));
  const client = new SessionClient(started.StreamUrl!);
  clients.push(client);
  assert.equal(await client.open(started.TokenValue!), 'open');
  const side = await until('the node dials the session', () => a.sessions.get(started.SessionId!)?.ws && a.sessions.get(started.SessionId!));
  return { id: started.SessionId!, side };
}

/** A data key as a client makes it for a session (kms:GenerateDataKey, 64 bytes, the session's context). */
async function dataKey(sessionId: string, target: string, keyId = keyArn) {
  const out = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 64, EncryptionContext: wire.sessionEncryptionContext(sessionId, target) }));
  return { blob: Buffer.from(out.CiphertextBlob!), plaintext: Buffer.from(out.Plaintext!) };
}

/** The agent's request on its session socket, and the server's answer. */
function ask(side: SimAgentSession, blob: Buffer | string): Promise<wire.DataKeyReply> {
  const ws = side.ws!;
  const requestId = randomUUID();
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return;
      const m = JSON.parse(data.toString()) as wire.DataKeyReply;
      if (m.requestId !== requestId) return;
      ws.off('message', onMessage);
      resolve(m);
    };
    ws.on('message', onMessage);
    ws.once('close', () => reject(new Error('the session socket closed')));
    ws.send(JSON.stringify({ type: 'kms-decrypt', requestId, ciphertextBlob: typeof blob === 'string' ? blob : blob.toString('base64') }));
  });
}

/** The kmsKeyId of the control channel's `session` message, as the node received it. */
const kmsKeyIdOf = (a: SimulatedSessionAgent, sessionId: string) => (a.orders.find((o) => o.sessionId === sessionId) as { kmsKeyId?: string } | undefined)?.kmsKeyId;

const refusal = (r: wire.DataKeyReply) => (r.type === 'kms-error' ? r.message : assert.fail(`expected a refusal, got the key`));

before(async () => {
  t = await startTestServer({});
  ssm = new SSMClient(t.clientConfig());
  kms = new KMSClient(t.clientConfig());
  keyArn = (await kms.send(new CreateKeyCommand({ Description: 'sessions' }))).KeyMetadata!.Arn!;
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/sessions', TargetKeyId: keyArn }));
  const prefs = { schemaVersion: '1.0', description: 'prefs', sessionType: 'Standard_Stream', inputs: { kmsKeyId: 'alias/sessions' } };
  await ssm.send(new CreateDocumentCommand({ Name: 'SSM-SessionManagerRunShell', Content: JSON.stringify(prefs), DocumentType: 'Session' }));
});

after(async () => {
  for (const c of clients) c.close();
  for (const a of agents) await a.close();
  await t.stop();
});

test('a node has its own session’s data key opened, and nothing else: not another node’s, not another key’s, not a disabled key’s', async () => {
  const [a, b] = [await node(), await node()];
  const sa = await open(a);
  const sb = await open(b);
  assert.equal(kmsKeyIdOf(a, sa.id), 'alias/sessions', 'the agent is told the key as the preferences name it');

  const keyA = await dataKey(sa.id, a.instanceId);
  const opened = await ask(sa.side, keyA.blob);
  assert.equal(opened.type, 'kms-data-key');
  assert.deepEqual(Buffer.from((opened as { plaintext: string }).plaintext, 'base64'), keyA.plaintext);

  // node B, on its own authenticated session socket, with A's data key: the context is B's session, so it does not open
  assert.match(refusal(await ask(sb.side, keyA.blob)), new RegExp(`not bound to session ${sb.id} on ${b.instanceId}`));
  // nor can B open A's session socket with its own identity
  await assert.rejects(b.dial(sa.id), /4003/);
  // a key made for B's session does not open on A's socket either
  assert.match(refusal(await ask(sa.side, (await dataKey(sb.id, b.instanceId)).blob)), /not bound to session/);
  // a key under another KMS key, however bound, is not the session's
  const other = (await kms.send(new CreateKeyCommand({ Description: 'other' }))).KeyMetadata!.Arn!;
  assert.match(refusal(await ask(sa.side, (await dataKey(sa.id, a.instanceId, other)).blob)), new RegExp(`not made under the session's KMS key ${keyArn}`));
  assert.match(refusal(await ask(sa.side, 'not base64!')), /must be base64/);
  assert.match(refusal(await ask(sa.side, Buffer.alloc(40))), /not made under the session's KMS key/);

  // while the key is disabled nothing opens; enabled again, it does
  await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
  try {
    assert.match(refusal(await ask(sa.side, keyA.blob)), /KMS refused to decrypt the data key: DisabledException/);
  } finally {
    await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
  }
  assert.equal((await ask(sa.side, keyA.blob)).type, 'kms-data-key');

  // an ended session's socket is closed: nothing more is asked on it
  await ssm.send(new TerminateSessionCommand({ SessionId: sa.id }));
  await until('the node is told the session ended', () => a.ends.includes(sa.id));
  await assert.rejects(ask(sa.side, keyA.blob), /closed/);
  await assert.rejects(a.dial(sa.id), /4003/);
});

test('a session the preferences do not encrypt has no data key to open', async () => {
  await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
  const a = await node();
  const s = await open(a);
  assert.equal(kmsKeyIdOf(a, s.id), undefined);
  const k = await dataKey(s.id, a.instanceId);
  assert.match(refusal(await ask(s.side, k.blob)), new RegExp(`session ${s.id} is not KMS-encrypted`));
});
