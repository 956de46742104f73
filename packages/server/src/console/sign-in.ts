import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../iam/credentials.js';
import type { Core } from '../protocol/context.js';
import { ConsoleSessions, SESSION_LIFETIME_MS, type ConsoleSession } from './sessions.js';

const keyShape = z.object({ accessKeyId: z.string().min(1).max(128), secretAccessKey: z.string().min(1).max(256) });
const passwordShape = z.object({ accountId: z.string().min(1).max(64), userName: z.string().min(1).max(128), password: z.string().min(1).max(256) });

export type SignInRequest = ({ method: 'AccessKey' } & z.infer<typeof keyShape>) | ({ method: 'Password' } & z.infer<typeof passwordShape>);

/** undefined when the body is neither form: the caller answers ValidationException. */
export function parseSignIn(body: unknown): SignInRequest | undefined {
  const key = keyShape.safeParse(body);
  if (key.success) return { method: 'AccessKey', ...key.data };
  const password = passwordShape.safeParse(body);
  if (password.success) return { method: 'Password', ...password.data };
  return undefined;
}

export interface SignedIn {
  ok: true;
  session: ConsoleSession;
  token: string;
  principal: Principal;
  /** A password session that must set a new password before it may do anything else. */
  passwordChangeRequired: boolean;
}

/** Why a sign-in failed, for the audit trail only: the caller is told nothing but that it failed. */
export interface SignInRefused {
  ok: false;
  reason: string;
  /** The account the attempt was against, when it exists: its trail shows the attempt. */
  accountId: string;
  principal?: Principal;
  userName: string;
  accessKeyId: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Compared as digests so that neither the length nor the content of the secret leaks in the timing. */
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
const UNKNOWN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * Checks a sign-in and opens the session. An access key signs the session's calls itself; a
 * password gets a key of the session's own, so every call is still SigV4-signed as that user.
 */
export async function signIn(core: Core, sessions: ConsoleSessions, req: SignInRequest): Promise<SignedIn | SignInRefused> {
  return req.method === 'AccessKey' ? signInWithKey(core, sessions, req) : signInWithPassword(core, sessions, req);
}

async function signInWithKey(core: Core, sessions: ConsoleSessions, req: Extract<SignInRequest, { method: 'AccessKey' }>): Promise<SignedIn | SignInRefused> {
  const cred = /^[A-Z0-9]{16,128}$/.test(req.accessKeyId) ? await core.credentials.resolve(req.accessKeyId) : undefined;
  // An unknown key still costs a comparison, so its answer takes no less time.
  const matches = sameSecret(req.secretAccessKey, cred?.secretAccessKey ?? randomBytes(30).toString('base64'));
  const refused = (reason: string): SignInRefused => ({
    ok: false,
    reason,
    accountId: cred?.principal.accountId ?? '',
    ...(cred ? { principal: cred.principal } : {}),
    userName: cred?.principal.name ?? '',
    accessKeyId: req.accessKeyId.slice(0, 128),
  });
  if (!cred) return refused('No access key with this id');
  if (!matches) return refused('Failed authentication');
  if (!cred.active) return refused('The access key is inactive');
  // Temporary credentials need their token on every call; the console keeps no token.
  if (cred.principal.kind !== 'user' || cred.expiresAt !== null || cred.sessionTokenHash !== null) return refused('Only a user\'s long-term access key can sign in');
  const opened = await sessions.open({ accountId: cred.principal.accountId, accessKeyId: req.accessKeyId, ownsKey: false, userName: cred.principal.name, expiresAt: core.clock.now() + SESSION_LIFETIME_MS });
  return { ok: true, ...opened, principal: cred.principal, passwordChangeRequired: false };
}

async function signInWithPassword(core: Core, sessions: ConsoleSessions, req: Extract<SignInRequest, { method: 'Password' }>): Promise<SignedIn | SignInRefused> {
  const wellFormed = /^\d{12}$/.test(req.accountId) && /^[\w+=,.@-]{1,64}$/.test(req.userName);
  const account = wellFormed ? await core.iam.getAccount(req.accountId) : undefined;
  const user = account ? await core.iam.getUser(req.accountId, req.userName).catch(() => undefined) : undefined;
  // Without a password on file this spends the time of a real check.
  const matches = await core.iam.loginProfiles.verify(user ? req.accountId : '', user ? req.userName : '', req.password);
  const refused = (reason: string): SignInRefused => ({
    ok: false,
    reason,
    accountId: account ? req.accountId : '',
    // People type passwords into the user field: a name that matches no user is not written down.
    userName: user ? req.userName : UNKNOWN_USER,
    accessKeyId: '',
  });
  if (!account) return refused('No account with this id');
  if (!user) return refused('No user with this name in the account');
  if (!matches) return refused('Failed authentication');
  // A reset the administrator asked for, or an expired password, is set before anything else.
  const state = await core.iam.loginProfiles.passwordState(req.accountId, req.userName);
  if (state.hardExpired) return refused('The password has expired and only an administrator can reset it');
  const expiresAt = core.clock.now() + SESSION_LIFETIME_MS;
  let accessKeyId: string;
  try {
    accessKeyId = await core.iam.loginProfiles.createConsoleKey(req.accountId, req.userName, expiresAt);
  } catch {
    return refused('The login profile was deleted during sign-in');
  }
  try {
    const cred = await core.credentials.resolve(accessKeyId);
    if (!cred) throw new Error('the console key vanished as it was made');
    const opened = await sessions.open({ accountId: req.accountId, accessKeyId, ownsKey: true, userName: req.userName, expiresAt, passwordChangeRequired: state.changeRequired });
    return { ok: true, ...opened, principal: cred.principal, passwordChangeRequired: state.changeRequired };
  } catch (e) {
    await core.iam.loginProfiles.deleteConsoleKey(accessKeyId);
    throw e;
  }
}
