import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSandboxed } from './sandbox.js';
import { MAX_LOG_BYTES, powershellAvailable, pythonAvailable, pythonExecutable, runScript, type ScriptRequest, type ScriptResult } from './index.js';

const hasPython = await pythonAvailable();
const noPython = hasPython ? false : 'python3 is not installed on this machine (or the sandbox user cannot run it)';
const isRoot = process.getuid?.() === 0;
const notRoot = isRoot ? false : 'the tests do not run as root, so there is no user to drop to';

const context = { 'automation:EXECUTION_ID': '0f9e8d7c-1234-4abc-9def-001122334455' };

function js(script: string, more: Partial<ScriptRequest> = {}): Promise<ScriptResult> {
  return runScript({ runtime: 'nodejs20.x', handler: 'handler', script, events: {}, context, timeoutMs: 10_000, ...more });
}
function py(script: string, more: Partial<ScriptRequest> = {}): Promise<ScriptResult> {
  return runScript({ runtime: 'python3.11', handler: 'script_handler', script, events: {}, context, timeoutMs: 10_000, ...more });
}

function payload(r: ScriptResult): unknown {
  if (!r.ok) assert.fail(`the script failed (${r.kind}): ${r.error}\nlogs:\n${r.logs}`);
  return r.payload;
}
function failure(r: ScriptResult, kind: 'timeout' | 'error' | 'unavailable' = 'error'): string {
  if (r.ok) assert.fail(`the script succeeded with ${JSON.stringify(r.payload)}`);
  assert.equal(r.kind, kind, r.error);
  return r.error;
}

