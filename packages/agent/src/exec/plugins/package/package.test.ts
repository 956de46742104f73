import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fileFor } from './platform.js';
import { unzip } from './unzip.js';

/** A zip with stored entries named exactly as given, for names no zip tool would write. */
function storedZip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

test('unzip: what Info-ZIP packs (deflated, in folders, scripts executable) comes back byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-unzip-'));
  try {
    mkdirSync(join(dir, 'src', 'lib'), { recursive: true });
    const big = 'payload line\n'.repeat(5000);
    writeFileSync(join(dir, 'src', 'install.sh'), 'echo hi\n', { mode: 0o755 });
    writeFileSync(join(dir, 'src', 'lib', 'data.txt'), big);
    execFileSync('zip', ['-q', '-r', join(dir, 'p.zip'), '.'], { cwd: join(dir, 'src') });
    const written = await unzip(readFileSync(join(dir, 'p.zip')), join(dir, 'out'));
    assert.deepEqual(written.sort(), ['install.sh', 'lib/data.txt']);
    assert.equal(readFileSync(join(dir, 'out', 'lib', 'data.txt'), 'utf8'), big);
    assert.equal(statSync(join(dir, 'out', 'install.sh')).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, 'out', 'lib', 'data.txt')).mode & 0o022, 0, 'nothing group- or world-writable');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unzip: an entry naming a path outside the directory refuses the whole archive before anything is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-unzip-'));
  try {
    for (const evil of ['../escaped.sh', '/tmp/absolute.sh', 'a/../../escaped.sh']) {
      await assert.rejects(unzip(storedZip({ 'install.sh': 'ok', [evil]: 'bad' }), join(dir, 'out')), new RegExp(`${evil.replace(/[./]/g, '\\$&')}: the entry would be written outside the package directory`));
      assert.equal(existsSync(join(dir, 'out', 'install.sh')), false);
    }
    assert.equal(existsSync(join(dir, 'escaped.sh')), false);
    const damaged = storedZip({ 'install.sh': 'echo hi' });
    damaged[30 + 'install.sh'.length] ^= 0xff;
    await assert.rejects(unzip(damaged, join(dir, 'out')), /install\.sh: its content does not match its CRC-32/);
    await assert.rejects(unzip(Buffer.from('not a zip at all, just text'), join(dir, 'out')), /not a zip archive/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the archive for a node: platform, then version (exact, longest N.*, _any, *), then architecture (exact, _any)', () => {
  const manifest = {
    packages: {
      ubuntu: { '20.04': { x86_64: { file: 'u2004.zip' } }, '2.*': { x86_64: { file: 'u2x.zip' } }, '22.*': { _any: { file: 'u22.zip' } }, '*': { arm64: { file: 'ustar.zip' } } },
      debian: { _any: { x86_64: { file: 'deb.zip' } } },
      _any: { _any: { _any: { file: 'any.zip' } } },
    },
  };
  const on = (name: string, version: string, arch: string) => fileFor(manifest, { name, version, arch });
  assert.equal(on('ubuntu', '20.04', 'x86_64'), 'u2004.zip');
  assert.equal(on('ubuntu', '22.04', 'x86_64'), 'u22.zip', 'the longest N.* wins');
  assert.equal(on('ubuntu', '2.5', 'x86_64'), 'u2x.zip');
  assert.equal(on('ubuntu', '24.04', 'arm64'), 'ustar.zip', '2.* is 2.x, not 24.x');
  assert.equal(on('ubuntu', '18.04', 'arm64'), 'ustar.zip');
  assert.equal(on('ubuntu', '18.04', 'x86_64'), undefined, 'the version matched, its architectures did not');
  assert.equal(on('debian', '12', 'x86_64'), 'deb.zip');
  assert.equal(on('debian', '12', 'arm64'), undefined);
  assert.equal(on('amazon', '2023', 'arm64'), 'any.zip');
});
