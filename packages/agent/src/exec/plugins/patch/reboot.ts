import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** This boot's id: a pending reboot recorded under another id has happened. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** What Debian's and Ubuntu's packages leave when they need a reboot (update-notifier's convention). */
export interface RebootMarker {
  /** mtime of `reboot-required`, undefined when absent. */
  since?: number;
  /** The packages named in `reboot-required.pkgs`. */
  packages: string[];
}

export function readRebootMarker(root: string): RebootMarker {
  for (const dir of ['var/run', 'run']) {
    const file = join(root, dir, 'reboot-required');
    let since: number;
    try {
      since = statSync(file).mtimeMs;
    } catch {
      continue;
    }
    let packages: string[] = [];
    try {
      packages = readFileSync(`${file}.pkgs`, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    } catch {
      // No list: the whole node needs the reboot.
    }
    return { since, packages };
  }
  return { packages: [] };
}

/**
 * Which of the packages an Install just put on the node wait for a reboot: when the marker
 * appeared or changed during the install, those it names (or all of them when it names none);
 * when it was already there, everything installed, since the node has not restarted onto them.
 */
export function needingReboot(before: RebootMarker, after: RebootMarker, installed: Map<string, string>): Map<string, string> {
  if (after.since === undefined) return new Map();
  if (before.since === after.since) return new Map(installed);
  const named = new Set(after.packages.filter((p) => !before.packages.includes(p)));
  if (named.size === 0) return new Map(installed);
  return new Map([...installed].filter(([k]) => named.has(k.slice(0, k.lastIndexOf(':')))));
}

interface PendingFile {
  bootId: string;
  /** Epoch ms of the last Install that left packages waiting. */
  at: number;
  noReboot: boolean;
  packages: Record<string, string>;
}

/** Packages installed by Patch Manager that wait for a reboot, kept in the agent's state directory. */
export class PendingReboots {
  private data: PendingFile | undefined;
  constructor(private readonly file: string | undefined) {
    if (!file) return;
    try {
      const d = JSON.parse(readFileSync(file, 'utf8')) as PendingFile;
      // A different boot: the reboot they waited for has happened.
      if (d.bootId === bootId()) this.data = d;
      else rmSync(file, { force: true });
    } catch {
      this.data = undefined;
    }
  }

  get packages(): Map<string, string> {
    return new Map(Object.entries(this.data?.packages ?? {}));
  }

  get lastNoRebootInstall(): number | undefined {
    return this.data?.noReboot ? this.data.at : undefined;
  }

  add(packages: Map<string, string>, at: number, noReboot: boolean): void {
    if (packages.size === 0) return;
    this.data = { bootId: bootId(), at, noReboot: noReboot || (this.data?.noReboot ?? false), packages: { ...(this.data?.packages ?? {}), ...Object.fromEntries(packages) } };
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.data), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
  }
}
