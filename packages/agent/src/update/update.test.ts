import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemdUnit } from '../service-unit.js';
import { compareVersions } from './layout.js';

test('agent versions compare part by part, numerically, missing parts counting as 0', () => {
  assert.ok(compareVersions('0.10.0', '0.9.9') > 0);
  assert.ok(compareVersions('1.2', '1.2.0') === 0);
  assert.ok(compareVersions('1.2.0.1', '1.2') > 0);
  assert.ok(compareVersions('2.0.0', '10.0.0') < 0);
});

test('a supervised unit runs `agent supervise`; the default stays `agent run`', () => {
  const exec = (supervise?: boolean) => /^ExecStart=(.*)$/m.exec(systemdUnit({ command: ['/usr/bin/capstan-agent'], stateDir: '/var/lib/capstan-agent', restartSec: 5, ...(supervise === undefined ? {} : { supervise }) }))![1];
  assert.equal(exec(true), '/usr/bin/capstan-agent agent supervise --state-dir /var/lib/capstan-agent');
  assert.equal(exec(), '/usr/bin/capstan-agent agent run --state-dir /var/lib/capstan-agent');
});
