import { sql, type CreateTableBuilder } from 'kysely';
import { createChangeNotice } from '../cluster/change-notice.js';
import { currentSchema } from '../store/database.js';
import { PARAMETER_CHANGED_TOPIC } from './current.js';
import type { MigrationStep } from '../store/migrations.js';

/** What every version of a parameter carries; the current one is also on the parameter row. */
export interface VersionFields {
  type: 'String' | 'StringList' | 'SecureString';
  version: number;
  /** Plaintext of String and StringList values; null for SecureString. */
  value: string | null;
  /** SecureString only: the envelope (KMS data-key blob + AES-256-GCM of the value). */
  secret: string | null;
  /** SecureString only: the key as the caller named it (default `alias/aws/ssm`). */
  key_id: string | null;
  description: string;
  allowed_pattern: string;
  tier: 'Standard' | 'Advanced';
  data_type: string;
  /** JSON array of StoredPolicy. */
  policies: string;
  modified_at: number;
  modified_user: string;
}

export interface ParameterRow extends VersionFields {
  account_id: string;
  region: string;
  name: string;
  /** The hierarchy the parameter sits in (`/a/b` for `/a/b/c`), '' for a plain name. */
  path: string;
  /** JSON object of tags. */
  tags: string;
}

export interface VersionRow extends VersionFields {
  account_id: string;
  region: string;
  name: string;
  /** JSON array of labels on this version. */
  labels: string;
}

export interface SettingRow {
  account_id: string;
  region: string;
  setting_id: string;
  value: string;
  modified_at: number;
  modified_user: string;
}

export interface CountRow {
  account_id: string;
  region: string;
  tier: 'Standard' | 'Advanced';
  count: number;
}

/** Parameters per account and region in each tier. */
export const TIER_LIMITS = { Standard: 10_000, Advanced: 100_000 } as const;

/** What PostgreSQL's commit answers when a create (or a move up) would take a tier past its limit. */
export const TIER_FULL_SQLSTATE = 'CP001';

export type ParameterTables = {
  parameters: ParameterRow;
  parameter_versions: VersionRow;
  parameter_counts: CountRow;
};

/** The columns of a version, shared by the parameter row (its current version) and the history. */
const versionColumns = (t: CreateTableBuilder<string, string>) =>
  t
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('secret', 'text')
    .addColumn('key_id', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('allowed_pattern', 'text', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('data_type', 'text', (c) => c.notNull())
    .addColumn('policies', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_user', 'text', (c) => c.notNull());

export const parameterMigrations: MigrationStep[] = [
  {
    name: '0600_parameters',
    async up(db, engine) {
      // Listings page by name ranges, which must follow byte order on both engines.
      const nameType = engine === 'postgres' ? sql`text collate "C"` : sql`text`;
      await versionColumns(
        db.schema
          .createTable('parameters')
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('name', nameType, (c) => c.notNull())
          .addColumn('path', nameType, (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull()),
      )
        .addPrimaryKeyConstraint('parameters_pk', ['account_id', 'region', 'name'])
        .execute();
      // The path leads: an index that starts like the primary key competes with it for lookups
      // by name, and PostgreSQL, planning before a new table is analysed, can pick the wrong one.
      await db.schema.createIndex('parameters_path').on('parameters').columns(['path', 'account_id', 'region', 'name']).execute();
      await versionColumns(
        db.schema
          .createTable('parameter_versions')
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('name', nameType, (c) => c.notNull())
          .addColumn('labels', 'text', (c) => c.notNull()),
      )
        .addPrimaryKeyConstraint('parameter_versions_pk', ['account_id', 'region', 'name', 'version'])
        .execute();
    },
  },
  {
    // Tier limits are checked on every create; a counter kept in the write's transaction answers
    // in one row, where an index on (account, region, tier) competed with the primary key.
    name: '0601_parameter_counts',
    async up(db) {
      await db.schema
        .createTable('parameter_counts')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('parameter_counts_pk', ['account_id', 'region', 'tier'])
        .execute();
    },
  },
  {
    // Replicas keep parameters' current rows in memory (current.ts). The database itself tells
    // them of every committed change, on the cluster bus's channel and in its envelope, so no
    // write path (nor an operator's own SQL) can change a row without the replicas hearing of it.
    name: '0602_parameter_change_notice',
    async up(db, engine) {
      if (engine !== 'postgres') return;
      await createChangeNotice(db, { fn: 'capstan_parameter_changed', trigger: 'parameters_changed', table: 'parameters', topic: PARAMETER_CHANGED_TOPIC, fields: { a: 'account_id', r: 'region', n: 'name' } });
    },
  },
  {
    // On PostgreSQL the tier counts are kept by the database, at commit. Every create updates
    // the same counter row and holds its lock to the end of its transaction: taken in a
    // statement of the transaction, the lock was held across the client's round trip to COMMIT,
    // and concurrent creates queued on it (6 of 10 connections waiting, 500 creates/s at most).
    // A deferred trigger takes it inside the commit, and checks the limit there, exactly, since
    // it sees every create committed before. The table is named with its schema: an operator's
    // session with another search_path changing parameters still counts them here.
    name: '0603_parameter_counts_at_commit',
    async up(db, engine) {
      if (engine !== 'postgres') return;
      const counts = sql.id(await currentSchema(db), 'parameter_counts');
      await sql`create function capstan_parameter_counted() returns trigger language plpgsql as $capstan$
        declare
          n bigint;
          cap bigint := case new.tier when 'Standard' then ${sql.lit(TIER_LIMITS.Standard)} else ${sql.lit(TIER_LIMITS.Advanced)} end;
        begin
          if tg_op = 'DELETE' or (tg_op = 'UPDATE' and old.tier is distinct from new.tier) then
            update ${counts} set count = count - 1 where account_id = old.account_id and region = old.region and tier = old.tier;
          end if;
          if tg_op = 'INSERT' or (tg_op = 'UPDATE' and old.tier is distinct from new.tier) then
            insert into ${counts} as c (account_id, region, tier, count) values (new.account_id, new.region, new.tier, 1)
              on conflict (account_id, region, tier) do update set count = c.count + 1 returning c.count into n;
            if n > cap then
              raise exception 'the % tier of account % in % is full', new.tier, new.account_id, new.region using errcode = ${sql.lit(TIER_FULL_SQLSTATE)};
            end if;
          end if;
          return null;
        end $capstan$`.execute(db);
      await sql`create constraint trigger parameters_counted after insert or update of tier or delete on parameters deferrable initially deferred for each row execute function capstan_parameter_counted()`.execute(db);
    },
  },
];
