import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { InventoryItem } from '@capstan/wire';
import { collectApplications, collectCustom, collectFiles, collectNetwork, contentHash, parseCpuinfo, parseDpkg, parseFileFilters, parseRpm, parseSystemctl } from './plugins/inventory/collectors.js';
import { changedItems } from './plugins/software-inventory.js';
import { removeTempDirs, run, tempDir } from './test-support/harness.js';

after(removeTempDirs);

test('dpkg-query output: installed packages with AWS attribute names; others left out', () => {
  const text = [
    'dpkg\t1.21.22\tamd64\tDpkg Developers <debian-dpkg@lists.debian.org>\tinstalled\tadmin\thttps://wiki.debian.org/Teams/Dpkg\tDebian package management system',
    'old-thing\t1:2.0-3\tall\tSomeone <s@example.org>\tconfig-files\tmisc\t\tgone',
    'libc6\t2.36-9+deb12u4\tamd64\tGNU Libc Maintainers <debian-glibc@lists.debian.org>\tinstalled\tlibs\t\tGNU C Library: Shared libraries',
    '',
  ].join('\n');
  const rows = parseDpkg(text);
  assert.deepEqual(rows.map((r) => r.Name), ['dpkg', 'libc6']);
  assert.deepEqual(rows[0], {
    Name: 'dpkg',
    Version: '1.21.22',
    Architecture: 'amd64',
    Publisher: 'Dpkg Developers <debian-dpkg@lists.debian.org>',
    ApplicationType: 'admin',
    URL: 'https://wiki.debian.org/Teams/Dpkg',
    Summary: 'Debian package management system',
    PackageId: 'dpkg_1.21.22_amd64.deb',
  });
  assert.equal(rows[1]!.URL, undefined, 'empty attributes are left out');
});

test('rpm --queryformat output: epoch, release and install time', () => {
  const rows = parseRpm('bash\t5.1.8\t6.el9\t(none)\tx86_64\tRed Hat, Inc.\t1700000000\tUnspecified\thttps://www.gnu.org/software/bash\tThe GNU Bourne Again shell\nopenssl\t3.0.7\t24.el9\t1\tx86_64\tRed Hat, Inc.\t1700000100\t(none)\t(none)\tUtilities\n');
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], {
    Name: 'bash',
    Version: '5.1.8',
    Release: '6.el9',
    Architecture: 'x86_64',
    Publisher: 'Red Hat, Inc.',
    InstalledTime: '2023-11-14T22:13:20Z',
    ApplicationType: 'Unspecified',
    URL: 'https://www.gnu.org/software/bash',
    Summary: 'The GNU Bourne Again shell',
    PackageId: 'bash-5.1.8-6.el9.x86_64.rpm',
  });
  assert.equal(rows[1]!.Epoch, '1');
  assert.equal(rows[1]!.URL, undefined);
});

test('systemctl list-units output: name, description and state', () => {
  const text = [
    'cron.service                 loaded    active   running Regular background program processing daemon',
    '● foo.service                not-found inactive dead    foo.service',
    'ssh.service                  loaded    failed   failed  OpenBSD Secure Shell server',
    'systemd-tmpfiles-setup.service loaded active exited  Create Volatile Files and Directories',
  ].join('\n');
  const rows = parseSystemctl(text);
  assert.deepEqual(
    rows.map((r) => [r.Name, r.Status, r.StartType]),
    [
      ['cron', 'Running', 'loaded'],
      ['foo', 'Stopped', 'not-found'],
      ['ssh', 'Failed', 'loaded'],
      ['systemd-tmpfiles-setup', 'Active', 'loaded'],
    ],
  );
  assert.equal(rows[0]!.DisplayName, 'Regular background program processing daemon');
});

test('/proc/cpuinfo: sockets and cores', () => {
  const block = (p: number, c: number) => `processor\t: x\nphysical id\t: ${p}\ncore id\t\t: ${c}\n\n`;
  assert.deepEqual(parseCpuinfo(block(0, 0) + block(0, 1) + block(0, 0) + block(0, 1) + block(1, 0)), { sockets: 2, cores: 3 });
});

test('network interfaces: loopback left out, addresses joined', () => {
  const rows = collectNetwork({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: null }],
    eth0: [
      { address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4', mac: '02:42:ac:11:00:02', internal: false, cidr: null },
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:42:ac:11:00:02', internal: false, cidr: null, scopeid: 2 },
    ],
  });
  assert.deepEqual(rows, [{ Name: 'eth0', MacAddress: '02:42:AC:11:00:02', IPV4: '10.0.0.5', IPV6: 'fe80::1', SubnetMask: '255.255.255.0' }]);
});

test('the real dpkg collector reports this machine’s dpkg package at its installed version', async () => {
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'dpkg'], { encoding: 'utf8' });
  const rows = await collectApplications();
  const dpkg = rows.find((r) => r.Name === 'dpkg');
  assert.ok(dpkg, 'dpkg is listed');
  assert.equal(dpkg.Version, version);
  assert.match(dpkg.InstalledTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(dpkg.Publisher);
  assert.ok(rows.length > 10);
});

