import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadType } from './agent-message.js';
import { ManualClock } from './clock.js';
import {
  ActionStatus,
  HandshakeError,
  answerHandshakeRequest,
  buildHandshakeRequest,
  encodeEncryptionChallenge,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  encodeHandshakeResponse,
  parseEncryptionChallenge,
  parseHandshakeComplete,
  parseHandshakeRequest,
  parseHandshakeResponse,
} from './handshake.js';
import { ReliableStream } from './reliable.js';
import { Link, Rng } from './test-support/sim.js';

const j = (v: unknown) => Buffer.from(JSON.stringify(v));

test('HandshakeRequest: the AWS shape, with Capstan’s transport offer as one more action', () => {
  const req = encodeHandshakeRequest({
    agentVersion: '3.3.0.0',
    sessionType: 'Port',
    properties: { portNumber: '22', type: 'LocalPortForwarding' },
    kms: { keyId: 'arn:aws:kms:eu-west-1:111122223333:key/k', challenge: 'c2VjcmV0' },
    capstan: { maxFrameSize: 131072 },
  });
  assert.equal(
    req.toString(),
    '{"AgentVersion":"3.3.0.0","RequestedClientActions":[' +
      '{"ActionType":"SessionType","ActionParameters":{"SessionType":"Port","Properties":{"portNumber":"22","type":"LocalPortForwarding"}}},' +
      '{"ActionType":"KMSEncryption","ActionParameters":{"KMSKeyId":"arn:aws:kms:eu-west-1:111122223333:key/k","Challenge":"c2VjcmV0"}},' +
      '{"ActionType":"CapstanTransport","ActionParameters":{"Version":1,"Modes":["fast"],"MaxFrameSize":131072}}]}',
  );
  const parsed = parseHandshakeRequest(req);
  assert.equal(parsed.agentVersion, '3.3.0.0');
  assert.deepEqual(parsed.sessionType, { SessionType: 'Port', Properties: { portNumber: '22', type: 'LocalPortForwarding' } });
  assert.deepEqual(parsed.kms, { KMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k', Challenge: 'c2VjcmV0' });
  assert.deepEqual(parsed.capstan, { Version: 1, Modes: ['fast'], MaxFrameSize: 131072 });
  assert.deepEqual(parsed.unknown, []);
  // an AWS agent's request: no Capstan action, and an action this library does not know
  const aws = parseHandshakeRequest(
    j({
      AgentVersion: '3.2.582.0',
      RequestedClientActions: [
        { ActionType: 'SessionType', ActionParameters: { SessionType: 'Standard_Stream', Properties: null } },
        { ActionType: 'SomethingNew', ActionParameters: { x: 1 } },
      ],
    }),
  );
  assert.equal(aws.capstan, undefined);
  assert.equal(aws.sessionType!.SessionType, 'Standard_Stream');
  assert.deepEqual(aws.unknown, [{ ActionType: 'SomethingNew', ActionParameters: { x: 1 } }]);
  assert.deepEqual(buildHandshakeRequest({ agentVersion: 'v', sessionType: 'Standard_Stream' }).RequestedClientActions.length, 1);
  assert.throws(() => buildHandshakeRequest({ agentVersion: 'v', sessionType: 'Port', capstan: { maxFrameSize: 10 } }), /MaxFrameSize must be an integer from 1024/);
});

test('a Capstan client accepts the fast transport at the smaller frame size; the agent reads the answer', () => {
  const request = parseHandshakeRequest(encodeHandshakeRequest({ agentVersion: 'a', sessionType: 'Standard_Stream', capstan: { maxFrameSize: 262144 } }));
  const { response, transport } = answerHandshakeRequest(request, { clientVersion: 'capstan 0.1', fast: { maxFrameSize: 65536 } });
  assert.deepEqual(transport, { mode: 'fast', frameSize: 65536 });
  assert.deepEqual(response, {
    ClientVersion: 'capstan 0.1',
    ProcessedClientActions: [
      { ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: '' },
      { ActionType: 'CapstanTransport', ActionStatus: 1, ActionResult: { Mode: 'fast', FrameSize: 65536 }, Error: '' },
    ],
    Errors: null,
  });
  const parsed = parseHandshakeResponse(encodeHandshakeResponse(response), { maxFrameSize: 262144 });
  assert.deepEqual(parsed.transport, { mode: 'fast', frameSize: 65536 });
  assert.deepEqual(parsed.failures, []);
  assert.equal(parsed.clientVersion, 'capstan 0.1');
  // a client that does not do fast answers Unsupported, and KMS without a key fails
  const plain = answerHandshakeRequest(
    parseHandshakeRequest(encodeHandshakeRequest({ agentVersion: 'a', sessionType: 'Standard_Stream', kms: { keyId: 'k' }, capstan: true })),
    { clientVersion: 'c' },
  );
  assert.deepEqual(plain.transport, { mode: 'aws', frameSize: 1024 });
  assert.deepEqual(
    plain.response.ProcessedClientActions.map((a) => [a.ActionType, a.ActionStatus]),
    [
      ['SessionType', 1],
      ['KMSEncryption', ActionStatus.Failed],
      ['CapstanTransport', ActionStatus.Unsupported],
    ],
  );
  assert.deepEqual(plain.response.Errors, ['KMS encryption is not available on this client', 'Unsupported action CapstanTransport']);
  const withKms = answerHandshakeRequest(
    parseHandshakeRequest(encodeHandshakeRequest({ agentVersion: 'a', sessionType: 'Standard_Stream', kms: { keyId: 'k' } })),
    { clientVersion: 'c', kms: { result: { KMSCipherTextKey: 'AAEC', ChallengeAcknowledgement: true } }, sessionTypeError: 'no such type' },
  );
  assert.deepEqual(withKms.response.ProcessedClientActions[0], { ActionType: 'SessionType', ActionStatus: 2, ActionResult: null, Error: 'no such type' });
  assert.deepEqual(withKms.response.ProcessedClientActions[1]!.ActionResult, { KMSCipherTextKey: 'AAEC', ChallengeAcknowledgement: true });
});

test('AWS’s session-manager-plugin answer to the unknown action means aws mode, not a failed handshake', () => {
  // what the plugin's handleHandshakeRequest writes for an action it does not know:
  // ActionStatus left at 0, ActionResult set to 3 (Unsupported), and the error listed in Errors
  const fromPlugin = j({
    ClientVersion: '1.2.694.0',
    ProcessedClientActions: [
      { ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: '' },
      { ActionType: 'CapstanTransport', ActionStatus: 0, ActionResult: 3, Error: 'Unsupported action CapstanTransport' },
    ],
    Errors: ['Unsupported action CapstanTransport'],
  });
  const parsed = parseHandshakeResponse(fromPlugin, { maxFrameSize: 65536 });
  assert.deepEqual(parsed.transport, { mode: 'aws', frameSize: 1024 });
  assert.deepEqual(parsed.failures, [], 'only failures of real AWS actions should fail the handshake');
  assert.deepEqual(parsed.errors, ['Unsupported action CapstanTransport']);
  // a KMS failure is a failure
  const kmsFailed = parseHandshakeResponse(
    j({ ClientVersion: '1', ProcessedClientActions: [{ ActionType: 'KMSEncryption', ActionStatus: 2, ActionResult: null, Error: 'denied' }], Errors: ['denied'] }),
  );
  assert.deepEqual(kmsFailed.failures.map((f) => f.Error), ['denied']);
  // an older plugin leaves fields out entirely
  assert.deepEqual(parseHandshakeResponse(j({ ClientVersion: '1.1.0' })).transport.mode, 'aws');
});

test('handshake parsers reject malformed payloads with a reason', () => {
  const bad: Array<[() => unknown, RegExp]> = [
    [() => parseHandshakeRequest(Buffer.from('{')), /HandshakeRequest is not JSON/],
    [() => parseHandshakeRequest(Buffer.from('"x"')), /must be a JSON object/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: {} })), /RequestedClientActions must be an array/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: [1] })), /RequestedClientActions\[0\] must be an object/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: [{ ActionType: 5 }] })), /ActionType must be a string/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: [{ ActionType: 'SessionType' }] })), /SessionType parameters must be an object/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: [{ ActionType: 'KMSEncryption', ActionParameters: {} }] })), /KMSKeyId must be a string/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: [{ ActionType: 'CapstanTransport', ActionParameters: { Version: 1, Modes: 'fast', MaxFrameSize: 65536 } }] })), /Modes must be an array/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: [{ ActionType: 'CapstanTransport', ActionParameters: { Version: 0, Modes: [], MaxFrameSize: 65536 } }] })), /Version must be a positive integer/],
    [() => parseHandshakeRequest(j({ RequestedClientActions: [{ ActionType: 'CapstanTransport', ActionParameters: { Version: 1, Modes: [], MaxFrameSize: 1 << 24 } }] })), /MaxFrameSize must be an integer from 1024 to 1048576/],
    [() => parseHandshakeResponse(j({ ProcessedClientActions: 'x' })), /ProcessedClientActions must be an array/],
    [() => parseHandshakeResponse(j({ Errors: [1] })), /Errors must be an array of strings or null/],
    [() => parseHandshakeResponse(j({ ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: '1' }] })), /ActionStatus must be a number/],
    [
      () => parseHandshakeResponse(j({ ProcessedClientActions: [{ ActionType: 'CapstanTransport', ActionStatus: 1, ActionResult: { Mode: 'fast', FrameSize: 200000 } }] }), { maxFrameSize: 65536 }),
      /FrameSize 200000 is over the 65536 offered/,
    ],
    [() => parseHandshakeResponse(j({ ProcessedClientActions: [{ ActionType: 'CapstanTransport', ActionStatus: 1, ActionResult: { Mode: 'fast', FrameSize: 10 } }] })), /FrameSize must be an integer from 1024/],
    [() => parseHandshakeComplete(j({ HandshakeTimeToComplete: -1 })), /non-negative number \(nanoseconds\)/],
    [() => parseEncryptionChallenge(j({ Challenge: 'not base64!' })), /Challenge is not base64/],
    [() => parseEncryptionChallenge(j({})), /Challenge must be a string/],
  ];
  for (const [fn, re] of bad) assert.throws(fn, (e: unknown) => e instanceof HandshakeError && re.test(e.message), String(re));
});

