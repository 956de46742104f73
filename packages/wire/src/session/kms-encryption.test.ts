import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeAgentMessage, PayloadType, type AgentMessage } from './agent-message.js';
import { ActionStatus, HandshakeError, kmsCipherTextKeyOf, parseHandshakeResponse } from './handshake.js';
import { NONCE_BYTES, PayloadDecryptError, SessionCipher, TAG_BYTES } from './kms-encryption.js';
import { DataKeyRequests, PayloadEncryption, parseDataKeyRequest, sessionEncryptionContext } from './payload-encryption.js';
import { ReliableStream } from './reliable.js';

const key = Buffer.from(Array.from({ length: 64 }, (_, i) => i));

test('the agent seals with bytes 0–31 and the client with bytes 32–63; a payload is nonce ‖ ciphertext ‖ tag', () => {
  const agent = new SessionCipher(key, 'agent');
  const client = new SessionCipher(key, 'client');
  const sealed = agent.encrypt(Buffer.from('uid=0(root)'));
  assert.equal(sealed.length, NONCE_BYTES + 11 + TAG_BYTES);
  // opened here with node:crypto directly, from the layout alone
  const d = createDecipheriv('aes-256-gcm', key.subarray(0, 32), sealed.subarray(0, NONCE_BYTES));
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  assert.equal(Buffer.concat([d.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), d.final()]).toString(), 'uid=0(root)');
  assert.equal(client.decrypt(sealed).toString(), 'uid=0(root)');

  // and the other way: a client payload sealed by hand under the second half
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', key.subarray(32), nonce);
  const body = Buffer.concat([c.update('ls -la\r'), c.final()]);
  assert.equal(agent.decrypt(Buffer.concat([nonce, body, c.getAuthTag()])).toString(), 'ls -la\r');
  assert.equal(agent.decrypt(client.encrypt(Buffer.alloc(0))).length, 0);
  // two seals of the same bytes differ (fresh nonce each time)
  assert.notDeepEqual(agent.encrypt(Buffer.from('x')), agent.encrypt(Buffer.from('x')));
});

test('a payload opens only in the other direction, unaltered, under the same key', () => {
  const agent = new SessionCipher(key, 'agent');
  const client = new SessionCipher(key, 'client');
  const sealed = agent.encrypt(Buffer.from('secret'));
  assert.throws(() => agent.decrypt(sealed), PayloadDecryptError);
  const flipped = Buffer.from(sealed);
  flipped[NONCE_BYTES] ^= 1;
  assert.throws(() => client.decrypt(flipped), /altered, or sealed with another key/);
  const other = new SessionCipher(randomBytes(64), 'client');
  assert.throws(() => other.decrypt(sealed), PayloadDecryptError);
  assert.throws(() => client.decrypt(sealed.subarray(0, 27)), /at least 28 bytes/);
  assert.throws(() => new SessionCipher(randomBytes(32), 'agent'), /64 bytes, not 32/);
});

/** Two reliable streams joined back to back, each with its end's payload encryption; records the frames between them. */
function joined() {
  const enc = { agent: new PayloadEncryption('agent'), client: new PayloadEncryption('client') };
  const got = { agent: [] as { type: number; bytes: Buffer }[], client: [] as { type: number; bytes: Buffer }[] };
  const onWire: AgentMessage[] = [];
  const agent: ReliableStream = new ReliableStream({ role: 'agent', transform: enc.agent.transform, onData: (type, p) => got.agent.push({ type, bytes: enc.agent.open(type, p) }) });
  const client: ReliableStream = new ReliableStream({ role: 'client', transform: enc.client.transform, onData: (type, p) => got.client.push({ type, bytes: enc.client.open(type, p) }) });
  agent.attach((b) => (onWire.push(decodeAgentMessage(b)), client.receive(b)));
  client.attach((b) => (onWire.push(decodeAgentMessage(b)), agent.receive(b)));
  return { enc, got, onWire, agent, client, close: () => (agent.close(), client.close()) };
}

