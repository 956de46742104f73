import { join } from 'node:path';
import { isAptOperatingSystem, matchesPatchName, type PatchBaselineSnapshot, type PatchRecord, type PatchSummary } from '@capstan/wire';
import { KILLED_EXIT_CODE, type Plugin, type PluginResult, type StepContext } from '../../types.js';
import { optionalString, timeoutSeconds } from '../inputs.js';
import { LOCK_WAIT_SECONDS, aptInstall, nativeArch, type InstallRequest } from './apt-install.js';
import { aptLayout, nodeRelease, type AptLayout, type NodeRelease } from './apt-layout.js';
import { key, readInstalled } from './apt-packages.js';
import { capture, tail } from './command.js';
import { loadOverrideList, overrideMatches } from './override-list.js';
import { PendingReboots, needingReboot, readRebootMarker } from './reboot.js';
import { dnfOperate } from './dnf-run.js';
import { dnfLayout } from './dnf-layout.js';
import { describeRun } from './report-text.js';
import { scanNode, type Scan } from './scan.js';
import { summarize } from './states.js';

type Operation = 'Scan' | 'Install';
type RebootOption = 'RebootIfNeeded' | 'NoReboot';

/** Under the channel's 8 MiB message limit with room to spare; past it INSTALLED_OTHER rows are left out (their counts stay). */
const REPORT_BYTES = 6 << 20;
/** Generous for one record's JSON (names and versions are short; the rest is fixed fields). */
const RECORD_BYTES_AT_MOST = 1024;

/**
 * aws:runPatchBaseline (AWS-RunPatchBaseline) on apt/dpkg and dnf/rpm nodes: refreshes the package lists, judges
 * every installed package against the baseline the server sent with the command, installs the
 * approved updates on Install, and reports the outcome through the outbox.
 */
export const runPatchBaseline: Plugin = async (ctx) => {
  const failed = (details: string): PluginResult => ({ status: 'Failed', code: 1, details });
  let inputs: Inputs;
  try {
    const op = optionalString(ctx.step.inputs, 'Operation');
    if (op !== 'Scan' && op !== 'Install') return failed(`input Operation must be Scan or Install${op ? `, not ${op}` : ''}`);
    const ro = optionalString(ctx.step.inputs, 'RebootOption') ?? 'RebootIfNeeded';
    if (ro !== 'RebootIfNeeded' && ro !== 'NoReboot') return failed(`input RebootOption must be RebootIfNeeded or NoReboot, not ${ro}`);
    inputs = { operation: op, rebootOption: ro, snapshotId: optionalString(ctx.step.inputs, 'SnapshotId'), overrideSource: optionalString(ctx.step.inputs, 'InstallOverrideList') };
  } catch (e) {
    return failed((e as Error).message);
  }
  const baseline = ctx.run.payload.patchBaseline;
  if (!baseline) return failed('no patch baseline came with this command: the server resolves the node\'s baseline for aws:runPatchBaseline, and sent none');
  if (ctx.run.platformType !== 'Linux') return failed(`aws:runPatchBaseline is not supported on ${ctx.run.platformType} nodes yet`);

  const tool = isAptOperatingSystem(baseline.OperatingSystem) ? 'apt' : 'dnf';
  const timeout = timeoutSeconds(ctx.step.inputs.timeoutSeconds, ctx.step.timeoutSeconds);
  // The package manager runs in its own process group, killed on cancel or when the step's time is up.
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeout * 1000);
  const onCancel = () => stop.abort();
  ctx.run.signal.addEventListener('abort', onCancel, { once: true });
  if (ctx.run.signal.aborted) stop.abort();
  const stopped = (): PluginResult =>
    ctx.run.signal.aborted
      ? { status: 'Cancelled', code: KILLED_EXIT_CODE, details: `The command was cancelled; ${tool} was stopped` }
      : { status: 'TimedOut', code: KILLED_EXIT_CODE, details: `The step timed out after ${timeout} seconds; ${tool} was stopped` };
  try {
    const r = await operate(ctx, baseline, inputs, stop.signal);
    return stop.signal.aborted && r.status !== 'Success' ? stopped() : r;
  } finally {
    clearTimeout(timer);
    ctx.run.signal.removeEventListener('abort', onCancel);
  }
};

