/**
 * Agent updates end to end: agent builds published as releases of the Capstan-Agent package, a
 * real agent running under `capstan-agent supervise`, and AWS-UpdateSSMAgent sent by Run Command
 * and by a State Manager association. A good release takes over once it has connected; a
 * release that never connects is rolled back with the old agent still online.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  CreateActivationCommand,
  CreateAssociationCommand,
  CreateDocumentCommand,
  DescribeAssociationExecutionsCommand,
  DescribeInstanceInformationCommand,
  SendCommandCommand,
  SSMClient,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
  type GetCommandInvocationCommandOutput,
} from '@aws-sdk/client-ssm';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { invocationEnded } from '../test-support/invocation.js';
import { until } from '../test-support/until.js';
import { onEveryEngine } from '../test-support/engines.js';
import { manifestOf, putPackageFile, zipOf } from './test-support/packages.js';

const work = mkdtempSync(join(tmpdir(), 'capstan-agent-update-e2e-'));
const UPDATE_TIMEOUT_SECONDS = 6;

/** A release archive: the agent bundle at its top level, as `capstan-agent.mjs`. */
const releaseOf = (bundle: string) => zipOf({ 'capstan-agent.mjs': readFileSync(bundle, 'utf8') });
/** A release that starts and exits at once: it never connects. */
const broken = zipOf({ 'capstan-agent.mjs': 'console.error("this build is broken"); process.exit(3);\n' });
/** A release that starts and never connects. */
const hanging = zipOf({ 'capstan-agent.mjs': 'console.error("this build hangs"); setInterval(() => {}, 1000);\n' });
/** A release that connects when the supervisor tries it (`--probe`) but exits when it runs as the agent proper. */
const failsAfterSwitch = (good: string) =>
  zipOf({
    'capstan-agent.mjs': 'if (!process.argv.includes("--probe")) { console.error("this build fails as the agent proper"); process.exit(4); }\nawait import("./good.mjs");\n',
    'good.mjs': readFileSync(good, 'utf8'),
  });

/** The running build (it reports 0.1.0) and a good 0.2.0, built once for both engines. */
const builds = Promise.all([buildAgentBundle(join(work, 'build-0.1.0')), buildAgentBundle(join(work, 'build-0.2.0'), '0.2.0')]);
after(() => rmSync(work, { recursive: true, force: true }));

