/**
 * aws:configurePackage through the agent's executor, as a job runs it, with a reboot between
 * runs standing in for the node's restart (the executor is run again with `resume`). Archives
 * are served by a local HTTP server in place of Capstan's; the server's side is covered by the
 * Distributor end-to-end tests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import type { PackageBundle } from '@capstan/wire';
import { removeTempDirs, run, tempDir } from '../../test-support/harness.js';

const archives = new Map<string, Buffer>();
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    const body = archives.get(req.url!.slice(1));
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => server.close(r));
  removeTempDirs();
});

/** A zip of the files (Info-ZIP), published as package `name` version `version`. */
function publish(name: string, version: string, files: Record<string, string>): PackageBundle {
  const dir = tempDir('capstan-pkg-src-');
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  execFileSync('zip', ['-q', '-X', '-r', join(dir, 'out.zip'), ...Object.keys(files)], { cwd: dir });
  const zip = readFileSync(join(dir, 'out.zip'));
  const sha256 = createHash('sha256').update(zip).digest('hex');
  const file = `${name}-${version}.zip`;
  archives.set(file, zip);
  return {
    name,
    version,
    hash: sha256,
    manifest: { schemaVersion: '2.0', version, packages: { _any: { _any: { _any: { file } } } }, files: { [file]: { checksums: { sha256 } } } },
    files: { [file]: { sha256, size: zip.length, url: `${base}/${file}` } },
  };
}

/** Logs its name to `$T/log`; exits `code` while `$T/<flag>` exists, removing it. */
const script = (name: string, o: { flag?: string; code?: number } = {}) =>
  `echo ${name} >> "$T/log"\n${o.flag ? `if [ -f "$T/${o.flag}" ]; then rm "$T/${o.flag}"; exit ${o.code ?? 194}; fi\n` : ''}${o.code && !o.flag ? `exit ${o.code}\n` : ''}`;

interface Node {
  stateDir: string;
  t: string;
  log(): string[];
  /** One command with one aws:configurePackage step; `workDir` and `resume` to run it again after a reboot. */
  configure(commandId: string, inputs: Record<string, unknown>, bundle: PackageBundle | undefined, o?: { workDir?: string; resume?: boolean }): ReturnType<typeof run>;
}

function node(): Node {
  const stateDir = tempDir('capstan-pkg-state-');
  const t = tempDir('capstan-pkg-target-');
  return {
    stateDir,
    t,
    log: () => (existsSync(join(t, 'log')) ? readFileSync(join(t, 'log'), 'utf8').split('\n').filter(Boolean) : []),
    configure: (commandId, inputs, bundle, o = {}) =>
      run(
        { schemaVersion: '2.2', mainSteps: [{ action: 'aws:configurePackage', name: 'configure', inputs: { ...inputs, additionalArguments: { T: t } } }] },
        { stateDir, ...(o.workDir ? { workDir: o.workDir } : {}), ...(o.resume ? { resume: true } : {}), payload: { commandId, ...(bundle ? { packages: { [String(inputs.name)]: bundle } } : {}) } },
      ),
  };
}

