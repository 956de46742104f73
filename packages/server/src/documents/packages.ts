import type { AnyDb } from '../store/database.js';
import { parseRef } from './names.js';
import { documentStore } from './store.js';
import type { DocumentTables } from './tables.js';

/** A Package document's version as a node's job needs it. */
export interface PackageVersion {
  name: string;
  documentType: string;
  /** The version name (the manifest's `version`), else the version number. */
  versionName: string;
  hash: string;
  content: string;
  format: 'JSON' | 'YAML' | 'TEXT';
  files: { Name: string; Size?: number; Hash?: string }[];
}

/**
 * A package version the account may use: its own, or one shared with it by ARN. Read through
 * `db`, so Run Command can call it inside the transaction that dispatches a command. `version`
 * is a version name or number; the default version when absent. Undefined when there is none.
 */
export async function packageVersionIn(anyDb: AnyDb, account: string, region: string, given: string, version?: string): Promise<PackageVersion | undefined> {
  const db = anyDb.withTables<DocumentTables>();
  let ref;
  try {
    ref = parseRef(given, region);
  } catch {
    return undefined;
  }
  const owner = ref.kind === 'arn' ? ref.owner : account;
  const doc = await documentStore.get(db, owner, region, ref.name);
  if (!doc) return undefined;
  let visible = (_v: number) => true;
  if (owner !== account) {
    const kinds = new Set((await documentStore.sharesFor(db, owner, region, ref.name, account)).map((s) => s.shared_version));
    if (kinds.size === 0) return undefined;
    if (!kinds.has('$ALL')) visible = (v) => (kinds.has('$DEFAULT') && v === doc.default_version) || (kinds.has('$LATEST') && v === doc.latest_version);
  }
  const row = !version
    ? await documentStore.getVersion(db, owner, region, ref.name, doc.default_version)
    : ((await documentStore.getVersionByName(db, owner, region, ref.name, version)) ?? (/^[1-9][0-9]*$/.test(version) ? await documentStore.getVersion(db, owner, region, ref.name, Number(version)) : undefined));
  if (!row || !visible(row.version)) return undefined;
  return {
    name: ref.name,
    documentType: doc.document_type,
    versionName: row.version_name ?? String(row.version),
    hash: row.hash,
    content: row.content,
    format: row.format,
    files: row.attachments === null ? [] : (JSON.parse(row.attachments) as PackageVersion['files']),
  };
}
