import type { ParameterMetadata } from '../../api/types';

/** The path a parameter sits in, as Parameter Store forms it: `/a/b/c` → `/a/b`, `/a` → `/`, `plain` → `/` (shown at the top). */
export function parentOf(name: string): string {
  if (!name.startsWith('/')) return '/';
  const i = name.lastIndexOf('/');
  return i === 0 ? '/' : name.slice(0, i);
}

export const leafOf = (name: string) => (name.startsWith('/') ? name.slice(name.lastIndexOf('/') + 1) : name);

export function normalisePath(p: string | null | undefined): string {
  if (!p) return '/';
  let s = p.trim();
  if (!s.startsWith('/')) s = `/${s}`;
  if (s.length > 1) s = s.replace(/\/+$/, '');
  return s || '/';
}

export interface Folder {
  path: string;
  name: string;
  count: number;
}

/** Splits everything under `path` into the parameters in it and the folders below it. */
export function splitLevel(path: string, all: ParameterMetadata[]): { params: ParameterMetadata[]; folders: Folder[] } {
  const params: ParameterMetadata[] = [];
  const folders = new Map<string, Folder>();
  const prefix = path === '/' ? '/' : `${path}/`;
  for (const p of all) {
    if (parentOf(p.Name) === path) {
      params.push(p);
      continue;
    }
    if (!p.Name.startsWith(prefix)) continue;
    const next = p.Name.slice(prefix.length).split('/')[0]!;
    const folderPath = prefix + next;
    const f = folders.get(folderPath) ?? { path: folderPath, name: next, count: 0 };
    f.count++;
    folders.set(folderPath, f);
  }
  params.sort((a, b) => a.Name.localeCompare(b.Name));
  return { params, folders: [...folders.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

const NAME = /^[a-zA-Z0-9_.\-/]+$/;

/** The checks Parameter Store makes on a new name, so the form can say so before sending. */
export function checkName(name: string): string | undefined {
  if (!name) return 'Required.';
  if (!NAME.test(name)) return 'Use letters, digits and _ . - only, with / between levels.';
  if (name.includes('/') && !name.startsWith('/')) return 'A name with levels starts with /.';
  if (name.endsWith('/')) return 'The name cannot end with /.';
  if (name.includes('//')) return 'Levels cannot be empty (//).';
  const first = name.startsWith('/') ? name.slice(1) : name;
  if (/^(aws|ssm)/i.test(first)) return 'A name cannot begin with aws or ssm.';
  if (name.startsWith('/') && name.split('/').length - 1 > 15) return 'At most 15 levels.';
  if (name.length > 1011) return 'At most 1011 characters.';
  return undefined;
}