test('over a reliable stream: the agent seals Output, StdErr and ExitCode, the client Output; Size and Flag stay clear', () => {
  const j = joined();
  try {
    j.agent.write(PayloadType.Output, Buffer.from('before the key'));
    j.enc.agent.enable(new SessionCipher(key, 'agent'));
    j.enc.client.enable(new SessionCipher(key, 'client'));
    j.agent.write(PayloadType.Output, Buffer.from('top secret output'));
    j.agent.write(PayloadType.StdErr, Buffer.from('secret error'));
    j.agent.write(PayloadType.ExitCode, Buffer.from('EXIT_CODE: 7'));
    j.client.write(PayloadType.Output, Buffer.from('secret input'));
    j.client.write(PayloadType.Size, Buffer.from('{"cols":80,"rows":24}'));
    j.client.write(PayloadType.Flag, Buffer.from([0, 0, 0, 2]));
    assert.deepEqual(
      j.got.client.map((r) => [r.type, r.bytes.toString()]),
      [[1, 'before the key'], [1, 'top secret output'], [11, 'secret error'], [12, 'EXIT_CODE: 7']],
    );
    assert.deepEqual(j.got.agent.map((r) => [r.type, r.bytes.toString('latin1')]), [[1, 'secret input'], [3, '{"cols":80,"rows":24}'], [10, '\0\0\0\u0002']]);
    const seen = Buffer.concat(j.onWire.map((m) => m.payload)).toString('latin1');
    for (const secret of ['top secret', 'secret error', 'EXIT_CODE', 'secret input']) assert.ok(!seen.includes(secret), `${secret} crossed in clear`);
    assert.ok(seen.includes('before the key') && seen.includes('"cols":80'), 'unsealed payloads cross as they are');
  } finally {
    j.close();
  }
});

test('the data-key request: sent as JSON text, answered by request id, sent again on a new socket, refused or timed out', async () => {
  const sent: string[] = [];
  const r = new DataKeyRequests((t) => (sent.push(t), true));
  const blob = randomBytes(200);
  const p = r.request(blob, 5_000);
  const req = parseDataKeyRequest(sent[0]!)!;
  assert.equal(req.type, 'kms-decrypt');
  assert.deepEqual(Buffer.from(req.ciphertextBlob, 'base64'), blob);
  await assert.rejects(r.request(blob, 10), /already outstanding/);
  r.resend();
  assert.equal(sent[1], sent[0]);
  assert.equal(r.receive(JSON.stringify({ type: 'kms-data-key', requestId: 'another', plaintext: 'AAAA' })), false);
  assert.equal(r.receive('not json'), false);
  assert.ok(r.receive(JSON.stringify({ type: 'kms-data-key', requestId: req.requestId, plaintext: key.toString('base64') })));
  assert.deepEqual(await p, key);

  const refused = r.request(blob, 5_000);
  const id = parseDataKeyRequest(sent[2]!)!.requestId;
  r.receive(JSON.stringify({ type: 'kms-error', requestId: id, message: 'session s is not active on mi-2' }));
  await assert.rejects(refused, /session s is not active on mi-2/);
  await assert.rejects(r.request(blob, 20), /did not open the session's data key within 0.02 seconds/);
  assert.equal(parseDataKeyRequest('{"type":"kms-decrypt","requestId":1}'), undefined);
  assert.equal(parseDataKeyRequest('null'), undefined);
  assert.deepEqual(sessionEncryptionContext('s-1', 'mi-1'), { 'aws:ssm:SessionId': 's-1', 'aws:ssm:TargetId': 'mi-1' });
});

test('the KMSEncryption result: the blob as base64, absent when not answered, an error when malformed', () => {
  const response = (actions: unknown[]) => parseHandshakeResponse(Buffer.from(JSON.stringify({ ClientVersion: '1.2.0', ProcessedClientActions: actions, Errors: null })));
  const blob = randomBytes(180);
  const ok = response([
    { ActionType: 'SessionType', ActionStatus: ActionStatus.Success, ActionResult: null, Error: '' },
    { ActionType: 'KMSEncryption', ActionStatus: ActionStatus.Success, ActionResult: { KMSCipherTextKey: blob.toString('base64') }, Error: '' },
  ]);
  assert.deepEqual(kmsCipherTextKeyOf(ok), blob);
  assert.equal(kmsCipherTextKeyOf(response([{ ActionType: 'SessionType', ActionStatus: 1, Error: '' }])), undefined);
  const failed = response([{ ActionType: 'KMSEncryption', ActionStatus: ActionStatus.Failed, ActionResult: null, Error: 'AccessDeniedException' }]);
  assert.equal(kmsCipherTextKeyOf(failed), undefined);
  assert.equal(failed.failures[0]?.ActionType, 'KMSEncryption');
  assert.throws(() => kmsCipherTextKeyOf(response([{ ActionType: 'KMSEncryption', ActionStatus: 1, ActionResult: { KMSCipherTextKey: '***' }, Error: '' }])), HandshakeError);
});
