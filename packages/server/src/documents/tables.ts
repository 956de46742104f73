import { sql } from 'kysely';
import type { MigrationStep } from '../store/migrations.js';

/** One document of an account: what every version shares. */
export interface DocumentRow {
  account_id: string;
  region: string;
  name: string;
  document_type: string;
  latest_version: number;
  default_version: number;
  created_at: number;
  /** JSON object of tags. */
  tags: string;
}

/** One version of a document; its content is kept exactly as the caller sent it. */
export interface VersionRow {
  account_id: string;
  region: string;
  name: string;
  version: number;
  version_name: string | null;
  content: string;
  format: 'JSON' | 'YAML' | 'TEXT';
  /** SHA-256 (hex) of `content`. */
  hash: string;
  display_name: string | null;
  target_type: string | null;
  schema_version: string | null;
  description: string | null;
  /** JSON array of DocumentParameter. */
  parameters: string;
  /** JSON array of platform names. */
  platform_types: string;
  /** JSON array of DocumentRequires, or null. */
  requires: string | null;
  /** JSON array of attachment names, or null. */
  attachments: string | null;
  created_at: number;
  author: string;
  /** APPROVED | NOT_REVIEWED | PENDING | REJECTED once a review was asked for; null before. */
  review_status: string | null;
  /** JSON array of recorded review actions. */
  reviews: string;
}

/** A share of a document with one account, or with every account (`all`). */
export interface ShareRow {
  account_id: string;
  region: string;
  name: string;
  shared_with: string;
  shared_version: string;
  created_at: number;
}

export type DocumentTables = {
  documents: DocumentRow;
  document_versions: VersionRow;
  document_shares: ShareRow;
};

export const documentMigrations: MigrationStep[] = [
  {
    name: '0700_documents',
    async up(db, engine) {
      // Listings page by name, which must follow byte order on both engines.
      const nameType = engine === 'postgres' ? sql`text collate "C"` : sql`text`;
      await db.schema
        .createTable('documents')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', nameType, (c) => c.notNull())
        .addColumn('document_type', 'text', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('default_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('documents_pk', ['account_id', 'region', 'name'])
        .execute();
      await db.schema
        .createTable('document_versions')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', nameType, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('version_name', 'text')
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('target_type', 'text')
        .addColumn('schema_version', 'text')
        .addColumn('description', 'text')
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('platform_types', 'text', (c) => c.notNull())
        .addColumn('requires', 'text')
        .addColumn('attachments', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('review_status', 'text')
        .addColumn('reviews', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('document_versions_pk', ['account_id', 'region', 'name', 'version'])
        .execute();
      // Version names are unique within a document; rows without one never collide (NULLs differ).
      await db.schema.createIndex('document_versions_name').unique().on('document_versions').columns(['account_id', 'region', 'name', 'version_name']).execute();
      await db.schema
        .createTable('document_shares')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', nameType, (c) => c.notNull())
        .addColumn('shared_with', 'text', (c) => c.notNull())
        .addColumn('shared_version', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('document_shares_pk', ['account_id', 'region', 'name', 'shared_with'])
        .execute();
      // "Shared with me" listings start from the receiving account.
      await db.schema.createIndex('document_shares_receiver').on('document_shares').columns(['shared_with', 'region', 'name', 'account_id']).execute();
    },
  },
];
