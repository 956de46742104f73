import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mainOption, rpmRelease } from './dnf-layout.js';
import { compareEvr } from './dnf-version.js';

test('RPM version order agrees with rpm’s own vercmp on every pair of a mixed set', () => {
  const versions = ['1.0-1', '1.0-2', '1.0-1.el9', '1.0-1.el9_3', '1.0a-1', '1.0.1-1', '1.01-1', '1.10-1', '1.0~rc1-1', '1.0^git1-1', '1:0.1-1', '2:0-0', '0:1.0-1', '5.14.0-362.8.1.el9_3', '5.14.0-362.13.1.el9_3', 'a-1', '2.0-b'];
  const pairs = versions.flatMap((a) => versions.map((b) => [a, b] as const));
  // One rpm process answers every pair: rpm.vercmp parses `[epoch:]version-release` as rpm does.
  const lua = `local t = {} ${pairs.map(([a, b]) => `t[#t+1] = rpm.vercmp("${a}", "${b}")`).join(' ')} print(table.concat(t, " "))`;
  const theirs = execFileSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  assert.equal(theirs.length, pairs.length);
  pairs.forEach(([a, b], i) => assert.equal(Math.sign(compareEvr(a, b)), Math.sign(theirs[i]!), `${a} vs ${b}`));
});

test('dnf configuration: installroot is read from the [main] section only', () => {
  const text = '# dnf.conf\n[main]\ngpgcheck=1\ninstallroot = /srv/node\n\n[repo]\ninstallroot=/elsewhere\n';
  assert.equal(mainOption(text, 'installroot'), '/srv/node');
  assert.equal(mainOption('[repo]\ninstallroot=/x\n', 'installroot'), undefined);
});

test('os-release to AWS’s OperatingSystem and PRODUCT for the RPM families', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-osrel-'));
  try {
    mkdirSync(join(dir, 'etc'));
    const cases: Array<[string, string, string | undefined, string]> = [
      ['rhel', '9.3', 'REDHAT_ENTERPRISE_LINUX', 'RedhatEnterpriseLinux9.3'],
      ['rocky', '9.4', 'ROCKY_LINUX', 'RockyLinux9.4'],
      ['almalinux', '8.10', 'ALMA_LINUX', 'AlmaLinux8.10'],
      ['ol', '9.2', 'ORACLE_LINUX', 'OracleLinux9.2'],
      ['amzn', '2023', 'AMAZON_LINUX_2023', 'AmazonLinux2023'],
      ['centos', '9', 'CENTOS', 'CentOSStream9'],
      ['fedora', '40', undefined, 'fedora40'],
    ];
    for (const [id, version, os, product] of cases) {
      writeFileSync(join(dir, 'etc/os-release'), `NAME="${id}"\nID="${id}"\nVERSION_ID="${version}"\nPRETTY_NAME="${id} ${version}"\n`);
      const r = await rpmRelease(dir);
      assert.equal(r.operatingSystem, os, id);
      assert.equal(r.release.product, product, id);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
