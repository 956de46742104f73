/**
 * The console's Inventory pages in Chromium against a real server: a real agent on this machine
 * has no inventory until the node page's button sets up AWS-GatherSoftwareInventory for it, then
 * its page lists this machine's real dpkg packages. Four more registered nodes get their
 * AWS:Application through PutInventory as an administrator, so the fleet page has versions and
 * platforms to count. The SDK confirms what the pages show. Setup and the per-test checks are
 * ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CreateActivationCommand, ListAssociationsCommand, ListInventoryEntriesCommand, PutInventoryCommand, SSMClient, type InventoryItem } from '@aws-sdk/client-ssm';
import { nodeService } from '../../server/src/nodes/index.js';
import { compareVersions } from '../../server/src/inventory/versions.js';
import { SimulatedAgent } from '../../server/src/test-support/sim-agent.js';
import type { TestServer } from '../../server/src/test-support/server.js';
import { ConsoleHarness, refusedCall, until as waitFor, type InPage, type RealAgent } from './harness.js';

const harness = new ConsoleHarness('inventory');
let ssm: SSMClient;
let agent: RealAgent;

const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 90_000) => waitFor(what, probe, ms, () => `agent:\n${agent?.output().slice(-2000) ?? ''}`);

/** Registered nodes whose inventory the test writes: platform, and their openssl and curl. */
const FLEET = [
  { platform: ['Ubuntu', '22.04'], openssl: '3.0.2-0ubuntu1.15', curl: '7.81.0' },
  { platform: ['Ubuntu', '22.04'], openssl: '3.0.2-0ubuntu1.15', curl: '7.81.0' },
  { platform: ['Ubuntu', '24.04'], openssl: '3.0.13-0ubuntu3.4', curl: '8.5.0' },
  { platform: ['Amazon Linux', '2'], openssl: '1.0.2k', curl: '8.3.0' },
] as const;
const fleet: { id: string; platform: string; openssl: string }[] = [];

async function registerFleet(t: TestServer): Promise<void> {
  const capture = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const [i, n] of FLEET.entries()) {
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const id = await new SimulatedAgent(t.endpoint, `inventory-${i}`).register(ActivationId!, ActivationCode!);
    await nodeService(t.server.core).update(id, { platform_type: 'Linux', platform_name: n.platform[0], platform_version: n.platform[1], computer_name: `host-${i}` });
    const apps: InventoryItem = {
      TypeName: 'AWS:Application',
      SchemaVersion: '1.1',
      CaptureTime: capture,
      Content: [
        { Name: 'openssl', Version: n.openssl, Architecture: 'amd64', Publisher: 'Ubuntu Developers' },
        { Name: 'curl', Version: n.curl, Architecture: 'amd64' },
      ],
    };
    // The first node also reports a custom type of its own.
    const rack: InventoryItem = { TypeName: 'Custom:RackInfo', SchemaVersion: '1.0', CaptureTime: capture, Content: [{ Location: 'DC1', Rack: 'r-07', Units: '2' }] };
    await ssm.send(new PutInventoryCommand({ InstanceId: id, Items: i === 0 ? [apps, rack] : [apps] }));
    fleet.push({ id, platform: n.platform[0], openssl: n.openssl });
  }
}

before(async () => {
  await harness.start(async (t) => {
    ssm = new SSMClient(t.clientConfig());
    agent = await harness.startAgent();
    await registerFleet(t);
  });
});

after(async () => {
  ssm?.destroy();
  await harness.stop();
});

