import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { STDOUT_PREVIEW_CHARS } from '@capstan/wire';
import { TRUNCATED_SUFFIX } from './output.js';
import { alive, removeTempDirs, run, shellDoc, stepFile, tempDir } from './test-support/harness.js';

after(removeTempDirs);

test('a script runs with its output in files, live with offsets, and in the previews', async () => {
  const r = await run(shellDoc([{ name: 'hello', run: ['echo one', 'echo two >&2', 'printf "%s" "$SSM_COMMAND_ID $AWS_SSM_INSTANCE_ID $AWS_SSM_REGION_NAME $EXTRA $FROM_INPUT"', 'pwd'], inputs: { environment: { FROM_INPUT: 'input' } } }]), { env: { EXTRA: 'extra' } });
  assert.equal(r.outcome.status, 'Success');
  const [step] = r.outcome.steps;
  const stepDir = join(r.workDir, 'hello');
  const expected = `one\ncmd-1 mi-0123456789abcdef0 eu-test-1 extra input${stepDir}\n`;
  assert.equal(step!.status, 'Success');
  assert.equal(step!.code, 0);
  assert.equal(step!.stdout, expected);
  assert.equal(step!.stderr, 'two\n');
  assert.equal(step!.stdoutBytes, Buffer.byteLength(expected));
  assert.equal(r.output('hello'), expected);
  assert.equal(r.output('hello', 'stderr'), 'two\n');
  assert.equal(r.firstOffset.get('hello/stdout'), 0);
  assert.equal(stepFile(r.workDir, 'hello', 'stdout'), expected);
  assert.equal(stepFile(r.workDir, 'hello', 'stderr'), 'two\n');
  assert.match(stepFile(r.workDir, 'hello', '_script.sh'), /^echo one\n/);
  assert.ok(step!.startedAt! <= step!.endedAt! && step!.endedAt! <= Date.now());
  assert.deepEqual(r.reported, r.outcome.steps);
});

test('a non-zero exit fails the step, later steps still run, and a #! line picks the interpreter', async () => {
  const r = await run(shellDoc([
    { name: 'bad', run: 'echo oops >&2; exit 3' },
    { name: 'bash', run: ['#!/bin/bash', 'echo "${BASH_VERSION:+bash}"'] },
  ]));
  assert.equal(r.outcome.status, 'Failed');
  assert.deepEqual(r.outcome.steps.map((s) => [s.status, s.code]), [['Failed', 3], ['Success', 0]]);
  assert.equal(r.outcome.steps[0]!.stderr, 'oops\n');
  assert.equal(r.outcome.steps[1]!.stdout, 'bash\n');
});

test('working directories: absolute as given, relative inside downloads/, otherwise the step dir', async () => {
  const workDir = tempDir();
  mkdirSync(join(workDir, 'downloads', 'pkg'), { recursive: true });
  const abs = tempDir();
  const r = await run(shellDoc([
    { name: 'abs', run: 'pwd', inputs: { workingDirectory: abs } },
    { name: 'rel', run: 'pwd', inputs: { workingDirectory: 'pkg' } },
    { name: 'missing-rel', run: 'pwd', inputs: { workingDirectory: 'nope' } },
    { name: 'missing-abs', run: 'pwd', inputs: { workingDirectory: join(abs, 'nope') } },
  ]), { workDir });
  assert.deepEqual(r.outcome.steps.map((s) => s.stdout.trim()), [abs, join(workDir, 'downloads', 'pkg'), join(workDir, 'missing-rel'), '']);
  assert.equal(r.outcome.steps[3]!.status, 'Failed');
  assert.match(r.outcome.steps[3]!.details!, /does not exist/);
});

test('a background process left holding the output pipes does not keep the step running', async () => {
  const pidFile = join(tempDir(), 'pid');
  const r = await run(shellDoc([{ name: 'bg', run: [`sleep 20 & echo $! > ${pidFile}`, 'echo done'] }]));
  const pid = Number(readFileSync(pidFile, 'utf8'));
  // AWS leaves such processes alone (the nohup pattern); only their hold on our pipes is dropped.
  assert.equal(alive(pid), true);
  process.kill(pid, 'SIGKILL');
  assert.equal(r.outcome.steps[0]!.status, 'Success');
  assert.equal(r.outcome.steps[0]!.stdout, 'done\n');
  assert.ok(r.ms < 4000, `took ${r.ms} ms`);
});

