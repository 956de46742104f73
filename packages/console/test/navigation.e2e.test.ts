/**
 * The console's main navigation in Chromium against a real server: on a wide screen a sidebar of
 * grouped lists, every label on one line, sticky beside the page and scrolling on its own; on a
 * phone's width the Menu button opens the same lists. Every entry opens its page and is marked
 * as the current one; nothing scrolls sideways. Setup and the per-test checks are ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ConsoleHarness, until, type InPage } from './harness.js';

const harness = new ConsoleHarness('navigation');

before(async () => {
  await harness.start();
});

after(async () => {
  await harness.stop();
});

/** The groups and entries, in order, as AWS Systems Manager's console groups its features. */
const GROUPS: { heading: string; entries: { id: string; label: string; path: string }[] }[] = [
  {
    heading: 'Operations',
    entries: [
      { id: 'dashboard', label: 'Dashboard', path: '' },
      { id: 'opscenter', label: 'OpsCenter', path: 'opscenter' },
      { id: 'incidents', label: 'Incident Manager', path: 'incidents' },
      { id: 'compliance', label: 'Compliance', path: 'compliance' },
      { id: 'inventory', label: 'Inventory', path: 'inventory' },
    ],
  },
  {
    heading: 'Node management',
    entries: [
      { id: 'nodes', label: 'Nodes', path: 'nodes' },
      { id: 'run-command', label: 'Run Command', path: 'run-command' },
      { id: 'sessions', label: 'Session Manager', path: 'sessions' },
      { id: 'state-manager', label: 'State Manager', path: 'state-manager' },
      { id: 'patch-baselines', label: 'Patch Manager', path: 'patch-baselines' },
    ],
  },
  {
    heading: 'Change management',
    entries: [
      { id: 'automation', label: 'Automation', path: 'automation' },
      { id: 'maintenance-windows', label: 'Maintenance Windows', path: 'maintenance-windows' },
      { id: 'documents', label: 'Documents', path: 'documents' },
    ],
  },
  {
    heading: 'Application management',
    entries: [{ id: 'parameters', label: 'Parameter Store', path: 'parameters' }],
  },
];
const ENTRIES = GROUPS.flatMap((g) => g.entries);

/** What the page-side snippets below read besides harness.ts's InPage. */
interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
  height: number;
}
interface El {
  getBoundingClientRect(): Box;
  getAttribute(name: string): string | null;
  scrollHeight: number;
  clientHeight: number;
  scrollTop: number;
  id: string;
}
interface InNavPage {
  document: {
    querySelector(selector: string): El | null;
    querySelectorAll(selector: string): ArrayLike<El>;
    createRange(): { selectNodeContents(el: El): void; getClientRects(): ArrayLike<Box>; getBoundingClientRect(): Box };
    activeElement: El | null;
  };
  getComputedStyle(el: El): { lineHeight: string; position: string };
  scrollTo(x: number, y: number): void;
  innerHeight: number;
}

const sideways = (page: Page) =>
  page.evaluate(() => {
    const d = (globalThis as unknown as InPage).document;
    return { client: d.documentElement.clientWidth, scroll: d.documentElement.scrollWidth, body: d.body.scrollWidth };
  });

async function assertNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const w = await sideways(page);
  assert.ok(w.scroll <= w.client && w.body <= w.client, `${where} scrolls sideways: ${JSON.stringify(w)}`);
}

const focusedId = (page: Page) => page.evaluate(() => (globalThis as unknown as InNavPage).document.activeElement?.id ?? '');

/** The nav's groups as a screen reader meets them: each a list named by its heading, holding its entries' links. */
async function assertGroups(page: Page): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.deepEqual(await nav.getByRole('heading').allTextContents(), GROUPS.map((g) => g.heading));
  for (const g of GROUPS) {
    const list = nav.getByRole('list', { name: g.heading, exact: true });
    assert.equal(await list.count(), 1, `one list named ${g.heading}`);
    assert.deepEqual(await list.getByRole('link').allTextContents(), g.entries.map((e) => e.label), `the ${g.heading} list`);
    const ids = await list.getByRole('link').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    assert.deepEqual(ids, g.entries.map((e) => `nav-${e.id}`));
  }
}