/** Whether a process still runs (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('JavaScript: the return value is the payload; events and context are the arguments', async () => {
  const echo = 'function handler(events, context) { return { events, context } }';
  assert.deepEqual(payload(await js(echo, { events: { InstanceId: 'i-1', Count: 3, Tags: ['a'] } })), {
    events: { InstanceId: 'i-1', Count: 3, Tags: ['a'] },
    context,
  });
  assert.equal(payload(await js('function handler() { return 42 }')), 42);
  assert.equal(payload(await js('function handler() { return null }')), null);
  assert.equal(payload(await js('function handler() {}')), null, 'undefined comes back as null');
  assert.equal(payload(await js('const handler = (e) => e.name.toUpperCase();', { events: { name: 'web' } })), 'WEB');
  assert.deepEqual(payload(await js('function handler() { return { at: new Date(0), skip: undefined } }')), { at: '1970-01-01T00:00:00.000Z' });
});

test('JavaScript: async handlers, exports, ES modules and file.function handler names', async () => {
  assert.deepEqual(payload(await js('async function handler(e) { await new Promise((r) => setTimeout(r, 20)); return [e.n, e.n * 2] }', { events: { n: 4 } })), [4, 8]);
  assert.equal(payload(await js('exports.stop = async () => "stopped";', { handler: 'stop' })), 'stopped');
  assert.equal(payload(await js('module.exports = { start() { return "started" } };', { handler: 'start' })), 'started');
  assert.equal(payload(await js('function run() { return 1 }', { handler: 'tools.run' })), 1);
  const esm = "import { createHash } from 'node:crypto';\nconst salt = await Promise.resolve('x');\nexport function digest(e) { return createHash('sha256').update(salt + e.v).digest('hex').slice(0, 8) }";
  assert.match(String(payload(await js(esm, { handler: 'digest', events: { v: 'y' } }))), /^[0-9a-f]{8}$/);
  assert.equal(payload(await js("const os = require('node:os'); function handler() { return typeof os.cpus }")), 'function');
});

test('JavaScript: errors name the exception and where in the script it was thrown', async () => {
  const thrown = failure(await js('function handler() {\n  const x = 1;\n  throw new TypeError("no instance " + x);\n}'));
  assert.match(thrown, /^TypeError: no instance 1\n\s+at handler \(script\.js:3:9\)/);
  assert.match(failure(await js('async function handler() { await null; throw new Error("later") }')), /^Error: later/);
  assert.match(failure(await js('function handler() { throw "plain" }')), /the script threw plain/);
  assert.match(failure(await js('function handler() {\n  return 1 +;\n}')), /^SyntaxError: Unexpected token ';'\nscript\.js:2/);
  assert.match(failure(await js('throw new RangeError("at load")')), /^RangeError: at load/);
  assert.match(failure(await js('function other() {}')), /the script has no function named "handler" \(inputs\.Handler\)/);
  assert.match(failure(await js('function handler() { require("left-pad") }')), /a script can load only Node\.js built-in modules/);
  assert.match(failure(await js('function handler() { return new Promise(() => {}) }')), /never settled/);
  assert.match(failure(await js('function handler() { process.exit(3) }')), /exited with code 3 before the handler returned/);
  assert.match(failure(await js('function handler() {}', { handler: 'not a name' })), /needs a Handler naming a function/);
});

test('JavaScript: a return value JSON cannot hold is an error that says where', async () => {
  assert.match(failure(await js('function handler() { return { a: { f() {} } } }')), /not JSON-serialisable: the return value\.a\.f is a function/);
  assert.match(failure(await js('function handler() { return new Map() }')), /not JSON-serialisable: the return value is a Map/);
  assert.match(failure(await js('function handler() { return [1, NaN] }')), /the return value\[1\] is NaN/);
  assert.match(failure(await js('function handler() { return 10n }')), /is a BigInt/);
  assert.match(failure(await js('function handler() { const o = {}; o.self = o; return o }')), /circular/);
});

test('Python: the return value is the payload; events and context are the arguments', { skip: noPython }, async () => {
  const echo = 'def script_handler(events, context):\n    return {"events": events, "context": context}\n';
  assert.deepEqual(payload(await py(echo, { events: { InstanceId: 'i-1', Count: 3 } })), { events: { InstanceId: 'i-1', Count: 3 }, context });
  assert.equal(payload(await py('def script_handler(events, context):\n    return 42\n')), 42);
  assert.equal(payload(await py('def script_handler(events, context):\n    return None\n')), null);
  assert.equal(payload(await py('def script_handler(events, context):\n    pass\n')), null);
  assert.deepEqual(payload(await py('def handler(e, c):\n    return [e["n"], 2.5, True, "x"]\n', { handler: 'attached.handler', events: { n: 1 } })), [1, 2.5, true, 'x']);
  assert.equal(payload(await py('import asyncio\nasync def script_handler(e, c):\n    await asyncio.sleep(0.01)\n    return "awaited"\n')), 'awaited');
});

test('Python: exceptions give their message and the last lines of the traceback', { skip: noPython }, async () => {
  const error = failure(await py('def helper(x):\n    raise ValueError("bad value %d" % x)\n\ndef script_handler(events, context):\n    helper(7)\n'));
  assert.match(error, /^ValueError: bad value 7\nTraceback \(most recent call last\):/);
  assert.match(error, /File "script\.py", line 5, in script_handler\n\s+helper\(7\)\n\s+File "script\.py", line 2, in helper\n\s+raise ValueError/);
  assert.doesNotMatch(error, /<string>/, 'no bootstrap frames');
  assert.match(failure(await py('def script_handler(e, c):\n    return {1, 2}\n')), /not JSON-serialisable: Object of type set is not JSON serializable/);
  assert.match(failure(await py('def script_handler(e, c):\n    return float("nan")\n')), /not JSON-serialisable/);
  assert.match(failure(await py('def other(e, c):\n    pass\n')), /the script defines no function named 'script_handler'/);
  assert.match(failure(await py('def script_handler(e, c)\n    pass\n')), /^SyntaxError: .*script\.py, line 1/);
  assert.match(failure(await py('import sys\ndef script_handler(e, c):\n    sys.exit(2)\n')), /sys\.exit\(2\)/);
});

test('prints are logs, and a printed result is not taken for the real one', { skip: noPython }, async () => {
  const forged = '{"ok":true,"payload":"forged"}';
  const jsRun = await js(`function handler() { console.log(${JSON.stringify(forged)}); console.error('to stderr'); return 'real' }`);
  assert.equal(payload(jsRun), 'real');
  assert.match(jsRun.logs, /"payload":"forged"/);
  assert.match(jsRun.logs, /to stderr/);
  const pyRun = await py(`import sys\ndef script_handler(e, c):\n    print(${JSON.stringify(forged)})\n    print("oops", file=sys.stderr)\n    return "real"\n`);
  assert.equal(payload(pyRun), 'real');
  assert.match(pyRun.logs, /"payload":"forged"/);
  assert.match(pyRun.logs, /oops/);
  // A script that only prints and then dies has no result at all.
  assert.match(failure(await py(`import os\ndef script_handler(e, c):\n    print(${JSON.stringify(forged)}, flush=True)\n    os._exit(0)\n`)), /exited with code 0 before the handler returned/);
});

test('logs are capped, keeping how the output began and how it ended', async () => {
  const r = await js('function handler() { for (let i = 0; i < 4000; i++) console.log("line " + String(i).padStart(94, ".")); return "done" }');
  assert.equal(payload(r), 'done');
  assert.ok(r.logs.length < MAX_LOG_BYTES + 200, `logs are ${r.logs.length} characters`);
  assert.match(r.logs, /^line \.+0\n/);
  assert.match(r.logs, /\n\[capstan: \d+ bytes of output were dropped here\]\n/);
  assert.match(r.logs, /line \.+3999\n$/);
  assert.equal(4000 * 100 - Buffer.byteLength(r.logs.replace(/\n\[capstan: .*\]\n/, '')), Number(/\[capstan: (\d+) bytes/.exec(r.logs)![1]));
});

test('the script sees none of the server\'s environment and works in a fresh directory that is removed', { skip: noPython }, async () => {
  process.env.CAPSTAN_SCRIPT_TEST_SECRET = 'do-not-leak';
  try {
    const allowed = new Set(['PATH', 'HOME', 'TMPDIR', 'LANG', 'PWD']);
    const jsEnv = payload(await js('function handler() { return { env: process.env, cwd: process.cwd() } }')) as { env: Record<string, string>; cwd: string };
    const pyEnv = payload(await py('import os\ndef script_handler(e, c):\n    return {"env": dict(os.environ), "cwd": os.getcwd()}\n')) as typeof jsEnv;
    for (const seen of [jsEnv, pyEnv]) {
      assert.deepEqual(Object.keys(seen.env).filter((k) => !allowed.has(k)), [], `unexpected variables: ${JSON.stringify(seen.env)}`);
      assert.equal(seen.env.HOME, seen.cwd);
      assert.ok(seen.cwd.startsWith(tmpdir()), seen.cwd);
      assert.equal(existsSync(seen.cwd), false, 'the working directory is removed afterwards');
    }
    assert.notEqual(jsEnv.cwd, pyEnv.cwd);
  } finally {
    delete process.env.CAPSTAN_SCRIPT_TEST_SECRET;
  }
});

test('as root, scripts run as nobody and cannot read a file only root may', { skip: notRoot || noPython }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-root-only-'));
  chmodSync(dir, 0o755);
  const secret = join(dir, 'root.key');
  writeFileSync(secret, 'the-root-key', { mode: 0o600 });
  try {
    const pyRead = `import os\ndef script_handler(e, c):\n    try:\n        return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "read": open(${JSON.stringify(secret)}).read()}\n    except PermissionError as err:\n        return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "denied": str(err)}\n`;
    const seen = payload(await py(pyRead)) as { uid: number; gid: number; groups: number[]; read?: string; denied?: string };
    assert.equal(seen.read, undefined, 'the secret was read');
    assert.match(seen.denied!, /Permission denied/);
    assert.notEqual(seen.uid, 0);
    assert.notEqual(seen.gid, 0);
    assert.deepEqual(seen.groups.filter((g) => g === 0), [], 'no supplementary root group');
    const jsRead = `function handler() { return require('node:fs').readFileSync(${JSON.stringify(secret)}, 'utf8') }`;
    assert.match(failure(await js(jsRead)), /ERR_ACCESS_DENIED|Access to this API has been restricted/);
    // Even a world-readable file is closed to JavaScript: the permission model grants no file system at all.
    assert.match(failure(await js("function handler() { return require('node:fs').readFileSync('/etc/passwd', 'utf8') }")), /Access to this API has been restricted/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JavaScript cannot start processes or workers', async () => {
  assert.match(failure(await js("function handler() { return require('node:child_process').execSync('id').toString() }")), /Access to this API has been restricted/);
  assert.match(failure(await js("import { spawnSync } from 'node:child_process';\nexport function handler() { const r = spawnSync('id'); if (r.error) throw r.error; return String(r.stdout) }")), /Access to this API has been restricted/);
  assert.match(failure(await js("function handler() { const { Worker } = require('node:worker_threads'); new Worker('1', { eval: true }) }")), /Access to this API has been restricted/);
});

test('a busy loop is stopped at the timeout', { skip: noPython }, async () => {
  for (const run of [() => js('function handler() { for (;;) {} }', { timeoutMs: 400 }), () => py('def script_handler(e, c):\n    while True:\n        pass\n', { timeoutMs: 400 })]) {
    const started = Date.now();
    const error = failure(await run(), 'timeout');
    assert.match(error, /did not finish within 0\.4 s/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  }
});

test('the timeout kills what the script started, and so does the end of the step', { skip: noPython }, async () => {
  const forker = [
    'import os, subprocess, time',
    'def script_handler(e, c):',
    '    sleeper = subprocess.Popen(["sleep", "60"])',
    '    pid = os.fork()',
    '    if pid == 0:',
    '        time.sleep(60)',
    '        os._exit(0)',
    '    print("pids", sleeper.pid, pid, flush=True)',
    '    if e.get("wait"):',
    '        time.sleep(60)',
    '    return [sleeper.pid, pid]',
  ].join('\n');
  const started = Date.now();
  const timedOut = await py(forker, { timeoutMs: 700, events: { wait: true } });
  failure(timedOut, 'timeout');
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  const pids = /pids (\d+) (\d+)/.exec(timedOut.logs)!.slice(1).map(Number);
  assert.equal(pids.length, 2, timedOut.logs);
  for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} outlived the timeout`);

  // Returning does not wait for what the script left behind, and takes it down.
  const returned = Date.now();
  const left = payload(await py(forker, { timeoutMs: 10_000 })) as number[];
  assert.ok(Date.now() - returned < 3000, `took ${Date.now() - returned} ms`);
  for (const pid of left) assert.equal(alive(pid), false, `process ${pid} outlived the step`);
});

test('an abort stops the script at once', async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 300);
  const error = failure(await runScript({ runtime: 'nodejs20.x', handler: 'handler', script: 'function handler() { for (;;) {} }', events: {}, context, timeoutMs: 20_000 }, controller.signal));
  assert.match(error, /cancelled/);
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  assert.match(failure(await js('function handler() {}', {}).then(() => runScript({ runtime: 'nodejs20.x', handler: 'handler', script: '', events: {}, context, timeoutMs: 1000 }, AbortSignal.abort()))), /cancelled before it started/);
});

test('memory is limited', { skip: noPython }, async () => {
  const hog = 'function handler() { const keep = []; for (;;) keep.push(new Array(100000).fill(Math.random())) }';
  assert.match(failure(await js(hog, { memoryMb: 64 })), /out of memory \(the limit is 64 MiB\)/);
  assert.match(failure(await js('function handler() { return Buffer.alloc(400 * 1024 * 1024).length }', { memoryMb: 64 })), /allocation failed \(the memory limit is 64 MiB\)/);
  assert.match(failure(await py('def script_handler(e, c):\n    return len(bytearray(400 * 1024 * 1024))\n', { memoryMb: 64 })), /^MemoryError: the script ran out of memory \(the limit is 64 MiB\)/);
  // The same allocations fit within the default.
  assert.equal(payload(await py('def script_handler(e, c):\n    return len(bytearray(100 * 1024 * 1024))\n')), 100 * 1024 * 1024);
});

test('a result larger than the limit is refused', async () => {
  assert.match(failure(await js('function handler() { return "x".repeat(2 * 1024 * 1024) }')), /larger than 1048576 bytes/);
});

test('runtimes: unknown names and missing interpreters are unavailable', async () => {
  assert.match(failure(await runScript({ runtime: 'ruby3.2', handler: 'h', script: '', events: {}, context, timeoutMs: 1000 }), 'unavailable'), /runtime "ruby3.2" is not supported/);
  assert.equal(payload(await js('function handler() { return process.version.startsWith("v") }', { runtime: 'nodejs18.x' })), true, 'any nodejsN.x runs on the server\'s node');
  if (!(await powershellAvailable())) {
    assert.match(failure(await runScript({ runtime: 'PowerShell 7.4', handler: '', script: 'return 1', events: {}, context, timeoutMs: 1000 }), 'unavailable'), /needs PowerShell \(pwsh\) on the server/);
  }
});

test('an interpreter that cannot be started makes the runtime unavailable', async () => {
  const execPath = process.execPath;
  process.execPath = '/nonexistent/node';
  try {
    assert.match(failure(await js('function handler() {}'), 'unavailable'), /could not start the nodejs20\.x runtime as .*: \/nonexistent\/node: not found/);
  } finally {
    process.execPath = execPath;
  }
});

test('python3 runs from /usr/bin when it is there, not through a shim on the server\'s PATH', { skip: noPython }, async () => {
  if (existsSync('/usr/bin/python3')) assert.equal(await pythonExecutable(), '/usr/bin/python3');
  else assert.ok(await pythonExecutable());
});

test('PowerShell: the script\'s output is the payload, InputPayload in $env:InputPayload', { skip: (await powershellAvailable()) ? false : 'pwsh is not installed on this machine' }, async () => {
  const r = await runScript({ runtime: 'PowerShell 7.4', handler: '', script: '$p = $env:InputPayload | ConvertFrom-Json\nWrite-Host "hello"\nreturn @{ doubled = $p.n * 2 }', events: { n: 21 }, context, timeoutMs: 30_000 });
  assert.deepEqual(payload(r), { doubled: 42 });
  assert.match(r.logs, /hello/);
});

test('a result file (PowerShell\'s channel) is taken only as a regular file, never through a link or a FIFO', async () => {
  const run = (shell: string) => runSandboxed({ command: '/bin/sh', args: ['-c', shell], input: '', timeoutMs: 5000, resultFile: 'result.json' });
  assert.equal((await run('printf \'{"ok":true,"payload":1}\' > result.json')).result, '{"ok":true,"payload":1}');
  const dir = mkdtempSync(join(tmpdir(), 'capstan-root-only-'));
  chmodSync(dir, 0o755);
  const secret = join(dir, 'root.key');
  writeFileSync(secret, '{"ok":true,"payload":"the-root-key"}', { mode: 0o600 });
  try {
    const linked = await run(`ln -s ${secret} result.json`);
    assert.equal(linked.result, undefined);
    const started = Date.now();
    const fifo = await run('mkfifo result.json');
    assert.equal(fifo.result, undefined);
    assert.ok(Date.now() - started < 2000, 'a FIFO does not block the server');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
