import type { MigrationStep } from '../store/migrations.js';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';
export type KeyManager = 'AWS' | 'CUSTOMER';

export interface KeyRow {
  account_id: string;
  region: string;
  /** A UUID, as AWS key ids are. */
  key_id: string;
  description: string;
  key_usage: 'ENCRYPT_DECRYPT';
  key_spec: 'SYMMETRIC_DEFAULT';
  manager: KeyManager;
  state: KeyState;
  created_at: number;
  deletion_date: number | null;
  pending_window_days: number | null;
  rotation_enabled: number;
  rotation_period_days: number | null;
  next_rotation_at: number | null;
  /** The material version new ciphertexts use; versions start at 1. */
  current_version: number;
  on_demand_rotations: number;
  /** Key policy as given; kept so callers can read it back later, not evaluated. */
  policy: string | null;
  /** JSON object of tags. */
  tags: string;
}

export interface MaterialRow {
  account_id: string;
  region: string;
  key_id: string;
  version: number;
  /** 32 random bytes sealed under the root key; never stored in the clear. */
  material_sealed: string;
  created_at: number;
  /** How this version came to be: null for the first, else AUTOMATIC or ON_DEMAND. */
  rotation_type: 'AUTOMATIC' | 'ON_DEMAND' | null;
}

export interface AliasRow {
  account_id: string;
  region: string;
  alias_name: string;
  key_id: string;
  created_at: number;
  updated_at: number;
}

export type KmsTables = {
  kms_keys: KeyRow;
  kms_key_material: MaterialRow;
  kms_aliases: AliasRow;
};

export const kmsMigrations: MigrationStep[] = [
  {
    name: '0500_kms_keys',
    async up(db) {
      await db.schema
        .createTable('kms_keys')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('key_usage', 'text', (c) => c.notNull())
        .addColumn('key_spec', 'text', (c) => c.notNull())
        .addColumn('manager', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('deletion_date', 'bigint')
        .addColumn('pending_window_days', 'integer')
        .addColumn('rotation_enabled', 'integer', (c) => c.notNull())
        .addColumn('rotation_period_days', 'integer')
        .addColumn('next_rotation_at', 'bigint')
        .addColumn('current_version', 'integer', (c) => c.notNull())
        .addColumn('on_demand_rotations', 'integer', (c) => c.notNull())
        .addColumn('policy', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('kms_keys_pk', ['account_id', 'region', 'key_id'])
        .execute();
      await db.schema
        .createTable('kms_key_material')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('material_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('rotation_type', 'text')
        .addPrimaryKeyConstraint('kms_key_material_pk', ['account_id', 'region', 'key_id', 'version'])
        .execute();
      await db.schema
        .createTable('kms_aliases')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('alias_name', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('kms_aliases_pk', ['account_id', 'region', 'alias_name'])
        .execute();
      await db.schema.createIndex('kms_aliases_key').on('kms_aliases').columns(['account_id', 'region', 'key_id']).execute();
    },
  },
];