/** What the server holds for the real agent's node: whether it has reported, its platform, its openssl and curl. */
async function realNode(): Promise<{ reported: boolean; platform: string; openssl?: string; curl?: string }> {
  const id = agent.instanceId;
  const info = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: id, TypeName: 'AWS:InstanceInformation' }));
  const version = async (name: string) =>
    (await ssm.send(new ListInventoryEntriesCommand({ InstanceId: id, TypeName: 'AWS:Application', Filters: [{ Key: 'Name', Values: [name], Type: 'Equal' }] }))).Entries?.[0]?.Version;
  const [openssl, curl] = await Promise.all([version('openssl'), version('curl')]);
  return { reported: info.CaptureTime !== undefined, platform: info.Entries?.[0]?.PlatformName ?? '', ...(openssl ? { openssl } : {}), ...(curl ? { curl } : {}) };
}

/** The rows' instance ids in the fleet page's table, sorted. */
const listedNodes = (page: import('playwright-core').Page) => page.getByTestId('inv-node-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-instance-id') ?? '').sort());
const countText = async (page: import('playwright-core').Page, testId: string) => Number((await page.getByTestId(testId).textContent())!.replace(/[^0-9]/g, ''));

test("the node page sets up inventory for a node that has none, then lists this machine's real packages", async (tc) => {
  const node = agent.instanceId;
  const bash = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' });
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, `nodes/${node}`);
    await page.getByTestId('node-inventory-empty').waitFor();
    assert.match((await page.getByTestId('node-inventory-empty').textContent())!, /AWS-GatherSoftwareInventory/);
    await shot('no-inventory');

    await page.getByTestId('node-inventory-collect').click();
    await page.getByTestId('node-inventory-waiting').waitFor();
    const assoc = (await ssm.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: 'Name', value: 'AWS-GatherSoftwareInventory' }] }))).Associations ?? [];
    assert.equal(assoc.length, 1, 'one inventory association');
    assert.deepEqual(assoc[0]!.Targets, [{ Key: 'InstanceIds', Values: [node] }]);
    assert.equal(assoc[0]!.ScheduleExpression, 'rate(30 minutes)');

    // The association runs on the real agent; the page looks again until the report is there.
    await page.getByTestId('node-inventory').waitFor({ timeout: 90_000 });
    const entries = page.getByTestId('node-inventory-entries');
    assert.equal(await entries.getAttribute('data-type'), 'AWS:Application');
    assert.equal(await page.locator('[data-testid="node-inventory-type"][data-type="AWS:Application"]').getAttribute('aria-pressed'), 'true');
    // The types listed are those the server holds for the node.
    const held = (
      await Promise.all(
        ['AWS:Application', 'AWS:Network', 'AWS:InstanceDetailedInformation', 'AWS:Service', 'AWS:File', 'AWS:Tag', 'AWS:InstanceInformation'].map(async (TypeName) =>
          (await ssm.send(new ListInventoryEntriesCommand({ InstanceId: node, TypeName, MaxResults: 1 }))).CaptureTime ? TypeName : undefined,
        ),
      )
    ).filter((x) => x !== undefined);
    assert.ok(held.includes('AWS:Application') && held.includes('AWS:InstanceInformation'), held.join());
    const listedTypes = await page.getByTestId('node-inventory-type').evaluateAll((els) => els.map((e) => e.getAttribute('data-type') ?? ''));
    assert.deepEqual([...listedTypes].sort(), [...held].sort());

    // Every page of ListInventoryEntries is loaded: the count is the SDK's.
    const sdkCount = async () => {
      let n = 0;
      let token: string | undefined;
      do {
        const r = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: node, TypeName: 'AWS:Application', MaxResults: 50, NextToken: token }));
        n += r.Entries?.length ?? 0;
        token = r.NextToken;
      } while (token);
      return n;
    };
    const total = await sdkCount();
    assert.ok(total > 50, `this machine has more packages than one page (${total})`);
    await page.locator(`[data-testid="inv-entries-count"][data-count="${total}"]:not([data-loading])`).waitFor();
    await shot('applications');

    // Searching finds bash, with the version dpkg has.
    await page.getByTestId('inv-entries-search').fill('bash');
    const row = page.locator('[data-testid="inv-entries-row"][data-name="bash"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], 'bash');
    assert.equal(cells[1], bash, "bash's row shows dpkg's version");
    await shot('search-bash');

    // Sorting by name the other way round puts the greatest name first.
    await page.getByTestId('inv-entries-search').fill('');
    await page.locator(`[data-testid="inv-entries-count"][data-count="${total}"]`).waitFor();
    const names = () => page.getByTestId('inv-entries-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-name') ?? ''));
    const ascending = await names();
    await page.getByTestId('inv-entries-sort-Name').click();
    assert.equal(await page.getByTestId('inv-entries-sort-Name').getAttribute('data-sorted'), 'descending');
    const descending = await names();
    assert.notEqual(descending[0], ascending[0]);
    assert.ok(descending[0]!.localeCompare(descending[1]!, undefined, { numeric: true, sensitivity: 'base' }) >= 0, `${descending[0]} then ${descending[1]}`);

    // Another type shows as a table of its attributes, and the address keeps the choice.
    const info = (await ssm.send(new ListInventoryEntriesCommand({ InstanceId: node, TypeName: 'AWS:InstanceInformation' }))).Entries![0]!;
    await page.locator('[data-testid="node-inventory-type"][data-type="AWS:InstanceInformation"]').click();
    await page.locator('[data-testid="node-inventory-entries"][data-type="AWS:InstanceInformation"]').waitFor();
    await page.locator('[data-testid="inv-entries-row"]').first().waitFor();
    const headers = (await page.getByTestId('inv-entries').locator('th').allTextContents()).map((h) => h.replace(/[▲▼\s]/g, ''));
    const values = await page.locator('[data-testid="inv-entries-row"]').first().locator('td').allTextContents();
    assert.equal(values[headers.indexOf('InstanceId')], node);
    assert.equal(values[headers.indexOf('PlatformName')], info.PlatformName);
    assert.match(page.url(), /inventory=AWS%3AInstanceInformation/);
    await shot('instance-information');
  });
});

