/**
 * The console's Compliance and Patch Manager pages in Chromium against a real server and a real
 * agent on this machine, whose apt is pointed (APT_CONFIG) at an isolated dpkg root built from
 * local packages: `capstan-e2e-tool` 1.0-1 is installed there and 1.0-2 waits in the repository's
 * security pocket. A Scan makes the node non-compliant for Patch; the Compliance page shows it
 * down to the missing patch, the node's page lists it, Patch now installs it into the root and
 * the page then counts the node compliant. An association that fails once makes the node
 * non-compliant for Association until Remediate runs it again. The baselines pages list Capstan's predefined
 * baseline read-only, show the server's refusal of a bad filter value beside the form, and
 * create a baseline that takes a patch group. The SDK and dpkg confirm what the pages show.
 * Setup and the per-test checks are ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  CreateAssociationCommand, DescribePatchGroupsCommand, GetDefaultPatchBaselineCommand, GetPatchBaselineCommand, ListCommandInvocationsCommand, ListComplianceItemsCommand, ListComplianceSummariesCommand, SendCommandCommand, SSMClient,
} from '@aws-sdk/client-ssm';
import { buildDeb, dpkgInstall, installedVersions, makeRoot, packagesStanza, writeSuite, type AptRoot, type BuiltDeb } from '../../agent/src/exec/plugins/patch/test-support/apt-root.js';
import { ConsoleHarness, refusedCall, until as waitFor, type InPage, type RealAgent } from './harness.js';

const harness = new ConsoleHarness('compliance');
let ssm: SSMClient;
let agent: RealAgent;
let apt: AptRoot;

const PKG = 'capstan-e2e-tool';

/** Waits for `probe`; a timeout shows what the agent printed last. */
const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 90_000) => waitFor(what, probe, ms, () => `agent:\n${agent?.output().slice(-3000) ?? ''}`);

/** A repository with the package's old version in bookworm and its fix in bookworm-security, and a root with the old one installed. */
function aptRoot(): AptRoot {
  const repo = join(harness.work, 'repo');
  const build = join(harness.work, 'deb-build');
  mkdirSync(repo, { recursive: true });
  mkdirSync(build, { recursive: true });
  const suites: Record<string, BuiltDeb[]> = {
    bookworm: [buildDeb(repo, 'bookworm', { name: PKG, version: '1.0-1', section: 'utils', priority: 'optional' }, build)],
    'bookworm-security': [buildDeb(repo, 'bookworm-security', { name: PKG, version: '1.0-2', section: 'utils', priority: 'optional' }, build)],
  };
  for (const [suite, debs] of Object.entries(suites)) writeSuite(repo, suite, debs.map(packagesStanza).join(''));
  const root = makeRoot(join(harness.work, 'node'), repo, Object.keys(suites));
  dpkgInstall(root, repo, suites.bookworm!);
  return root;
}

before(async () => {
  apt = aptRoot();
  assert.equal(installedVersions(apt)[PKG], '1.0-1', 'the node starts with the old version');
  await harness.start(async (t) => {
    ssm = new SSMClient(t.clientConfig());
    agent = await harness.startAgent('agent', apt.env);
  });
});

after(async () => {
  ssm?.destroy();
  await harness.stop();
});

/** The node's invocation once it has ended (every step, not only those reported so far): its status and its steps' output. */
async function commandDone(commandId: string): Promise<string> {
  return until(`command ${commandId} done`, async () => {
    const r = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, InstanceId: agent.instanceId, Details: true }))).CommandInvocations?.[0];
    return r && !['Pending', 'InProgress', 'Delayed'].includes(r.Status ?? 'Pending') ? `${r.Status}: ${(r.CommandPlugins ?? []).map((p) => `${p.Name} ${p.StatusDetails}\n${p.Output ?? ''}`).join('\n')}` : undefined;
  });
}

