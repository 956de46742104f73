import type { CallContext, Core } from '../protocol/context.js';
import { invalidDocumentVersion } from './errors.js';
import { decodeToken, encodeToken } from './paging.js';
import type { DocumentWrites } from './service.js';
import { documentStore, type DocumentDb } from './store.js';
import type { DocumentTables } from './tables.js';
import type { StoredReview } from './views.js';

export interface ReviewInput {
  Name: string;
  DocumentVersion?: string | undefined;
  DocumentReviews: { Action: 'SendForReview' | 'UpdateReview' | 'Approve' | 'Reject'; Comment?: { Type?: string | undefined; Content?: string | undefined }[] | undefined };
}

const STATUS_AFTER: Record<ReviewInput['DocumentReviews']['Action'], string | undefined> = {
  SendForReview: 'PENDING',
  UpdateReview: undefined,
  Approve: 'APPROVED',
  Reject: 'REJECTED',
};

/** The model's reviewer names allow fewer characters (and fewer of them) than IAM names. */
const reviewerName = (name: string) => name.replace(/[^a-zA-Z0-9_\-.]/g, '_').slice(0, 50);

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * Change Manager's reviews of document versions. Capstan records each action and the status
 * it leads to; nothing runs on approval here.
 */
export class DocumentReviews {
  readonly db: DocumentDb;
  constructor(
    core: Core,
    private readonly writes: DocumentWrites,
  ) {
    this.db = core.database.db.withTables<DocumentTables>();
  }

  private async target(call: CallContext, name: string, given: string | undefined) {
    const row = await this.writes.owned(call, name);
    const n = given === undefined || given === '$LATEST' ? row.latest_version : given === '$DEFAULT' ? row.default_version : Number(given);
    const v = await documentStore.getVersion(this.db, call.accountId, call.region, name, n);
    if (!v) throw invalidDocumentVersion(`The document ${name} has no version ${given}.`);
    return v;
  }

  async update(call: CallContext, input: ReviewInput): Promise<Record<string, never>> {
    const v = await this.target(call, input.Name, input.DocumentVersion);
    const action = input.DocumentReviews.Action;
    const status = STATUS_AFTER[action] ?? v.review_status ?? 'NOT_REVIEWED';
    const review: StoredReview = { at: call.now, action, status, reviewer: reviewerName(call.principal.name), comments: input.DocumentReviews.Comment ?? [] };
    const reviews = [...(JSON.parse(v.reviews) as StoredReview[]), review];
    await documentStore.setReview(this.db, call.accountId, call.region, input.Name, v.version, status, JSON.stringify(reviews));
    return {};
  }

  async history(call: CallContext, input: { Name: string; DocumentVersion?: string | undefined; MaxResults?: number | undefined; NextToken?: string | undefined }) {
    const v = await this.target(call, input.Name, input.DocumentVersion);
    const scope = `reviews|${call.accountId}|${call.region}|${input.Name}|${v.version}`;
    const from = decodeToken(input.NextToken, scope, isIndex) ?? 0;
    const max = input.MaxResults ?? 50;
    const all = JSON.parse(v.reviews) as StoredReview[];
    const page = all.slice(from, from + max);
    return {
      Name: input.Name,
      DocumentVersion: String(v.version),
      Author: v.author,
      Metadata: {
        ReviewerResponse: page.map((r) => ({
          CreateTime: new Date(r.at),
          UpdatedTime: new Date(r.at),
          ReviewStatus: r.status,
          Comment: r.comments.map((c) => ({ ...(c.Type !== undefined ? { Type: c.Type } : {}), ...(c.Content !== undefined ? { Content: c.Content } : {}) })),
          Reviewer: r.reviewer,
        })),
      },
      ...(from + max < all.length ? { NextToken: encodeToken(scope, from + max) } : {}),
    };
  }
}
