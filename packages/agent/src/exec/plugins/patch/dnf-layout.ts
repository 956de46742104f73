import { readFile } from 'node:fs/promises';
import type { PatchOperatingSystem } from '@capstan/wire';
import type { NodeRelease } from './apt-layout.js';
import { nodeRelease } from './apt-layout.js';
import { capture } from './command.js';

/**
 * The environment variable naming a dnf configuration file for Patch Manager to use (`dnf -c`).
 * dnf has no variable of its own for it; an `installroot` in its [main] section moves dnf and rpm
 * to another root, as APT_CONFIG's `Dir` does for apt.
 */
export const DNF_CONFIG_VARIABLE = 'CAPSTAN_DNF_CONFIG';

export interface DnfLayout {
  /** `dnf`, or `yum` where only yum is present (yum is dnf on every supported release). */
  tool: 'dnf' | 'yum';
  /** `/`, or the configured installroot. */
  root: string;
  /** Options every dnf call starts with: the configuration file and root, C locale output. */
  args: string[];
}

/** The node's dnf (or yum), or undefined when it has neither. */
export async function dnfLayout(env: Record<string, string>, signal: AbortSignal): Promise<DnfLayout | undefined> {
  let tool: DnfLayout['tool'] | undefined;
  for (const t of ['dnf', 'yum'] as const) {
    const r = await capture(t, ['--version'], env, signal);
    if (r.code !== 0) continue;
    // yum 3 (Amazon Linux 2, CentOS 7) has neither repoquery nor dnf's updateinfo listings.
    const major = Number(/^(\d+)\./.exec(r.stdout.trim())?.[1]);
    if (t === 'yum' && major < 4) throw new Error(`this node has yum ${r.stdout.trim().split('\n')[0]}, not dnf: aws:runPatchBaseline patches RPM nodes through dnf (yum 4 and later)`);
    tool = t;
    break;
  }
  if (!tool) return undefined;
  const config = env[DNF_CONFIG_VARIABLE];
  let root = '/';
  const args: string[] = [];
  if (config) {
    const text = await readFile(config, 'utf8').catch((e: Error) => {
      throw new Error(`${DNF_CONFIG_VARIABLE} names ${config}, which cannot be read: ${e.message}`);
    });
    root = mainOption(text, 'installroot') ?? '/';
    args.push('-c', config);
  }
  // Named on the command line too, so dnf and rpm can never disagree about the root.
  if (root !== '/') args.push('--installroot', root);
  return { tool, root, args };
}

/** One option of an ini file's [main] section. */
export function mainOption(text: string, name: string): string | undefined {
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!.trim();
    else if (section === 'main') {
      const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
      if (m && m[1] === name) return m[2]!.trim();
    }
  }
  return undefined;
}

export interface RpmRelease {
  release: NodeRelease;
  /** AWS's OperatingSystem for the node, undefined for a family Patch Manager does not patch. */
  operatingSystem: PatchOperatingSystem | undefined;
}

/** AWS's OperatingSystem and PRODUCT for an RPM-family node, from its os-release. */
export async function rpmRelease(root: string): Promise<RpmRelease> {
  const base = await nodeRelease(root);
  const id = base.id;
  const v = base.versionId;
  const major = v.split('.')[0] ?? v;
  const like = (os: PatchOperatingSystem, product: string): RpmRelease => ({ release: { ...base, product }, operatingSystem: os });
  if (id === 'rhel') return like('REDHAT_ENTERPRISE_LINUX', `RedhatEnterpriseLinux${v}`);
  if (id === 'rocky') return like('ROCKY_LINUX', `RockyLinux${v}`);
  if (id === 'almalinux') return like('ALMA_LINUX', `AlmaLinux${v}`);
  if (id === 'ol') return like('ORACLE_LINUX', `OracleLinux${v}`);
  if (id === 'centos') return like('CENTOS', /stream/i.test(base.prettyName) || !v.includes('.') ? `CentOSStream${major}` : `CentOS${v}`);
  if (id === 'amzn' && major === '2023') return like('AMAZON_LINUX_2023', 'AmazonLinux2023');
  if (id === 'amzn' && major === '2') return like('AMAZON_LINUX_2', 'AmazonLinux2');
  return { release: base, operatingSystem: undefined };
}
