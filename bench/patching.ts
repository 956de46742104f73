// aws:runPatchBaseline's Scan on a node with big apt lists: a synthetic `file:` repository of
// `--packages` packages (bookworm, plus bookworm-security and bookworm-updates pockets carrying
// updates), `--installed` of them in an isolated dpkg root, and one Scan — apt-get update, the
// stream over every Packages list, the judging, the report queued in the outbox — in a plain Node
// process built like the agent's bundle. Prints the scan's time, that process's peak RSS (VmHWM;
// the target is at most 64 MB) and how its private memory (RssAnon) grew. Then the same Scan as a
// user sends it: `aws:runPatchBaseline` through SendCommand from a `capstan server` to a real
// bundled agent (`node capstan-agent.mjs agent run`), whose own peak RSS is measured across the
// command (the peak is reset just before it, so the agent's start-up does not count).
//   npm run bench -- patching [--packages 60000] [--installed 3000] [--runs 1] [--skip-agent] [--skip-scan]
//   --skip-scan: only the real agent's Scan (the plain process's is skipped).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateActivationCommand, CreatePatchBaselineCommand, type CreatePatchBaselineCommandInput, ListCommandsCommand, RegisterDefaultPatchBaselineCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ADMIN, startCapstan } from './_harness.js';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { PatchBaselineSnapshot } from '@capstan/wire';
import { makeRoot, writeSuite } from '../packages/agent/src/exec/plugins/patch/test-support/apt-root.js';

const TARGET_MB = 64;
const { values } = parseArgs({ options: { packages: { type: 'string', default: '60000' }, installed: { type: 'string', default: '3000' }, runs: { type: 'string', default: '1' }, 'skip-agent': { type: 'boolean', default: false }, 'skip-scan': { type: 'boolean', default: false } } });
const total = Number(values.packages);
const installedCount = Math.min(Number(values.installed), total);
const runs = Number(values.runs);
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-patching-'));

const SECTIONS = ['admin', 'libs', 'net', 'utils', 'devel', 'python', 'web', 'kernel'];
const PRIORITIES = ['required', 'important', 'standard', 'optional', 'extra'];
const name = (i: number) => `bench-pkg-${String(i).padStart(6, '0')}`;
const every = Math.max(1, Math.floor(total / Math.max(1, installedCount)));
const isInstalled = (i: number) => i % every === 0 && i / every < installedCount;

/** A stanza about as long as a real Debian one (~700 bytes). */
function stanza(i: number, version: string, suite: string): string {
  const n = name(i);
  const arch = i % 3 === 0 ? 'all' : 'amd64';
  return `Package: ${n}
Source: ${n}-src
Version: ${version}
Installed-Size: ${100 + (i % 900)}
Maintainer: Capstan Bench <bench@capstan.invalid>
Architecture: ${arch}
Depends: libc6 (>= 2.34), ${name((i + 1) % total)} (>= 1.0)
Description: synthetic package ${i} for the patching benchmark
 A longer description line, as real packages carry, so the lists are as
 large as real ones per package.
Homepage: https://example.invalid/${n}
Description-md5: ${(i * 2654435761 >>> 0).toString(16).padStart(32, '0')}
Section: ${SECTIONS[i % SECTIONS.length]}
Priority: ${PRIORITIES[i % PRIORITIES.length]}
Filename: pool/${suite}/${n}_${version}_${arch}.deb
Size: ${2000 + (i % 5000)}
SHA256: ${(i * 40503).toString(16).padStart(64, '0')}

`;
}

async function writeStream(path: string, fill: (w: WriteStream) => void): Promise<void> {
  const w = createWriteStream(path);
  fill(w);
  await new Promise<void>((res, rej) => w.end(() => res()).on('error', rej));
}