test('the fleet page: a name and version filter lists exactly the matching nodes, counts their versions and platforms; a count narrows; the address reproduces the question', async (tc) => {
  // The real node counts too if its own openssl is older (and once it has reported).
  const real = await realNode();
  const realOlder = real.openssl !== undefined && compareVersions(real.openssl, '3.0.13') < 0;
  const older = fleet.filter((n) => compareVersions(n.openssl, '3.0.13') < 0);
  assert.deepEqual(
    older.map((n) => n.id),
    [fleet[0]!.id, fleet[1]!.id, fleet[3]!.id],
  );
  const expected = [...older.map((n) => n.id), ...(realOlder ? [agent.instanceId] : [])].sort();
  const byVersion = new Map<string, number>();
  const byPlatform = new Map<string, number>();
  for (const [version, platform] of [...older.map((n) => [n.openssl, n.platform]), ...(realOlder ? [[real.openssl!, real.platform]] : [])]) {
    byVersion.set(version!, (byVersion.get(version!) ?? 0) + 1);
    byPlatform.set(platform!, (byPlatform.get(platform!) ?? 0) + 1);
  }

  await harness.browse(tc, async ({ page, context, shot }) => {
    await harness.signIn(page);
    await page.getByTestId('nav-inventory').click();
    await page.waitForURL(/\/console\/inventory$/);
    assert.equal(await page.getByTestId('nav-inventory').getAttribute('aria-current'), 'page');
    assert.equal(await page.getByTestId('inv-type').inputValue(), 'AWS:Application');
    // Unfiltered, every node with inventory matches.
    await page.locator(`[data-testid="inv-match-count"][data-count="${fleet.length + (real.reported ? 1 : 0)}"]`).waitFor();

    // Build "openssl older than 3.0.13" in the form.
    await page.getByTestId('inv-filter-add').click();
    assert.equal(await page.getByTestId('inv-filter-attr-0').inputValue(), 'Name');
    await page.getByTestId('inv-filter-value-0').fill('openssl');
    await page.getByTestId('inv-filter-add').click();
    await page.getByTestId('inv-filter-attr-1').selectOption('Version');
    await page.getByTestId('inv-filter-op-1').selectOption('LessThan');
    // A filter without a value is held back, and says so.
    await page.getByTestId('inv-search').click();
    assert.equal(await page.getByTestId('inv-filter-value-1').getAttribute('aria-invalid'), 'true');
    assert.match(page.url(), /\/inventory$/);
    await page.getByTestId('inv-filter-value-1').fill('3.0.13');
    await page.getByTestId('inv-search').click();
    await page.waitForURL(/f=Version%3ALessThan%3A3\.0\.13/);

    await page.locator(`[data-testid="inv-match-count"][data-count="${expected.length}"]`).waitFor();
    await until('the matching nodes', async () => JSON.stringify(await listedNodes(page)) === JSON.stringify(expected));
    for (const [version, n] of byVersion) assert.equal(await countText(page, `inv-count-by-${version.replace(/[^A-Za-z0-9._-]/g, '-')}`), n, `nodes with openssl ${version}`);
    assert.equal(await page.locator('[data-testid^="inv-count-by-"]').count(), byVersion.size, 'no other versions are counted');
    for (const [platform, n] of byPlatform) assert.equal(await countText(page, `inv-count-platform-${platform.replace(/[^A-Za-z0-9._-]/g, '-')}`), n, `nodes on ${platform}`);
    assert.equal(await page.locator('[data-testid^="inv-count-platform-"]').count(), byPlatform.size, 'no other platforms are counted');
    // Each node shows its platform and the openssl entry that matched.
    const amazon = page.locator(`[data-testid="inv-node-row"][data-instance-id="${fleet[3]!.id}"]`);
    assert.equal(await amazon.getByTestId('inv-node-platform').textContent(), 'Amazon Linux 2');
    await amazon.locator('[data-testid="inv-node-matched"]', { hasText: 'openssl 1.0.2k' }).waitFor();
    await shot('openssl-older-than-3.0.13');

    // A version's count narrows the question to it, from the keyboard too.
    const ubuntuVersion = '3.0.2-0ubuntu1.15';
    await page.getByTestId(`inv-count-by-${ubuntuVersion}`).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/f=Version%3AEqual%3A3\.0\.2-0ubuntu1\.15/);
    await page.locator('[data-testid="inv-match-count"][data-count="2"]').waitFor();
    await until('the two Ubuntu 22.04 nodes', async () => JSON.stringify(await listedNodes(page)) === JSON.stringify([fleet[0]!.id, fleet[1]!.id].sort()));
    assert.equal(await countText(page, `inv-count-by-${ubuntuVersion}`), 2);
    assert.equal(await page.locator('[data-testid^="inv-count-platform-"]').count(), 1);
    assert.equal(await page.getByTestId('inv-filter').count(), 3, 'the form shows the narrowed question');
    assert.equal(await page.getByTestId('inv-filter-value-2').inputValue(), ubuntuVersion);
    await shot('narrowed');

    // The address alone reproduces the question in another tab.
    const url = page.url();
    const other = await context.newPage();
    await other.goto(url);
    await other.locator('[data-testid="inv-match-count"][data-count="2"]').waitFor();
    assert.deepEqual(await listedNodes(other), [fleet[0]!.id, fleet[1]!.id].sort());
    assert.deepEqual(
      await Promise.all([0, 1, 2].map((i) => other.getByTestId(`inv-filter-value-${i}`).inputValue())),
      ['openssl', '3.0.13', ubuntuVersion],
    );
    assert.equal(await other.getByTestId('inv-filter-op-1').inputValue(), 'LessThan');
    await other.close();

    // Back returns to the wider question; a node's link opens its page.
    await page.goBack();
    await page.locator(`[data-testid="inv-match-count"][data-count="${expected.length}"]`).waitFor();
    await amazon.getByTestId('inv-node-link').click();
    await page.waitForURL(new RegExp(`/console/nodes/${fleet[3]!.id}$`));
    const openssl = page.locator('[data-testid="inv-entries-row"][data-name="openssl"]');
    await openssl.waitFor();

    // An application's name leads back to the fleet: every openssl, counted by version.
    await openssl.getByRole('link', { name: 'openssl' }).click();
    await page.waitForURL(/\/console\/inventory\?f=Name%3AEqual%3Aopenssl$/);
    const all = new Map<string, number>();
    for (const v of [...fleet.map((n) => n.openssl), ...(real.openssl ? [real.openssl] : [])]) all.set(v, (all.get(v) ?? 0) + 1);
    await page.locator(`[data-testid="inv-match-count"][data-count="${fleet.length + (real.openssl ? 1 : 0)}"]`).waitFor();
    await page.locator('[data-testid^="inv-count-by-"]').first().waitFor();
    for (const [version, n] of all) assert.equal(await countText(page, `inv-count-by-${version.replace(/[^A-Za-z0-9._-]/g, '-')}`), n, `nodes with openssl ${version}`);
    assert.equal(await page.locator('[data-testid^="inv-count-by-"]').count(), all.size);
    await shot('every-openssl');
  });
});