const patchCounts = async () => {
  const items = (await ssm.send(new ListComplianceSummariesCommand({}))).ComplianceSummaryItems ?? [];
  const p = items.find((i) => i.ComplianceType === 'Patch');
  return p ? { compliant: p.CompliantSummary?.CompliantCount ?? 0, nonCompliant: p.NonCompliantSummary?.NonCompliantCount ?? 0 } : undefined;
};

test('a scan makes the node non-compliant for Patch; the pages show the missing patch down to the node, Patch now installs it and the node turns compliant', async (tc) => {
  const node = agent.instanceId;
  const scan = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [node], Parameters: { Operation: ['Scan'] } }));
  const scanned = await commandDone(scan.Command!.CommandId!);
  assert.match(scanned, /^Success/, `the scan succeeded: ${scanned}`);
  await until('Patch compliance with the node non-compliant', async () => (await patchCounts())?.nonCompliant === 1);

  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'compliance');
    assert.equal(await page.getByTestId('nav-compliance').getAttribute('aria-current'), 'page');
    const patchType = page.locator('[data-testid="cmp-type"][data-type="Patch"]');
    await patchType.waitFor();
    assert.equal(await patchType.getAttribute('data-non-compliant'), '1');
    assert.equal(await patchType.getAttribute('data-compliant'), '0');
    assert.match((await patchType.getByTestId('cmp-non-compliant-count').textContent())!, /1 non-compliant/);
    assert.equal(await patchType.getByTestId('cmp-severities').locator('a').count(), 1, 'one severity counts the non-compliant node');
    await shot('dashboard-non-compliant');

    // Type → its non-compliant nodes → the node's failing items.
    await patchType.getByTestId('cmp-type-link').click();
    await page.waitForURL(/\/console\/compliance\?type=Patch$/);
    const row = page.locator(`[data-testid="cmp-node-row"][data-resource-id="${node}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'NON_COMPLIANT');
    assert.equal(await page.getByTestId('cmp-patch-now-button').isEnabled(), true, 'Patch now is offered for the non-compliant nodes');
    await shot('type-nodes');
    await row.getByTestId('cmp-node-link').click();
    await page.waitForURL(new RegExp(`type=Patch&node=${node}$`));
    const item = page.locator(`[data-testid="cmp-item-row"][data-item-id="${PKG}"]`);
    await item.waitFor();
    assert.equal(await item.getAttribute('data-status'), 'NON_COMPLIANT');
    assert.match((await item.textContent())!, /MISSING/);
    assert.equal(await page.getByTestId('cmp-item-row').count(), 1, 'only the failing item is listed');
    await shot('node-items');

    // The node's page: its patch state and the missing patch.
    await page.goto(`nodes/${node}`);
    await page.getByTestId('node-patch-state').waitFor();
    assert.equal(await page.getByTestId('node-patch-operation').textContent(), 'Scan');
    assert.equal(await page.getByTestId('node-patch-missing').textContent(), '1');
    const missing = page.locator(`[data-testid="node-patch-row"][data-kb="${PKG}"]`);
    await missing.waitFor();
    assert.equal(await missing.getAttribute('data-state'), 'MISSING');
    assert.equal(await page.getByTestId('node-patch-row').count(), 1, 'the missing and failed patches only, by default');
    await page.getByTestId('node-patch-now-button').waitFor();
    await page.locator('#h-node-patches').scrollIntoViewIfNeeded();
    await shot('node-page-missing');

    // Patch now from the drill-down: it asks first, then says what it sent.
    await page.goto(`compliance?type=Patch&node=${node}`);
    await page.getByTestId('cmp-patch-now-button').click();
    const confirm = page.getByTestId('cmp-patch-now-confirm');
    await confirm.waitFor();
    assert.equal(await page.locator(':focus').getAttribute('data-testid'), 'cmp-patch-now-confirm-button', 'the keyboard lands on the question');
    assert.match((await confirm.textContent())!, /AWS-RunPatchBaseline/);
    assert.match((await confirm.textContent())!, /Operation=Install/);
    assert.ok((await confirm.textContent())!.includes(node), 'the confirmation names the node');
    // This machine must not reboot for a test.
    await page.getByTestId('cmp-patch-now-no-reboot').check();
    await shot('patch-now-confirm');
    await page.getByTestId('cmp-patch-now-confirm-button').click();
    const link = page.getByTestId('cmp-patch-now-command');
    await link.waitFor();
    const commandId = (await link.textContent())!;
    await shot('patch-now-sent');
    const installed = await commandDone(commandId);
    assert.match(installed, /^Success/, `the install succeeded: ${installed}`);
    assert.equal(installedVersions(apt)[PKG], '1.0-2', `dpkg has the fixed version in the node root after: ${installed}`);
    assert.match(installed, /Operation: Install, RebootOption: NoReboot/, 'the button sent Install without a reboot');

    // The link leads to the command's Run Command page.
    await link.click();
    await page.waitForURL(new RegExp(`/console/run-command/commands/${commandId}$`));

    // Refresh until the dashboard counts the node compliant.
    await page.goto('compliance');
    await patchType.waitFor();
    await until('the dashboard shows the node compliant for Patch', async () => {
      if ((await patchType.getAttribute('data-compliant')) === '1') return true;
      await page.getByTestId('cmp-refresh').click();
      await patchType.waitFor();
      return false;
    });
    assert.equal(await patchType.getAttribute('data-non-compliant'), '0');
    assert.deepEqual(await patchCounts(), { compliant: 1, nonCompliant: 0 });
    await shot('dashboard-compliant');
  });
});

test('a failed association makes its node non-compliant for Association; Remediate runs it again and the node turns compliant', async (tc) => {
  const node = agent.instanceId;
  // Fails on its first run and succeeds on the next: what a remedy looks like from the outside.
  const marker = join(harness.work, `remediate-${Date.now()}`);
  const created = await ssm.send(
    new CreateAssociationCommand({
      Name: 'AWS-RunShellScript',
      AssociationName: `console-e2e-remediate-${Date.now()}`,
      Parameters: { commands: [`if [ -e '${marker}' ]; then echo fixed; else touch '${marker}'; echo broken >&2; exit 1; fi`] },
      Targets: [{ Key: 'InstanceIds', Values: [node] }],
      ComplianceSeverity: 'HIGH',
    }),
  );
  const id = created.AssociationDescription!.AssociationId!;
  const itemStatus = async () => (await ssm.send(new ListComplianceItemsCommand({ ResourceIds: [node], ResourceTypes: ['ManagedInstance'], Filters: [{ Key: 'ComplianceType', Values: ['Association'] }] }))).ComplianceItems?.find((i) => i.Id === id)?.Status;
  await until('the association non-compliant on the node', async () => (await itemStatus()) === 'NON_COMPLIANT');

  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'compliance');
    const type = page.locator('[data-testid="cmp-type"][data-type="Association"]');
    await type.waitFor();
    assert.equal(await type.getAttribute('data-non-compliant'), '1');
    assert.equal(await type.getByTestId('cmp-severities').locator('a[data-severity="HIGH"]').count(), 1, 'the node counts at the association\'s severity');
    await type.getByTestId('cmp-type-link').click();
    await page.locator(`[data-testid="cmp-node-row"][data-resource-id="${node}"][data-status="NON_COMPLIANT"]`).getByTestId('cmp-node-link').click();
    const item = page.locator(`[data-testid="cmp-item-row"][data-item-id="${id}"]`);
    await item.waitFor();
    assert.equal(await item.getAttribute('data-status'), 'NON_COMPLIANT');
    await shot('association-failing');

    await page.getByTestId('cmp-remediate-button').click();
    await page.getByTestId('cmp-remediate-sent').waitFor();
    assert.match((await page.getByTestId('cmp-remediate-sent').textContent())!, new RegExp(id));
    await until('the association compliant again', async () => (await itemStatus()) === 'COMPLIANT');
    await page.getByTestId('cmp-items-all').click();
    await until('the page shows the item compliant', async () => {
      if ((await item.getAttribute('data-status').catch(() => null)) === 'COMPLIANT') return true;
      await page.getByTestId('cmp-refresh').click();
      await item.waitFor();
      return false;
    });
    await shot('association-remediated');
  });
});

test('the baselines page lists the predefined baseline read-only; a bad filter value shows the server\'s error by its rule; a good one is created, takes a patch group, is edited and becomes its system\'s default', async (tc) => {
  const name = `console-e2e-${Date.now()}`;
  const group = `e2e-web-${Math.floor(Math.random() * 1e6)}`;
  await harness.browse(
    tc,
    async ({ page, shot }) => {
      await harness.signIn(page, 'patch-baselines');
      const predefined = page.locator('[data-testid="pb-row"][data-name="AWS-DebianDefaultPatchBaseline"]');
      await predefined.waitFor();
      assert.equal(await predefined.getAttribute('data-predefined'), 'true');
      assert.equal(await predefined.getAttribute('data-default'), 'true', 'the predefined baseline is the default while no other is');
      assert.match((await predefined.textContent())!, /Predefined/);
      await shot('list');

      // The predefined baseline's page has its rules and no Edit.
      await predefined.getByTestId('pb-link').click();
      await page.getByTestId('pb-predefined').waitFor();
      assert.equal(await page.getByTestId('pb-edit').count(), 0);
      assert.ok((await page.getByTestId('pb-rule-row').count()) >= 1, 'its approval rules are listed');
      assert.match((await page.getByTestId('pb-default').textContent())!, /Default for Debian/);
      await shot('predefined');

      // A PRIORITY apt does not have: the server's refusal sits by the rule and under the form.
      await page.goto('patch-baselines');
      await page.getByTestId('pb-create').click();
      await page.waitForURL(/\/console\/patch-baselines\/create$/);
      await page.getByTestId('pb-name').fill(name);
      await page.getByTestId('pb-os').selectOption('UBUNTU');
      await page.getByTestId('pb-rule-0-filters-key-1').selectOption('PRIORITY');
      await page.getByTestId('pb-rule-0-filters-values-1').fill('Required, Urgent');
      await page.getByTestId('pb-approved').fill('openssl');
      await page.getByTestId('pb-submit').click();
      await page.getByTestId('pb-error').waitFor();
      assert.equal(await page.getByTestId('pb-error-code').textContent(), 'ValidationException');
      assert.match((await page.getByTestId('pb-error-message').textContent())!, /Urgent/);
      assert.match((await page.getByTestId('pb-rule-error').textContent())!, /Urgent is not a valid PRIORITY value/);
      assert.match(page.url(), /\/patch-baselines\/create$/, 'the form stays, with what was typed');
      await shot('refused');

      await page.getByTestId('pb-rule-0-filters-values-1').fill('Required, Important');
      await page.getByTestId('pb-submit').click();
      await page.waitForURL(/\/console\/patch-baselines\/view\/pb-[0-9a-f]+$/);
      const id = decodeURIComponent(page.url().split('/').pop()!);
      await page.getByTestId('pb-info').waitFor();
      const stored = await ssm.send(new GetPatchBaselineCommand({ BaselineId: id }));
      assert.equal(stored.Name, name);
      assert.equal(stored.OperatingSystem, 'UBUNTU');
      assert.deepEqual(stored.ApprovedPatches, ['openssl']);
      assert.deepEqual(stored.ApprovalRules?.PatchRules?.[0]?.PatchFilterGroup?.PatchFilters, [
        { Key: 'PRODUCT', Values: ['*'] },
        { Key: 'PRIORITY', Values: ['Required', 'Important'] },
      ]);

      // A patch group registers with it.
      await page.getByTestId('pb-group-name').fill(group);
      await page.getByTestId('pb-group-register').click();
      await page.locator(`[data-testid="pb-group-row"][data-group="${group}"]`).waitFor();
      const mappings = (await ssm.send(new DescribePatchGroupsCommand({}))).Mappings ?? [];
      assert.ok(mappings.some((m) => m.PatchGroup === group && m.BaselineIdentity?.BaselineId === id), JSON.stringify(mappings));
      await shot('created');

      // Edit keeps what it does not show and replaces the rest; then it becomes Ubuntu's default.
      await page.getByTestId('pb-edit').click();
      await page.waitForURL(/\/edit$/);
      assert.equal(await page.getByTestId('pb-name').inputValue(), name, 'the form starts from the baseline');
      await page.getByTestId('pb-approved').fill('openssl\ncurl');
      await page.getByTestId('pb-description').fill('web servers');
      await page.getByTestId('pb-submit').click();
      await page.waitForURL(/\/patch-baselines\/view\/pb-[0-9a-f]+$/);
      await page.getByTestId('pb-info').waitFor();
      const edited = await ssm.send(new GetPatchBaselineCommand({ BaselineId: id }));
      assert.deepEqual(edited.ApprovedPatches, ['openssl', 'curl']);
      assert.equal(edited.Description, 'web servers');
      assert.deepEqual(edited.PatchGroups, [group], 'its patch group stays');
      await page.getByTestId('pb-set-default').click();
      await page.getByTestId('pb-default').filter({ hasText: 'Default for Ubuntu' }).waitFor();
      assert.equal((await ssm.send(new GetDefaultPatchBaselineCommand({ OperatingSystem: 'UBUNTU' }))).BaselineId, id);
      assert.equal(await page.getByTestId('pb-set-default').count(), 0, 'a default is not offered to become one');

      // The list shows it as the account's own, with its group.
      await page.getByRole('link', { name: 'All baselines' }).click();
      const mine = page.locator(`[data-testid="pb-row"][data-baseline-id="${id}"]`);
      await mine.waitFor();
      assert.equal(await mine.getAttribute('data-predefined'), 'false');
      assert.equal(await mine.getAttribute('data-default'), 'true');
      await page.locator(`[data-testid="pb-group-row"][data-group="${group}"]`).waitFor();
    },
    { refusals: [refusedCall('CreatePatchBaseline')] },
  );
});

test('on a narrow screen the compliance and baselines pages reflow instead of scrolling sideways', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await page.setViewportSize({ width: 380, height: 800 });
    const sideways = () =>
      page.evaluate(() => {
        const d = (globalThis as unknown as InPage).document;
        return { client: d.documentElement.clientWidth, scroll: d.documentElement.scrollWidth, body: d.body.scrollWidth };
      });
    await harness.signIn(page, 'compliance');
    await page.locator('[data-testid="cmp-type"][data-type="Patch"]').waitFor();
    let w = await sideways();
    assert.ok(w.scroll <= w.client && w.body <= w.client, `the compliance page scrolls sideways: ${JSON.stringify(w)}`);
    await shot('compliance-380');

    await page.goto('patch-baselines/create');
    await page.getByTestId('pb-form').waitFor();
    w = await sideways();
    assert.ok(w.scroll <= w.client && w.body <= w.client, `the baseline form scrolls sideways: ${JSON.stringify(w)}`);
    await shot('baseline-form-380');

    await page.goto(`nodes/${agent.instanceId}`);
    await page.getByTestId('node-patch-state').waitFor();
    w = await sideways();
    assert.ok(w.scroll <= w.client && w.body <= w.client, `the node page scrolls sideways: ${JSON.stringify(w)}`);
    await shot('node-380');
  });
});
