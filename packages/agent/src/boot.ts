import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { join } from 'node:path';

/** Where the node's clock and kernel are read; tests give their own. */
export interface BootSources {
  now(): number;
  uptimeSeconds(): number;
  /** A kernel id unique to this boot, where the system has one (Linux). */
  bootId(): string | undefined;
}

export const systemBootSources: BootSources = {
  now: () => Date.now(),
  uptimeSeconds: () => uptime(),
  bootId: () => {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * Without a boot id, two computed boot times this close are one boot. Computing it again drifts
 * by the rounding and by whatever the clock was stepped since; a node booting twice within a
 * minute is in a boot loop, whose boots are better not counted.
 */
const SAME_BOOT_MS = 60_000;

const BOOT = 'boot.json';

interface SavedBoot {
  bootTime: number;
  bootId?: string;
}

/**
 * When this node booted (epoch ms, whole seconds), the same for every hello of one boot.
 * `now - uptime` alone is not: the wall clock is often stepped by NTP just after boot, which is
 * when the agent first computes it, and a changed value would tell the server the node rebooted.
 * So the first value of a boot is kept in the state directory, with the kernel's boot id where
 * there is one, and reused for as long as the boot lasts, across agent restarts.
 */
export function nodeBootTime(stateDir: string, sources: BootSources = systemBootSources): number {
  const computed = Math.round((sources.now() - sources.uptimeSeconds() * 1000) / 1000) * 1000;
  const bootId = sources.bootId();
  const saved = readSaved(stateDir);
  if (saved) {
    const same = bootId && saved.bootId ? saved.bootId === bootId : Math.abs(saved.bootTime - computed) <= SAME_BOOT_MS;
    if (same) return saved.bootTime;
  }
  const path = join(stateDir, BOOT);
  writeFileSync(`${path}.tmp`, JSON.stringify({ bootTime: computed, ...(bootId ? { bootId } : {}) }), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return computed;
}

function readSaved(stateDir: string): SavedBoot | undefined {
  try {
    const s = JSON.parse(readFileSync(join(stateDir, BOOT), 'utf8')) as Partial<SavedBoot>;
    return typeof s.bootTime === 'number' && Number.isFinite(s.bootTime) ? { bootTime: s.bootTime, ...(typeof s.bootId === 'string' ? { bootId: s.bootId } : {}) } : undefined;
  } catch {
    return undefined;
  }
}