test('a filter the server refuses shows its error, and the form stays usable to fix it', async (tc) => {
  const real = await realNode();
  await harness.browse(
    tc,
    async ({ page, shot }) => {
      await harness.signIn(page, 'inventory?f=Colour%3AEqual%3Ared');
      await page.getByTestId('inv-error').waitFor();
      assert.match((await page.getByTestId('inv-error').textContent())!, /InvalidFilter/);
      assert.match((await page.getByTestId('inv-error').textContent())!, /AWS:Application\.Colour/);
      assert.equal(await page.getByTestId('inv-filter-attr-0').inputValue(), 'Colour');
      await shot('invalid-filter');
      await page.getByTestId('inv-filter-attr-0').selectOption('Name');
      await page.getByTestId('inv-filter-value-0').fill('curl');
      await page.getByTestId('inv-search').click();
      await page.locator(`[data-testid="inv-match-count"][data-count="${fleet.length + (real.curl ? 1 : 0)}"]`).waitFor();
      assert.equal(await page.getByTestId('inv-error').count(), 0);
    },
    { refusals: [refusedCall('GetInventory')] },
  );
});

test('on a narrow screen the inventory pages reflow instead of scrolling sideways', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await page.setViewportSize({ width: 380, height: 800 });
    const sideways = () =>
      page.evaluate(() => {
        const d = (globalThis as unknown as InPage).document;
        return { client: d.documentElement.clientWidth, scroll: d.documentElement.scrollWidth, body: d.body.scrollWidth };
      });
    await harness.signIn(page, 'inventory?f=Name%3AEqual%3Aopenssl&f=Version%3ALessThan%3A3.0.13');
    await page.getByTestId('inv-node-row').first().waitFor();
    await page.locator('[data-testid^="inv-count-by-"]').first().waitFor();
    let w = await sideways();
    assert.ok(w.scroll <= w.client && w.body <= w.client, `the fleet page scrolls sideways: ${JSON.stringify(w)}`);
    await shot('fleet-380');

    await page.goto(`nodes/${fleet[0]!.id}`);
    await page.locator('[data-testid="inv-entries-row"][data-name="openssl"]').waitFor();
    w = await sideways();
    assert.ok(w.scroll <= w.client && w.body <= w.client, `the node page scrolls sideways: ${JSON.stringify(w)}`);
    await shot('node-380');
  });
});