interface Inputs {
  operation: Operation;
  rebootOption: RebootOption;
  snapshotId: string | undefined;
  overrideSource: string | undefined;
}

async function operate(ctx: StepContext, baseline: PatchBaselineSnapshot, inputs: Inputs, signal: AbortSignal): Promise<PluginResult> {
  const failed = (details: string): PluginResult => ({ status: 'Failed', code: 1, details });
  const { operation, rebootOption, overrideSource } = inputs;
  const env = ctx.run.env;
  const started = Date.now();
  const pending = new PendingReboots(ctx.run.stateDir ? join(ctx.run.stateDir, 'patch', 'pending-reboot.json') : undefined);
  let layout: AptLayout;
  let release: NodeRelease;
  try {
    // The baseline's operating system, which the server took from the node's own report, picks
    // the package manager; the node's os-release must then agree with it.
    if (!isAptOperatingSystem(baseline.OperatingSystem)) {
      const dnf = await dnfLayout(env, signal);
      if (!dnf) return failed(`the baseline ${baseline.BaselineId} is for ${baseline.OperatingSystem}, but this node has neither dnf nor yum`);
      const install = operation === 'Install' ? (scan: Scan) => installRequests(scan, overrideSource, baseline, signal) : false;
      const done = await dnfOperate(ctx, { layout: dnf, baseline, install, pending, noReboot: rebootOption === 'NoReboot', signal });
      return finish(ctx, { ...inputs, baseline, started, pending, ...done, tool: dnf.tool });
    }
    if ((await capture('apt-config', ['-v'], env, signal)).code !== 0) {
      return failed(`the baseline ${baseline.BaselineId} is for ${baseline.OperatingSystem}, but this node has no apt`);
    }
    layout = await aptLayout(env, signal);
    release = await nodeRelease(layout.root);
  } catch (e) {
    return failed((e as Error).message);
  }
  if (release.operatingSystem && release.operatingSystem !== baseline.OperatingSystem) {
    return failed(`the baseline ${baseline.BaselineId} is for ${baseline.OperatingSystem}, but this node runs ${release.prettyName}`);
  }

  // Patch Manager refreshes the lists first, as `apt-get update` does.
  const update = await capture('apt-get', ['-q', '-o', `DPkg::Lock::Timeout=${LOCK_WAIT_SECONDS}`, 'update'], env, signal);
  if (signal.aborted) return failed('stopped');
  if (update.code !== 0) ctx.sink.note('stderr', `apt-get update exited with ${update.code}; judging with the lists already on the node:\n${tail(update.stderr || update.stdout)}`);

  const scan = () => scanNode({ layout, release, baseline, pendingReboot: pending.packages, env, signal });

  let result: Scan;
  let log = '';
  const failures = new Map<string, string>();
  try {
    result = await scan();
    if (operation === 'Install') {
      const requests = await installRequests(result, overrideSource, baseline, signal);
      if (requests.length) {
        const done = await installUpdates(requests, { layout, baseline, pending, rebootOption, env, signal });
        log = done.log;
        for (const [k, why] of done.failures) failures.set(k, why);
        if (done.error) ctx.sink.note('stderr', done.error);
        result = await scan();
      }
    }
  } catch (e) {
    return failed((e as Error).message);
  }
  return finish(ctx, { ...inputs, baseline, started, pending, release, result, failures, log, tool: 'apt-get' });
}