onEveryEngine('Agent updates', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  let node: AgentProcess;
  const output = () => node?.output ?? '';

  before(async () => {
    const [server, [base, next]] = await Promise.all([startTestServer({ engine, schedulerPollMs: 50, agentPingMs: 5_000 }), builds]);
    t = server;
    ssm = new SSMClient(t.clientConfig());
    const v1 = releaseOf(base);
    const v2 = releaseOf(next);
    const v5 = failsAfterSwitch(next);
    for (const file of [v1, v2, broken, hanging, v5]) assert.equal((await putPackageFile(t, file)).status, 200);
    await ssm.send(new CreateDocumentCommand({ Name: 'Capstan-Agent', DocumentType: 'Package', Content: manifestOf('0.1.0', 'capstan-agent-0.1.0.zip', v1) }));
    await ssm.send(new UpdateDocumentCommand({ Name: 'Capstan-Agent', DocumentVersion: '$LATEST', Content: manifestOf('0.2.0', 'capstan-agent-0.2.0.zip', v2) }));
    await ssm.send(new UpdateDocumentCommand({ Name: 'Capstan-Agent', DocumentVersion: '$LATEST', Content: manifestOf('0.3.0', 'capstan-agent-0.3.0.zip', broken) }));
    await ssm.send(new UpdateDocumentCommand({ Name: 'Capstan-Agent', DocumentVersion: '$LATEST', Content: manifestOf('0.4.0', 'capstan-agent-0.4.0.zip', hanging) }));
    await ssm.send(new UpdateDocumentCommand({ Name: 'Capstan-Agent', DocumentVersion: '$LATEST', Content: manifestOf('0.5.0', 'capstan-agent-0.5.0.zip', v5) }));

    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    node = await AgentProcess.register({ bundle: base, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir: join(work, `agent-${engine}`) });
    await node.start(30_000, ['supervise', '--update-timeout', String(UPDATE_TIMEOUT_SECONDS)]);
  });

  after(async () => {
    await node?.stop();
    ssm?.destroy();
    await t?.stop();
  });

  const ended = (commandId: string) => invocationEnded(ssm, commandId, node.instanceId, output);

  async function updateAgent(p: { version?: string; allowDowngrade?: string }): Promise<GetCommandInvocationCommandOutput> {
    const parameters = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, [v]]));
    const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-UpdateSSMAgent', InstanceIds: [node.instanceId], Parameters: parameters }))).Command!.CommandId!;
    return ended(id);
  }

  async function nodeInfo(): Promise<{ version: string; ping: string }> {
    const i = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [node.instanceId] }] }))).InstanceInformationList?.[0];
    return { version: i?.AgentVersion ?? '', ping: i?.PingStatus ?? '' };
  }

  /** The node Online and reporting `version`, as DescribeInstanceInformation answers once the agent has (re)connected. */
  const onlineAt = (version: string) =>
    until(`the node Online with agent ${version}`, async () => {
      const i = await nodeInfo();
      return i.ping === 'Online' && i.version === version ? i : undefined;
    }, { ms: 30_000, every: 200, detail: output });

  const releases = () => readdirSync(join(node.stateDir, 'agent', 'versions')).filter((n) => !n.startsWith('.')).sort();
  const current = () => {
    const f = join(node.stateDir, 'agent', 'current');
    return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
  };

  test('AWS-UpdateSSMAgent: to a good release (it takes over once connected), again (nothing to do), to releases that exit or hang (rolled back, the old agent never disconnected), to one that fails after the switch (the supervisor goes back), a downgrade refused without allowDowngrade and done by an association with it', async () => {
    assert.deepEqual(await nodeInfo(), { version: '0.1.0', ping: 'Online' });

    // A good release: Success only once it has connected, and it is the agent from then on.
    const good = await updateAgent({ version: '0.2.0' });
    assert.equal(good.Status, 'Success', `${JSON.stringify(good)}\n${output()}`);
    assert.match(good.StandardOutputContent!, /Downloaded capstan-agent-0\.2\.0\.zip for Capstan-Agent 0\.2\.0; sha256 [0-9a-f]{64} verified/);
    assert.match(good.StandardOutputContent!, /release 0\.2\.0 connected to the server; it replaces the built-in release/);
    assert.deepEqual(await onlineAt('0.2.0'), { version: '0.2.0', ping: 'Online' });
    assert.equal(current(), '0.2.0');

    // The release already running: nothing to do, no restart. (Counted as agent starts by the
    // supervisor, not as connections: a loaded machine may miss two pings and redial.)
    const agentStarts = () => node.output.match(/supervisor: agent .+? started \(pid \d+\)/g)?.length ?? 0;
    const startsBefore = agentStarts();
    assert.ok(startsBefore > 0, `the supervisor reports starting its agent:\n${node.output}`);
    const same = await updateAgent({ version: '0.2.0' });
    assert.equal(same.Status, 'Success');
    assert.match(same.StandardOutputContent!, /the agent already runs 0\.2\.0; nothing to do/);
    assert.equal(agentStarts(), startsBefore, 'the agent was not restarted');

    // Releases that never connect: rolled back, and the running agent's connection never dropped.
    const bad = await updateAgent({ version: '0.3.0' });
    assert.equal(bad.Status, 'Failed', `${JSON.stringify(bad)}\n${output()}`);
    assert.match(bad.StandardErrorContent!, /release 0\.3\.0 was rolled back: it exited with status 3 without connecting; 0\.2\.0 keeps running/);
    assert.match(output(), /this build is broken/);
    const hung = await updateAgent({ version: '0.4.0' });
    assert.equal(hung.Status, 'Failed', `${JSON.stringify(hung)}\n${output()}`);
    assert.match(hung.StandardErrorContent!, new RegExp(`release 0\\.4\\.0 was rolled back: it did not connect to the server within ${UPDATE_TIMEOUT_SECONDS} s; 0\\.2\\.0 keeps running`));
    assert.match(output(), /this build hangs/);
    assert.equal(agentStarts(), startsBefore, 'the running agent was never stopped');
    assert.deepEqual(await nodeInfo(), { version: '0.2.0', ping: 'Online' });
    assert.equal(current(), '0.2.0');
    assert.deepEqual(releases(), ['0.2.0'], 'rolled-back releases are removed');

    // Connects when tried, then fails as the agent proper: the supervisor goes back to 0.2.0.
    const late = await updateAgent({ version: '0.5.0' });
    assert.equal(late.Status, 'Success', `${JSON.stringify(late)}\n${output()}`);
    await until('the supervisor to go back to 0.2.0', () => /release 0\.5\.0 failed after the switch \(it exited with status 4 without connecting\); going back to 0\.2\.0/.test(output()), { ms: 30_000, detail: output });
    assert.match(output(), /this build fails as the agent proper/);
    assert.deepEqual(await onlineAt('0.2.0'), { version: '0.2.0', ping: 'Online' });
    assert.equal(current(), '0.2.0');
    assert.equal(releases().includes('0.5.0'), false);

    // Older than the running release: refused unless allowDowngrade is true, and nothing changes.
    const refused = await updateAgent({ version: '0.1.0' });
    assert.equal(refused.Status, 'Failed');
    assert.match(refused.StandardErrorContent!, /0\.1\.0 is older than the running agent 0\.2\.0; set allowDowngrade to true to install it\. Nothing was changed/);
    assert.equal(current(), '0.2.0');
    assert.deepEqual(await nodeInfo(), { version: '0.2.0', ping: 'Online' });

    // State Manager, with allowDowngrade: back to 0.1.0.
    const assoc = (await ssm.send(new CreateAssociationCommand({ Name: 'AWS-UpdateSSMAgent', Targets: [{ Key: 'InstanceIds', Values: [node.instanceId] }], Parameters: { version: ['0.1.0'], allowDowngrade: ['true'] } }))).AssociationDescription!;
    const [execution] = await until(
      'the association to run',
      async () => {
        const list = (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: assoc.AssociationId! }))).AssociationExecutions ?? [];
        return list.length && ['Success', 'Failed'].includes(list[0]!.Status!) ? list : undefined;
      },
      { ms: 60_000, every: 250, detail: output },
    );
    assert.equal(execution!.Status, 'Success', `${JSON.stringify(execution)}\n${output()}`);
    assert.deepEqual(await onlineAt('0.1.0'), { version: '0.1.0', ping: 'Online' });
    assert.equal(current(), '0.1.0');
  });

  test('a version that is not one is refused by SendCommand; an empty version installs the package default version; a node not under the supervisor refuses the update and changes nothing', async () => {
    await assert.rejects(
      ssm.send(new SendCommandCommand({ DocumentName: 'AWS-UpdateSSMAgent', InstanceIds: [node.instanceId], Parameters: { version: ['latest'] } })),
      (e: Error) => e.name === 'InvalidParameters' && /version/.test(e.message),
    );
    await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: 'Capstan-Agent', DocumentVersion: '2' }));
    const latest = await updateAgent({});
    assert.equal(latest.Status, 'Success', `${JSON.stringify(latest)}\n${output()}`);
    assert.match(latest.StandardOutputContent!, /release 0\.2\.0 connected to the server/);
    await onlineAt('0.2.0');

    // The same node run as a bare `agent run` of the 0.2.0 build: there is no supervisor to hand over to.
    await node.stop();
    const bare = spawn(process.execPath, [join(node.stateDir, 'agent', 'versions', '0.2.0', 'capstan-agent.mjs'), 'agent', 'run', '--state-dir', node.stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bareOutput = '';
    bare.stdout.on('data', (d: Buffer) => (bareOutput += d.toString()));
    bare.stderr.on('data', (d: Buffer) => (bareOutput += d.toString()));
    try {
      await until('the bare agent online', () => bareOutput.includes('online as'), { ms: 30_000, detail: () => bareOutput });
      const refused = await updateAgent({ version: '0.1.0', allowDowngrade: 'true' });
      assert.equal(refused.Status, 'Failed', `${JSON.stringify(refused)}\n${bareOutput}`);
      assert.match(refused.StandardErrorContent!, /the agent is not running under `capstan-agent supervise`.*nothing was changed/);
      assert.equal(current(), '0.2.0');
      assert.deepEqual(await nodeInfo(), { version: '0.2.0', ping: 'Online' });
    } finally {
      const exited = new Promise((r) => bare.once('exit', r));
      bare.kill('SIGKILL');
      await exited;
    }
  });
});
