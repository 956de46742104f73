import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { nodeBootTime, type BootSources } from './boot.js';
import { helloInfo } from './info.js';
import { loadConfig } from './jobs/config.js';

const BOOTED = Date.UTC(2026, 0, 5, 8, 0, 0);

/** A node that booted at `booted` and whose clock reads `now`; null: a system without boot ids. */
const node = (now: number, booted = BOOTED, bootId: string | null = 'boot-1'): BootSources => ({ now: () => now, uptimeSeconds: () => (now - booted) / 1000, bootId: () => bootId ?? undefined });

function inStateDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-boot-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the boot time is whole seconds, and one boot keeps the value it first had though the clock is stepped', () => {
  inStateDir((dir) => {
    assert.equal(nodeBootTime(dir, node(BOOTED + 3_600_400, BOOTED + 400)), BOOTED, 'rounded to the second');
    assert.equal(statSync(join(dir, 'boot.json')).mode & 0o777, 0o600);
    // NTP stepped the clock by 40 minutes since: `now - uptime` moved, the boot did not.
    assert.equal(nodeBootTime(dir, node(BOOTED + 7_200_000 + 2_400_000, BOOTED + 2_400_000)), BOOTED);
    // A new boot id is a new boot, even one that computes to nearly the same time.
    assert.equal(nodeBootTime(dir, node(BOOTED + 60_000, BOOTED + 2_000, 'boot-2')), BOOTED + 2_000);
    assert.equal(nodeBootTime(dir, node(BOOTED + 90_000, BOOTED + 2_000, 'boot-2')), BOOTED + 2_000);
  });
});

test('without a boot id, a boot time within a minute of the saved one is the same boot', () => {
  inStateDir((dir) => {
    assert.equal(nodeBootTime(dir, node(BOOTED + 1_000_000, BOOTED, null)), BOOTED);
    assert.equal(nodeBootTime(dir, node(BOOTED + 2_000_000, BOOTED + 1_600, null)), BOOTED, 'drifted, same boot');
    assert.equal(nodeBootTime(dir, node(BOOTED + 9_000_000, BOOTED + 5_000_000, null)), BOOTED + 5_000_000, 'rebooted');
    writeFileSync(join(dir, 'boot.json'), 'not json');
    assert.equal(nodeBootTime(dir, node(BOOTED + 9_000_000, BOOTED + 5_000_000, null)), BOOTED + 5_000_000, 'a damaged file is computed again');
  });
});

test('on this machine the boot time is now minus the uptime, and stays put', () => {
  inStateDir((dir) => {
    const first = nodeBootTime(dir);
    assert.ok(Math.abs(first - (Date.now() - uptime() * 1000)) < 2_000);
    assert.equal(nodeBootTime(dir), first);
    if (existsSync('/proc/sys/kernel/random/boot_id')) assert.equal((JSON.parse(readFileSync(join(dir, 'boot.json'), 'utf8')) as { bootId: string }).bootId, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  });
});

test('applyAssociationsOnBoot is off unless config.json or CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT turns it on', () => {
  inStateDir((dir) => {
    assert.equal(loadConfig(dir, {}).applyAssociationsOnBoot, false);
    assert.equal(loadConfig(dir, { CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT: 'true' }).applyAssociationsOnBoot, true);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ applyAssociationsOnBoot: true }));
    assert.equal(loadConfig(dir, {}).applyAssociationsOnBoot, true);
    assert.equal(loadConfig(dir, { CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT: 'off' }).applyAssociationsOnBoot, false, 'the environment wins');
    assert.equal(loadConfig(dir, { CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT: '' }).applyAssociationsOnBoot, true, 'empty is unset');
    assert.throws(() => loadConfig(dir, { CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT: 'ture' }), /must be true or false/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ applyAssociationsOnBoot: 'yes' }));
    assert.throws(() => loadConfig(dir, {}), /applyAssociationsOnBoot must be true or false/);
  });
});

test('the hello tells the boot and the preference with the node facts', () => {
  const info = helloInfo({ bootTime: BOOTED, applyAssociationsOnBoot: true }, { message: 'ECONNREFUSED', at: BOOTED + 5 });
  assert.equal(info.bootTime, BOOTED);
  assert.equal(info.applyAssociationsOnBoot, true);
  assert.deepEqual(info.lastError, { message: 'ECONNREFUSED', at: BOOTED + 5 });
  assert.ok(info.agentVersion && info.hostname && info.platformType);
  assert.equal(helloInfo({ bootTime: BOOTED, applyAssociationsOnBoot: false }).applyAssociationsOnBoot, false);
  assert.equal('lastError' in helloInfo({ bootTime: BOOTED, applyAssociationsOnBoot: false }), false);
});
