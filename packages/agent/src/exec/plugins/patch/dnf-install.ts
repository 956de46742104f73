import { capture, tail } from './command.js';
import type { DnfLayout } from './dnf-layout.js';
import type { InstallRequest } from './apt-install.js';

export interface DnfOutcome {
  /** dnf's output, for the step's log. */
  log: string;
  /** Set when dnf itself failed. */
  error?: string;
}

/** `name-[epoch:]version-release.arch`: dnf upgrades to exactly that build. */
const spec = (r: InstallRequest) => `${r.name}-${r.version}.${r.arch}`;

/**
 * Upgrades exactly the requested builds in one dnf transaction. With `excluded` (the baseline's
 * RejectedPatches under BLOCK) dnf may not bring those in as dependencies; --skip-broken lets
 * the requests that need one drop out while the others go in. What changed is read back from
 * rpm afterwards, not from dnf's plan.
 */
export async function dnfInstall(requests: InstallRequest[], o: { layout: DnfLayout; env: Record<string, string>; signal: AbortSignal; excluded: string[] }): Promise<DnfOutcome> {
  const args = [...o.layout.args, '-y', '--skip-broken', ...o.excluded.flatMap((p) => ['--exclude', p]), 'upgrade', ...requests.map(spec)];
  const run = await capture(o.layout.tool, args, { ...o.env, LC_ALL: 'C' }, o.signal);
  const log = `${run.stdout}${run.stderr}`;
  return { log, ...(run.code !== 0 ? { error: `${o.layout.tool} upgrade exited with ${run.code}: ${tail(run.stderr || run.stdout, 3)}` } : {}) };
}

/** Packages whose update needs the node restarted, as `dnf needs-restarting -r` lists them. */
const REBOOT_PACKAGES = new Set(['kernel', 'kernel-core', 'kernel-rt', 'kernel-rt-core', 'glibc', 'linux-firmware', 'systemd', 'udev', 'openssl-libs', 'gnutls', 'dbus', 'dbus-broker', 'dbus-daemon']);

export const needsReboot = (name: string) => REBOOT_PACKAGES.has(name);
