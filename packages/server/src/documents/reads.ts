import type { CallContext, Core } from '../protocol/context.js';
import type { Builtin } from './builtins.js';
import { validatorType } from './content.js';
import { invalidDocument, invalidDocumentVersion } from './errors.js';
import { AMAZON, documentArn, parseRef, versionNumber, type VersionSelector } from './names.js';
import { decodeToken, encodeToken } from './paging.js';
import { documentStore, type DocumentDb } from './store.js';
import type { DocumentRow, DocumentTables, VersionRow } from './tables.js';
import { convertContent, validateDocument, type DocumentFormat, type ParameterDeclaration } from './validation/index.js';
import { descriptionOf, versionInfoOf, type Located, type ReviewSummary } from './views.js';

/** A document version resolved for a capability that runs documents. */
export interface ResolvedDocument {
  name: string;
  arn: string;
  /** Account id, or `Amazon` for AWS's documents. */
  owner: string;
  /** As the API names it (`Command`, `Automation.ChangeTemplate`, …). */
  documentType: string;
  version: number;
  versionName: string | undefined;
  format: DocumentFormat;
  hash: string;
  schemaVersion: string | undefined;
  /** The content parsed (a JSON value; the text itself for TEXT documents). */
  content: unknown;
  /** The content exactly as stored. */
  text: string;
  parameters: ParameterDeclaration[];
  platformTypes: ('Windows' | 'Linux' | 'MacOS')[];
  targetType: string | undefined;
}

const isVersion = (a: unknown): a is number => typeof a === 'number' && Number.isInteger(a);

/** Document reads, with one rule for what a caller may see: its own, what is shared with it, AWS's. */
export class DocumentReads {
  readonly db: DocumentDb;
  constructor(
    core: Core,
    readonly builtins: ReadonlyMap<string, Builtin>,
  ) {
    this.db = core.database.db.withTables<DocumentTables>();
  }

  /** What `given` (a name or an ARN) names for this caller; InvalidDocument for what it can't see. */
  async locate(call: CallContext, given: string): Promise<Located> {
    const { accountId: me, region } = call;
    const ref = parseRef(given, region);
    const own = async (name: string) => {
      const row = await documentStore.get(this.db, me, region, name);
      return row ? this.ownLocated(region, row) : undefined;
    };
    if (ref.kind === 'name') {
      const found = (await own(ref.name)) ?? this.builtinLocated(region, ref.name);
      if (!found) throw invalidDocument();
      return found;
    }
    if (ref.owner === AMAZON || ref.owner === me) {
      const found = ref.owner === AMAZON ? this.builtinLocated(region, ref.name) : await own(ref.name);
      if (!found) throw invalidDocument();
      return found;
    }
    // Another account's document: readable only through a share, and only the versions shared.
    const shares = await documentStore.sharesFor(this.db, ref.owner, region, ref.name, me);
    const row = shares.length ? await documentStore.get(this.db, ref.owner, region, ref.name) : undefined;
    if (!row) throw invalidDocument();
    const kinds = new Set(shares.map((s) => s.shared_version));
    const visible = kinds.has('$ALL') ? undefined : (v: number) => (kinds.has('$DEFAULT') && v === row.default_version) || (kinds.has('$LATEST') && v === row.latest_version);
    return { owner: ref.owner, name: ref.name, arn: documentArn(region, ref.owner, ref.name), doc: row, mine: false, ...(visible ? { visible } : {}) };
  }

  ownLocated(region: string, row: DocumentRow): Located {
    return { owner: row.account_id, name: row.name, arn: documentArn(region, row.account_id, row.name), doc: row, mine: true };
  }

  builtinLocated(region: string, name: string): Located | undefined {
    const b = this.builtins.get(name);
    return b ? { owner: AMAZON, name, arn: documentArn(region, AMAZON, name), doc: b.doc, mine: false } : undefined;
  }

  /** The version a selector picks among those the caller may read; InvalidDocumentVersion otherwise. */
  async version(at: Located, selector: VersionSelector): Promise<VersionRow> {
    let wanted = versionNumber(selector, { latest: at.doc.latest_version, default: at.doc.default_version });
    // A share of only the latest version: asking for "the document" means that version.
    if (selector.version === undefined && selector.versionName === undefined && at.visible && !at.visible(wanted!)) wanted = at.doc.latest_version;
    let row: VersionRow | undefined;
    if (at.owner === AMAZON) {
      const b = this.builtins.get(at.name)!.version;
      row = (wanted === undefined || wanted === b.version) && (selector.versionName === undefined || selector.versionName === b.version_name) ? b : undefined;
    } else if (wanted !== undefined) {
      row = await documentStore.getVersion(this.db, at.owner, at.doc.region, at.name, wanted);
      if (row && selector.versionName !== undefined && row.version_name !== selector.versionName) row = undefined;
    } else {
      row = await documentStore.getVersionByName(this.db, at.owner, at.doc.region, at.name, selector.versionName!);
    }
    if (!row || (at.visible && !at.visible(row.version))) throw invalidDocumentVersion();
    return row;
  }