/** Clicks an entry and checks that its page opened, it alone is marked current, and focus went to the page. */
async function go(page: Page, entry: { id: string; path: string }): Promise<void> {
  await page.getByTestId(`nav-${entry.id}`).click();
  await page.waitForURL(new RegExp(`/console/${entry.path}$`));
  const current = page.locator('#main-nav [aria-current="page"]');
  await page.locator(`#main-nav [aria-current="page"][data-testid="nav-${entry.id}"]`).waitFor({ state: 'attached' });
  assert.equal(await current.count(), 1, `one current entry on ${entry.path || '/'}`);
  await until(`focus on the page opened by nav-${entry.id}`, async () => (await focusedId(page)) === 'main');
}

test('at 1280 px the sidebar shows every entry on one line under its group heading, and each entry opens its page and is marked current', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await harness.signIn(page);
    await page.getByTestId('dashboard-ready').waitFor();
    await assertGroups(page);
    assert.equal(await page.getByTestId('menu-button').isVisible(), false, 'the Menu button is for narrow screens');
    for (const e of ENTRIES) assert.ok(await page.getByTestId(`nav-${e.id}`).isVisible(), `nav-${e.id} is visible`);

    const layout = await page.evaluate(() => {
      const w = globalThis as unknown as InNavPage;
      const d = w.document;
      const lines: { id: string | null; rects: number; height: number; lineHeight: number }[] = [];
      const links = d.querySelectorAll('#main-nav h2, #main-nav a');
      for (let i = 0; i < links.length; i++) {
        const a = links[i]!;
        const range = d.createRange();
        range.selectNodeContents(a);
        lines.push({ id: a.getAttribute('data-testid') ?? a.getAttribute('id'), rects: range.getClientRects().length, height: range.getBoundingClientRect().height, lineHeight: parseFloat(w.getComputedStyle(a).lineHeight) });
      }
      return { lines, nav: d.querySelector('#main-nav')!.getBoundingClientRect(), main: d.querySelector('#main')!.getBoundingClientRect() };
    });
    assert.equal(layout.lines.length, ENTRIES.length + GROUPS.length, 'every heading and entry measured');
    for (const l of layout.lines) {
      assert.equal(l.rects, 1, `${l.id}'s text is on one line`);
      assert.ok(l.height <= l.lineHeight + 1, `${l.id}'s text is one line high: ${l.height} px for a ${l.lineHeight} px line`);
    }
    assert.ok(layout.nav.right <= layout.main.left, `the nav is a sidebar left of the page: ${JSON.stringify(layout)}`);
    assert.ok(layout.nav.top < layout.main.top + 1 && layout.nav.bottom > layout.main.top + 300, 'the sidebar runs down beside the page');
    await assertNoSidewaysScroll(page, 'the dashboard at 1280 px');
    await shot('sidebar-1280');

    for (const e of [...ENTRIES.slice(1), ENTRIES[0]!]) await go(page, e);
    assert.equal(await page.getByTestId('nav-dashboard').getAttribute('aria-current'), 'page');

    // A page beneath an entry keeps it current.
    await page.getByTestId('nav-run-command').click();
    await page.waitForURL(/\/console\/run-command$/);
    await page.goto('run-command/history');
    await page.locator('#main-nav [aria-current="page"][data-testid="nav-run-command"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#main-nav [aria-current="page"]').count(), 1);
    await shot('sidebar-subpage');
  });
});

test('the skip link and the keyboard reach the page and the navigation', async (tc) => {
  await harness.browse(tc, async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await harness.signIn(page, 'nodes');
    await page.goto('nodes');
    await page.getByTestId('nav-nodes').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => (globalThis as unknown as InNavPage).document.activeElement?.getAttribute('href') ?? ''), '#main', 'the skip link comes first');
    assert.ok(await page.getByRole('link', { name: 'Skip to content' }).isVisible(), 'the skip link shows when focused');
    await page.keyboard.press('Enter');
    await until('the skip link to move focus to the page', async () => (await focusedId(page)) === 'main');

    // An entry reached by the keyboard opens with Enter, and focus goes to the new page.
    await page.getByTestId('nav-documents').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/documents$/);
    assert.equal(await page.getByTestId('nav-documents').getAttribute('aria-current'), 'page');
    await until('focus on the documents page', async () => (await focusedId(page)) === 'main');
  });
});