test('a custom type shows as a table of its attributes on the node, and the fleet page filters on it', async (tc) => {
  const node = fleet[0]!.id;
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, `nodes/${node}?inventory=Custom%3ARackInfo`);
    const entries = page.locator('[data-testid="node-inventory-entries"][data-type="Custom:RackInfo"]');
    await entries.locator('[data-testid="inv-entries-row"]').first().waitFor();
    assert.equal(await page.locator('[data-testid="node-inventory-type"][data-type="Custom:RackInfo"]').getAttribute('aria-pressed'), 'true');
    const headers = (await entries.locator('th').allTextContents()).map((h) => h.replace(/[▲▼\s]/g, ''));
    assert.deepEqual([...headers].sort(), ['Location', 'Rack', 'Units']);
    const values = await entries.locator('[data-testid="inv-entries-row"] td').allTextContents();
    assert.equal(values[headers.indexOf('Rack')], 'r-07');
    await shot('custom-type');

    await page.getByTestId('nav-inventory').click();
    await page.getByTestId('inv-type').selectOption('Custom:RackInfo');
    await page.waitForURL(/type=Custom%3ARackInfo/);
    assert.equal(await page.getByTestId('inv-by').inputValue(), 'Location', 'without Version or Name, the first attribute is counted');
    await page.getByTestId('inv-filter-add').click();
    await page.getByTestId('inv-filter-attr-0').selectOption('Location');
    await page.getByTestId('inv-filter-value-0').fill('DC');
    await page.getByTestId('inv-filter-op-0').selectOption('BeginWith');
    await page.getByTestId('inv-by').selectOption('Rack');
    await page.waitForURL(/by=Rack/);
    // Count by applies at once; the drafted filter waits for Search.
    assert.equal(await page.getByTestId('inv-filter').count(), 0);
    await page.getByTestId('inv-filter-add').click();
    await page.getByTestId('inv-filter-attr-0').selectOption('Location');
    await page.getByTestId('inv-filter-op-0').selectOption('BeginWith');
    await page.getByTestId('inv-filter-value-0').fill('DC');
    await page.getByTestId('inv-search').click();
    await page.waitForURL(/f=Location%3ABeginWith%3ADC/);
    await until('the rack node', async () => JSON.stringify(await listedNodes(page)) === JSON.stringify([node]));
    assert.equal(await countText(page, 'inv-count-by-r-07'), 1);
    await page.locator('[data-testid="inv-node-matched"]', { hasText: 'DC1 r-07' }).waitFor();
    await shot('custom-fleet');
  });
});

