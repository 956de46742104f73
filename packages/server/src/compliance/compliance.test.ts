import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DeregisterManagedInstanceCommand,
  ListComplianceItemsCommand,
  ListComplianceSummariesCommand,
  ListResourceComplianceSummariesCommand,
  PutComplianceItemsCommand,
  SSMClient,
  type ComplianceItemEntry,
  type ListComplianceItemsCommandOutput,
  type ListComplianceSummariesCommandOutput,
  type ListResourceComplianceSummariesCommandOutput,
  type ComplianceStringFilter,
  type PutComplianceItemsCommandInput,
} from '@aws-sdk/client-ssm';
import { EventBridgeClient, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { simulatedNode } from '../associations/test-support/fleet.js';
import { eventBridgeShape } from '../events/shape.js';
import { onEveryEngine } from '../test-support/engines.js';
import { okStep, type SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { COMPLIANCE_EVENT, complianceService, type ComplianceChange } from './index.js';

const WHEN = new Date('2026-11-25T10:00:00Z');

onEveryEngine('Compliance', (engine: Engine) => {
  let t: TestServer;
  const agents: SimulatedAgent[] = [];
  const ssm = () => new SSMClient(t.clientConfig());

  before(async () => {
    t = await startTestServer({ engine });
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  async function node(): Promise<string> {
    const a = await simulatedNode(ssm(), t, `cmp-${agents.length}`, () => ({ status: 'Success', steps: [okStep()] }));
    agents.push(a);
    return a.instanceId;
  }

  async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
    await assert.rejects(p, (e: Error) => {
      assert.equal(e.name, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    });
  }

  const put = (resourceId: string, type: string, items: ComplianceItemEntry[], more: Partial<PutComplianceItemsCommandInput> = {}) =>
    ssm().send(new PutComplianceItemsCommand({ ResourceId: resourceId, ResourceType: 'ManagedInstance', ComplianceType: type, ExecutionSummary: { ExecutionTime: WHEN, ExecutionId: 'exec-1', ExecutionType: 'Command' }, Items: items, ...more }));
  const items = async (resourceId: string, filters: ComplianceStringFilter[] = []) => (await ssm().send(new ListComplianceItemsCommand({ ResourceIds: [resourceId], ResourceTypes: ['ManagedInstance'], Filters: filters }))).ComplianceItems ?? [];
  const brief = (list: { Id?: string; Status?: string; Severity?: string }[]) => list.map((i) => [i.Id ?? '', i.Status, i.Severity]);

  test('COMPLETE replaces the type on the resource; ListComplianceItems reads every field back', async () => {
    const n = await node();
    await put(n, 'Custom:Hardening', [
      { Id: 'ssh-root', Title: 'No root login over SSH', Severity: 'HIGH', Status: 'NON_COMPLIANT', Details: { File: '/etc/ssh/sshd_config' } },
      { Id: 'fw', Title: 'Firewall on', Severity: 'MEDIUM', Status: 'COMPLIANT' },
      { Title: 'An item without an Id', Severity: 'LOW', Status: 'COMPLIANT' },
    ]);
    const got = await items(n, [{ Key: 'ComplianceType', Values: ['Custom:Hardening'] }]);
    assert.equal(got.length, 3);
    assert.deepEqual(got[0], {
      ComplianceType: 'Custom:Hardening',
      ResourceType: 'ManagedInstance',
      ResourceId: n,
      Id: 'ssh-root',
      Title: 'No root login over SSH',
      Status: 'NON_COMPLIANT',
      Severity: 'HIGH',
      ExecutionSummary: { ExecutionTime: WHEN, ExecutionId: 'exec-1', ExecutionType: 'Command' },
      Details: { File: '/etc/ssh/sshd_config' },
    });
    assert.equal(got[2]!.Id, undefined);
    assert.equal(got[2]!.Title, 'An item without an Id');

    await put(n, 'Custom:Hardening', [{ Id: 'fw', Severity: 'MEDIUM', Status: 'NON_COMPLIANT' }], { ExecutionSummary: { ExecutionTime: new Date('2026-11-26T08:00:00Z'), ExecutionId: 'exec-2' } });
    const replaced = await items(n);
    assert.deepEqual(brief(replaced), [['fw', 'NON_COMPLIANT', 'MEDIUM']]);
    assert.deepEqual(replaced[0]!.ExecutionSummary, { ExecutionTime: new Date('2026-11-26T08:00:00Z'), ExecutionId: 'exec-2' });

    // Another type on the same node is its own: COMPLETE of one leaves the other.
    await put(n, 'Custom:Backups', [{ Id: 'nightly', Severity: 'LOW', Status: 'COMPLIANT' }]);
    await put(n, 'Custom:Hardening', [{ Id: 'fw', Severity: 'MEDIUM', Status: 'COMPLIANT' }]);
    assert.deepEqual(brief(await items(n, [{ Key: 'ComplianceType', Values: ['Custom:Backups'] }])), [['nightly', 'COMPLIANT', 'LOW']]);

    // An empty COMPLETE upload clears the type.
    await put(n, 'Custom:Backups', []);
    assert.deepEqual(await items(n, [{ Key: 'ComplianceType', Values: ['Custom:Backups'] }]), []);
    const summaries = (await ssm().send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: 'ResourceId', Values: [n] }] }))).ResourceComplianceSummaryItems!;
    assert.deepEqual(summaries.map((s) => s.ComplianceType), ['Custom:Hardening']);
  });

  test('PARTIAL replaces the items with the same Ids and keeps the others', async () => {
    const n = await node();
    await put(n, 'Custom:Certs', [
      { Id: 'a', Severity: 'LOW', Status: 'COMPLIANT' },
      { Id: 'b', Severity: 'HIGH', Status: 'COMPLIANT' },
    ]);
    await put(n, 'Custom:Certs', [{ Id: 'b', Severity: 'CRITICAL', Status: 'NON_COMPLIANT' }, { Id: 'c', Severity: 'INFORMATIONAL', Status: 'COMPLIANT' }], { UploadType: 'PARTIAL' });
    assert.deepEqual(brief(await items(n)), [
      ['a', 'COMPLIANT', 'LOW'],
      ['b', 'NON_COMPLIANT', 'CRITICAL'],
      ['c', 'COMPLIANT', 'INFORMATIONAL'],
    ]);
    // A replaced item keeps its place.
    await put(n, 'Custom:Certs', [{ Id: 'a', Severity: 'MEDIUM', Status: 'NON_COMPLIANT' }], { UploadType: 'PARTIAL' });
    assert.deepEqual((await items(n)).map((i) => [i.Id, i.Severity]), [['a', 'MEDIUM'], ['b', 'CRITICAL'], ['c', 'INFORMATIONAL']]);
  });

  test('an upload with the stored ItemContentHash changes nothing; another hash replaces', async () => {
    const n = await node();
    await put(n, 'Custom:Hashed', [{ Id: 'x', Severity: 'LOW', Status: 'COMPLIANT' }], { ItemContentHash: 'h1' });
    await put(n, 'Custom:Hashed', [{ Id: 'y', Severity: 'HIGH', Status: 'NON_COMPLIANT' }], { ItemContentHash: 'h1', ExecutionSummary: { ExecutionTime: new Date('2026-11-27T00:00:00Z') } });
    const same = await items(n);
    assert.deepEqual(brief(same), [['x', 'COMPLIANT', 'LOW']]);
    assert.deepEqual(same[0]!.ExecutionSummary!.ExecutionTime, WHEN, 'not even the execution summary is written');
    await put(n, 'Custom:Hashed', [{ Id: 'y', Severity: 'HIGH', Status: 'NON_COMPLIANT' }], { ItemContentHash: 'h2' });
    assert.deepEqual(brief(await items(n)), [['y', 'NON_COMPLIANT', 'HIGH']]);
  });

  test('bad uploads get AWS errors and leave the resource as it was', async () => {
    const n = await node();
    const good: ComplianceItemEntry = { Id: 'keep', Severity: 'MEDIUM', Status: 'COMPLIANT' };
    await put(n, 'Custom:Guarded', [good]);
    for (let k = 0; k < 9; k++) await put(n, `Custom:T${k}`, [good]);
    const before = await items(n);
    const resourcesBefore = (await ssm().send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: 'ResourceId', Values: [n] }] }))).ResourceComplianceSummaryItems;
    const big = (id: string): ComplianceItemEntry => ({ Id: id, Severity: 'LOW', Status: 'COMPLIANT', Details: { A: 'x'.repeat(4000), B: 'x'.repeat(4000), C: 'x'.repeat(4000) } });
    const cases: [string, () => Promise<unknown>, string, RegExp?][] = [
      ['resource type', () => put(n, 'Custom:Guarded', [], { ResourceType: 'Document' }), 'InvalidResourceType', /ManagedInstance/],
      ['unregistered node', () => put('mi-0123456789abcdef0', 'Custom:Guarded', [good]), 'InvalidResourceId', /mi-0123456789abcdef0/],
      ['unknown type', () => put(n, 'Inventory', [good]), 'ValidationException', /Association, Patch or Custom/],
      ['type pattern', () => put(n, 'Custom:bad name', [good]), 'ValidationException', /complianceType/],
      ['COMPLETE Association', () => put(n, 'Association', [good]), 'ValidationException', /PARTIAL/],
      ['severity', () => put(n, 'Custom:Guarded', [{ ...good, Severity: 'SEVERE' as never }]), 'ValidationException', /severity/],
      ['duplicate Id', () => put(n, 'Custom:Guarded', [good, good]), 'InvalidItemContentException', /keep/],
      ['PARTIAL without Id', () => put(n, 'Custom:Guarded', [{ Severity: 'LOW', Status: 'COMPLIANT' }], { UploadType: 'PARTIAL' }), 'InvalidItemContentException', /no Id/],
      ['item size', () => put(n, 'Custom:Guarded', [good, { ...big('huge'), Details: { ...big('huge').Details, D: 'x'.repeat(4096), E: 'x'.repeat(4096) } }]), 'ItemSizeLimitExceededException', /16384/],
      ['total size', () => put(n, 'Custom:Guarded', Array.from({ length: 400 }, (_, k) => big(`b${k}`))), 'TotalSizeLimitExceededException', /4194304/],
      ['eleventh custom type', () => put(n, 'Custom:Eleventh', [good]), 'ComplianceTypeCountLimitExceededException', /10/],
      ['Title length', () => put(n, 'Custom:Guarded', [{ ...good, Title: 't'.repeat(501) }]), 'ValidationException'],
    ];
    for (const [what, p, code, message] of cases) {
      await rejects(p(), code, message).catch((e: Error) => assert.fail(`${what}: ${e.message}`));
    }
    assert.deepEqual(await items(n), before);
    const resourcesAfter = (await ssm().send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: 'ResourceId', Values: [n] }] }))).ResourceComplianceSummaryItems;
    assert.deepEqual(resourcesAfter, resourcesBefore);
    // A PARTIAL upload over the size limit rolls back its merge too.
    await rejects(put(n, 'Custom:Guarded', Array.from({ length: 400 }, (_, k) => big(`p${k}`)), { UploadType: 'PARTIAL' }), 'TotalSizeLimitExceededException');
    assert.deepEqual(await items(n), before);
    // The tenth type is still welcome once one is cleared.
    await put(n, 'Custom:T0', []);
    await put(n, 'Custom:Eleventh', [good]);
  });

  test('ListComplianceItems: every operator, severity compared by rank, unknown keys refused', async () => {
    const n = await node();
    await put(n, 'Custom:Ops', [
      { Id: 'kb-100', Title: 'Alpha', Severity: 'CRITICAL', Status: 'NON_COMPLIANT' },
      { Id: 'kb-200', Title: 'beta', Severity: 'HIGH', Status: 'COMPLIANT' },
      { Id: 'KB-300', Title: 'Gamma', Severity: 'LOW', Status: 'NON_COMPLIANT' },
      { Id: 'other', Title: 'Delta', Severity: 'UNSPECIFIED', Status: 'COMPLIANT' },
    ]);
    const ids = async (...filters: ComplianceStringFilter[]) => (await items(n, [{ Key: 'ComplianceType', Values: ['Custom:Ops'] }, ...filters])).map((i) => i.Id);
    assert.deepEqual(await ids({ Key: 'Status', Values: ['NON_COMPLIANT'], Type: 'EQUAL' }), ['kb-100', 'KB-300']);
    assert.deepEqual(await ids({ Key: 'Status', Values: ['NON_COMPLIANT'], Type: 'NOT_EQUAL' }), ['kb-200', 'other']);
    assert.deepEqual(await ids({ Key: 'Severity', Values: ['CRITICAL', 'LOW'] }), ['kb-100', 'KB-300']);
    assert.deepEqual(await ids({ Key: 'Id', Values: ['kb-'], Type: 'BEGIN_WITH' }), ['kb-100', 'kb-200'], 'BEGIN_WITH is case-sensitive');
    assert.deepEqual(await ids({ Key: 'Id', Values: ['kb_'], Type: 'BEGIN_WITH' }), [], 'an underscore is not a wildcard');
    assert.deepEqual(await ids({ Key: 'Severity', Values: ['MEDIUM'], Type: 'GREATER_THAN' }), ['kb-100', 'kb-200']);
    assert.deepEqual(await ids({ Key: 'Severity', Values: ['LOW'], Type: 'LESS_THAN' }), ['other']);
    assert.deepEqual(await ids({ Key: 'Id', Values: ['kb-150'], Type: 'LESS_THAN' }), ['kb-100', 'KB-300']);
    assert.deepEqual(await ids({ Key: 'Title', Values: ['Gamma'] }, { Key: 'ExecutionId', Values: ['exec-1'] }, { Key: 'ExecutionType', Values: ['Command'] }), ['KB-300']);
    assert.deepEqual(await ids({ Key: 'ExecutionId', Values: ['exec-9'] }), []);
    await rejects(ssm().send(new ListComplianceItemsCommand({ ResourceIds: [n], Filters: [{ Key: 'Colour', Values: ['red'] }] })), 'InvalidFilter', /Colour.*ComplianceType/);
    await rejects(ssm().send(new ListComplianceItemsCommand({ ResourceIds: [n], Filters: [{ Key: 'Severity', Values: ['HIGH', 'LOW'], Type: 'LESS_THAN' }] })), 'InvalidFilter', /one value/);
    await rejects(ssm().send(new ListComplianceItemsCommand({ ResourceIds: [n], Filters: [{ Key: 'Severity', Values: ['SEVERE'], Type: 'GREATER_THAN' }] })), 'InvalidFilter', /SEVERE/);
    await rejects(ssm().send(new ListComplianceItemsCommand({ ResourceIds: [n], ResourceTypes: ['Document'] })), 'InvalidResourceType');
    await rejects(ssm().send(new ListComplianceItemsCommand({ ResourceIds: ['mi-0123456789abcdef0'] })), 'InvalidResourceId');
  });

  test('ListResourceComplianceSummaries: status, overall severity and per-severity counts of each resource and type', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    await put(a, 'Custom:Fleet', [
      { Id: '1', Severity: 'HIGH', Status: 'NON_COMPLIANT' },
      { Id: '2', Severity: 'LOW', Status: 'NON_COMPLIANT' },
      { Id: '3', Severity: 'CRITICAL', Status: 'COMPLIANT' },
      { Id: '4', Severity: 'CRITICAL', Status: 'COMPLIANT' },
    ]);
    await put(b, 'Custom:Fleet', [{ Id: '1', Severity: 'MEDIUM', Status: 'COMPLIANT' }, { Id: '2', Severity: 'LOW', Status: 'COMPLIANT' }]);
    await put(c, 'Custom:Fleet', [{ Id: '1', Severity: 'CRITICAL', Status: 'NON_COMPLIANT' }]);
    const list = async (...filters: ComplianceStringFilter[]) => (await ssm().send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: 'ComplianceType', Values: ['Custom:Fleet'] }, ...filters] }))).ResourceComplianceSummaryItems!;
    const all = await list();
    assert.deepEqual(all.map((s) => [s.ResourceId, s.Status, s.OverallSeverity]), [
      [c, 'NON_COMPLIANT', 'CRITICAL'],
      [a, 'NON_COMPLIANT', 'HIGH'],
      [b, 'COMPLIANT', 'MEDIUM'],
    ]);
    const sa = all[1]!;
    assert.equal(sa.ResourceType, 'ManagedInstance');
    assert.deepEqual(sa.ExecutionSummary, { ExecutionTime: WHEN, ExecutionId: 'exec-1', ExecutionType: 'Command' });
    assert.deepEqual(sa.CompliantSummary, { CompliantCount: 2, SeveritySummary: { CriticalCount: 2, HighCount: 0, MediumCount: 0, LowCount: 0, InformationalCount: 0, UnspecifiedCount: 0 } });
    assert.deepEqual(sa.NonCompliantSummary, { NonCompliantCount: 2, SeveritySummary: { CriticalCount: 0, HighCount: 1, MediumCount: 0, LowCount: 1, InformationalCount: 0, UnspecifiedCount: 0 } });
    assert.deepEqual((await list({ Key: 'Status', Values: ['COMPLIANT'] })).map((s) => s.ResourceId), [b]);
    assert.deepEqual((await list({ Key: 'OverallSeverity', Values: ['HIGH'], Type: 'GREATER_THAN' })).map((s) => s.ResourceId), [c]);
    assert.deepEqual((await list({ Key: 'InstanceId', Values: [a, b] })).map((s) => s.ResourceId), [a, b]);
    await rejects(ssm().send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: 'Severity', Values: ['HIGH'] }] })), 'InvalidFilter', /OverallSeverity/);
  });

  test('ListComplianceSummaries counts resources per type: compliant and non-compliant, by the severity that decides each', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    await put(a, 'Custom:Count', [{ Id: '1', Severity: 'HIGH', Status: 'NON_COMPLIANT' }, { Id: '2', Severity: 'CRITICAL', Status: 'COMPLIANT' }]);
    await put(b, 'Custom:Count', [{ Id: '1', Severity: 'LOW', Status: 'COMPLIANT' }]);
    await put(c, 'Custom:Count', [{ Id: '1', Severity: 'LOW', Status: 'COMPLIANT' }]);
    await put(c, 'Custom:Count2', [{ Id: '1', Severity: 'MEDIUM', Status: 'NON_COMPLIANT' }]);
    const r = await ssm().send(new ListComplianceSummariesCommand({ Filters: [{ Key: 'ComplianceType', Values: ['Custom:Count'], Type: 'BEGIN_WITH' }] }));
    const zero = { CriticalCount: 0, HighCount: 0, MediumCount: 0, LowCount: 0, InformationalCount: 0, UnspecifiedCount: 0 };
    assert.deepEqual(r.ComplianceSummaryItems, [
      { ComplianceType: 'Custom:Count', CompliantSummary: { CompliantCount: 2, SeveritySummary: { ...zero, LowCount: 2 } }, NonCompliantSummary: { NonCompliantCount: 1, SeveritySummary: { ...zero, HighCount: 1 } } },
      { ComplianceType: 'Custom:Count2', CompliantSummary: { CompliantCount: 0, SeveritySummary: zero }, NonCompliantSummary: { NonCompliantCount: 1, SeveritySummary: { ...zero, MediumCount: 1 } } },
    ]);
    const onlyC = await ssm().send(new ListComplianceSummariesCommand({ Filters: [{ Key: 'ComplianceType', Values: ['Custom:Count'] }, { Key: 'ResourceId', Values: [c] }] }));
    assert.equal(onlyC.ComplianceSummaryItems![0]!.CompliantSummary!.CompliantCount, 1);
    assert.equal(onlyC.ComplianceSummaryItems![0]!.NonCompliantSummary!.NonCompliantCount, 0);
    await rejects(ssm().send(new ListComplianceSummariesCommand({ Filters: [{ Key: 'Title', Values: ['x'] }] })), 'InvalidFilter');
  });

  test('paging: MaxResults and NextToken walk each list once; a token that is not ours is InvalidNextToken', async () => {
    const n = await node();
    await put(n, 'Custom:Paged', Array.from({ length: 7 }, (_, k) => ({ Id: `p${k}`, Severity: 'LOW' as const, Status: 'COMPLIANT' as const })));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r: ListComplianceItemsCommandOutput = await ssm().send(new ListComplianceItemsCommand({ ResourceIds: [n], MaxResults: 3, ...(token ? { NextToken: token } : {}) }));
      assert.ok(r.ComplianceItems!.length <= 3);
      seen.push(...r.ComplianceItems!.map((i) => i.Id!));
      token = r.NextToken;
    } while (token);
    assert.deepEqual(seen, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);

    const resources: string[] = [];
    token = undefined;
    do {
      const r: ListResourceComplianceSummariesCommandOutput = await ssm().send(new ListResourceComplianceSummariesCommand({ MaxResults: 2, ...(token ? { NextToken: token } : {}) }));
      resources.push(...r.ResourceComplianceSummaryItems!.map((s) => `${s.ResourceId}/${s.ComplianceType}`));
      token = r.NextToken;
    } while (token);
    assert.equal(new Set(resources).size, resources.length);
    assert.ok(resources.includes(`${n}/Custom:Paged`));

    const types: string[] = [];
    token = undefined;
    do {
      const r: ListComplianceSummariesCommandOutput = await ssm().send(new ListComplianceSummariesCommand({ MaxResults: 1, ...(token ? { NextToken: token } : {}) }));
      types.push(...r.ComplianceSummaryItems!.map((s) => s.ComplianceType!));
      token = r.NextToken;
    } while (token);
    assert.deepEqual(types, [...types].sort());
    assert.ok(types.includes('Custom:Paged') && types.includes('Custom:Fleet'), types.join(','));

    await rejects(ssm().send(new ListComplianceItemsCommand({ ResourceIds: [n], NextToken: 'garbage' })), 'InvalidNextToken');
    const first = await ssm().send(new ListComplianceItemsCommand({ ResourceIds: [n], MaxResults: 1 }));
    await rejects(ssm().send(new ListResourceComplianceSummariesCommand({ NextToken: first.NextToken })), 'InvalidNextToken');
    await rejects(ssm().send(new ListComplianceSummariesCommand({ NextToken: 'garbage' })), 'InvalidNextToken');
  });

  test('a change of status is announced as AWS\'s event and to listeners; a deregistered node\'s compliance goes', async () => {
    const n = await node();
    const heard: ComplianceChange[] = [];
    complianceService(t.server.core).onChange((c) => void (c.resourceId === n && heard.push(c)));
    const events = async () => (await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: COMPLIANCE_EVENT })).filter((e) => e.detail['resource-id'] === n);
    await put(n, 'Custom:Watched', [{ Id: '1', Severity: 'HIGH', Status: 'COMPLIANT' }]);
    await put(n, 'Custom:Watched', [{ Id: '1', Severity: 'HIGH', Status: 'COMPLIANT' }, { Id: '2', Severity: 'LOW', Status: 'COMPLIANT' }]);
    await put(n, 'Custom:Watched', [{ Id: '1', Severity: 'HIGH', Status: 'NON_COMPLIANT' }]);
    const list = await events();
    assert.deepEqual(list.map((e) => e.detail['compliance-status']), ['compliant', 'non_compliant'], 'only changes of status are events');
    assert.deepEqual(list[1]!.resources, [`arn:aws:ssm:us-east-1:${t.accountId}:managed-instance/${n}`]);
    assert.deepEqual(list[1]!.detail, { 'resource-id': n, 'resource-type': 'managed-instance', 'compliance-type': 'Custom:Watched', 'compliance-status': 'non_compliant', severity: 'high', 'last-runtime': '2026-11-25T10:00:00Z' });
    assert.equal(list[1]!.source, 'aws.ssm');
    // As event rules see them: a rule for non-compliant custom types matches the second only.
    const rules = new EventBridgeClient(t.clientConfig());
    const pattern = JSON.stringify({ source: ['aws.ssm'], 'detail-type': [COMPLIANCE_EVENT], detail: { 'compliance-status': ['non_compliant'], 'compliance-type': [{ prefix: 'Custom:' }] } });
    const matches = async (i: number) => (await rules.send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(eventBridgeShape(list[i]!)) }))).Result;
    assert.deepEqual([await matches(0), await matches(1)], [false, true]);
    assert.deepEqual(heard.map((h) => [h.status, h.previousStatus]), [['COMPLIANT', undefined], ['COMPLIANT', 'COMPLIANT'], ['NON_COMPLIANT', 'COMPLIANT']]);

    await ssm().send(new DeregisterManagedInstanceCommand({ InstanceId: n }));
    const left = (await ssm().send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: 'ResourceId', Values: [n] }] }))).ResourceComplianceSummaryItems;
    assert.deepEqual(left, []);
    assert.deepEqual((await ssm().send(new ListComplianceItemsCommand({ Filters: [{ Key: 'ResourceId', Values: [n] }] }))).ComplianceItems, []);
    assert.deepEqual(heard.at(-1), { accountId: t.accountId, region: 'us-east-1', resourceId: n, resourceType: 'ManagedInstance', complianceType: 'Custom:Watched', status: undefined, previousStatus: 'NON_COMPLIANT', severity: undefined, executionTime: undefined });
  });

  test('Capstan\'s own writers go through the same checks: Patch compliance put by the service, a bad one refused', async () => {
    const n = await node();
    const svc = complianceService(t.server.core);
    const base = { accountId: t.accountId, region: 'us-east-1', resourceId: n, resourceType: 'ManagedInstance' as const, complianceType: 'Patch', executionSummary: { ExecutionTime: WHEN.getTime(), ExecutionId: 'scan-1', ExecutionType: 'Command' }, uploadType: 'COMPLETE' as const };
    await svc.put({ ...base, items: [{ Id: 'openssl', Title: 'openssl 3.0.13', Severity: 'CRITICAL', Status: 'NON_COMPLIANT', Details: { PatchState: 'Missing' } }] });
    const got = await items(n, [{ Key: 'ComplianceType', Values: ['Patch'] }]);
    assert.deepEqual(brief(got), [['openssl', 'NON_COMPLIANT', 'CRITICAL']]);
    assert.deepEqual(got[0]!.ExecutionSummary, { ExecutionTime: WHEN, ExecutionId: 'scan-1', ExecutionType: 'Command' });
    await rejects(svc.put({ ...base, items: [{ Title: 'x'.repeat(501), Severity: 'LOW', Status: 'COMPLIANT' }] }), 'ValidationException', /title/);
    await rejects(svc.put({ ...base, resourceId: 'mi-0123456789abcdef1', items: [] }), 'InvalidResourceId');
    assert.deepEqual(brief(await items(n, [{ Key: 'ComplianceType', Values: ['Patch'] }])), [['openssl', 'NON_COMPLIANT', 'CRITICAL']]);
  });
});