const installedVersion = (n: Node, name: string) => {
  const file = join(n.stateDir, 'packages', name, 'installed.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : undefined;
};

test('Uninstall and reinstall: the old version\'s uninstall asks for a reboot and runs again after it; the new install fails, and the rollback\'s own reboot is finished after the next restart', async () => {
  const n = node();
  const p1 = publish('Replace', '1.0', { 'install.sh': script('install-1.0', { flag: 'ask-install' }), 'uninstall.sh': script('uninstall-1.0', { flag: 'ask-uninstall' }) });
  const p2 = publish('Replace', '2.0', { 'install.sh': script('install-2.0', { code: 3 }), 'uninstall.sh': script('uninstall-2.0') });
  const first = await n.configure('c1', { name: 'Replace', action: 'Install' }, p1);
  assert.equal(first.outcome.status, 'Success', first.output('configure', 'stderr'));

  writeFileSync(join(n.t, 'ask-uninstall'), '');
  writeFileSync(join(n.t, 'ask-install'), '');
  const asked = await n.configure('c2', { name: 'Replace', action: 'Install' }, p2);
  assert.equal(asked.outcome.status, 'SuccessAndReboot');
  assert.equal(asked.outcome.steps[0]!.code, 194);
  assert.match(asked.output('configure'), /Rebooting to finish the uninstall of Replace 1\.0/);
  assert.equal(installedVersion(n, 'Replace'), '1.0');

  const again = await n.configure('c2', { name: 'Replace', action: 'Install' }, p2, { workDir: asked.workDir, resume: true });
  assert.equal(again.outcome.status, 'SuccessAndReboot', again.output('configure', 'stderr'));
  assert.match(again.output('configure'), /Rebooting to finish the rollback to Replace 1\.0/);

  const done = await n.configure('c2', { name: 'Replace', action: 'Install' }, p2, { workDir: asked.workDir, resume: true });
  assert.equal(done.outcome.status, 'Failed');
  assert.match(done.outcome.steps[0]!.details!, /^install of Replace 2\.0 failed: install\.sh exited with 3; rolled back to 1\.0$/);
  assert.deepEqual(n.log(), ['install-1.0', 'uninstall-1.0', 'uninstall-1.0', 'install-2.0', 'uninstall-2.0', 'install-1.0']);
  assert.equal(installedVersion(n, 'Replace'), '1.0');
  assert.equal(existsSync(join(n.stateDir, 'packages', 'Replace', 'v-2.0')), false, 'the failed version\'s files are gone');
  assert.equal(existsSync(join(n.stateDir, 'packages', 'Replace', 'pending-reboot.json')), false);
});

test('an operation whose step never ran again after its reboot is finished by the next command on that package, which then does its own', async () => {
  const n = node();
  const p1 = publish('Stale', '1.0', { 'install.sh': script('install-1.0', { flag: 'ask', code: 3010 }), 'uninstall.sh': script('uninstall-1.0') });
  writeFileSync(join(n.t, 'ask'), '');
  const asked = await n.configure('c1', { name: 'Stale', action: 'Install' }, p1);
  assert.equal(asked.outcome.status, 'SuccessAndReboot');
  // `exit 3010` reaches the agent as 194 on Linux, where exit statuses are 8 bits (3010 mod 256).
  assert.equal(asked.outcome.steps[0]!.code, 194);

  const removed = await n.configure('c2', { name: 'Stale', action: 'Uninstall' }, undefined);
  assert.equal(removed.outcome.status, 'Success', removed.output('configure', 'stderr'));
  assert.match(removed.output('configure'), /Stale: an earlier operation \(install\) waited for a reboot; finishing it first[\s\S]*Stale 1\.0 installed[\s\S]*now uninstalling as this command asks[\s\S]*Stale 1\.0 uninstalled/);
  assert.deepEqual(n.log(), ['install-1.0', 'uninstall-1.0'], 'install.sh ran once');
  assert.equal(installedVersion(n, 'Stale'), undefined);
});

test('a validate script that fails right after the install fails the install, which rolls back', async () => {
  const n = node();
  const p1 = publish('Valid', '1.0', { 'install.sh': script('install-1.0'), 'uninstall.sh': script('uninstall-1.0') });
  const p2 = publish('Valid', '2.0', { 'install.sh': script('install-2.0'), 'uninstall.sh': script('uninstall-2.0'), 'validate.sh': script('validate-2.0', { code: 4 }) });
  assert.equal((await n.configure('c1', { name: 'Valid', action: 'Install' }, p1)).outcome.status, 'Success');
  const r = await n.configure('c2', { name: 'Valid', action: 'Install' }, p2);
  assert.equal(r.outcome.status, 'Failed');
  assert.equal(r.outcome.steps[0]!.details, 'install of Valid 2.0 failed: validate.sh exited with 4; rolled back to 1.0');
  assert.deepEqual(n.log(), ['install-1.0', 'uninstall-1.0', 'install-2.0', 'validate-2.0', 'uninstall-2.0', 'install-1.0']);
  assert.equal(installedVersion(n, 'Valid'), '1.0');
});

const pwsh = ['pwsh', 'powershell'].some((exe) =>
  (process.env.PATH ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, exe), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }),
);

test('a package whose scripts are .ps1 installs with PowerShell', { skip: pwsh ? false : 'neither pwsh nor powershell is on this machine\'s PATH' }, async () => {
  const n = node();
  const p = publish('Ps', '1.0', { 'install.ps1': 'Add-Content -Path (Join-Path $env:T "log") -Value "install-ps1"\nexit 0\n', 'uninstall.ps1': 'exit 0\n' });
  const r = await n.configure('c1', { name: 'Ps', action: 'Install' }, p);
  assert.equal(r.outcome.status, 'Success', r.output('configure', 'stderr'));
  assert.deepEqual(n.log(), ['install-ps1']);
  assert.equal(installedVersion(n, 'Ps'), '1.0');
});

test('.ps1 scripts without PowerShell fail saying so; an archive with a script as both .sh and .ps1 is refused before anything runs', async () => {
  const n = node();
  if (!pwsh) {
    const p = publish('NoPs', '1.0', { 'install.ps1': 'exit 0\n', 'uninstall.ps1': 'exit 0\n' });
    const r = await n.configure('c1', { name: 'NoPs', action: 'Install' }, p);
    assert.equal(r.outcome.status, 'Failed');
    assert.equal(r.outcome.steps[0]!.details, 'install of NoPs 1.0 failed: install.ps1 needs PowerShell, and neither pwsh nor powershell is on this node\'s PATH; nothing was installed before, so nothing is installed now');
    assert.equal(installedVersion(n, 'NoPs'), undefined);
  }
  const both = publish('Both', '1.0', { 'install.sh': script('install-sh'), 'install.ps1': 'exit 0\n', 'uninstall.sh': script('uninstall-sh') });
  const r = await n.configure('c2', { name: 'Both', action: 'Install' }, both);
  assert.equal(r.outcome.status, 'Failed');
  assert.equal(r.outcome.steps[0]!.details, 'Both-1.0.zip of Both 1.0 has both install.sh and install.ps1, and a package must have one; nothing was installed or removed');
  assert.deepEqual(n.log(), [], 'no script ran');
  assert.equal(installedVersion(n, 'Both'), undefined);
});
