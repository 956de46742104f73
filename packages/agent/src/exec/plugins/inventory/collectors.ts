import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { cpus, networkInterfaces, release } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InventoryItem } from '@capstan/wire';

const exec = promisify(execFile);
type Row = Record<string, string>;

/** AWS's attribute names (GetInventorySchema); values are strings, empty attributes left out. */
function row(o: Record<string, string | number | undefined>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') out[k] = String(v);
  return out;
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** sha256 of the content with keys and rows in a fixed order, so the same state always hashes the same. */
export function contentHash(content: Row[]): string {
  const rows = content.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

export function item(TypeName: string, Content: Row[], now = Date.now(), SchemaVersion = '1.0'): InventoryItem {
  return { TypeName, SchemaVersion, CaptureTime: iso(now), ContentHash: contentHash(Content), Content };
}

export const DPKG_FORMAT = '${Package}\\t${Version}\\t${Architecture}\\t${Maintainer}\\t${db:Status-Status}\\t${Section}\\t${Homepage}\\t${binary:Summary}\\n';

/** `dpkg-query -W -f DPKG_FORMAT`: installed packages only. */
export function parseDpkg(text: string): Row[] {
  const out: Row[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [name, version, arch, maintainer, status, section, homepage, summary] = line.split('\t');
    if (!name || (status && status !== 'installed')) continue;
    out.push(row({ Name: name, Version: version, Architecture: arch, Publisher: maintainer, ApplicationType: section, URL: homepage, Summary: summary, PackageId: `${name}_${version}_${arch}.deb` }));
  }
  return out;
}

export const RPM_FORMAT = '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\t%{VENDOR}\\t%{INSTALLTIME}\\t%{GROUP}\\t%{URL}\\t%{SUMMARY}\\n';

/** `rpm -qa --queryformat RPM_FORMAT`. */
export function parseRpm(text: string): Row[] {
  const out: Row[] = [];
  const none = (v: string | undefined) => (v === '(none)' ? undefined : v);
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [name, version, rel, epoch, arch, vendor, installed, group, url, summary] = line.split('\t');
    if (!name) continue;
    const t = Number(installed);
    out.push(
      row({
        Name: name,
        Version: version,
        Release: none(rel),
        Epoch: none(epoch),
        Architecture: arch,
        Publisher: none(vendor),
        InstalledTime: Number.isFinite(t) && t > 0 ? iso(t * 1000) : undefined,
        ApplicationType: none(group),
        URL: none(url),
        Summary: none(summary),
        PackageId: `${name}-${version}-${rel}.${arch}.rpm`,
      }),
    );
  }
  return out;
}

async function has(cmd: string): Promise<boolean> {
  try {
    await exec('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/** dpkg packages (with the time their file list was written as InstalledTime), else rpm. */
export async function collectApplications(dpkgInfo = '/var/lib/dpkg/info'): Promise<Row[]> {
  if (await has('dpkg-query')) {
    const { stdout } = await exec('dpkg-query', ['-W', '-f', DPKG_FORMAT], { maxBuffer: 256 * 1024 * 1024 });
    const rows = parseDpkg(stdout);
    await Promise.all(
      rows.map(async (r) => {
        for (const f of [`${r.Name}:${r.Architecture}.list`, `${r.Name}.list`]) {
          try {
            r.InstalledTime = iso((await stat(join(dpkgInfo, f))).mtimeMs);
            return;
          } catch {
            /* next name */
          }
        }
      }),
    );
    return rows;
  }
  if (await has('rpm')) return parseRpm((await exec('rpm', ['-qa', '--queryformat', RPM_FORMAT], { maxBuffer: 256 * 1024 * 1024 })).stdout);
  return [];
}

/** `systemctl list-units --type=service --all --no-pager --plain --no-legend`. */
export function parseSystemctl(text: string): Row[] {
  const out: Row[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:●\s*)?(\S+\.service)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, unit, load, active, sub, description] = m;
    out.push(row({ Name: unit!.replace(/\.service$/, ''), DisplayName: description!.trim(), ServiceType: 'systemd', Status: active === 'active' ? (sub === 'running' ? 'Running' : 'Active') : active === 'failed' ? 'Failed' : 'Stopped', StartType: load }));
  }
  return out;
}

/** Undefined where systemd is not the init system (containers): nothing to ask. */
export async function collectServices(): Promise<Row[] | undefined> {
  if (!existsSync('/run/systemd/system') || !(await has('systemctl'))) return undefined;
  const { stdout } = await exec('systemctl', ['list-units', '--type=service', '--all', '--no-pager', '--plain', '--no-legend'], { maxBuffer: 64 * 1024 * 1024 });
  return parseSystemctl(stdout);
}

/** /proc/cpuinfo: physical ids and core ids give sockets and cores. */
export function parseCpuinfo(text: string): { sockets: number; cores: number } {
  const sockets = new Set<string>();
  const cores = new Set<string>();
  let phys = '0';
  for (const line of text.split('\n')) {
    const [k, v] = line.split(':').map((s) => s.trim());
    if (k === 'physical id') sockets.add((phys = v ?? '0'));
    if (k === 'core id') cores.add(`${phys}/${v}`);
  }
  return { sockets: sockets.size, cores: cores.size };
}

export async function collectInstanceDetails(): Promise<Row[]> {
  const list = cpus();
  let topo = { sockets: 0, cores: 0 };
  try {
    topo = parseCpuinfo(await readFile('/proc/cpuinfo', 'utf8'));
  } catch {
    /* not Linux */
  }
  const cpuCount = list.length;
  const cores = topo.cores || cpuCount;
  return [
    row({
      CPUModel: list[0]?.model.trim(),
      CPUs: cpuCount,
      CPUCores: cores,
      CPUSockets: topo.sockets || 1,
      CPUSpeedMHz: list[0]?.speed || undefined,
      CPUHyperThreadEnabled: cpuCount > cores ? 'true' : 'false',
      KernelVersion: release(),
    }),
  ];
}

export function collectNetwork(ifaces = networkInterfaces()): Row[] {
  const out: Row[] = [];
  for (const [name, addrs] of Object.entries(ifaces)) {
    if (!addrs || addrs.every((a) => a.internal)) continue;
    const v4 = addrs.filter((a) => a.family === 'IPv4');
    const v6 = addrs.filter((a) => a.family === 'IPv6');
    out.push(row({ Name: name, MacAddress: addrs[0]?.mac.toUpperCase(), IPV4: v4.map((a) => a.address).join(','), IPV6: v6.map((a) => a.address).join(','), SubnetMask: v4.map((a) => a.netmask).join(',') }));
  }
  return out;
}

export interface FileFilter {
  Path: string;
  Pattern?: string[];
  Recursive?: boolean;
  DirScanLimit?: number;
}

/** AWS's `files` parameter: a JSON list of filters; `*` and `?` in patterns. */
export function parseFileFilters(raw: string): FileFilter[] {
  if (!raw.trim()) return [];
  const v = JSON.parse(raw) as unknown;
  if (!Array.isArray(v)) throw new Error('files must be a JSON list of {"Path", "Pattern", "Recursive", "DirScanLimit"}');
  return v.map((f: Record<string, unknown>) => {
    if (typeof f?.Path !== 'string' || !f.Path) throw new Error('each files filter needs a Path');
    const pattern = f.Pattern === undefined ? ['*'] : Array.isArray(f.Pattern) ? f.Pattern.map(String) : [String(f.Pattern)];
    return { Path: f.Path, Pattern: pattern, Recursive: f.Recursive === true || f.Recursive === 'true', ...(f.DirScanLimit !== undefined ? { DirScanLimit: Number(f.DirScanLimit) } : {}) };
  });
}

const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

export async function collectFiles(filters: FileFilter[], limit = 5000): Promise<Row[]> {
  const out: Row[] = [];
  for (const f of filters) {
    const patterns = (f.Pattern ?? ['*']).map(glob);
    let scanned = 0;
    const dirLimit = f.DirScanLimit ?? 5000;
    const walk = async (dir: string): Promise<void> => {
      if (++scanned > dirLimit) return;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (out.length >= limit) return;
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (f.Recursive) await walk(path);
        } else if (e.isFile() && patterns.some((p) => p.test(e.name))) {
          try {
            const s = await stat(path);
            out.push(row({ Name: e.name, Size: s.size, InstalledDir: dir, ModificationTime: iso(s.mtimeMs), LastAccessTime: iso(s.atimeMs), InstalledDate: iso(s.birthtimeMs || s.ctimeMs) }));
          } catch {
            /* gone */
          }
        }
      }
    };
    await walk(f.Path);
  }
  return out;
}

/** `<dir>/*.json` in AWS's custom inventory format: {SchemaVersion, TypeName: "Custom:…", Content: {…} or [{…}]}. */
export async function collectCustom(dir: string, now = Date.now()): Promise<{ items: InventoryItem[]; errors: string[] }> {
  const items: InventoryItem[] = [];
  const errors: string[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return { items, errors };
  }
  for (const n of names) {
    try {
      const v = JSON.parse(await readFile(join(dir, n), 'utf8')) as { SchemaVersion?: unknown; TypeName?: unknown; Content?: unknown };
      if (typeof v.TypeName !== 'string' || !/^Custom:[A-Za-z0-9_.-]{1,100}$/.test(v.TypeName)) throw new Error('TypeName must be Custom:<Name>');
      const raw = Array.isArray(v.Content) ? v.Content : v.Content && typeof v.Content === 'object' ? [v.Content] : undefined;
      if (!raw) throw new Error('Content must be an object or a list of objects');
      const content = raw.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r ?? {}).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)])));
      items.push(item(v.TypeName, content, now, typeof v.SchemaVersion === 'string' ? v.SchemaVersion : '1.0'));
    } catch (e) {
      errors.push(`${n}: ${(e as Error).message}`);
    }
  }
  return { items, errors };
}
