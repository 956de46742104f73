import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CRASHED_DETAILS } from './index.js';
import { removeTempDirs, run, shellDoc, stepFile, tempDir } from './test-support/harness.js';

after(removeTempDirs);

test('exit 194 stops for a reboot; resume reruns that step and continues, earlier steps kept', async () => {
  const scratch = tempDir();
  const count = join(scratch, 'count');
  const mark = join(scratch, 'rebooted');
  const doc = shellDoc([
    { name: 'one', run: `echo ran >> ${count}; echo one` },
    { name: 'two', run: `if [ -f ${mark} ]; then echo after; else touch ${mark}; echo before; exit 194; fi` },
    { name: 'three', run: 'echo three' },
  ]);
  const first = await run(doc);
  assert.equal(first.outcome.status, 'SuccessAndReboot');
  assert.equal(first.outcome.reboot, true);
  assert.deepEqual(first.outcome.steps.map((s) => [s.name, s.status, s.code]), [['one', 'Success', 0], ['two', 'SuccessAndReboot', 194]]);
  assert.deepEqual(first.reported.map((s) => s.name), ['one', 'two']);
  const state = JSON.parse(readFileSync(join(first.workDir, 'state.json'), 'utf8')) as { rebootAt: number };
  assert.equal(state.rebootAt, 1);

  const resumed = await run(doc, { workDir: first.workDir, resume: true });
  assert.equal(resumed.outcome.status, 'Success');
  assert.equal(resumed.outcome.reboot, false);
  assert.deepEqual(resumed.outcome.steps.map((s) => [s.name, s.status, s.code]), [['one', 'Success', 0], ['two', 'Success', 0], ['three', 'Success', 0]]);
  assert.deepEqual(resumed.outcome.steps[0], first.outcome.steps[0]);
  assert.deepEqual(resumed.reported.map((s) => s.name), ['two', 'three']);
  assert.equal(readFileSync(count, 'utf8'), 'ran\n');
  // The rerun continues the step's stream where the first run left it.
  assert.equal(resumed.firstOffset.get('two/stdout'), 'before\n'.length);
  assert.equal(resumed.outcome.steps[1]!.stdout, 'before\nafter\n');
  assert.equal(stepFile(first.workDir, 'two', 'stdout'), 'before\nafter\n');

  // A finished document is not run again.
  const again = await run(doc, { workDir: first.workDir, resume: true });
  assert.equal(again.outcome.status, 'Success');
  assert.deepEqual(again.reported, []);
  assert.equal(again.outcome.steps.length, 3);
});

test('resume after a crash reports the interrupted step Failed and never reruns it', async () => {
  const scratch = tempDir();
  const runs = join(scratch, 'runs');
  const doc = (third: Record<string, unknown> = {}) =>
    shellDoc([
      { name: 'one', run: 'echo one' },
      { name: 'two', run: [`echo run >> ${runs}`, 'echo partial', 'sleep 30'], inputs: third },
      { name: 'three', run: 'echo three' },
    ]);
  for (const inputs of [{}, { onFailure: 'exit' }]) {
    const workDir = tempDir();
    const ac = new AbortController();
    const snapshot = join(scratch, 'state-at-crash.json');
    // Cancel stands in for the agent dying; the state file as it was mid-step is put back after.
    await run(doc(inputs), {
      workDir,
      signal: ac.signal,
      onChunk: (step, _s, chunk) => {
        if (step === 'two' && chunk.toString().includes('partial')) {
          copyFileSync(join(workDir, 'state.json'), snapshot);
          ac.abort();
        }
      },
    });
    copyFileSync(snapshot, join(workDir, 'state.json'));

    const r = await run(doc(inputs), { workDir, resume: true });
    const [one, two, three] = r.outcome.steps;
    assert.equal(one!.status, 'Success');
    assert.equal(two!.status, 'Failed');
    assert.equal(two!.code, 1);
    assert.ok(two!.details!.startsWith(CRASHED_DETAILS), two!.details);
    assert.equal(two!.stdout, 'partial\n');
    assert.equal(two!.stdoutBytes, 8);
    assert.equal(three!.status, 'onFailure' in inputs ? 'Skipped' : 'Success');
    assert.equal(r.outcome.status, 'Failed');
    assert.deepEqual(r.reported.map((s) => s.name), ['two', 'three']);
  }
  assert.equal(readFileSync(runs, 'utf8'), 'run\nrun\n', 'step two ran more than once per document');
});

test('resume without a state file runs from the start; a state file of another document is refused', async () => {
  const doc = shellDoc([{ name: 'only', run: 'echo only' }]);
  const fresh = await run(doc, { resume: true });
  assert.equal(fresh.outcome.status, 'Success');
  const other = await run(shellDoc([{ name: 'different', run: 'true' }]), { workDir: fresh.workDir, resume: true });
  assert.equal(other.outcome.status, 'Failed');
  assert.match(other.outcome.details!, /another document/);
});
