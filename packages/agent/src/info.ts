import { arch, hostname, networkInterfaces, platform, release, type, version } from 'node:os';
import { readFileSync } from 'node:fs';
import type { HelloInfo } from '@capstan/wire';

/** Set by `build-agent.mjs --agent-version`, so each published build reports its own version. */
declare const __CAPSTAN_AGENT_VERSION__: string | undefined;
export const AGENT_VERSION: string = typeof __CAPSTAN_AGENT_VERSION__ === 'string' ? __CAPSTAN_AGENT_VERSION__ : '0.1.0';

/** The first non-internal IPv4 address, as SSM reports a node's address. */
function ipAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** Linux distributions name themselves in os-release; other systems by their kernel. */
function osRelease(): { name?: string; version?: string } {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(text)?.[1];
    return { name: field('NAME'), version: field('VERSION_ID') };
  } catch {
    return {};
  }
}

export function instanceInfo(): HelloInfo {
  const p = platform();
  const rel = p === 'linux' ? osRelease() : {};
  return {
    agentVersion: AGENT_VERSION,
    platformType: p === 'win32' ? 'Windows' : p === 'darwin' ? 'MacOS' : 'Linux',
    platformName: rel.name ?? type(),
    platformVersion: rel.version ?? release(),
    kernel: `${type()} ${release()} ${version()}`.slice(0, 256),
    hostname: hostname(),
    ipAddress: ipAddress(),
    architecture: arch(),
  };
}

/** What one boot of the node reports in every hello: computed once, when the agent starts. */
export interface BootFacts {
  bootTime: number;
  applyAssociationsOnBoot: boolean;
}

/** The hello's `info`: the node's facts as they are now, its boot, and the last failure seen. */
export function helloInfo(boot: BootFacts, lastError?: { message: string; at: number }): HelloInfo {
  return { ...instanceInfo(), bootTime: boot.bootTime, applyAssociationsOnBoot: boot.applyAssociationsOnBoot, ...(lastError ? { lastError } : {}) };
}
