import type { MigrationStep } from '../store/migrations.js';

export interface ConsoleSessionRow {
  /** SHA-256 (hex) of the cookie's token; the token itself is never stored. */
  token_hash: string;
  account_id: string;
  /** The key every call of the session is signed with. */
  access_key_id: string;
  /** 1 when that key is the session's own (password sign-in) and dies with it. */
  owns_key: number;
  /** The user as signed in, for whoever reads the table. */
  user_name: string;
  created_at: number;
  last_used_at: number;
  /** The absolute end; the idle limit runs from last_used_at. */
  expires_at: number;
  /** 1 while a password session must set a new password: it may call only change-password. */
  password_change_required: number;
}

export type ConsoleTables = { console_sessions: ConsoleSessionRow };

export const consoleMigrations: MigrationStep[] = [
  {
    name: '1100_console_sessions',
    async up(db) {
      await db.schema
        .createTable('console_sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('access_key_id', 'text', (c) => c.notNull())
        .addColumn('owns_key', 'integer', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('console_sessions_last_used').on('console_sessions').column('last_used_at').execute();
    },
  },
  {
    name: '1110_console_password_change',
    async up(db) {
      await db.schema.alterTable('console_sessions').addColumn('password_change_required', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
];
