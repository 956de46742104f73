import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  AddTagsToResourceCommand, CreateActivationCommand, CreateDocumentCommand, DeleteDocumentCommand, DescribeSessionsCommand, GetConnectionStatusCommand, ResumeSessionCommand, SSMClient,
  StartSessionCommand, TerminateSessionCommand, type Session,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { SessionClient, SimulatedSessionAgent } from '../test-support/sim-session-agent.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { sessionService } from './index.js';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const text = (b: Buffer) => b.toString('utf8');

onEveryEngine('Session Manager', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  const clock = new ManualClock(Date.now());
  const agents: SimulatedSessionAgent[] = [];
  const clients: SessionClient[] = [];

  before(async () => {
    t = await startTestServer({ engine, clock });
    ssm = new SSMClient(t.clientConfig());
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const a of agents) await a.close();
    await t.stop();
  });

  async function node(connect = true): Promise<SimulatedSessionAgent> {
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
    const a = new SimulatedSessionAgent(t.endpoint);
    await a.register(ActivationId!, ActivationCode!);
    if (connect) await a.connect();
    agents.push(a);
    return a;
  }

  /** StartSession, then the client's stream socket, and waits for the node's side to attach. */
  async function open(a: SimulatedSessionAgent, input: { DocumentName?: string; Reason?: string; Parameters?: Record<string, string[]> } = {}, as = ssm) {
    const started = await as.send(new StartSessionCommand({ Target: a.instanceId, ...input }));
    const client = new SessionClient(started.StreamUrl!);
    clients.push(client);
    assert.equal(await client.open(started.TokenValue!), 'open');
    const s = await until('the node dials the session', () => a.sessions.get(started.SessionId!));
    await until('the session is connected', async () => (await describe('Active', started.SessionId!))?.Status === 'Connected');
    return { id: started.SessionId!, started, client, agentSide: s };
  }

  async function describe(state: 'Active' | 'History', id: string): Promise<Session | undefined> {
    return (await ssm.send(new DescribeSessionsCommand({ State: state, Filters: [{ key: 'SessionId', value: id }] }))).Sessions![0];
  }

  test('a shell session carries bytes both ways through the relay, and the transcript holds them', async () => {
    const a = await node();
    assert.equal((await ssm.send(new GetConnectionStatusCommand({ Target: a.instanceId }))).Status, 'connected');
    const { id, started, client, agentSide } = await open(a, { Reason: 'debugging' });
    assert.match(id, /^admin-[0-9a-f]{17}$/);
    assert.equal(started.StreamUrl, `${t.endpoint.replace(/^http/, 'ws')}/capstan/v1/session/${id}/stream`);
    assert.ok(started.TokenValue!.length >= 40);
    const order = a.orders.find((o) => o.sessionId === id)!;
    assert.deepEqual([order.sessionType, order.documentName], ['Standard_Stream', 'SSM-SessionManagerRunShell']);

    client.resize(120, 40);
    client.write('echo hello\n');
    await until('the echo comes back', () => text(client.output).includes('echo hello\n'));
    assert.equal(text(agentSide.input), 'echo hello\n');
    client.write('x'.repeat(3000));
    await until('3000 more bytes back', () => client.output.length === 'echo hello\n'.length + 3000);

    const s = (await describe('Active', id))!;
    assert.deepEqual([s.Status, s.Target, s.DocumentName, s.Owner, s.Reason], ['Connected', a.instanceId, 'SSM-SessionManagerRunShell', `arn:aws:iam::${t.accountId}:user/admin`, 'debugging']);
    assert.equal(s.OutputUrl!.S3OutputUrl, `${t.endpoint}/capstan/v1/session/${id}/transcript`);
    assert.ok(s.StartDate instanceof Date && s.EndDate === undefined);

    await ssm.send(new TerminateSessionCommand({ SessionId: id }));
    await until('channel_closed reaches the client', () => client.closed);
    await until('channel_closed reaches the node', () => agentSide.closed);
    assert.match(client.closed!.Output!, /Terminated by/);
    assert.equal(client.closed!.DestinationId, client.clientId);
    assert.equal(agentSide.closed!.DestinationId, a.instanceId);
    await until('the node is told the session ended', () => a.ends.includes(id));
    assert.equal(await describe('Active', id), undefined);
    const h = (await describe('History', id))!;
    assert.equal(h.Status, 'Terminated');
    assert.ok(h.EndDate instanceof Date);

    const { Events } = await sessionTranscript(id);
    const joined = (stream: string) => Buffer.concat(Events.filter((e) => e.Stream === stream).map((e) => Buffer.from(e.Data, 'base64'))).toString();
    assert.equal(joined('input'), `echo hello\n${'x'.repeat(3000)}`);
    assert.equal(joined('output'), `echo hello\n${'x'.repeat(3000)}`);
    assert.deepEqual(JSON.parse(joined('size')), { cols: 120, rows: 40 });
    // The OutputUrl is a SigV4-signed GET, like Run Command's output URLs.
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, method: 'GET', path: `/capstan/v1/session/${id}/transcript`, body: '' });
    assert.equal(res.status, 200);
    assert.equal(res.text, `echo hello\n${'x'.repeat(3000)}`);
    await t.server.core.audit.flush();
    const trail = new CloudTrailClient(t.clientConfig());
    const ended = (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'SessionEnded' }] }))).Events!;
    const ev = ended.map((e) => JSON.parse(e.CloudTrailEvent!) as { requestParameters: { sessionId: string; reason: string; target: string } }).find((e) => e.requestParameters.sessionId === id);
    assert.ok(ev, 'the end of the session is in the audit trail');
    assert.deepEqual([ev.requestParameters.reason, ev.requestParameters.target], ['debugging', a.instanceId]);
  });

  async function sessionTranscript(id: string) {
    const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanGetSessionTranscript'), body: JSON.stringify({ SessionId: id }) });
    assert.equal(res.status, 200, res.text);
    return JSON.parse(res.text) as { Events: { Stream: string; Data: string; Time: number }[] };
  }

  test('a token opens one connection only, and a wrong one none', async () => {
    const a = await node();
    const { started } = await open(a);
    const again = new SessionClient(started.StreamUrl!);
    clients.push(again);
    assert.equal(await again.open(started.TokenValue!), 4003);
    const wrong = new SessionClient(started.StreamUrl!);
    clients.push(wrong);
    assert.equal(await wrong.open('A'.repeat(43)), 4003);
  });

  test('refusals: TargetNotConnected, InvalidDocument, and a user without ssm:StartSession on the node', async () => {
    const offline = await node(false);
    await assert.rejects(ssm.send(new StartSessionCommand({ Target: offline.instanceId })), { name: 'TargetNotConnected' });
    await assert.rejects(ssm.send(new StartSessionCommand({ Target: 'mi-0123456789abcdef0' })), { name: 'TargetNotConnected' });
    assert.equal((await ssm.send(new GetConnectionStatusCommand({ Target: offline.instanceId }))).Status, 'notconnected');
    const a = await node();
    await assert.rejects(ssm.send(new StartSessionCommand({ Target: a.instanceId, DocumentName: 'AWS-RunShellScript' })), { name: 'InvalidDocument' });
    await assert.rejects(ssm.send(new StartSessionCommand({ Target: a.instanceId, DocumentName: 'No-Such-Session-Doc' })), { name: 'InvalidDocument' });

    // Allowed only on nodes tagged team=blue (ssm:resourceTag), and to describe and terminate nothing.
    const b = await node();
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: b.instanceId, Tags: [{ Key: 'team', Value: 'blue' }] }));
    const iam = new IAMClient(t.clientConfig());
    const user = `session-user-${engine}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
    await iam.send(
      new PutUserPolicyCommand({
        UserName: user,
        PolicyName: 'blue-nodes',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'ssm:StartSession', Resource: `arn:aws:ssm:*:${t.accountId}:managed-instance/*`, Condition: { StringEquals: { 'ssm:resourceTag/team': 'blue' } } },
            { Effect: 'Allow', Action: 'ssm:StartSession', Resource: 'arn:aws:ssm:*::document/SSM-SessionManagerRunShell' },
            { Effect: 'Allow', Action: 'ssm:DescribeSessions', Resource: '*' },
          ],
        }),
      }),
    );
    const limited = new SSMClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
    await until('the new key works', () => limited.send(new DescribeSessionsCommand({ State: 'Active' })).then(() => true, () => undefined));
    await assert.rejects(limited.send(new StartSessionCommand({ Target: a.instanceId })), { name: 'AccessDeniedException' });
    await assert.rejects(limited.send(new StartSessionCommand({ Target: b.instanceId, DocumentName: 'AWS-StartPortForwardingSession' })), { name: 'AccessDeniedException' });
    const mine = await open(b, {}, limited);
    assert.match(mine.id, new RegExp(`^${user}-[0-9a-f]{17}$`));
    // The owner resumes without further rights; terminating needs ssm:TerminateSession, which the admin has.
    assert.ok((await limited.send(new ResumeSessionCommand({ SessionId: mine.id }))).TokenValue);
    const adminSession = await open(b);
    await assert.rejects(limited.send(new TerminateSessionCommand({ SessionId: adminSession.id })), { name: 'AccessDeniedException' });
    await assert.rejects(limited.send(new ResumeSessionCommand({ SessionId: adminSession.id })), { name: 'AccessDeniedException' });
    await ssm.send(new TerminateSessionCommand({ SessionId: mine.id }));
    assert.equal((await describe('History', mine.id))!.Status, 'Terminated');
    await assert.rejects(ssm.send(new TerminateSessionCommand({ SessionId: 'admin-00000000000000000' })), { name: 'DoesNotExistException' });
  });

  test('a node that refuses the session fails it; Port documents send their properties', async () => {
    const a = await node();
    const started = await ssm.send(new StartSessionCommand({ Target: a.instanceId, DocumentName: 'AWS-StartPortForwardingSession', Parameters: { portNumber: ['5432'] } }));
    const order = await until('the order', () => a.orders.find((o) => o.sessionId === started.SessionId));
    assert.equal(order.sessionType, 'Port');
    assert.deepEqual(order.properties, { portNumber: '5432', type: 'LocalPortForwarding', localPortNumber: '0' });
    await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId! }));
    a.refuse = true;
    const refused = await ssm.send(new StartSessionCommand({ Target: a.instanceId }));
    const h = await until('the session failed', () => describe('History', refused.SessionId!));
    assert.equal(h.Status, 'Failed');
    assert.match(h.Details!, /refused the session: not today/);
  });

  test('preferences: the idle timeout and the maximum duration end sessions (the core clock), and reach the agent', async () => {
    const prefs = { schemaVersion: '1.0', description: 'prefs', sessionType: 'Standard_Stream', inputs: { idleSessionTimeout: '1', maxSessionDuration: '2', runAsEnabled: true, runAsDefaultUser: 'ops', shellProfile: { linux: 'exec bash', windows: '' } } };
    await ssm.send(new CreateDocumentCommand({ Name: 'SSM-SessionManagerRunShell', Content: JSON.stringify(prefs), DocumentType: 'Session' }));
    try {
      const a = await node();
      const idle = await open(a);
      const order = a.orders.find((o) => o.sessionId === idle.id)!;
      assert.deepEqual([order.runAsUser, order.shellProfile], ['ops', 'exec bash']);
      assert.equal((await describe('Active', idle.id))!.MaxSessionDuration, '2');
      const svc = sessionService(t.server.core);
      clock.advance(59_000);
      await svc.sweep();
      assert.equal((await describe('Active', idle.id))?.Status, 'Connected');
      clock.advance(2_000);
      assert.ok((await svc.sweep()) >= 1);
      await until('idle channel_closed to the client', () => idle.client.closed);
      await until('idle channel_closed to the node', () => idle.agentSide.closed);
      assert.match((await describe('History', idle.id))!.Details!, /idle for 1 minutes/);

      const busy = await open(a);
      for (let k = 0; k < 3; k++) {
        clock.advance(45_000);
        busy.client.write(`tick ${k}\n`);
        await until('input reached the relay', () => text(busy.client.output).includes(`tick ${k}\n`));
        await svc.sweep();
        if (k < 2) assert.equal(busy.client.closed, undefined, 'input keeps the session alive');
      }
      await until('max-duration channel_closed', () => busy.client.closed);
      assert.match(busy.client.closed!.Output!, /maximum duration of 2 minutes/);
      assert.equal((await describe('History', busy.id))!.Status, 'Terminated');
    } finally {
      await ssm.send(new DeleteDocumentCommand({ Name: 'SSM-SessionManagerRunShell' }));
    }
  });

  test('a dropped client resumes with ResumeSession without losing bytes, and the shell exiting ends the session', async () => {
    const a = await node();
    const { id, client, agentSide } = await open(a);
    client.write('before\n');
    await until('echo before', () => text(client.output).includes('before\n'));
    client.drop();
    await until('the session shows Disconnected', async () => (await describe('Active', id))?.Status === 'Disconnected');
    // While the client is away: what it types queues, what the node says waits.
    client.write('typed while away\n');
    agentSide.stream.write(1, Buffer.from('said while away\n'));
    const resumed = await ssm.send(new ResumeSessionCommand({ SessionId: id }));
    assert.ok(resumed.TokenValue);
    assert.equal(resumed.StreamUrl, client.streamUrl);
    assert.equal(await client.open(resumed.TokenValue!), 'open');
    await until('everything arrives once, in order', () => text(client.output) === 'before\nsaid while away\ntyped while away\n' || text(client.output) === 'before\ntyped while away\nsaid while away\n');
    assert.equal(text(agentSide.input), 'before\ntyped while away\n');
    await until('Connected again', async () => (await describe('Active', id))?.Status === 'Connected');

    agentSide.finish();
    await until('the client hears the end', () => client.closed);
    assert.equal((await describe('History', id))!.Status, 'Terminated');
    assert.equal((await ssm.send(new ResumeSessionCommand({ SessionId: id }))).TokenValue, '', 'an ended session gives no token');
  });

  test('a client that does not come back within the resume window ends the session; DescribeSessions pages', async () => {
    const a = await node();
    const { id, client } = await open(a);
    client.drop();
    await until('Disconnected', async () => (await describe('Active', id))?.Status === 'Disconnected');
    clock.advance(61_000);
    await sessionService(t.server.core).sweep();
    assert.match((await describe('History', id))!.Details!, /client did not reconnect/);

    const all = (await ssm.send(new DescribeSessionsCommand({ State: 'History' }))).Sessions!;
    assert.ok(all.length >= 3);
    const first = await ssm.send(new DescribeSessionsCommand({ State: 'History', MaxResults: 2 }));
    assert.equal(first.Sessions!.length, 2);
    const second = await ssm.send(new DescribeSessionsCommand({ State: 'History', MaxResults: 2, NextToken: first.NextToken! }));
    assert.notEqual(second.Sessions![0]!.SessionId, first.Sessions![1]!.SessionId);
    assert.deepEqual([...first.Sessions!, ...second.Sessions!].map((s) => s.SessionId), all.slice(0, 4).map((s) => s.SessionId));
    const byTarget = (await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'Target', value: a.instanceId }] }))).Sessions!;
    assert.deepEqual(byTarget.map((s) => s.SessionId), [id]);
    const future = new Date(clock.now() + 3_600_000).toISOString();
    assert.equal((await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'InvokedAfter', value: future }] }))).Sessions!.length, 0);
    assert.equal((await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'Status', value: 'Terminated' }, { key: 'Owner', value: `arn:aws:iam::${t.accountId}:user/admin` }] }))).Sessions!.every((s) => s.Status === 'Terminated'), true);
    await assert.rejects(ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'Status', value: 'Sleeping' }] })), { name: 'ValidationException' });
  });

  test('only the target node may open the session socket', async () => {
    const a = await node();
    const b = await node();
    const started = await ssm.send(new StartSessionCommand({ Target: a.instanceId }));
    await assert.rejects(b.dial(started.SessionId!), /not for instance/);
    await assert.rejects(b.dial(started.SessionId!, { instanceId: a.instanceId }), /not signed/);
    await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId! }));
  });
});
