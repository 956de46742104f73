import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickTarget, portTargets } from '../../../agent/src/session/port.js';
import { planCopy } from './copy.js';
import { forwardPlan, parseDuration, parseForward } from './forward-spec.js';

test('--forward specs: LOCAL:PORT, LOCAL:HOST:PORT, LOCAL:[V6]:PORT; bad ones say what is wrong', () => {
  assert.deepEqual(parseForward('15432:5432'), { localPort: 15432, port: 5432 });
  assert.deepEqual(parseForward('18080:db.internal:80'), { localPort: 18080, host: 'db.internal', port: 80 });
  assert.deepEqual(parseForward('0:[::1]:22'), { localPort: 0, host: '::1', port: 22 });
  assert.throws(() => parseForward('5432'), /expected LOCAL:PORT or LOCAL:HOST:PORT/);
  assert.throws(() => parseForward('1:h:0'), /the port must be a port number 1–65535/);
  assert.throws(() => parseForward('70000:80'), /the local port must be a port number 0–65535/);
});

test('one forward keeps AWS documents; several use the multi-destination document, each stream naming its own', () => {
  assert.deepEqual(forwardPlan([{ localPort: 1, port: 5432 }]), { documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: ['5432'], localPortNumber: ['1'] }, targets: [undefined] });
  assert.equal(forwardPlan([{ localPort: 1, host: 'db', port: 80 }]).documentName, 'AWS-StartPortForwardingSessionToRemoteHost');
  const multi = forwardPlan([{ localPort: 15432, port: 5432 }, { localPort: 18080, host: 'db.internal', port: 80 }, { localPort: 2222, host: '::1', port: 22 }]);
  assert.equal(multi.documentName, 'Capstan-StartMultiPortForwardingSession');
  assert.deepEqual(multi.parameters, { destinations: ['5432', 'db.internal:80', '[::1]:22'] });
  assert.deepEqual(multi.targets, [{ host: 'localhost', port: 5432 }, { host: 'db.internal', port: 80 }, { host: '::1', port: 22 }]);
  assert.throws(() => forwardPlan([{ localPort: 9, port: 1 }, { localPort: 9, port: 2 }]), /its own local port/);

  // what the agent makes of that list: every stream's destination must be on it
  const targets = portTargets({ type: 'LocalPortForwarding', destinations: multi.parameters['destinations'] });
  for (const t of multi.targets) assert.ok(pickTarget(targets, t!), JSON.stringify(t));
  assert.equal(pickTarget(targets, { host: 'localhost', port: 80 }), undefined);
  assert.equal(pickTarget(targets, {})?.port, 5432, 'a stream naming nothing gets the first');
  assert.throws(() => portTargets({ destinations: ['5432', '169.254.169.254:80'] }), /169\.254\.169\.254 is forbidden/);
  assert.throws(() => portTargets({ destinations: ['x:y'] }), /is not PORT or HOST:PORT/);
});

test('--keepalive durations and cp paths', () => {
  assert.equal(parseDuration('--keepalive', '20s'), 20_000);
  assert.equal(parseDuration('--keepalive', '2m'), 120_000);
  assert.equal(parseDuration('--keepalive', '1500ms'), 1_500);
  assert.equal(parseDuration('--keepalive', '30'), 30_000);
  assert.throws(() => parseDuration('--keepalive', '10ms'), /from 1s to 60m/);
  assert.deepEqual(planCopy('mi-0123456789abcdef0:/var/log/syslog', '.'), { op: 'get', target: 'mi-0123456789abcdef0', remote: '/var/log/syslog', local: '.' });
  assert.deepEqual(planCopy('./f', 'mi-0123456789abcdef0:/tmp/x'), { op: 'put', target: 'mi-0123456789abcdef0', remote: '/tmp/x', local: './f' });
  assert.throws(() => planCopy('a', 'b'), /one side must be on a node/);
  assert.throws(() => planCopy('mi-0123456789abcdef0:/a', 'mi-0123456789abcdef0:/b'), /between two nodes/);
});
