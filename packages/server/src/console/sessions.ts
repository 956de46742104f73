import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Core } from '../protocol/context.js';
import { consoleStore, type ConsoleDb } from './store.js';
import type { ConsoleSessionRow, ConsoleTables } from './tables.js';

export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 60 * 60 * 1000;
/** last_used_at is rewritten at most this often: a write per call would be the session's main cost. */
const TOUCH_AFTER_MS = 30_000;
const SWEEP_BATCH = 100;

/** 32 random bytes, base64url: the cookie's whole content. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type ConsoleSession = ConsoleSessionRow;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The CSRF token is derived from the cookie's secret rather than stored: every tab and every
 * `me` gets the same one, and only a holder of the cookie's value (never script, it is
 * HttpOnly) can compute it. The table holds only the token's hash, from which it cannot be.
 */
export function csrfTokenFor(token: string): string {
  return createHmac('sha256', token).update('capstan-console-csrf').digest('base64url');
}

export function csrfMatches(token: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  // Hashing both first gives timingSafeEqual equal lengths whatever was presented.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(csrfTokenFor(token)), digest(presented));
}

/**
 * Console sessions: a random token in an HttpOnly cookie, its hash in the store with the
 * access key the session signs with. A session ends at sign-out, after an hour unused, or
 * twelve hours after sign-in, whichever is first; a key it owns ends with it.
 */
export class ConsoleSessions {
  private readonly db: ConsoleDb;

  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<ConsoleTables>();
  }

  async open(s: { accountId: string; accessKeyId: string; ownsKey: boolean; userName: string; expiresAt: number; passwordChangeRequired?: boolean }): Promise<{ token: string; session: ConsoleSession }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.core.clock.now();
    const session: ConsoleSession = {
      token_hash: hashToken(token),
      account_id: s.accountId,
      access_key_id: s.accessKeyId,
      owns_key: s.ownsKey ? 1 : 0,
      user_name: s.userName,
      created_at: now,
      last_used_at: now,
      expires_at: s.expiresAt,
      password_change_required: s.passwordChangeRequired ? 1 : 0,
    };
    await consoleStore.insert(this.db, session);
    return { token, session };
  }

  /** The live session of a cookie's token, marked used; an expired one is ended on the way. */
  async find(token: string | undefined): Promise<ConsoleSession | undefined> {
    if (!token || !TOKEN.test(token)) return undefined;
    const session = await consoleStore.get(this.db, hashToken(token));
    if (!session) return undefined;
    const now = this.core.clock.now();
    if (this.isExpired(session, now)) {
      await this.end(session);
      return undefined;
    }
    if (now - session.last_used_at >= TOUCH_AFTER_MS) {
      await consoleStore.touch(this.db, session.token_hash, now);
      session.last_used_at = now;
    }
    return session;
  }

  async passwordChanged(session: ConsoleSession): Promise<void> {
    await consoleStore.passwordChanged(this.db, session.account_id, session.user_name);
    session.password_change_required = 0;
  }

  isExpired(session: ConsoleSession, now: number): boolean {
    return now >= session.expires_at || now - session.last_used_at >= SESSION_IDLE_MS;
  }

  async end(session: ConsoleSession): Promise<void> {
    const mine = await consoleStore.delete(this.db, session.token_hash);
    if (mine && session.owns_key) await this.core.iam.loginProfiles.deleteConsoleKey(session.access_key_id);
  }

  /** Ends sessions nobody came back to; run at each sign-in, so abandoned ones do not pile up. */
  async sweep(): Promise<void> {
    const now = this.core.clock.now();
    for (const s of await consoleStore.expired(this.db, now, now - SESSION_IDLE_MS, SWEEP_BATCH)) await this.end(s);
  }
}
