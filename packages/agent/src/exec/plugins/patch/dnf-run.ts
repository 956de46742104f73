import type { PatchBaselineSnapshot, PatchRecord } from '@capstan/wire';
import type { StepContext } from '../../types.js';
import type { InstallRequest } from './apt-install.js';
import type { NodeRelease } from './apt-layout.js';
import { capture, tail } from './command.js';
import { dnfInstall, needsReboot } from './dnf-install.js';
import { rpmRelease, type DnfLayout } from './dnf-layout.js';
import { nevra, readAdvisories, readInstalledRpms, readOffered, readUpgrades, type InstalledRpm } from './dnf-query.js';
import { judgeRpm, judgeUninstalledRpm, type RpmView } from './dnf-states.js';
import type { PendingReboots } from './reboot.js';
import type { Scan } from './scan.js';

export interface DnfRun {
  release: NodeRelease;
  result: Scan;
  failures: Map<string, string>;
  log: string;
}

/**
 * aws:runPatchBaseline's work on a dnf node: refresh the metadata, judge every installed package,
 * and on Install upgrade the requests and judge again. Throws with a message for the step when
 * the node and the baseline don't fit or dnf cannot read the node.
 */
export async function dnfOperate(
  ctx: StepContext,
  o: {
    layout: DnfLayout;
    baseline: PatchBaselineSnapshot;
    install: false | ((scan: Scan) => Promise<InstallRequest[]>);
    pending: PendingReboots;
    noReboot: boolean;
    signal: AbortSignal;
  },
): Promise<DnfRun> {
  const { layout, baseline, signal } = o;
  const env = ctx.run.env;
  const { release, operatingSystem } = await rpmRelease(layout.root);
  if (!operatingSystem) throw new Error(`this node runs ${release.prettyName}, which Patch Manager does not patch with ${layout.tool}`);
  if (baseline.OperatingSystem !== operatingSystem) throw new Error(`the baseline ${baseline.BaselineId} is for ${baseline.OperatingSystem}, but this node runs ${release.prettyName} (${operatingSystem})`);

  // Patch Manager refreshes the metadata first; a stale cache still lets it judge.
  const refresh = await capture(layout.tool, [...layout.args, '-q', 'makecache'], { ...env, LC_ALL: 'C' }, signal);
  if (signal.aborted) throw new Error('stopped');
  if (refresh.code !== 0) ctx.sink.note('stderr', `${layout.tool} makecache exited with ${refresh.code}; judging with the metadata already on the node:\n${tail(refresh.stderr || refresh.stdout)}`);

  const scan = async (): Promise<{ scan: Scan; installed: Map<string, InstalledRpm> }> => {
    const installed = await readInstalledRpms(layout, env, signal);
    const views = new Map<string, RpmView>([...installed].map(([k, p]) => [k, { installed: p, newer: [] }]));
    for (const u of await readUpgrades(layout, env, signal)) {
      // A noarch build may replace an arch one and the other way round.
      const v = views.get(`${u.name}:${u.arch}`) ?? [...views.values()].find((x) => x.installed.name === u.name && (u.arch === 'noarch' || x.installed.arch === 'noarch'));
      v?.newer.push(u);
    }
    const names = new Set([...installed.values()].map((p) => p.name));
    const lacking = baseline.ApprovedPatches.length ? (await readOffered(layout, baseline.ApprovedPatches, env, signal)).filter((p) => !names.has(p.name)) : [];
    const wanted = new Set<string>(lacking.map(nevra));
    for (const v of views.values()) {
      wanted.add(nevra(v.installed));
      for (const n of v.newer) wanted.add(nevra(n));
    }
    const advisories = await readAdvisories(layout, wanted, env, signal);
    const input = { baseline, product: release.product, at: Date.now(), pendingReboot: o.pending.packages, advisories };
    const notApplicable = lacking.map((p) => judgeUninstalledRpm(p, input)).filter((r): r is PatchRecord => r !== undefined);
    return { scan: { judged: [...views.values()].map((v) => judgeRpm(v, input)), notApplicable }, installed };
  };

  const first = await scan();
  let result = first.scan;
  const before = first.installed;
  const failures = new Map<string, string>();
  let log = '';
  if (o.install) {
    const requests = await o.install(result);
    if (requests.length) {
      const excluded = baseline.RejectedPatchesAction === 'BLOCK' ? baseline.RejectedPatches : [];
      const done = await dnfInstall(requests, { layout, env, signal, excluded });
      log = done.log;
      if (done.error) ctx.sink.note('stderr', done.error);
      const after = await readInstalledRpms(layout, env, signal);
      const changed = new Map<string, string>();
      for (const [k, p] of after) if (before.get(k)?.evr !== p.evr) changed.set(k, p.evr);
      for (const r of requests) {
        const k = `${r.name}:${r.arch}`;
        if (changed.get(k) === r.version) continue;
        const blocked = excluded.length ? ` (the baseline blocks ${excluded.join(', ')})` : '';
        failures.set(k, done.error ?? `${layout.tool} left it out: a dependency cannot be installed${blocked}`);
      }
      // RebootIfNeeded restarts after any install, as Patch Manager does; NoReboot leaves pending
      // only what needs a restart to take effect.
      const waiting = o.noReboot ? new Map([...changed].filter(([k]) => needsReboot(k.slice(0, k.lastIndexOf(':'))))) : changed;
      o.pending.add(waiting, Date.now(), o.noReboot);
      result = (await scan()).scan;
    }
  }
  return { release, result, failures, log };
}
