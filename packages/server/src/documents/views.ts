import type { Tags } from '../tagging/index.js';
import { AMAZON } from './names.js';
import type { ListedRow } from './store.js';
import type { DocumentRow, VersionRow } from './tables.js';

/** A document the caller may see, wherever it lives: its own, shared with it, or AWS's. */
export interface Located {
  owner: string;
  name: string;
  arn: string;
  doc: DocumentRow;
  mine: boolean;
  /** For documents shared with the caller: the versions the owner shared; absent when all are readable. */
  visible?: (version: number) => boolean;
}

export interface ReviewSummary {
  approved?: number | undefined;
  pending?: number | undefined;
}

export interface StoredReview {
  at: number;
  action: string;
  status: string;
  reviewer: string;
  comments: { Type?: string | undefined; Content?: string | undefined }[];
}

export const tagList = (tags: Tags) =>
  Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Key, Value]) => ({ Key, Value }));

const parsed = <T>(text: string | null): T | undefined => (text === null ? undefined : (JSON.parse(text) as T));
const some = <T>(list: T[] | undefined) => (list && list.length > 0 ? list : undefined);

/** `DocumentDescription` of one version. */
export function descriptionOf(at: Located, v: VersionRow, review: ReviewSummary = {}) {
  const reviews = parsed<StoredReview[]>(v.reviews) ?? [];
  const attachments = parsed<{ Name: string }[]>(v.attachments);
  return {
    Hash: v.hash,
    HashType: 'Sha256',
    Name: at.name,
    ...(v.display_name !== null ? { DisplayName: v.display_name } : {}),
    ...(v.version_name !== null ? { VersionName: v.version_name } : {}),
    Owner: at.owner,
    CreatedDate: new Date(v.created_at),
    Status: 'Active',
    DocumentVersion: String(v.version),
    ...(v.description !== null ? { Description: v.description } : {}),
    ...(some(parsed<unknown[]>(v.parameters)) ? { Parameters: parsed<unknown[]>(v.parameters) } : {}),
    PlatformTypes: parsed<string[]>(v.platform_types) ?? [],
    DocumentType: at.doc.document_type,
    ...(v.schema_version !== null ? { SchemaVersion: v.schema_version } : {}),
    LatestVersion: String(at.doc.latest_version),
    DefaultVersion: String(at.doc.default_version),
    DocumentFormat: v.format,
    ...(v.target_type !== null ? { TargetType: v.target_type } : {}),
    ...(at.mine ? { Tags: tagList(JSON.parse(at.doc.tags) as Tags) } : {}),
    ...(some(attachments) ? { AttachmentsInformation: attachments!.map((a) => ({ Name: a.Name })) } : {}),
    ...(some(parsed<unknown[]>(v.requires)) ? { Requires: parsed<unknown[]>(v.requires) } : {}),
    ...(at.owner !== AMAZON ? { Author: v.author } : {}),
    ...(some(reviews) ? { ReviewInformation: reviews.map((r) => ({ ReviewedTime: new Date(r.at), Status: r.status, Reviewer: r.reviewer })) } : {}),
    ...(review.approved !== undefined ? { ApprovedVersion: String(review.approved) } : {}),
    ...(review.pending !== undefined ? { PendingReviewVersion: String(review.pending) } : {}),
    ...(v.review_status !== null ? { ReviewStatus: v.review_status } : {}),
  };
}

/** `DocumentIdentifier` of a listed document (its default version); `name` is an ARN for others' documents. */
export function identifierOf(r: ListedRow, name: string, owner: string, mine: boolean) {
  return {
    Name: name,
    CreatedDate: new Date(r.created_at),
    ...(r.display_name !== null ? { DisplayName: r.display_name } : {}),
    Owner: owner,
    ...(r.version_name !== null ? { VersionName: r.version_name } : {}),
    PlatformTypes: JSON.parse(r.platform_types) as string[],
    DocumentVersion: String(r.default_version),
    DocumentType: r.document_type,
    ...(r.schema_version !== null ? { SchemaVersion: r.schema_version } : {}),
    DocumentFormat: r.format,
    ...(r.target_type !== null ? { TargetType: r.target_type } : {}),
    ...(mine ? { Tags: tagList(JSON.parse(r.tags) as Tags) } : {}),
    ...(some(parsed<unknown[]>(r.requires)) ? { Requires: parsed<unknown[]>(r.requires) } : {}),
    ...(r.review_status !== null ? { ReviewStatus: r.review_status } : {}),
    ...(owner !== AMAZON ? { Author: r.author } : {}),
  };
}

/** `DocumentVersionInfo` of one version. */
export function versionInfoOf(at: Located, v: VersionRow) {
  return {
    Name: at.name,
    ...(v.display_name !== null ? { DisplayName: v.display_name } : {}),
    DocumentVersion: String(v.version),
    ...(v.version_name !== null ? { VersionName: v.version_name } : {}),
    CreatedDate: new Date(v.created_at),
    IsDefaultVersion: v.version === at.doc.default_version,
    DocumentFormat: v.format,
    Status: 'Active',
    ...(v.review_status !== null ? { ReviewStatus: v.review_status } : {}),
  };
}