test('a timeout SIGKILLs the whole process group, grandchildren included', async () => {
  const pidFile = join(tempDir(), 'pid');
  const r = await run(shellDoc([
    { name: 'slow', run: [`sleep 30 & echo $! > ${pidFile}`, 'echo started', 'sleep 30'], inputs: { timeoutSeconds: '5' } },
    { name: 'next', run: 'echo next' },
  ]));
  assert.ok(r.ms < 9000, `took ${r.ms} ms`);
  const [slow, next] = r.outcome.steps;
  assert.equal(slow!.status, 'TimedOut');
  assert.equal(slow!.code, 137);
  assert.equal(slow!.stdout, 'started\n');
  assert.equal(next!.status, 'Success');
  assert.equal(r.outcome.status, 'TimedOut');
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(grandchild > 0);
  assert.equal(alive(grandchild), false, 'the background sleep survived');
});

test('cancel kills the running step and marks the rest Cancelled', async () => {
  const ac = new AbortController();
  const pidFile = join(tempDir(), 'pid');
  const r = await run(shellDoc([
    { name: 'long', run: [`sleep 30 & echo $! > ${pidFile}`, 'echo started', 'sleep 30'] },
    { name: 'after', run: 'echo never' },
  ]), { signal: ac.signal, onChunk: (_s, _t, chunk) => chunk.toString().includes('started') && ac.abort() });
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  assert.equal(r.outcome.status, 'Cancelled');
  assert.deepEqual(r.outcome.steps.map((s) => [s.status, s.code]), [['Cancelled', 137], ['Cancelled', -1]]);
  assert.equal(r.reported.length, 2);
  assert.equal(alive(Number(readFileSync(pidFile, 'utf8'))), false);
});

test('100 MB of output streams through with bounded memory and a 24,000-char preview', async () => {
  const size = 100_000_000;
  let peak = 0;
  let chunks = 0;
  const base = process.memoryUsage();
  const r = await run(shellDoc([{ name: 'big', run: `head -c ${size} /dev/zero | tr '\\0' a; echo done >&2` }]), {
    collect: false,
    onChunk: () => {
      if (++chunks % 50 === 0) {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
      }
    },
  });
  const [step] = r.outcome.steps;
  assert.equal(step!.status, 'Success');
  assert.equal(step!.stdoutBytes, size);
  assert.equal(step!.stdout.length, STDOUT_PREVIEW_CHARS);
  assert.ok(step!.stdout.endsWith(TRUNCATED_SUFFIX));
  assert.equal(step!.stdout.slice(0, 10), 'aaaaaaaaaa');
  assert.equal(step!.stderr, 'done\n');
  assert.equal(statSync(join(r.workDir, 'big', 'stdout')).size, size);
  assert.ok(peak < 60_000_000, `memory grew by ${peak} bytes while streaming ${size}`);
});

test('aws:runPowerShellScript fails clearly when PowerShell is not installed', async () => {
  const r = await run({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:runPowerShellScript', name: 'ps', inputs: { runCommand: ['Write-Output hi'] } }] }, { env: { PATH: '/usr/bin:/bin' } });
  const [step] = r.outcome.steps;
  assert.equal(step!.status, 'Failed');
  assert.equal(step!.code, 1);
  assert.match(step!.details!, /neither pwsh nor powershell/);
  assert.equal(r.outcome.status, 'Failed');
});

test('runAsUser runs the script as that user', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const workDir = tempDir();
  chmodSync(workDir, 0o711);
  const r = await run(shellDoc([{ name: 'who', run: 'id -un; id -G' }]), { workDir, runAsUser: 'nobody' });
  assert.equal(r.outcome.status, 'Success', r.outcome.steps[0]?.stderr);
  const [name, groups] = r.outcome.steps[0]!.stdout.trim().split('\n');
  assert.equal(name, 'nobody');
  assert.ok(!groups!.split(' ').includes('0'), 'root group kept');
  const bad = await run(shellDoc([{ name: 'who', run: 'id' }]), { runAsUser: 'no-such-user-here' });
  assert.equal(bad.outcome.status, 'Failed');
  assert.match(bad.outcome.details!, /no such user/);
});
