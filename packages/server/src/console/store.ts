import type { Kysely } from 'kysely';
import type { ConsoleSessionRow, ConsoleTables } from './tables.js';

export type ConsoleDb = Kysely<ConsoleTables>;

/** Queries over the console's sessions, found by the hash of their token. */
export const consoleStore = {
  insert: (db: ConsoleDb, row: ConsoleSessionRow) => db.insertInto('console_sessions').values(row).execute(),
  get: (db: ConsoleDb, tokenHash: string) => db.selectFrom('console_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
  touch: (db: ConsoleDb, tokenHash: string, at: number) => db.updateTable('console_sessions').set({ last_used_at: at }).where('token_hash', '=', tokenHash).where('last_used_at', '<', at).execute(),
  /** The sessions of a user who has just set a new password are no longer held to it. */
  passwordChanged: (db: ConsoleDb, accountId: string, userName: string) =>
    db.updateTable('console_sessions').set({ password_change_required: 0 }).where('account_id', '=', accountId).where('user_name', '=', userName).execute(),
  /** Deletes and says whether this caller was the one that did (several replicas may race to end a session). */
  async delete(db: ConsoleDb, tokenHash: string): Promise<boolean> {
    const res = await db.deleteFrom('console_sessions').where('token_hash', '=', tokenHash).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  },
  /** Sessions past their absolute end or idle since `idleBefore`. */
  expired: (db: ConsoleDb, now: number, idleBefore: number, limit: number) =>
    db
      .selectFrom('console_sessions')
      .selectAll()
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_used_at', '<=', idleBefore)]))
      .limit(limit)
      .execute(),
};
