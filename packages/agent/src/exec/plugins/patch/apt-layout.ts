import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { capture } from './command.js';

/** Where apt and dpkg keep this node's package state, as apt's own configuration says. */
export interface AptLayout {
  /** apt's `Dir`: `/` on a normal node, another root when APT_CONFIG points apt there. */
  root: string;
  /** dpkg's status file (`Dir::State::status`). */
  statusFile: string;
  /** dpkg's admin directory (its `info/*.list` files date each installation). */
  adminDir: string;
}

export interface NodeRelease {
  /** `debian`, `ubuntu`, … (os-release ID). */
  id: string;
  versionId: string;
  /** AWS's PRODUCT value: `Debian12`, `Ubuntu22.04`. */
  product: string;
  /** AWS's OperatingSystem value for the family. */
  operatingSystem: 'DEBIAN' | 'UBUNTU' | undefined;
  prettyName: string;
}

/**
 * `apt-config shell` resolves the configuration the way apt-get will: the APT_CONFIG file, the
 * apt.conf.d fragments, `Dir` prefixes; so the scan reads exactly what an install would use.
 */
export async function aptLayout(env: Record<string, string>, signal: AbortSignal): Promise<AptLayout> {
  const r = await capture('apt-config', ['shell', 'ROOT', 'Dir/d', 'STATUS', 'Dir::State::status/f'], env, signal);
  if (r.code !== 0) throw new Error(`apt-config failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  const values: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\w+)='(.*)'$/.exec(line.trim());
    if (m) values[m[1]!] = m[2]!.replace(/'\\''/g, "'");
  }
  const root = values.ROOT || '/';
  const statusFile = values.STATUS || join(root, 'var/lib/dpkg/status');
  return { root, statusFile, adminDir: dirname(statusFile) };
}

export async function nodeRelease(root: string): Promise<NodeRelease> {
  let text: string | undefined;
  for (const f of ['etc/os-release', 'usr/lib/os-release']) {
    text = await readFile(join(root, f), 'utf8').catch(() => undefined);
    if (text !== undefined) break;
  }
  if (text === undefined) throw new Error(`no os-release under ${root}: cannot tell which product this node runs`);
  const v: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) v[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  const id = (v.ID ?? '').toLowerCase();
  const versionId = v.VERSION_ID ?? '';
  const family = id === 'debian' || id === 'raspbian' ? 'DEBIAN' : id === 'ubuntu' ? 'UBUNTU' : undefined;
  const name = id === 'ubuntu' ? 'Ubuntu' : id === 'debian' ? 'Debian' : id === 'raspbian' ? 'Raspbian' : v.NAME ?? id;
  return { id, versionId, product: `${name}${versionId}`, operatingSystem: family, prettyName: v.PRETTY_NAME ?? `${name} ${versionId}` };
}
