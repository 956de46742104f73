// One aws:runPatchBaseline Scan through the agent's executor, bundled and run by bench/patching.ts
// as a plain Node process the way the built agent runs (no TypeScript loader in memory). The report
// goes through the agent's durable outbox as in a real job. Prints one JSON line.
//   node scan.mjs <baseline.json> <state-dir>     (APT_CONFIG in the environment points apt at the node)
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { executeDocument } from '../packages/agent/src/exec/index.js';
import { Outbox } from '../packages/agent/src/jobs/outbox.js';
import { keepAgentMemorySmall } from '../packages/agent/src/memory.js';

// The agent process sets this as it starts (`capstan agent run`).
keepAgentMemorySmall();

const [baselineFile, stateDir] = process.argv.slice(2);
if (!baselineFile || !stateDir) throw new Error('usage: scan.mjs <baseline.json> <state-dir>');
const status = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);

// VmHWM counts the pages of Node's own executable the scan touches (file-backed, shared); the
// process's private memory (RssAnon) has no high-water mark of its own, so it is sampled.
const rssBefore = status('VmRSS');
const anonBefore = status('RssAnon');
let anonPeak = anonBefore;
const sampler = setInterval(() => {
  anonPeak = Math.max(anonPeak, status('RssAnon'));
}, 5);
const outbox = new Outbox(stateDir);
let reportBytes = 0;
let counts: Record<string, unknown> = {};
let patches = 0;
const t0 = performance.now();
const workDir = join(stateDir, 'work');
mkdirSync(workDir, { recursive: true });
const outcome = await executeDocument({
  id: 'bench-scan',
  instanceId: 'mi-0123456789abcdef0',
  platformType: 'Linux',
  workDir,
  stateDir,
  signal: new AbortController().signal,
  payload: {
    commandId: 'bench-scan',
    documentName: 'AWS-RunPatchBaseline',
    documentVersion: '1',
    region: 'eu-bench-1',
    expiresAt: Date.now() + 3_600_000,
    document: { schemaVersion: '2.2', mainSteps: [{ action: 'aws:runPatchBaseline', name: 'PatchLinux', inputs: { Operation: 'Scan', RebootOption: 'NoReboot' } }] },
    patchBaseline: JSON.parse(readFileSync(baselineFile, 'utf8')),
  },
  onOutput: () => {},
  onStep: () => {},
  onPatchReport: (r) => {
    outbox.put({ type: 'patch-report', ...r });
    // The queued message's size, from the outbox file: measuring it here would cost memory of its own.
    const outboxDir = join(stateDir, 'outbox');
    reportBytes = readdirSync(outboxDir).reduce((n, f) => n + statSync(join(outboxDir, f)).size, 0);
    patches = r.patches.length;
    const { BaselineId: _b, SnapshotId: _s, PatchGroup: _g, ...rest } = r.summary;
    counts = rest;
  },
});
const ms = performance.now() - t0;
clearInterval(sampler);
anonPeak = Math.max(anonPeak, status('RssAnon'));
console.log(JSON.stringify({ status: outcome.status, details: outcome.steps[0]?.details, ms, rssBeforeKB: rssBefore, peakKB: status('VmHWM'), anonBeforeKB: anonBefore, anonPeakKB: anonPeak, fileKB: status('RssFile'), reportBytes, patches, summary: counts }));