try {
  const repo = join(dir, 'repo');
  const t0 = performance.now();
  const suites: Record<string, (i: number) => string | undefined> = {
    bookworm: (i) => stanza(i, '1.0-1', 'bookworm'),
    'bookworm-security': (i) => (i % 7 === 0 ? stanza(i, '1.0-1+deb12u1', 'bookworm-security') : undefined),
    'bookworm-updates': (i) => (i % 11 === 0 ? stanza(i, '1.0-2', 'bookworm-updates') : undefined),
  };
  let listBytes = 0;
  for (const [suite, make] of Object.entries(suites)) {
    const parts: string[] = [];
    for (let i = 0; i < total; i++) {
      const s = make(i);
      if (s) parts.push(s);
    }
    const text = parts.join('');
    listBytes += text.length;
    writeSuite(repo, suite, text);
  }
  const node = makeRoot(join(dir, 'node'), repo, Object.keys(suites));
  await writeStream(join(node.adminDir, 'status'), (w) => {
    for (let i = 0; i < total; i++) {
      if (!isInstalled(i)) continue;
      w.write(`Package: ${name(i)}\nStatus: install ok installed\nPriority: ${PRIORITIES[i % PRIORITIES.length]}\nSection: ${SECTIONS[i % SECTIONS.length]}\nInstalled-Size: 100\nMaintainer: Capstan Bench <bench@capstan.invalid>\nArchitecture: ${i % 3 === 0 ? 'all' : 'amd64'}\nVersion: 1.0-1\nDescription: synthetic package ${i}\n\n`);
      writeFileSync(join(node.adminDir, 'info', `${name(i)}.list`), `/usr/share/${name(i)}\n`);
    }
  });
  console.log(`repository: ${total} packages, ${(listBytes / 1e6).toFixed(1)} MB of Packages lists in 3 suites; node: ${installedCount} installed (generated in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const baseline: PatchBaselineSnapshot = {
    SnapshotId: '00000000-0000-4000-8000-000000000001',
    InstanceId: 'mi-0123456789abcdef0',
    BaselineId: 'pb-bench00000000000',
    Name: 'BenchDebianDefault',
    OperatingSystem: 'DEBIAN',
    GlobalFilters: { PatchFilters: [{ Key: 'PRODUCT', Values: ['Debian12'] }] },
    ApprovalRules: { PatchRules: [{ PatchFilterGroup: { PatchFilters: [{ Key: 'PRIORITY', Values: ['Required', 'Important', 'Standard', 'Optional', 'Extra'] }] }, ComplianceLevel: 'UNSPECIFIED' }] },
    ApprovedPatches: [],
    ApprovedPatchesComplianceLevel: 'UNSPECIFIED',
    ApprovedPatchesEnableNonSecurity: false,
    RejectedPatches: [],
    RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY',
    Sources: [],
    CreatedAt: Date.now(),
  };
  writeFileSync(join(dir, 'baseline.json'), JSON.stringify(baseline));

  const bundle = join(dir, 'scan.mjs');
  await build({
    entryPoints: [join(root, 'bench/_patching-scan.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    conditions: ['capstan-src'],
    outfile: bundle,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __capstanRequire } from 'node:module';\nconst require = __capstanRequire(import.meta.url);" },
  });

  for (let n = 1; n <= (values['skip-scan'] ? 0 : runs); n++) {
    const stateDir = join(dir, `state-${n}`);
    mkdirSync(stateDir);
    const r = spawnSync(process.execPath, [bundle, join(dir, 'baseline.json'), stateDir], { env: { ...process.env, ...node.env }, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`the scan process failed (${r.status}): ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { status: string; details?: string; ms: number; rssBeforeKB: number; peakKB: number; anonBeforeKB: number; anonPeakKB: number; fileKB: number; reportBytes: number; patches: number; summary: Record<string, number> };
    if (out.status !== 'Success') throw new Error(`the scan ended ${out.status}: ${out.details}`);
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    const s = out.summary;
    console.log(`scan ${n}: ${(out.ms / 1000).toFixed(2)} s (apt-get update included)`);
    console.log(`  agent process peak RSS (VmHWM) ${mb(out.peakKB)} MB — target ≤ ${TARGET_MB} MB: ${out.peakKB / 1024 <= TARGET_MB ? 'met' : 'MISSED'} (${mb(out.rssBeforeKB)} MB before the scan; ${mb(out.fileKB)} MB of it is Node's own executable and libraries, file-backed and shared)`);
    console.log(`  private memory (RssAnon, sampled every 5 ms): ${mb(out.anonBeforeKB)} MB before, ${mb(out.anonPeakKB)} MB at the peak, +${mb(out.anonPeakKB - out.anonBeforeKB)} MB for the scan`);
    console.log(`  report: ${out.patches} patches, ${(out.reportBytes / 1e6).toFixed(2)} MB; missing ${s.MissingCount}, installed ${s.InstalledCount}, installed other ${s.InstalledOtherCount}`);
  }

  if (!values['skip-agent']) await realAgentScan(node.env, baseline);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** /proc/PID/status fields in kB. */
function procStatus(pid: number, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

async function realAgentScan(nodeEnv: Record<string, string>, b: PatchBaselineSnapshot): Promise<void> {
  const server = await startCapstan();
  const agentDir = join(dir, 'agent-build');
  const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  let agent: ReturnType<typeof spawn> | undefined;
  try {
    await promisify(execFile)(process.execPath, [join(root, 'scripts/build-agent.mjs'), '--out', agentDir, '--no-sea'], { cwd: root });
    const main = join(agentDir, 'capstan-agent.mjs');
    const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1, Description: 'bench/patching' }));
    const state = join(dir, 'agent-state');
    await promisify(execFile)(process.execPath, [main, 'agent', 'register', '--endpoint', server.url, '--activation-id', a.ActivationId!, '--activation-code', a.ActivationCode!, '--region', 'us-east-1', '--state-dir', state]);
    const proc = spawn(process.execPath, [main, 'agent', 'run', '--state-dir', state], { env: { ...process.env, ...nodeEnv, CAPSTAN_AGENT_REBOOT_COMMAND: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    agent = proc;
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    const online = Date.now() + 30_000;
    while (!/online as (mi-\w+)/.test(out)) {
      if (proc.exitCode !== null || Date.now() > online) throw new Error(`the agent did not come online: ${out.slice(-1000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const instanceId = /online as (mi-\w+)/.exec(out)![1]!;
    const { BaselineId } = await ssm.send(new CreatePatchBaselineCommand({
        Name: 'BenchDebianAll',
        OperatingSystem: 'DEBIAN',
        // The snapshot's rules, typed as the SDK wants them.
        GlobalFilters: b.GlobalFilters as CreatePatchBaselineCommandInput['GlobalFilters'],
        ApprovalRules: b.ApprovalRules as CreatePatchBaselineCommandInput['ApprovalRules'],
        RejectedPatchesAction: 'ALLOW_AS_DEPENDENCY',
      }));
    await ssm.send(new RegisterDefaultPatchBaselineCommand({ BaselineId }));
    // Settle, then reset the peak (writing 5 to clear_refs resets VmHWM) so only the command counts.
    await new Promise((r) => setTimeout(r, 2000));
    const idleKB = procStatus(proc.pid!, 'VmRSS');
    const idleAnonKB = procStatus(proc.pid!, 'RssAnon');
    writeFileSync(`/proc/${proc.pid}/clear_refs`, '5');
    let anonPeak = idleAnonKB;
    const sampler = setInterval(() => (anonPeak = Math.max(anonPeak, procStatus(proc.pid!, 'RssAnon'))), 5);
    const t = performance.now();
    const id = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunPatchBaseline', InstanceIds: [instanceId], Parameters: { Operation: ['Scan'], RebootOption: ['NoReboot'] } }))).Command!.CommandId!;
    let status = '';
    while (!['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(status)) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands![0]!.Status!;
    }
    const ms = performance.now() - t;
    clearInterval(sampler);
    const peakKB = procStatus(proc.pid!, 'VmHWM');
    if (status !== 'Success') throw new Error(`the agent's Scan ended ${status}: ${out.slice(-2000)}`);
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    console.log(`real agent (node capstan-agent.mjs agent run), SendCommand AWS-RunPatchBaseline Scan: ${status} in ${(ms / 1000).toFixed(2)} s`);
    console.log(`  agent peak RSS during the command (VmHWM) ${mb(peakKB)} MB — target ≤ ${TARGET_MB} MB: ${peakKB / 1024 <= TARGET_MB ? 'met' : 'MISSED'} (${mb(idleKB)} MB idle before it)`);
    console.log(`  agent private memory (RssAnon, sampled every 5 ms): ${mb(idleAnonKB)} MB idle, ${mb(anonPeak)} MB at the peak, +${mb(anonPeak - idleAnonKB)} MB for the scan`);
  } finally {
    ssm.destroy();
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await server.stop();
  }
}