test('the matching nodes page through GetInventory 25 at a time', async (tc) => {
  // Registered here, after the other tests have counted the fleet.
  const capture = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ids: string[] = [];
  for (let i = 0; i < 27; i++) {
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    const id = await new SimulatedAgent(harness.t.endpoint, `paging-${i}`).register(ActivationId!, ActivationCode!);
    await ssm.send(new PutInventoryCommand({ InstanceId: id, Items: [{ TypeName: 'AWS:Application', SchemaVersion: '1.1', CaptureTime: capture, Content: [{ Name: 'paging-probe', Version: `1.${i % 3}` }] }] }));
    ids.push(id);
  }
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'inventory?f=Name%3AEqual%3Apaging-probe');
    await page.locator('[data-testid="inv-match-count"][data-count="27"]').waitFor();
    await until('a first page of 25', async () => (await page.getByTestId('inv-node-row').count()) === 25);
    const first = await listedNodes(page);
    await page.getByRole('button', { name: 'Next' }).click();
    await until('a second page of 2', async () => (await page.getByTestId('inv-node-row').count()) === 2);
    const second = await listedNodes(page);
    assert.deepEqual([...first, ...second].sort(), [...ids].sort());
    assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true);
    for (const v of ['1.0', '1.1', '1.2']) assert.equal(await countText(page, `inv-count-by-${v}`), 9, `version ${v}`);
    await shot('second-page');
    await page.getByRole('button', { name: 'Previous' }).click();
    await until('the first page again', async () => JSON.stringify(await listedNodes(page)) === JSON.stringify(first));
  });
});
