import { BUILTIN_DOCUMENTS } from './builtin/index.js';
import { checkContent } from './content.js';
import { AMAZON } from './names.js';
import type { ListedRow } from './store.js';
import type { DocumentRow, VersionRow } from './tables.js';

/** An AWS-owned document as the reads serve it: one version, the same in every account. */
export interface Builtin {
  doc: DocumentRow;
  version: VersionRow;
  listed: ListedRow;
}

/** A fixed date, so the built-ins look the same on every start and every replica. */
const PUBLISHED_AT = Date.UTC(2024, 0, 1);

/**
 * Validates every built-in once, at start: a broken one stops the server instead of failing
 * the first call that reads it.
 */
export function loadBuiltins(): ReadonlyMap<string, Builtin> {
  const out = new Map<string, Builtin>();
  for (const b of BUILTIN_DOCUMENTS) {
    let checked;
    try {
      checked = checkContent(b.content, b.format, b.documentType);
    } catch (e) {
      throw new Error(`built-in document ${b.name} is not valid: ${(e as Error).message}`);
    }
    const v = checked.validated;
    const doc: DocumentRow = { account_id: AMAZON, region: '', name: b.name, document_type: b.documentType, latest_version: 1, default_version: 1, created_at: PUBLISHED_AT, tags: '{}' };
    const version: VersionRow = {
      account_id: AMAZON,
      region: '',
      name: b.name,
      version: 1,
      version_name: b.versionName ?? null,
      content: b.content,
      format: b.format,
      hash: checked.hash,
      display_name: null,
      target_type: b.targetType ?? null,
      schema_version: v.schemaVersion ?? null,
      description: v.description ?? b.description,
      parameters: JSON.stringify(checked.parameters),
      platform_types: JSON.stringify(v.platformTypes),
      requires: null,
      attachments: null,
      created_at: PUBLISHED_AT,
      author: '',
      review_status: null,
      reviews: '[]',
    };
    const listed: ListedRow = {
      account_id: AMAZON,
      name: b.name,
      document_type: b.documentType,
      default_version: 1,
      created_at: PUBLISHED_AT,
      tags: '{}',
      version_name: version.version_name,
      format: b.format,
      display_name: null,
      target_type: version.target_type,
      schema_version: version.schema_version,
      platform_types: version.platform_types,
      requires: null,
      author: '',
      review_status: null,
    };
    out.set(b.name, { doc, version, listed });
  }
  return out;
}
