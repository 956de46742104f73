import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { openControlFile, paragraphs } from './control-file.js';
import { compareDebVersions } from './debversion.js';
import { needingReboot } from './reboot.js';

test('Debian version order: epochs, revisions, tildes and letters as dpkg orders them', () => {
  const ascending = ['1.0~rc1-1', '1.0-1', '1.0-1+deb12u1', '1.0-2', '1.0a-1', '1.0.1-1', '1.2-1', '1.10-1', '2.0', '1:0.1-1'];
  for (let i = 0; i < ascending.length - 1; i++) {
    assert.ok(compareDebVersions(ascending[i]!, ascending[i + 1]!) < 0, `${ascending[i]} < ${ascending[i + 1]}`);
    assert.ok(compareDebVersions(ascending[i + 1]!, ascending[i]!) > 0, `${ascending[i + 1]} > ${ascending[i]}`);
  }
  assert.equal(compareDebVersions('1.0-1', '1.0-1'), 0);
  assert.equal(compareDebVersions('0:1.0-1', '1.0-1'), 0);
  assert.equal(compareDebVersions('1.01', '1.1'), 0);
  assert.ok(compareDebVersions('3.0.15-1~deb12u1', '3.0.15-1') < 0);
  assert.ok(compareDebVersions('2.36-9+deb12u10', '2.36-9+deb12u9') > 0);
  assert.ok(compareDebVersions('1.0~~', '1.0~') < 0);
});

test('the order agrees with dpkg --compare-versions on every pair of a mixed set', () => {
  const versions = ['1.0', '1.0-0', '1.0+b1', '1.0~', '1.0.0', '1:1.0', '2:0', '0.9a', '0.9-a', '1.0-1ubuntu0.22.04.1', '1.0-1ubuntu0.22.04.10', '1.0-1build1', 'a1', '10', '9.9.9~beta2+dfsg-3'];
  for (const a of versions) {
    for (const b of versions) {
      const ours = Math.sign(compareDebVersions(a, b));
      const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
      const eq = spawnSync('dpkg', ['--compare-versions', a, 'eq', b]).status === 0;
      assert.equal(ours, lt ? -1 : eq ? 0 : 1, `${a} vs ${b}`);
    }
  }
});

test('deb822 paragraphs stream with only the asked fields; continuation lines and blank-line runs are skipped', async () => {
  const text = 'Package: a\nVersion: 1\nDescription: x\n more\n .\nSection: utils\n\n\n\nPackage: b\nVersion: 2\n';
  const got = [];
  for await (const p of paragraphs(Readable.from([text.slice(0, 17), text.slice(17)]), new Set(['Package', 'Version', 'Section']))) got.push(p);
  assert.deepEqual(got, [{ Package: 'a', Version: '1', Section: 'utils' }, { Package: 'b', Version: '2' }]);
});

test('deb822 paragraphs: the ones refused by their first field are skipped wherever the chunks split them, with LF or CRLF lines', async () => {
  const packages = Array.from({ length: 12 }, (_, i) => ({ name: `p${i}`, version: `1.${i}` }));
  const stanza = (p: { name: string; version: string }, i: number) =>
    `Package: ${p.name}\nVersion: ${p.version}\n${i % 2 ? 'Description: d\n more\n\tand more\n' : ''}${i % 3 ? 'Section: s\n' : ''}${'\n'.repeat(1 + (i % 3))}`;
  const lf = packages.map(stanza).join('');
  const refused = new Set(['p0', 'p3', 'p4', 'p7', 'p11']);
  const expected = packages.filter((p) => !refused.has(p.name)).map((p) => `${p.name}=${p.version}`);
  for (const text of [lf, lf.replace(/\n/g, '\r\n'), lf.slice(0, lf.length / 2) + lf.slice(lf.length / 2).replace(/\n/g, '\r\n')]) {
    for (let size = 1; size <= 64; size++) {
      const bytes = Buffer.from(text);
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
      const got: string[] = [];
      for await (const p of paragraphs(Readable.from(chunks), new Set(['Package', 'Version']), (name) => !refused.has(name))) got.push(`${p.Package}=${p.Version}`);
      assert.deepEqual(got, expected, `chunks of ${size} bytes${text.includes('\r') ? ', CRLF' : ''}`);
    }
  }
});

test('pending reboot: the packages the marker names when it appeared during the install, everything when it names none or was already there', () => {
  const installed = new Map([['kern:all', '5.0-2'], ['alpha:all', '1.0-2']]);
  assert.deepEqual([...needingReboot({ packages: [] }, { packages: [] }, installed)], []);
  assert.deepEqual([...needingReboot({ packages: [] }, { since: 1, packages: ['kern'] }, installed)], [['kern:all', '5.0-2']]);
  assert.deepEqual([...needingReboot({ packages: [] }, { since: 1, packages: [] }, installed).keys()], ['kern:all', 'alpha:all']);
  assert.deepEqual([...needingReboot({ since: 1, packages: ['other'] }, { since: 1, packages: ['other'] }, installed).keys()], ['kern:all', 'alpha:all']);
  assert.deepEqual([...needingReboot({ since: 1, packages: ['other'] }, { since: 2, packages: ['other', 'alpha'] }, installed).keys()], ['alpha:all']);
});

test('lists apt stored compressed read the same as plain ones (gzip here, xz and zstd through apt-helper)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-lists-'));
  try {
    const text = Array.from({ length: 2000 }, (_, i) => `Package: p${i}\nVersion: 1.${i}\nDescription: d\n long\n\n`).join('');
    writeFileSync(join(dir, 'Packages'), text);
    const names = ['Packages'];
    for (const [tool, ext] of [['gzip', 'gz'], ['xz', 'xz'], ['zstd', 'zst']] as const) {
      const made = spawnSync(tool, ['-k', '-q', join(dir, 'Packages')]);
      if (made.status === 0) names.push(`Packages.${ext}`);
    }
    assert.ok(names.includes('Packages.gz'));
    for (const n of names) {
      const got: string[] = [];
      for await (const p of paragraphs(openControlFile(join(dir, n)), new Set(['Package', 'Version']))) got.push(`${p.Package}=${p.Version}`);
      assert.equal(got.length, 2000, n);
      assert.equal(got[1999], 'p1999=1.1999', n);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
