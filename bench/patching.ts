// aws:runPatchBaseline's Scan on a node with big apt lists: a synthetic `file:` repository of
// `--packages` packages (bookworm, plus bookworm-security and bookworm-updates pockets carrying
// updates), `--installed` of them in an isolated dpkg root, and one Scan — apt-get update, the
// stream over every Packages list, the judging, the report queued in the outbox — in a plain Node
// process built like the agent's bundle. Prints the scan's time, that process's peak RSS (VmHWM;
// the target is at most 64 MB) and how its private memory (RssAnon) grew.
//   npm run bench -- patching [--packages 60000] [--installed 3000] [--runs 1]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { PatchBaselineSnapshot } from '@capstan/wire';
import { makeRoot, writeSuite } from '../packages/agent/src/exec/plugins/patch/test-support/apt-root.js';

const TARGET_MB = 64;
const { values } = parseArgs({ options: { packages: { type: 'string', default: '60000' }, installed: { type: 'string', default: '3000' }, runs: { type: 'string', default: '1' } } });
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

  for (let n = 1; n <= runs; n++) {
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
} finally {
  rmSync(dir, { recursive: true, force: true });
}