  async reviewSummary(at: Located): Promise<ReviewSummary> {
    if (!at.mine) return {};
    const reviewed = await documentStore.reviewedVersions(this.db, at.owner, at.doc.region, at.name);
    const approved = reviewed.filter((r) => r.review_status === 'APPROVED').pop()?.version;
    const pending = reviewed.filter((r) => r.review_status === 'PENDING').pop()?.version;
    return { approved, pending };
  }

  async get(call: CallContext, input: { Name: string; VersionName?: string | undefined; DocumentVersion?: string | undefined; DocumentFormat?: DocumentFormat | undefined }) {
    const at = await this.locate(call, input.Name);
    const v = await this.version(at, { version: input.DocumentVersion, versionName: input.VersionName });
    // JSON and YAML convert into each other; TEXT (calendars) has no other form and stays as stored.
    const format = input.DocumentFormat === undefined || v.format === 'TEXT' || input.DocumentFormat === 'TEXT' ? v.format : input.DocumentFormat;
    const attachments = v.attachments === null ? [] : (JSON.parse(v.attachments) as { Name: string; Url?: string; Size?: number; Hash?: string }[]);
    const requires = v.requires === null ? [] : (JSON.parse(v.requires) as unknown[]);
    return {
      Name: at.name,
      CreatedDate: new Date(v.created_at),
      ...(v.display_name !== null ? { DisplayName: v.display_name } : {}),
      ...(v.version_name !== null ? { VersionName: v.version_name } : {}),
      DocumentVersion: String(v.version),
      Status: 'Active',
      Content: format === v.format ? v.content : convertContent(v.content, v.format, format),
      DocumentType: at.doc.document_type,
      DocumentFormat: format,
      ...(requires.length ? { Requires: requires } : {}),
      ...(attachments.length
        ? { AttachmentsContent: attachments.map((a) => ({ Name: a.Name, ...(a.Size !== undefined ? { Size: a.Size } : {}), ...(a.Hash !== undefined ? { Hash: a.Hash, HashType: 'Sha256' } : {}), ...(a.Url !== undefined ? { Url: a.Url } : {}) })) }
        : {}),
      ...(v.review_status !== null ? { ReviewStatus: v.review_status } : {}),
    };
  }

  async describe(call: CallContext, input: { Name: string; DocumentVersion?: string | undefined; VersionName?: string | undefined }) {
    const at = await this.locate(call, input.Name);
    const v = await this.version(at, { version: input.DocumentVersion, versionName: input.VersionName });
    return { Document: descriptionOf(at, v, await this.reviewSummary(at)) };
  }

  async versions(call: CallContext, input: { Name: string; MaxResults?: number | undefined; NextToken?: string | undefined }) {
    const at = await this.locate(call, input.Name);
    const scope = `versions|${at.arn}`;
    const after = decodeToken(input.NextToken, scope, isVersion) ?? 0;
    const max = input.MaxResults ?? 50;
    const rows =
      at.owner === AMAZON
        ? [this.builtins.get(at.name)!.version].filter((v) => v.version > after)
        : await documentStore.versionsPage(this.db, at.owner, at.doc.region, at.name, after, max + 1);
    const scanned = rows.slice(0, max);
    return {
      DocumentVersions: scanned.filter((v) => !at.visible || at.visible(v.version)).map((v) => versionInfoOf(at, v)),
      ...(rows.length > max ? { NextToken: encodeToken(scope, scanned[scanned.length - 1]!.version) } : {}),
    };
  }

  /** For capabilities that run documents: the same visibility as GetDocument, content parsed. */
  async resolve(call: CallContext, nameOrArn: string, version?: string): Promise<ResolvedDocument> {
    const at = await this.locate(call, nameOrArn);
    const selector: VersionSelector = version === undefined || /^(\$LATEST|\$DEFAULT|[1-9][0-9]*)$/.test(version) ? { version } : { versionName: version };
    const v = await this.version(at, selector);
    const checked = validateDocument({ content: v.content, format: v.format, documentType: validatorType(at.doc.document_type) });
    return {
      name: at.name,
      arn: at.arn,
      owner: at.owner,
      documentType: at.doc.document_type,
      version: v.version,
      versionName: v.version_name ?? undefined,
      format: v.format,
      hash: v.hash,
      schemaVersion: v.schema_version ?? undefined,
      content: checked.content,
      text: v.content,
      parameters: checked.parameters,
      platformTypes: checked.platformTypes,
      targetType: v.target_type ?? undefined,
    };
  }
}
