import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AddTagsToResourceCommand,
  CreatePatchBaselineCommand,
  DeletePatchBaselineCommand,
  DeregisterPatchBaselineForPatchGroupCommand,
  DescribePatchBaselinesCommand,
  DescribePatchGroupsCommand,
  GetDefaultPatchBaselineCommand,
  GetPatchBaselineCommand,
  GetPatchBaselineForPatchGroupCommand,
  ListTagsForResourceCommand,
  RegisterDefaultPatchBaselineCommand,
  RegisterPatchBaselineForPatchGroupCommand,
  SSMClient,
  UpdatePatchBaselineCommand,
  type CreatePatchBaselineCommandInput,
} from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';

const UBUNTU_RULES = { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY' as const, Values: ['Required', 'Important'] }, { Key: 'SECTION' as const, Values: ['*'] }] }, ComplianceLevel: 'HIGH' as const }] };
const RHEL_RULES = { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION' as const, Values: ['Security'] }, { Key: 'SEVERITY' as const, Values: ['Critical'] }] }, ApproveAfterDays: 3, ComplianceLevel: 'CRITICAL' as const }] };

onEveryEngine('Patch baselines', (engine: Engine) => {
  let t: TestServer;
  const ssm = () => new SSMClient(t.clientConfig());
  before(async () => {
    t = await startTestServer({ engine });
  });
  after(async () => t.stop());

  async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
    await assert.rejects(p, (e: Error) => {
      assert.equal(e.name, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    });
  }
  const own = async () => (await ssm().send(new DescribePatchBaselinesCommand({ Filters: [{ Key: 'OWNER', Values: ['Self'] }] }))).BaselineIdentities!.map((b) => b.BaselineName).sort();

  test('predefined baselines: one per supported system, the defaults, readable by every account, not modifiable', async () => {
    const aws = await ssm().send(new DescribePatchBaselinesCommand({ Filters: [{ Key: 'OWNER', Values: ['AWS'] }] }));
    const names = aws.BaselineIdentities!.map((b) => b.BaselineName).sort();
    assert.deepEqual(names, ['AWS-AlmaLinuxDefaultPatchBaseline', 'AWS-AmazonLinux2023DefaultPatchBaseline', 'AWS-AmazonLinux2DefaultPatchBaseline', 'AWS-CentOSDefaultPatchBaseline', 'AWS-DebianDefaultPatchBaseline', 'AWS-OracleLinuxDefaultPatchBaseline', 'AWS-RedHatDefaultPatchBaseline', 'AWS-RockyLinuxDefaultPatchBaseline', 'AWS-UbuntuDefaultPatchBaseline']);
    assert.ok(aws.BaselineIdentities!.every((b) => b.DefaultBaseline === true && /^arn:aws:ssm:us-east-1:\d{12}:patchbaseline\/pb-[0-9a-f]{17}$/.test(b.BaselineId!)));
    const ubuntu = aws.BaselineIdentities!.find((b) => b.OperatingSystem === 'UBUNTU')!;
    const dflt = await ssm().send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'UBUNTU' }));
    assert.equal(dflt.BaselineId, ubuntu.BaselineId);
    const got = await ssm().send(new GetPatchBaselineCommand({ BaselineId: ubuntu.BaselineId! }));
    assert.equal(got.Name, 'AWS-UbuntuDefaultPatchBaseline');
    assert.deepEqual(got.ApprovalRules!.PatchRules![0]!.PatchFilterGroup!.PatchFilters!.find((f) => f.Key === 'PRIORITY')!.Values, ['Required', 'Important', 'Standard', 'Optional', 'Extra']);
    const rhel = await ssm().send(new GetPatchBaselineCommand({ BaselineId: aws.BaselineIdentities!.find((b) => b.OperatingSystem === 'REDHAT_ENTERPRISE_LINUX')!.BaselineId! }));
    assert.equal(rhel.ApprovalRules!.PatchRules![0]!.ApproveAfterDays, 7);
    // The bare pb- part of the ARN names it too.
    assert.equal((await ssm().send(new GetPatchBaselineCommand({ BaselineId: ubuntu.BaselineId!.split('/')[1]! }))).Name, 'AWS-UbuntuDefaultPatchBaseline');
    // Another account sees the same baselines, and does not see this account's.
    const other = await t.server.core.iam.createAccount({ name: 'patching-other' });
    const theirs = new SSMClient(t.clientConfig({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }));
    assert.equal((await theirs.send(new GetPatchBaselineCommand({ BaselineId: ubuntu.BaselineId! }))).Name, 'AWS-UbuntuDefaultPatchBaseline');
    const mine = (await ssm().send(new CreatePatchBaselineCommand({ Name: 'private-one', OperatingSystem: 'DEBIAN' }))).BaselineId!;
    await rejects(theirs.send(new GetPatchBaselineCommand({ BaselineId: mine })), 'DoesNotExistException');
    await ssm().send(new DeletePatchBaselineCommand({ BaselineId: mine }));
    await rejects(ssm().send(new UpdatePatchBaselineCommand({ BaselineId: ubuntu.BaselineId!, Description: 'mine now' })), 'ValidationException', /predefined/);
    await rejects(ssm().send(new DeletePatchBaselineCommand({ BaselineId: ubuntu.BaselineId! })), 'ValidationException', /predefined/);
    await rejects(ssm().send(new AddTagsToResourceCommand({ ResourceType: 'PatchBaseline', ResourceId: ubuntu.BaselineId!, Tags: [{ Key: 'a', Value: 'b' }] })), 'InvalidResourceId');
    assert.equal((await ssm().send(new GetPatchBaselineCommand({ BaselineId: ubuntu.BaselineId! }))).Description, got.Description);
    await rejects(ssm().send(new GetDefaultPatchBaselineCommand({})), 'ValidationException', /WINDOWS/);
  });

  test('create, get, update with and without Replace, tag, delete; a ClientToken makes create idempotent', async () => {
    const input: CreatePatchBaselineCommandInput = { Name: 'web-ubuntu', OperatingSystem: 'UBUNTU', Description: 'web tier', ApprovalRules: UBUNTU_RULES, ApprovedPatches: ['openssl'], RejectedPatches: ['telnetd'], RejectedPatchesAction: 'BLOCK', ClientToken: 'tok-1', Tags: [{ Key: 'team', Value: 'web' }], Sources: [{ Name: 'jammy-updates', Products: ['Ubuntu22.04'], Configuration: 'deb http://archive.ubuntu.com/ubuntu jammy-updates main' }] };
    const { BaselineId } = await ssm().send(new CreatePatchBaselineCommand(input));
    assert.match(BaselineId!, /^pb-[0-9a-f]{17}$/);
    assert.equal((await ssm().send(new CreatePatchBaselineCommand(input))).BaselineId, BaselineId, 'same token, same request: same baseline');
    await rejects(ssm().send(new CreatePatchBaselineCommand({ ...input, Description: 'other' })), 'IdempotentParameterMismatch');
    const got = await ssm().send(new GetPatchBaselineCommand({ BaselineId }));
    assert.equal(got.OperatingSystem, 'UBUNTU');
    assert.equal(got.ApprovedPatchesComplianceLevel, 'UNSPECIFIED');
    assert.equal(got.RejectedPatchesAction, 'BLOCK');
    assert.deepEqual(got.ApprovalRules, UBUNTU_RULES);
    assert.deepEqual(got.PatchGroups, []);
    assert.equal(got.Sources![0]!.Name, 'jammy-updates');
    assert.ok(got.CreatedDate instanceof Date);
    assert.deepEqual((await ssm().send(new ListTagsForResourceCommand({ ResourceType: 'PatchBaseline', ResourceId: BaselineId! }))).TagList, [{ Key: 'team', Value: 'web' }]);
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'PatchBaseline', ResourceId: BaselineId!, Tags: [{ Key: 'env', Value: 'prod' }] }));
    assert.deepEqual((await ssm().send(new ListTagsForResourceCommand({ ResourceType: 'PatchBaseline', ResourceId: BaselineId! }))).TagList!.map((x) => x.Key), ['env', 'team']);

    const merged = await ssm().send(new UpdatePatchBaselineCommand({ BaselineId, Description: 'web tier, v2' }));
    assert.equal(merged.Description, 'web tier, v2');
    assert.deepEqual(merged.ApprovedPatches, ['openssl'], 'fields left out are kept');
    const replaced = await ssm().send(new UpdatePatchBaselineCommand({ BaselineId, Name: 'web-ubuntu-2', ApprovalRules: UBUNTU_RULES, Replace: true }));
    assert.equal(replaced.Name, 'web-ubuntu-2');
    assert.deepEqual(replaced.ApprovedPatches, [], 'Replace resets what is left out');
    assert.equal(replaced.RejectedPatchesAction, 'ALLOW_AS_DEPENDENCY');
    assert.equal(replaced.Description, undefined);
    assert.deepEqual(replaced.Sources, []);

    const names = await ssm().send(new DescribePatchBaselinesCommand({ Filters: [{ Key: 'NAME_PREFIX', Values: ['web-'] }, { Key: 'OPERATING_SYSTEM', Values: ['UBUNTU'] }] }));
    assert.deepEqual(names.BaselineIdentities!.map((b) => [b.BaselineId, b.DefaultBaseline]), [[BaselineId, false]]);
    assert.equal((await ssm().send(new DeletePatchBaselineCommand({ BaselineId }))).BaselineId, BaselineId);
    await rejects(ssm().send(new GetPatchBaselineCommand({ BaselineId: BaselineId! })), 'DoesNotExistException');
    await rejects(ssm().send(new UpdatePatchBaselineCommand({ BaselineId: 'pb-0123456789abcdef0', Description: 'x' })), 'DoesNotExistException');
  });

  test('DescribePatchBaselines pages', async () => {
    const first = await ssm().send(new DescribePatchBaselinesCommand({ MaxResults: 4 }));
    assert.equal(first.BaselineIdentities!.length, 4);
    const rest = await ssm().send(new DescribePatchBaselinesCommand({ MaxResults: 100, NextToken: first.NextToken }));
    assert.equal(new Set([...first.BaselineIdentities!, ...rest.BaselineIdentities!].map((b) => b.BaselineId)).size, first.BaselineIdentities!.length + rest.BaselineIdentities!.length);
    await rejects(ssm().send(new DescribePatchBaselinesCommand({ NextToken: 'bogus' })), 'InvalidNextToken');
    await rejects(ssm().send(new DescribePatchBaselinesCommand({ Filters: [{ Key: 'COLOUR', Values: ['x'] }] })), 'ValidationException', /NAME_PREFIX/);
  });

  test('bad baselines get AWS error codes, say what is wrong, and write nothing', async () => {
    const before = await own();
    const filters = (Key: string, Values: string[]) => ({ PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: Key as never, Values }] }, ApproveAfterDays: 1 }] });
    const bad: [CreatePatchBaselineCommandInput, string, RegExp][] = [
      [{ Name: 'no-os' }, 'ValidationException', /WINDOWS/],
      [{ Name: 'win', OperatingSystem: 'WINDOWS' }, 'ValidationException', /not supported/],
      [{ Name: 'x', OperatingSystem: 'UBUNTU' }, 'ValidationException', /Name/i],
      [{ Name: 'bad name!', OperatingSystem: 'UBUNTU' }, 'ValidationException', /Name/i],
      [{ Name: 'deb-classification', OperatingSystem: 'DEBIAN', GlobalFilters: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Security'] }] } }, 'ValidationException', /CLASSIFICATION is not valid for DEBIAN/],
      [{ Name: 'rhel-section', OperatingSystem: 'REDHAT_ENTERPRISE_LINUX', ApprovalRules: filters('SECTION', ['libs']) }, 'ValidationException', /SECTION is not valid/],
      [{ Name: 'rhel-severity', OperatingSystem: 'REDHAT_ENTERPRISE_LINUX', ApprovalRules: filters('SEVERITY', ['Catastrophic']) }, 'ValidationException', /Catastrophic is not a valid SEVERITY/],
      [{ Name: 'ubuntu-product', OperatingSystem: 'UBUNTU', GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['Debian12'] }] } }, 'ValidationException', /Debian12 is not a valid PRODUCT/],
      [{ Name: 'dup-key', OperatingSystem: 'UBUNTU', GlobalFilters: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required'] }, { Key: 'PRIORITY', Values: ['Extra'] }] } }, 'ValidationException', /more than once/],
      [{ Name: 'ubuntu-days', OperatingSystem: 'UBUNTU', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required'] }] }, ApproveAfterDays: 7 }] } }, 'ValidationException', /not supported/],
      [{ Name: 'rhel-neither', OperatingSystem: 'REDHAT_ENTERPRISE_LINUX', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [] } }] } }, 'ValidationException', /exactly one/],
      [{ Name: 'rhel-both', OperatingSystem: 'ROCKY_LINUX', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [] }, ApproveAfterDays: 2, ApproveUntilDate: '2026-01-01' }] } }, 'ValidationException', /exactly one/],
      [{ Name: 'rhel-date', OperatingSystem: 'ALMA_LINUX', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [] }, ApproveUntilDate: '2026-02-30' }] } }, 'ValidationException', /YYYY-MM-DD/],
      [{ Name: 'rhel-361', OperatingSystem: 'CENTOS', ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [] }, ApproveAfterDays: 361 }] } }, 'ValidationException', /ApproveAfterDays/i],
      [{ Name: 'eleven-rules', OperatingSystem: 'AMAZON_LINUX_2023', ApprovalRules: { PatchRules: Array.from({ length: 11 }, () => ({ PatchFilterGroup: { PatchFilters: [] }, ApproveAfterDays: 1 })) } }, 'ValidationException', /PatchRules/i],
      [{ Name: 'five-filters', OperatingSystem: 'UBUNTU', GlobalFilters: { PatchFilters: ['PRODUCT', 'PRIORITY', 'SECTION', 'NAME', 'ARCH'].map((Key) => ({ Key: Key as never, Values: ['*'] })) } }, 'ValidationException', /PatchFilters/i],
      [{ Name: 'many-approved', OperatingSystem: 'UBUNTU', ApprovedPatches: Array.from({ length: 51 }, (_, k) => `p${k}`) }, 'ValidationException', /ApprovedPatches/i],
      [{ Name: 'many-rejected', OperatingSystem: 'UBUNTU', RejectedPatches: Array.from({ length: 51 }, (_, k) => `p${k}`) }, 'ValidationException', /RejectedPatches/i],
      [{ Name: 'long-desc', OperatingSystem: 'UBUNTU', Description: 'x'.repeat(1025) }, 'ValidationException', /Description/i],
      [{ Name: 'bad-source', OperatingSystem: 'UBUNTU', Sources: [{ Name: 'repo', Products: ['RedhatEnterpriseLinux9'], Configuration: 'x' }] }, 'ValidationException', /not a UBUNTU product/],
      [{ Name: 'aws-tag', OperatingSystem: 'UBUNTU', Tags: [{ Key: 'aws:owner', Value: 'x' }] }, 'ValidationException', /reserved/],
    ];
    for (const [input, code, message] of bad) await rejects(ssm().send(new CreatePatchBaselineCommand(input)), code, message);
    assert.deepEqual(await own(), before);
    // A good baseline whose update is bad keeps what it had.
    const { BaselineId } = await ssm().send(new CreatePatchBaselineCommand({ Name: 'rhel-good', OperatingSystem: 'REDHAT_ENTERPRISE_LINUX', ApprovalRules: RHEL_RULES }));
    await rejects(ssm().send(new UpdatePatchBaselineCommand({ BaselineId, ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required'] }] }, ApproveAfterDays: 1 }] } })), 'ValidationException', /PRIORITY is not valid/);
    assert.deepEqual((await ssm().send(new GetPatchBaselineCommand({ BaselineId }))).ApprovalRules, RHEL_RULES);
    await ssm().send(new DeletePatchBaselineCommand({ BaselineId }));
  });

  test('defaults and patch groups: registering, mapping per operating system, and what deletion refuses', async () => {
    const web = (await ssm().send(new CreatePatchBaselineCommand({ Name: 'web', OperatingSystem: 'UBUNTU', ApprovalRules: UBUNTU_RULES }))).BaselineId!;
    const webRhel = (await ssm().send(new CreatePatchBaselineCommand({ Name: 'web-rhel', OperatingSystem: 'REDHAT_ENTERPRISE_LINUX', ApprovalRules: RHEL_RULES }))).BaselineId!;
    const fleet = (await ssm().send(new CreatePatchBaselineCommand({ Name: 'fleet', OperatingSystem: 'UBUNTU' }))).BaselineId!;
    const predefinedUbuntu = (await ssm().send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'UBUNTU' }))).BaselineId!;

    assert.deepEqual(await ssm().send(new RegisterDefaultPatchBaselineCommand({ BaselineId: fleet })).then((r) => r.BaselineId), fleet);
    assert.equal((await ssm().send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'UBUNTU' }))).BaselineId, fleet);
    assert.equal((await ssm().send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'DEBIAN' }))).OperatingSystem, 'DEBIAN');
    const listed = await ssm().send(new DescribePatchBaselinesCommand({ Filters: [{ Key: 'OPERATING_SYSTEM', Values: ['UBUNTU'] }] }));
    assert.deepEqual(listed.BaselineIdentities!.filter((b) => b.DefaultBaseline).map((b) => b.BaselineId), [fleet]);
    await rejects(ssm().send(new DeletePatchBaselineCommand({ BaselineId: fleet })), 'ResourceInUseException', /default/);

    await ssm().send(new RegisterPatchBaselineForPatchGroupCommand({ BaselineId: web, PatchGroup: 'web servers' }));
    await ssm().send(new RegisterPatchBaselineForPatchGroupCommand({ BaselineId: webRhel, PatchGroup: 'web servers' }));
    await rejects(ssm().send(new RegisterPatchBaselineForPatchGroupCommand({ BaselineId: fleet, PatchGroup: 'web servers' })), 'AlreadyExistsException', /already registered/);
    await rejects(ssm().send(new RegisterPatchBaselineForPatchGroupCommand({ BaselineId: 'pb-0123456789abcdef0', PatchGroup: 'x' })), 'DoesNotExistException');
    await rejects(ssm().send(new RegisterPatchBaselineForPatchGroupCommand({ BaselineId: web, PatchGroup: 'bad#group' })), 'ValidationException');
    assert.equal((await ssm().send(new GetPatchBaselineForPatchGroupCommand({ PatchGroup: 'web servers', OperatingSystem: 'UBUNTU' }))).BaselineId, web);
    assert.equal((await ssm().send(new GetPatchBaselineForPatchGroupCommand({ PatchGroup: 'web servers', OperatingSystem: 'REDHAT_ENTERPRISE_LINUX' }))).BaselineId, webRhel);
    assert.equal((await ssm().send(new GetPatchBaselineForPatchGroupCommand({ PatchGroup: 'db', OperatingSystem: 'UBUNTU' }))).BaselineId, fleet, 'an unmapped group uses the default');
    assert.deepEqual((await ssm().send(new GetPatchBaselineCommand({ BaselineId: web }))).PatchGroups, ['web servers']);
    const groups = await ssm().send(new DescribePatchGroupsCommand({ Filters: [{ Key: 'NAME_PREFIX', Values: ['web'] }, { Key: 'OPERATING_SYSTEM', Values: ['UBUNTU'] }] }));
    assert.deepEqual(groups.Mappings!.map((m) => [m.PatchGroup, m.BaselineIdentity!.BaselineName, m.BaselineIdentity!.DefaultBaseline]), [['web servers', 'web', false]]);
    assert.equal((await ssm().send(new DescribePatchGroupsCommand({}))).Mappings!.length, 2);
    await rejects(ssm().send(new DescribePatchGroupsCommand({ Filters: [{ Key: 'OWNER', Values: ['Self'] }] })), 'ValidationException');
    await rejects(ssm().send(new DeletePatchBaselineCommand({ BaselineId: web })), 'ResourceInUseException', /web servers/);

    await ssm().send(new DeregisterPatchBaselineForPatchGroupCommand({ BaselineId: web, PatchGroup: 'web servers' }));
    await rejects(ssm().send(new DeregisterPatchBaselineForPatchGroupCommand({ BaselineId: web, PatchGroup: 'web servers' })), 'DoesNotExistException');
    await ssm().send(new DeletePatchBaselineCommand({ BaselineId: web }));
    // Registering the predefined baseline as the default frees the account's.
    await ssm().send(new RegisterDefaultPatchBaselineCommand({ BaselineId: predefinedUbuntu }));
    assert.equal((await ssm().send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'UBUNTU' }))).BaselineId, predefinedUbuntu);
    await ssm().send(new DeletePatchBaselineCommand({ BaselineId: fleet }));
    await ssm().send(new DeregisterPatchBaselineForPatchGroupCommand({ BaselineId: webRhel, PatchGroup: 'web servers' }));
    await ssm().send(new DeletePatchBaselineCommand({ BaselineId: webRhel }));
  });
});
