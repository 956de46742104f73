import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jitteredRestartSec, systemdUnit } from '@capstan/agent';

const root = new URL('../../../', import.meta.url).pathname;
const nodeArgs = ['--conditions=capstan-src', '--import', 'tsx', join(root, 'packages/cli/src/main.ts')];
const capstan = (...args: string[]) => spawnSync(process.execPath, [...nodeArgs, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'capstan-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('install-service --no-enable writes a unit that runs this capstan, and says how to enable it', () => {
  const unitPath = join(dir, 'units', 'capstan-agent.service');
  const r = capstan('agent', 'install-service', '--state-dir', join(dir, 'my state'), '--unit-path', unitPath, '--no-enable');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /systemctl daemon-reload && systemctl enable --now capstan-agent\.service/);
  const unit = readFileSync(unitPath, 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  assert.ok(exec.startsWith(`${process.execPath} --conditions=capstan-src --import tsx ${join(root, 'packages/cli/src/main.ts')} agent run --state-dir `), exec);
  assert.ok(exec.endsWith(`"${join(dir, 'my state')}"`), 'a path with a space is quoted');
  assert.match(unit, /^Restart=always$/m);
  const sec = Number(/^RestartSec=(\d+)$/m.exec(unit)![1]);
  assert.ok(sec >= 5 && sec <= 15);
  assert.match(unit, /^StartLimitIntervalSec=0$/m);
  assert.match(unit, /^KillMode=process$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
  for (const confining of ['NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'CapabilityBoundingSet', 'User=']) assert.doesNotMatch(unit, new RegExp(`^${confining}`, 'm'), `${confining} would confine commands run as root`);

  const u = capstan('agent', 'uninstall-service', '--unit-path', unitPath, '--no-enable');
  assert.equal(u.status, 0, u.stderr);
  assert.equal(existsSync(unitPath), false);
  assert.match(u.stdout, /systemctl disable --now capstan-agent\.service/);
});

test('the unit escapes what systemd would expand, and the restart delay spreads over hosts', () => {
  const unit = systemdUnit({ command: ['/usr/bin/capstan'], stateDir: '/var/lib/100%$agent', restartSec: 7 });
  assert.match(unit, /^ExecStart=\/usr\/bin\/capstan agent run --state-dir \/var\/lib\/100%%\$\$agent$/m);
  assert.match(unit, /^RestartSec=7$/m);
  assert.equal(jitteredRestartSec(() => 0), 5);
  assert.equal(jitteredRestartSec(() => 0.9999), 15);
});
