/**
 * Who is signed in, held in memory only: the CSRF token must never reach localStorage,
 * sessionStorage or the URL, so a reload asks the server again (/me) with the HttpOnly cookie.
 */
export interface Principal {
  arn: string;
  accountId: string;
  userName: string;
}

export interface ConsoleSession {
  csrfToken: string;
  principal: Principal;
  expiresAt: string | number;
  /** How the session signed in: only a password session has a password to change. */
  signInMethod?: 'Password' | 'AccessKey';
  /** The session may do nothing but set a new password (a reset was required, or the password expired). */
  passwordChangeRequired?: boolean;
}

type Listener = () => void;

/** The server's region when a call names none (no x-capstan-region header). */
export const DEFAULT_REGION = 'us-east-1';

/** `undefined` until the first /me answer, `null` when signed out. */
let current: ConsoleSession | null | undefined;
let region: string | undefined;
const listeners = new Set<Listener>();

const emit = () => listeners.forEach((l) => l());

export const sessionStore = {
  get: () => current,
  set(next: ConsoleSession | null) {
    current = next;
    emit();
  },
  subscribe(l: Listener) {
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  },
  region: () => region,
  /** The region calls go to: the header's, or the server's default when it is blank. */
  effectiveRegion: () => region ?? DEFAULT_REGION,
  setRegion(next: string | undefined) {
    region = next || undefined;
    emit();
  },
};