test('HandshakeComplete carries a Go duration in nanoseconds; the encryption challenge is base64', () => {
  const c = encodeHandshakeComplete(1.5, 'This session is encrypted using AWS KMS.');
  assert.equal(c.toString(), '{"HandshakeTimeToComplete":1500000,"CustomerMessage":"This session is encrypted using AWS KMS."}');
  assert.deepEqual(parseHandshakeComplete(c), { timeToCompleteMs: 1.5, customerMessage: 'This session is encrypted using AWS KMS.' });
  const challenge = Buffer.from([0, 1, 2, 250, 251, 252]);
  const e = encodeEncryptionChallenge(challenge);
  assert.equal(e.toString(), '{"Challenge":"AAEC+vv8"}');
  assert.deepEqual(parseEncryptionChallenge(e), challenge);
});

test('end to end: the handshake runs over an aws-mode stream, then both sides switch to fast', () => {
  const clock = new ManualClock();
  const rng = new Rng(77);
  const fromAgent: Array<{ type: number; bytes: Buffer }> = [];
  const fromClient: Array<{ type: number; bytes: Buffer }> = [];
  let client: ReliableStream;
  let agent: ReliableStream;
  const offer = { maxFrameSize: 32768 };
  // the client answers the request, then switches; the agent switches when the answer comes
  client = new ReliableStream({
    role: 'client',
    clock,
    onData: (type, bytes) => {
      if (type === PayloadType.HandshakeRequest) {
        const { response, transport } = answerHandshakeRequest(parseHandshakeRequest(bytes), { clientVersion: 'capstan', fast: true });
        client.write(PayloadType.HandshakeResponse, encodeHandshakeResponse(response));
        client.setMode(transport.mode, { frameSize: transport.frameSize });
      } else fromAgent.push({ type, bytes: Buffer.from(bytes) });
    },
  });
  agent = new ReliableStream({
    role: 'agent',
    clock,
    onData: (type, bytes) => {
      if (type === PayloadType.HandshakeResponse) {
        const r = parseHandshakeResponse(bytes, offer);
        assert.deepEqual(r.failures, []);
        agent.setMode(r.transport.mode, { frameSize: r.transport.frameSize });
        agent.write(PayloadType.HandshakeComplete, encodeHandshakeComplete(3));
      } else fromClient.push({ type, bytes: Buffer.from(bytes) });
    },
  });
  const link = { loss: 0.05, latency: 10, jitter: 10 };
  client.attach(new Link(clock, rng, (b) => agent.receive(b), link, false).send);
  agent.attach(new Link(clock, rng, (b) => client.receive(b), link, false).send);
  agent.write(PayloadType.HandshakeRequest, encodeHandshakeRequest({ agentVersion: 'capstan-agent', sessionType: 'Standard_Stream', capstan: offer }));
  clock.runUntil(() => fromAgent.some((r) => r.type === PayloadType.HandshakeComplete));
  assert.equal(client.mode, 'fast');
  assert.equal(agent.mode, 'fast');
  assert.equal(agent.frameSize, 32768);
  const big = rng.bytes(2_000_000);
  agent.write(PayloadType.Output, big);
  client.write(PayloadType.Output, big.subarray(0, 500_000));
  clock.runUntil(() => agent.idle && client.idle && clock.pending === 0);
  assert.ok(Buffer.concat(fromAgent.filter((r) => r.type === PayloadType.Output).map((r) => r.bytes)).equals(big));
  assert.ok(Buffer.concat(fromClient.map((r) => r.bytes)).equals(big.subarray(0, 500_000)));
  assert.equal(agent.stats.maxFramePayload, 32768);
  assert.ok(client.stats.acksSent < agent.stats.framesSent / 4);
});
