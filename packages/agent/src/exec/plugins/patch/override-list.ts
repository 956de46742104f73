import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { matchesPatchName } from '@capstan/wire';

const FETCH_TIMEOUT_MS = 30_000;

/**
 * AWS-RunPatchBaseline's InstallOverrideList: a YAML file `patches: [{id, title}]` whose ids name
 * packages (`name` or `name.arch`, `*` wildcards). Read from a path on the node, a file: URL or an
 * http(s) URL.
 */
export async function loadOverrideList(source: string, signal: AbortSignal): Promise<string[]> {
  let text: string;
  if (/^s3:\/\//i.test(source)) throw new Error(`InstallOverrideList ${source}: s3:// locations are not supported; give an https URL or a path on the node`);
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.any([signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]) }).catch((e: Error) => {
      throw new Error(`InstallOverrideList ${source}: ${e.message}`);
    });
    if (!res.ok) throw new Error(`InstallOverrideList ${source}: HTTP ${res.status}`);
    text = await res.text();
  } else {
    const path = /^file:/i.test(source) ? fileURLToPath(source) : source;
    text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new Error(`InstallOverrideList ${source}: cannot read it (${e.code ?? e.message})`);
    });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`InstallOverrideList ${source} is not valid YAML: ${(e as Error).message}`);
  }
  const patches = (doc as { patches?: unknown } | null)?.patches;
  if (!Array.isArray(patches)) throw new Error(`InstallOverrideList ${source} must have a list under "patches"`);
  return patches.map((p, i) => {
    const id = (p as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !id.trim()) throw new Error(`InstallOverrideList ${source}: patch ${i + 1} has no id`);
    return id.trim();
  });
}

export function overrideMatches(ids: string[], name: string, arch: string): boolean {
  return ids.some((id) => matchesPatchName(id, name) || matchesPatchName(id, `${name}.${arch}`));
}