test('files: Path, Pattern, Recursive and DirScanLimit', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'a.conf'), 'aaa');
  writeFileSync(join(dir, 'b.txt'), 'b');
  writeFileSync(join(dir, 'sub', 'c.conf'), 'cc');
  const flat = await collectFiles(parseFileFilters(JSON.stringify([{ Path: dir, Pattern: ['*.conf'], Recursive: false }])));
  assert.deepEqual(flat.map((r) => [r.Name, r.Size, r.InstalledDir]), [['a.conf', '3', dir]]);
  const deep = await collectFiles(parseFileFilters(JSON.stringify([{ Path: dir, Pattern: ['*.conf'], Recursive: true }])));
  assert.deepEqual(deep.map((r) => r.Name).sort(), ['a.conf', 'c.conf']);
  assert.match(deep[0]!.ModificationTime!, /Z$/);
  const limited = await collectFiles(parseFileFilters(JSON.stringify([{ Path: dir, Pattern: ['*.conf'], Recursive: true, DirScanLimit: 1 }])));
  assert.deepEqual(limited.map((r) => r.Name), ['a.conf']);
  assert.throws(() => parseFileFilters('{"Path":"/x"}'), /JSON list/);
});

test('custom inventory: Custom:* files, objects or lists, bad files reported', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'rack.json'), JSON.stringify({ SchemaVersion: '1.0', TypeName: 'Custom:RackInfo', Content: { Location: 'DC1', Slot: 4 } }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ TypeName: 'AWS:Application', Content: {} }));
  const { items, errors } = await collectCustom(dir, Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  assert.equal(items.length, 1);
  assert.deepEqual({ ...items[0], ContentHash: undefined }, { TypeName: 'Custom:RackInfo', SchemaVersion: '1.0', CaptureTime: '2026-01-02T03:04:05Z', ContentHash: undefined, Content: [{ Location: 'DC1', Slot: '4' }] });
  assert.deepEqual(errors, ['bad.json: TypeName must be Custom:<Name>']);
});

test('content hash ignores key and row order; only changed types are sent', () => {
  assert.equal(contentHash([{ a: '1', b: '2' }, { c: '3' }]), contentHash([{ c: '3' }, { b: '2', a: '1' }]));
  assert.notEqual(contentHash([{ a: '1' }]), contentHash([{ a: '2' }]));
  const i = (TypeName: string, v: string): InventoryItem => ({ TypeName, SchemaVersion: '1.0', CaptureTime: 'x', ContentHash: contentHash([{ v }]), Content: [{ v }] });
  const first = changedItems([i('A', '1'), i('B', '1')], {});
  assert.deepEqual(first.send.map((x) => x.TypeName), ['A', 'B']);
  const second = changedItems([i('A', '1'), i('B', '2')], first.hashes);
  assert.deepEqual(second.send.map((x) => x.TypeName), ['B']);
});

const gather = (inputs: Record<string, string> = {}) => ({
  schemaVersion: '2.0',
  mainSteps: [{ action: 'aws:softwareInventory', name: 'collectSoftwareInventoryItems', inputs: { applications: 'Enabled', networkConfig: 'Enabled', services: 'Enabled', instanceDetailedInformation: 'Enabled', customInventory: 'Enabled', files: '', ...inputs } }],
});

test('aws:softwareInventory in a document: reports every enabled type once, then only what changed', async () => {
  const stateDir = tempDir();
  mkdirSync(join(stateDir, 'inventory', 'custom'), { recursive: true });
  writeFileSync(join(stateDir, 'inventory', 'custom', 'rack.json'), JSON.stringify({ SchemaVersion: '1.0', TypeName: 'Custom:RackInfo', Content: { Location: 'DC1' } }));
  const reports: InventoryItem[][] = [];
  const r1 = await run(gather(), { stateDir, onInventory: (items) => reports.push(items) });
  assert.equal(r1.outcome.status, 'Success', r1.output('collectSoftwareInventoryItems', 'stderr'));
  const types = reports.flat().map((i) => i.TypeName);
  // AWS:Service needs systemd as init (not in a container).
  const expected = ['AWS:Application', 'AWS:Network', 'AWS:InstanceDetailedInformation', 'Custom:RackInfo', ...(existsSync('/run/systemd/system') ? ['AWS:Service'] : [])];
  for (const t of expected) assert.ok(types.includes(t), `${t} in ${types}`);
  assert.match(r1.output('collectSoftwareInventoryItems'), /AWS:Application: \d+ collected, sent/);
  const detail = reports.flat().find((i) => i.TypeName === 'AWS:InstanceDetailedInformation')!;
  assert.ok(Number(detail.Content[0]!.CPUs) >= 1 && detail.Content[0]!.KernelVersion);

  // Nothing changed but the custom file: only it goes again.
  writeFileSync(join(stateDir, 'inventory', 'custom', 'rack.json'), JSON.stringify({ SchemaVersion: '1.0', TypeName: 'Custom:RackInfo', Content: { Location: 'DC2' } }));
  reports.length = 0;
  const r2 = await run(gather({ services: 'Disabled' }), { stateDir, onInventory: (items) => reports.push(items) });
  assert.equal(r2.outcome.status, 'Success');
  assert.deepEqual(reports.flat().map((i) => i.TypeName), ['Custom:RackInfo']);
  assert.match(r2.output('collectSoftwareInventoryItems'), /AWS:Application: \d+ collected, unchanged, not sent/);
  assert.doesNotMatch(r2.output('collectSoftwareInventoryItems'), /AWS:Service/);
  assert.equal(r2.output('collectSoftwareInventoryItems', 'stderr'), '');
});
