import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreatePatchBaselineCommand,
  DescribeAvailablePatchesCommand,
  DescribeEffectivePatchesForPatchBaselineCommand,
  DescribeInstancePatchesCommand,
  DescribeInstancePatchStatesCommand,
  DescribeInstancePatchStatesForPatchGroupCommand,
  DescribePatchGroupStateCommand,
  DescribePatchPropertiesCommand,
  GetDefaultPatchBaselineCommand,
  GetDeployablePatchSnapshotForInstanceCommand,
  ListComplianceItemsCommand,
  RegisterPatchBaselineForPatchGroupCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { CommandPayload, PatchBaselineSnapshot } from '@capstan/wire';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { startS3Store, type TestS3Store } from '../test-support/s3-store.js';
import { until } from '../test-support/until.js';
import { ManualClock } from '../scheduler/clock.js';
import { aptPatch, patchNode, summary, type PatchingAgent } from './test-support/agents.js';

const RULES = { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY' as const, Values: ['Required', 'Important'] }] }, ComplianceLevel: 'HIGH' as const }] };

onEveryEngine('Patch Manager on the fleet', (engine: Engine) => {
  let t: TestServer;
  // Real time, held still so the test can move past a snapshot link's lifetime.
  const clock = new ManualClock(Date.now());
  const ssm = () => new SSMClient(t.clientConfig());
  const agents: PatchingAgent[] = [];
  let web: PatchingAgent, plain: PatchingAgent, deb: PatchingAgent, odd: PatchingAgent;
  let webBaseline: string;
  let s3: TestS3Store;

  before(async () => {
    s3 = await startS3Store();
    t = await startTestServer({ engine, clock, s3: s3.config });
    web = await patchNode(ssm(), t, 'web-1', ['Ubuntu', '22.04'], { 'Patch Group': 'web', PatchGroup: 'ignored' });
    plain = await patchNode(ssm(), t, 'plain-1', ['Ubuntu', '22.04']);
    deb = await patchNode(ssm(), t, 'deb-1', ['Debian GNU/Linux', '12'], { PatchGroup: 'web' });
    odd = await patchNode(ssm(), t, 'odd-1', ['Arch Linux', 'rolling']);
    agents.push(web, plain, deb, odd);
    webBaseline = (await ssm().send(new CreatePatchBaselineCommand({ Name: 'web-ubuntu', OperatingSystem: 'UBUNTU', ApprovalRules: RULES, RejectedPatches: ['telnetd'], ApprovedPatches: ['curl'], ApprovedPatchesEnableNonSecurity: true }))).BaselineId!;
    await ssm().send(new RegisterPatchBaselineForPatchGroupCommand({ BaselineId: webBaseline, PatchGroup: 'web' }));
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
    await s3.close();
  });

  async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
    await assert.rejects(p, (e: Error) => {
      assert.equal(e.name, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    });
  }
  const snapshotOf = async (a: PatchingAgent, commandId: string): Promise<PatchBaselineSnapshot | undefined> => {
    const job = await until(`the job of ${commandId} on ${a.instanceId}`, () => a.jobs.find((j) => j.id === commandId));
    return (job.payload as CommandPayload).patchBaseline;
  };

  test('each node\'s AWS-RunPatchBaseline job carries the baseline of its patch group and operating system', async () => {
    const { Command } = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: agents.map((a) => a.instanceId), Parameters: { Operation: ['Scan'] } }));
    const id = Command!.CommandId!;
    const w = (await snapshotOf(web, id))!;
    assert.equal(w.BaselineId, webBaseline, '`Patch Group` picks the group\'s baseline');
    assert.equal(w.PatchGroup, 'web');
    assert.equal(w.OperatingSystem, 'UBUNTU');
    assert.equal(w.InstanceId, web.instanceId);
    assert.deepEqual(w.ApprovalRules, RULES);
    assert.deepEqual(w.RejectedPatches, ['telnetd']);
    assert.match(w.SnapshotId, /^[0-9a-f-]{36}$/);
    const ubuntuDefault = (await ssm().send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'UBUNTU' }))).BaselineId;
    const p = (await snapshotOf(plain, id))!;
    assert.equal(p.BaselineId, ubuntuDefault, 'no group: the system\'s default');
    assert.equal(p.PatchGroup, undefined);
    const d = (await snapshotOf(deb, id))!;
    assert.equal(d.OperatingSystem, 'DEBIAN');
    assert.equal(d.BaselineId, (await ssm().send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'DEBIAN' }))).BaselineId, 'group web has no Debian baseline: the Debian default');
    assert.equal(d.PatchGroup, 'web');
    assert.equal(await snapshotOf(odd, id), undefined, 'a system Capstan does not patch gets no snapshot');
    // The document is AWS's: its steps are aws:runPatchBaseline with the parameters bound.
    const doc = (web.jobs.find((j) => j.id === id)!.payload as CommandPayload).document as { mainSteps: { action: string; name: string; inputs: Record<string, string> }[] };
    assert.deepEqual(doc.mainSteps.map((s) => s.action), ['aws:runPatchBaseline', 'aws:runPatchBaseline', 'aws:runPatchBaseline']);
    assert.equal(doc.mainSteps[1]!.inputs.Operation, 'Scan');
  });

  test('a BaselineOverride given inline replaces the node\'s baseline; a bad one refuses the command', async () => {
    const override = JSON.stringify({ OperatingSystem: 'UBUNTU', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required'] }] }, ComplianceLevel: 'CRITICAL' }] }, RejectedPatches: ['nano'] });
    const snapshotId = '0b9e7c55-2f1a-4a3c-8d6e-5a4b3c2d1e0f';
    const { Command } = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [web.instanceId, deb.instanceId], Parameters: { Operation: ['Install'], BaselineOverride: [override], SnapshotId: [snapshotId], RebootOption: ['NoReboot'] } }));
    const w = (await snapshotOf(web, Command!.CommandId!))!;
    assert.equal(w.BaselineId, 'BaselineOverride');
    assert.deepEqual(w.RejectedPatches, ['nano']);
    assert.equal(w.SnapshotId, snapshotId);
    const d = (await snapshotOf(deb, Command!.CommandId!))!;
    assert.notEqual(d.BaselineId, 'BaselineOverride', 'the override has no Debian baseline: Debian keeps its own');
    const bad = JSON.stringify({ OperatingSystem: 'UBUNTU', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Security'] }] } }] } });
    const sent = web.jobs.length;
    await rejects(ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [web.instanceId], Parameters: { Operation: ['Scan'], BaselineOverride: [bad] } })), 'InvalidParameters', /CLASSIFICATION is not valid for UBUNTU/);
    await rejects(ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [web.instanceId], Parameters: { Operation: ['Scan'], BaselineOverride: ['{not json'] } })), 'InvalidParameters', /not valid JSON/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(web.jobs.length, sent, 'nothing was sent');
  });

  test('a BaselineOverride kept in the S3-compatible store is read once at SendCommand; a missing, bad or foreign one refuses the command', async () => {
    const override = { OperatingSystem: 'UBUNTU', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Important'] }] }, ComplianceLevel: 'MEDIUM' }] }, RejectedPatches: ['emacs'] };
    s3.bytes.set('/baselines/ubuntu/web override.json', Buffer.from(JSON.stringify(override)));
    for (const location of ['s3://baselines/ubuntu/web%20override.json', `${s3.config.endpoint}/baselines/ubuntu/web%20override.json`]) {
      const { Command } = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [web.instanceId], Parameters: { Operation: ['Scan'], BaselineOverride: [location] } }));
      const w = (await snapshotOf(web, Command!.CommandId!))!;
      assert.equal(w.BaselineId, 'BaselineOverride', location);
      assert.deepEqual(w.RejectedPatches, ['emacs']);
      assert.deepEqual(w.ApprovalRules, override.ApprovalRules);
      // The job carries the baseline itself, so a later change to the object cannot reach it.
      const doc = (web.jobs.find((j) => j.id === Command!.CommandId)!.payload as CommandPayload).document as { mainSteps: { inputs: Record<string, string> }[] };
      assert.deepEqual(JSON.parse(doc.mainSteps[1]!.inputs.BaselineOverride!), override);
    }
    const sent = web.jobs.length;
    const send = (location: string) => ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [web.instanceId], Parameters: { Operation: ['Scan'], BaselineOverride: [location] } }));
    await rejects(send('s3://baselines/missing.json'), 'InvalidParameters', /s3:\/\/baselines\/missing\.json does not exist/);
    s3.bytes.set('/baselines/bad.json', Buffer.from(JSON.stringify({ OperatingSystem: 'UBUNTU', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Security'] }] } }] } })));
    await rejects(send('s3://baselines/bad.json'), 'InvalidParameters', /bad\.json: .*CLASSIFICATION is not valid for UBUNTU/);
    s3.bytes.set('/baselines/text.json', Buffer.from('not json at all'));
    await rejects(send('s3://baselines/text.json'), 'InvalidParameters', /text\.json: .*not valid JSON/);
    await rejects(send('https://elsewhere.example/baselines/ubuntu.json'), 'InvalidParameters', /inline as JSON, or the location of a JSON file as s3:\/\/BUCKET\/KEY/);
    await rejects(send('s3://baselines/'), 'InvalidParameters');
    s3.failWith = 500;
    try {
      await rejects(send('s3://baselines/ubuntu/web%20override.json'), 'InvalidParameters', /cannot be read: .*500/);
    } finally {
      delete s3.failWith;
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(web.jobs.length, sent, 'nothing was sent');
  });

  test('a patch report sent over the channel lands in the patch states, the node\'s patches, its group\'s state and its compliance', async () => {
    const patches = [
      aptPatch('openssl', '3.0.2-0ubuntu1.15', 'INSTALLED'),
      aptPatch('libc6', '2.35-0ubuntu3.8', 'MISSING', { InstalledVersion: '2.35-0ubuntu3.7', Severity: 'required', Priority: 'required', ComplianceLevel: 'CRITICAL' }),
      aptPatch('telnetd', '0.17-44build1', 'INSTALLED_REJECTED', { Classification: 'bugfix', Repository: 'jammy', Priority: 'optional', Severity: 'optional' }),
      aptPatch('vim', '2:8.2.3995-1ubuntu2.21', 'NOT_APPLICABLE', { Classification: 'bugfix', Priority: 'optional', Severity: 'optional', Repository: 'jammy-updates' }),
    ];
    await web.report({ commandId: '11111111-2222-4333-8444-555555555555', summary: summary({ BaselineId: webBaseline, PatchGroup: 'web', InstalledCount: 1, MissingCount: 1, InstalledRejectedCount: 1, NotApplicableCount: 1, CriticalNonCompliantCount: 1, OtherNonCompliantCount: 1 }), patches });
    await plain.report({ commandId: '11111111-2222-4333-8444-555555555556', summary: summary({ BaselineId: 'x'.repeat(20), PatchGroup: '', InstalledCount: 1 }), patches: [aptPatch('openssl', '3.0.2-0ubuntu1.15', 'INSTALLED')] });

    const states = await ssm().send(new DescribeInstancePatchStatesCommand({ InstanceIds: [web.instanceId, plain.instanceId, odd.instanceId] }));
    assert.deepEqual(states.InstancePatchStates!.map((s) => s.InstanceId).sort(), [web.instanceId, plain.instanceId].sort());
    const ws = states.InstancePatchStates!.find((s) => s.InstanceId === web.instanceId)!;
    assert.equal(ws.PatchGroup, 'web');
    assert.equal(ws.BaselineId, webBaseline);
    assert.equal(ws.Operation, 'Scan');
    assert.equal(ws.MissingCount, 1);
    assert.equal(ws.InstalledRejectedCount, 1);
    assert.equal(ws.CriticalNonCompliantCount, 1);
    assert.deepEqual(ws.OperationEndTime, new Date('2026-11-20T10:01:00Z'));

    const group = await ssm().send(new DescribeInstancePatchStatesForPatchGroupCommand({ PatchGroup: 'web' }));
    assert.deepEqual(group.InstancePatchStates!.map((s) => s.InstanceId), [web.instanceId]);
    const missing = await ssm().send(new DescribeInstancePatchStatesForPatchGroupCommand({ PatchGroup: 'web', Filters: [{ Key: 'MissingCount', Values: ['0'], Type: 'GreaterThan' }] }));
    assert.equal(missing.InstancePatchStates!.length, 1);
    const none = await ssm().send(new DescribeInstancePatchStatesForPatchGroupCommand({ PatchGroup: 'web', Filters: [{ Key: 'FailedCount', Values: ['0'], Type: 'NotEqual' }] }));
    assert.deepEqual(none.InstancePatchStates, []);
    await rejects(ssm().send(new DescribeInstancePatchStatesForPatchGroupCommand({ PatchGroup: 'web', Filters: [{ Key: 'Colour', Values: ['1'], Type: 'Equal' }] })), 'ValidationException', /MissingCount/);
    await rejects(ssm().send(new DescribeInstancePatchStatesForPatchGroupCommand({ PatchGroup: 'web', Filters: [{ Key: 'MissingCount', Values: ['many'], Type: 'Equal' }] })), 'ValidationException', /whole number/);

    const all = await ssm().send(new DescribeInstancePatchesCommand({ InstanceId: web.instanceId }));
    assert.deepEqual(all.Patches!.map((p) => [p.KBId, p.State]), [['openssl', 'INSTALLED'], ['libc6', 'MISSING'], ['telnetd', 'INSTALLED_REJECTED'], ['vim', 'NOT_APPLICABLE']]);
    assert.equal(all.Patches![0]!.Title, 'openssl.amd64:0:3.0.2-0ubuntu1.15');
    assert.deepEqual(all.Patches![0]!.InstalledTime, new Date('2026-11-01T00:00:00Z'));
    const byState = await ssm().send(new DescribeInstancePatchesCommand({ InstanceId: web.instanceId, Filters: [{ Key: 'State', Values: ['InstalledRejected', 'MISSING'] }] }));
    assert.deepEqual(byState.Patches!.map((p) => p.KBId), ['libc6', 'telnetd']);
    const byClass = await ssm().send(new DescribeInstancePatchesCommand({ InstanceId: web.instanceId, Filters: [{ Key: 'Classification', Values: ['bugfix'] }, { Key: 'KBId', Values: ['vim'] }] }));
    assert.deepEqual(byClass.Patches!.map((p) => p.KBId), ['vim']);
    const paged = await ssm().send(new DescribeInstancePatchesCommand({ InstanceId: web.instanceId, MaxResults: 10 }));
    assert.equal(paged.NextToken, undefined);
    await rejects(ssm().send(new DescribeInstancePatchesCommand({ InstanceId: web.instanceId, Filters: [{ Key: 'Colour', Values: ['x'] }] })), 'ValidationException', /KBId/);
    await rejects(ssm().send(new DescribeInstancePatchesCommand({ InstanceId: 'mi-0123456789abcdef0' })), 'InvalidInstanceId');

    const gs = await ssm().send(new DescribePatchGroupStateCommand({ PatchGroup: 'web' }));
    assert.equal(gs.Instances, 1);
    assert.equal(gs.InstancesWithMissingPatches, 1);
    assert.equal(gs.InstancesWithInstalledRejectedPatches, 1);
    assert.equal(gs.InstancesWithCriticalNonCompliantPatches, 1);
    assert.equal(gs.InstancesWithFailedPatches, 0);
    assert.equal((await ssm().send(new DescribePatchGroupStateCommand({ PatchGroup: 'nobody' }))).Instances, 0);

    const items = await ssm().send(new ListComplianceItemsCommand({ ResourceIds: [web.instanceId], ResourceTypes: ['ManagedInstance'], Filters: [{ Key: 'ComplianceType', Values: ['Patch'] }] }));
    const byId = Object.fromEntries(items.ComplianceItems!.map((i) => [i.Id, i]));
    assert.equal(byId.openssl!.Status, 'COMPLIANT');
    assert.equal(byId.libc6!.Status, 'NON_COMPLIANT');
    assert.equal(byId.libc6!.Severity, 'CRITICAL');
    assert.equal(byId.telnetd!.Status, 'NON_COMPLIANT');
    assert.equal(byId.vim, undefined, 'not applicable patches are not compliance items');
    assert.equal(byId.libc6!.Details!.PatchState, 'MISSING');
    assert.equal(byId.libc6!.ExecutionSummary!.ExecutionId, '11111111-2222-4333-8444-555555555555');

    // A later report replaces the node's whole state.
    await web.report({ commandId: '11111111-2222-4333-8444-555555555557', summary: summary({ BaselineId: webBaseline, PatchGroup: 'web', Operation: 'Install', InstalledCount: 2 }), patches: [aptPatch('openssl', '3.0.2-0ubuntu1.15', 'INSTALLED'), aptPatch('libc6', '2.35-0ubuntu3.8', 'INSTALLED')] });
    assert.deepEqual((await ssm().send(new DescribeInstancePatchesCommand({ InstanceId: web.instanceId }))).Patches!.map((p) => p.State), ['INSTALLED', 'INSTALLED']);
    assert.equal((await ssm().send(new DescribePatchGroupStateCommand({ PatchGroup: 'web' }))).InstancesWithMissingPatches, 0);
    const after = await ssm().send(new ListComplianceItemsCommand({ ResourceIds: [web.instanceId], ResourceTypes: ['ManagedInstance'], Filters: [{ Key: 'ComplianceType', Values: ['Patch'] }] }));
    assert.deepEqual(after.ComplianceItems!.map((i) => i.Status), ['COMPLIANT', 'COMPLIANT']);

    // A malformed report is acknowledged (resending it would not help) and changes nothing.
    await web.report({ commandId: 'x', summary: { nope: true } as never, patches: [] });
    assert.equal((await ssm().send(new DescribeInstancePatchesCommand({ InstanceId: web.instanceId }))).Patches!.length, 2);
  });

  test('the catalogue of reported patches feeds DescribeAvailablePatches, DescribePatchProperties and the effective patches of a baseline', async () => {
    const avail = await ssm().send(new DescribeAvailablePatchesCommand({ Filters: [{ Key: 'PRODUCT', Values: ['Ubuntu22.04'] }] }));
    assert.deepEqual(avail.Patches!.map((p) => `${p.Name}=${p.Epoch}:${p.Version}-${p.Release}`).sort(), ['libc6=0:2.35-0ubuntu3.8', 'openssl=0:3.0.2-0ubuntu1.15', 'telnetd=0:0.17-44build1', 'vim=2:8.2.3995-1ubuntu2.21']);
    const named = await ssm().send(new DescribeAvailablePatchesCommand({ Filters: [{ Key: 'NAME', Values: ['openssl'] }] }));
    assert.equal(named.Patches!.length, 1);
    assert.equal(named.Patches![0]!.Repository, 'jammy-security');
    const page1 = await ssm().send(new DescribeAvailablePatchesCommand({ MaxResults: 2 }));
    assert.equal(page1.Patches!.length, 2);
    assert.ok(page1.NextToken);
    await rejects(ssm().send(new DescribeAvailablePatchesCommand({ Filters: [{ Key: 'MSRC_SEVERITY', Values: ['Critical'] }] })), 'ValidationException');

    const products = await ssm().send(new DescribePatchPropertiesCommand({ OperatingSystem: 'UBUNTU', Property: 'PRODUCT' }));
    assert.deepEqual(products.Properties, [{ Name: 'Ubuntu22.04' }]);
    const priorities = await ssm().send(new DescribePatchPropertiesCommand({ OperatingSystem: 'UBUNTU', Property: 'PRIORITY' }));
    assert.deepEqual(priorities.Properties!.map((p) => p.Name), ['Extra', 'Important', 'Optional', 'Required', 'Standard']);
    await rejects(ssm().send(new DescribePatchPropertiesCommand({ OperatingSystem: 'UBUNTU', Property: 'CLASSIFICATION' })), 'ValidationException', /PRODUCT, PRIORITY/);
    await rejects(ssm().send(new DescribePatchPropertiesCommand({ OperatingSystem: 'WINDOWS', Property: 'PRODUCT' })), 'ValidationException', /not supported/);
    const severities = await ssm().send(new DescribePatchPropertiesCommand({ OperatingSystem: 'REDHAT_ENTERPRISE_LINUX', Property: 'SEVERITY' }));
    assert.ok(severities.Properties!.some((p) => p.Name === 'Critical'));

    const eff = await ssm().send(new DescribeEffectivePatchesForPatchBaselineCommand({ BaselineId: webBaseline }));
    const status = Object.fromEntries(eff.EffectivePatches!.map((e) => [e.Patch!.Name, [e.PatchStatus!.DeploymentStatus, e.PatchStatus!.ComplianceLevel]]));
    assert.deepEqual(status.openssl, ['APPROVED', 'HIGH'], 'security, priority important: rule 1');
    assert.deepEqual(status.libc6, ['APPROVED', 'HIGH']);
    assert.deepEqual(status.telnetd, ['EXPLICIT_REJECTED', 'UNSPECIFIED']);
    assert.equal(status.vim, undefined, 'optional bugfix: no rule matches it');
  });

  test('GetDeployablePatchSnapshotForInstance hands out a short-lived link to the node\'s snapshot', async () => {
    const snapshotId = '5d6c7b8a-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
    const r = await ssm().send(new GetDeployablePatchSnapshotForInstanceCommand({ InstanceId: web.instanceId, SnapshotId: snapshotId }));
    assert.equal(r.Product, 'Ubuntu22.04');
    assert.equal(r.SnapshotId, snapshotId);
    assert.ok(r.SnapshotDownloadUrl!.startsWith(t.endpoint));
    const body = (await (await fetch(r.SnapshotDownloadUrl!)).json()) as PatchBaselineSnapshot;
    assert.equal(body.BaselineId, webBaseline);
    assert.equal(body.SnapshotId, snapshotId);
    assert.equal(body.InstanceId, web.instanceId);
    const forged = r.SnapshotDownloadUrl!.replace(/[^/]+$/, 'A'.repeat(43));
    assert.equal((await fetch(forged)).status, 404);
    const withOverride = await ssm().send(new GetDeployablePatchSnapshotForInstanceCommand({ InstanceId: deb.instanceId, SnapshotId: snapshotId, BaselineOverride: { OperatingSystem: 'DEBIAN', RejectedPatches: ['exim4'] } }));
    assert.equal(withOverride.Product, 'Debian12');
    assert.deepEqual(((await (await fetch(withOverride.SnapshotDownloadUrl!)).json()) as PatchBaselineSnapshot).RejectedPatches, ['exim4']);
    await rejects(ssm().send(new GetDeployablePatchSnapshotForInstanceCommand({ InstanceId: odd.instanceId, SnapshotId: snapshotId })), 'UnsupportedOperatingSystem', /Arch Linux/);
    await rejects(ssm().send(new GetDeployablePatchSnapshotForInstanceCommand({ InstanceId: 'mi-0123456789abcdef0', SnapshotId: snapshotId })), 'InvalidInstanceId');
    await rejects(ssm().send(new GetDeployablePatchSnapshotForInstanceCommand({ InstanceId: web.instanceId, SnapshotId: snapshotId, BaselineOverride: { OperatingSystem: 'UBUNTU', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [] }, ApproveAfterDays: 3 }] } } })), 'ValidationException', /not supported/);
    // The link lasts 15 minutes (the last thing here: signed calls after it would be outside SigV4's clock skew).
    clock.advance(16 * 60_000);
    assert.equal((await fetch(r.SnapshotDownloadUrl!)).status, 404);
  });
});
