import { arch, hostname, networkInterfaces, platform, release, type, version } from 'node:os';
import { readFileSync } from 'node:fs';

export const AGENT_VERSION = '0.1.0';

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

export function instanceInfo() {
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