test('on a short window the sidebar stays in view as the page scrolls and scrolls on its own to its last entry', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await page.setViewportSize({ width: 1280, height: 420 });
    await harness.signIn(page);
    await page.getByTestId('dashboard-ready').waitFor();
    const state = await page.evaluate(() => {
      const w = globalThis as unknown as InNavPage;
      const nav = w.document.querySelector('#main-nav')!;
      w.scrollTo(0, 10_000);
      const afterPageScroll = nav.getBoundingClientRect().top;
      nav.scrollTop = nav.scrollHeight;
      const last = w.document.querySelector('[data-testid="nav-parameters"]')!.getBoundingClientRect();
      return { own: nav.scrollHeight > nav.clientHeight, afterPageScroll, scrolledBy: nav.scrollTop, lastBottom: last.bottom, viewport: w.innerHeight };
    });
    assert.ok(state.own, `the entries outgrow a 420 px window, so the sidebar scrolls: ${JSON.stringify(state)}`);
    assert.ok(Math.abs(state.afterPageScroll) < 1, `the sidebar sticks to the top as the page scrolls: ${JSON.stringify(state)}`);
    assert.ok(state.scrolledBy > 0 && state.lastBottom <= state.viewport, `the sidebar's own scroll brings its last entry into view: ${JSON.stringify(state)}`);
    await shot('sidebar-short-window');
  });
});

test('at 380 px the Menu button opens the grouped list, an entry navigates and closes it, Escape closes it, and nothing scrolls sideways', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await page.setViewportSize({ width: 380, height: 800 });
    await harness.signIn(page);
    await page.getByTestId('dashboard-ready').waitFor();
    const menu = page.getByTestId('menu-button');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await menu.getAttribute('aria-controls'), 'main-nav');
    assert.equal(await page.getByTestId('nav-dashboard').isVisible(), false, 'the list is folded away');
    await assertNoSidewaysScroll(page, 'the dashboard at 380 px');
    await shot('menu-closed-380');

    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    for (const e of ENTRIES) assert.ok(await page.getByTestId(`nav-${e.id}`).isVisible(), `nav-${e.id} shows in the open list`);
    await assertGroups(page);
    await assertNoSidewaysScroll(page, 'the open menu at 380 px');
    await shot('menu-open-380');

    await page.getByTestId('nav-maintenance-windows').click();
    await page.waitForURL(/\/console\/maintenance-windows$/);
    assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'opening a page folds the list');
    assert.equal(await page.getByTestId('nav-maintenance-windows').isVisible(), false);
    await until('focus on the maintenance windows page', async () => (await focusedId(page)) === 'main');
    await assertNoSidewaysScroll(page, 'the maintenance windows page at 380 px');

    await menu.click();
    assert.equal(await page.getByTestId('nav-maintenance-windows').getAttribute('aria-current'), 'page');
    await page.getByTestId('nav-parameters').focus();
    await page.keyboard.press('Escape');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'Escape folds the list');
    assert.equal(await page.evaluate(() => (globalThis as unknown as InNavPage).document.activeElement?.getAttribute('data-testid') ?? ''), 'menu-button', 'Escape hands focus back to the Menu button');
    await shot('menu-escaped-380');
  });
});

test('at 900 px the Menu button opens the groups side by side, and nothing scrolls sideways', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await page.setViewportSize({ width: 900, height: 800 });
    await harness.signIn(page, 'nodes');
    await page.getByTestId('nodes-count').waitFor();
    assert.equal(await page.getByTestId('nav-nodes').isVisible(), false, 'the list is folded away');
    await page.getByTestId('menu-button').click();
    await assertGroups(page);
    const tops = await page.getByRole('navigation', { name: 'Main' }).getByRole('heading').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
    assert.equal(new Set(tops).size, 1, `the four groups share a row: ${JSON.stringify(tops)}`);
    assert.equal(await page.getByTestId('nav-nodes').getAttribute('aria-current'), 'page');
    await assertNoSidewaysScroll(page, 'the open menu at 900 px');
    await shot('menu-open-900');
  });
});