/** Judged packages to the step's output, its patch report and its outcome. */
function finish(
  ctx: StepContext,
  o: Inputs & { baseline: PatchBaselineSnapshot; started: number; pending: PendingReboots; release: NodeRelease; result: Scan; failures: Map<string, string>; log: string; tool: string },
): PluginResult {
  const { operation, rebootOption, snapshotId, overrideSource, baseline, started, pending, release, result, failures, log } = o;
  const reboot = operation === 'Install' && rebootOption === 'RebootIfNeeded' && pending.packages.size > 0;

  const patches = result.judged.map((j) => {
    const k = key(j.record.Name, j.record.Arch);
    return failures.has(k) ? { ...j.record, State: 'FAILED' as const } : j.record;
  });
  patches.push(...result.notApplicable);
  const summary: PatchSummary = summarize(
    patches,
    {
      BaselineId: baseline.BaselineId,
      SnapshotId: snapshotId ?? baseline.SnapshotId,
      PatchGroup: baseline.PatchGroup ?? '',
      Operation: operation,
      OperationStartTime: started,
      OperationEndTime: Date.now(),
      RebootOption: rebootOption,
      ...(overrideSource ? { InstallOverrideList: overrideSource } : {}),
      ...(pending.lastNoRebootInstall !== undefined ? { LastNoRebootInstallOperationTime: pending.lastNoRebootInstall } : {}),
    },
    baseline.AvailableSecurityUpdatesComplianceStatus === 'NON_COMPLIANT',
  );
  ctx.sink.note('stdout', describeRun({ baseline, release, summary, patches, failures, reboot }));
  if (log) ctx.sink.note('stdout', `\n${o.tool} output:\n${log}`);
  ctx.run.reportPatches?.({ commandId: ctx.run.payload.commandId, summary, patches: fitReport(patches) });

  if (reboot) return { status: 'SuccessAndReboot', code: 0, details: `${pending.packages.size} updated packages wait for a reboot: the node reboots and the step runs again` };
  if (summary.FailedCount) return { status: 'Failed', code: 1, details: `${summary.FailedCount} of the approved updates could not be installed` };
  return { status: 'Success', code: 0 };
}

/**
 * Installs the requests and records which now wait for a reboot; returns the requests that did
 * not end up installed, with why.
 */
async function installUpdates(
  requests: InstallRequest[],
  o: { layout: AptLayout; baseline: PatchBaselineSnapshot; pending: PendingReboots; rebootOption: RebootOption; env: Record<string, string>; signal: AbortSignal },
): Promise<{ log: string; failures: Map<string, string>; error?: string }> {
  const before = readRebootMarker(o.layout.root);
  const rejected = o.baseline.RejectedPatches;
  const outcome = await aptInstall(requests, {
    env: o.env,
    signal: o.signal,
    native: await nativeArch(o.env, o.signal),
    ...(o.baseline.RejectedPatchesAction === 'BLOCK' ? { blocked: (name: string) => rejected.some((p) => matchesPatchName(p, name)) } : {}),
  });
  const after = readRebootMarker(o.layout.root);
  // What actually changed on the node decides; apt's plan only says what it meant to do.
  const now = await readInstalled(o.layout.statusFile);
  const changed = new Map([...outcome.changed].filter(([k, v]) => now.get(k)?.version === v));
  const failures = new Map(outcome.refused);
  for (const r of requests) {
    const k = key(r.name, r.arch);
    if (!failures.has(k) && !changed.has(k)) failures.set(k, outcome.error ?? 'apt did not install it');
  }
  // RebootIfNeeded restarts after any install, as Patch Manager does; NoReboot leaves pending
  // only what the packages say needs a restart.
  const noReboot = o.rebootOption === 'NoReboot';
  o.pending.add(noReboot ? needingReboot(before, after, changed) : changed, Date.now(), noReboot);
  return { log: outcome.log, failures, ...(outcome.error ? { error: outcome.error } : {}) };
}

/** The MISSING updates to install, or with an InstallOverrideList, the updates it names. */
async function installRequests(scan: Scan, overrideSource: string | undefined, baseline: PatchBaselineSnapshot, signal: AbortSignal): Promise<InstallRequest[]> {
  if (!overrideSource) return scan.judged.flatMap((j) => (j.install ? [j.install] : []));
  const ids = await loadOverrideList(overrideSource, signal);
  const out: InstallRequest[] = [];
  for (const j of scan.judged) {
    const r = j.record;
    if (r.State === 'INSTALLED_REJECTED' || baseline.RejectedPatches.some((p) => matchesPatchName(p, r.Name))) continue;
    if (!overrideMatches(ids, r.Name, r.Arch)) continue;
    if (j.newest) out.push(j.newest);
  }
  return out;
}

function fitReport(patches: PatchRecord[]): PatchRecord[] {
  // Measured only when it may be too big: a record is a few hundred bytes of JSON.
  if (patches.length * RECORD_BYTES_AT_MOST <= REPORT_BYTES) return patches;
  const size = patches.reduce((n, p) => n + JSON.stringify(p).length + 1, 2);
  return size <= REPORT_BYTES ? patches : patches.filter((p) => p.State !== 'INSTALLED_OTHER');
}

