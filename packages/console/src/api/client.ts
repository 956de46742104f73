import { ApiError, errorFrom } from './errors';
import { sessionStore, type ConsoleSession } from './session';

const API = '/capstan/console/v1';

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Lets the request finish after the page is gone (TerminateSession as a tab closes). */
  keepalive?: boolean | undefined;
  /** The region to call in, instead of the header's (the fleet across regions, a node of another region). */
  region?: string | undefined;
}

async function readSession(res: Response): Promise<ConsoleSession> {
  const body = (await res.json()) as ConsoleSession;
  if (!body || typeof body.csrfToken !== 'string' || !body.principal) throw new ApiError('BadResponse', 'The server answered sign-in without a session.', res.status);
  return body;
}

/** Asks who is signed in (by cookie). Resolves null when nobody is. */
export async function fetchMe(signal?: AbortSignal): Promise<ConsoleSession | null> {
  const res = await fetch(`${API}/me`, { credentials: 'same-origin', headers: { accept: 'application/json' }, signal: signal ?? null });
  if (res.status === 401) return null;
  if (!res.ok) throw await errorFrom(res);
  return readSession(res);
}

export type SignInRequest = { accessKeyId: string; secretAccessKey: string } | { accountId: string; userName: string; password: string };

export async function signIn(req: SignInRequest): Promise<ConsoleSession> {
  const res = await fetch(`${API}/sign-in`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(req),
  });
  if (!res.ok) throw await errorFrom(res);
  const session = await readSession(res);
  sessionStore.set(session);
  return session;
}

export async function signOut(): Promise<void> {
  const s = sessionStore.get();
  try {
    if (s) await fetch(`${API}/sign-out`, { method: 'POST', credentials: 'same-origin', headers: { 'x-capstan-csrf': s.csrfToken } });
  } finally {
    sessionStore.set(null);
  }
}

/**
 * IAM's ChangePassword for the signed-in user, through the console's own endpoint (IAM is not
 * reachable through `call`). The answer is the session, no longer held to changing the password.
 */
export async function changePassword(oldPassword: string, newPassword: string): Promise<ConsoleSession> {
  const s = sessionStore.get();
  if (!s) throw new ApiError('NotSignedIn', 'Sign in to continue.', 401);
  const res = await fetch(`${API}/change-password`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-capstan-csrf': s.csrfToken },
    body: JSON.stringify({ oldPassword, newPassword }),
  });
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401) sessionStore.set(null);
    throw err;
  }
  const session = await readSession(res);
  sessionStore.set(session);
  return session;
}

/** One re-check of /me shared by every call that hit a stale CSRF token at the same moment. */
let refreshing: Promise<ConsoleSession | null> | undefined;
function refreshSession(): Promise<ConsoleSession | null> {
  refreshing ??= fetchMe()
    .then((s) => {
      sessionStore.set(s);
      return s;
    })
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

async function post(target: string, input: unknown, session: ConsoleSession, opts: CallOptions): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-amz-target': target,
    'x-capstan-csrf': session.csrfToken,
  };
  const region = opts.region ?? sessionStore.region();
  if (region) headers['x-capstan-region'] = region;
  return fetch(`${API}/call`, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(input ?? {}), signal: opts.signal ?? null, ...(opts.keepalive ? { keepalive: true } : {}) });
}

/**
 * Calls an API operation as the signed-in user: `target` is the X-Amz-Target value
 * (`AmazonSSM.ListDocuments`, `TrentService.ListKeys`). A lost session sends the app back to
 * sign-in; a stale CSRF token is renewed once and the call repeated.
 */
export async function call<T>(target: string, input: unknown = {}, opts: CallOptions = {}): Promise<T> {
  let session = sessionStore.get();
  if (!session) throw new ApiError('NotSignedIn', 'Sign in to continue.', 401);
  let res = await post(target, input, session, opts);
  if (res.status === 403) {
    const err = await errorFrom(res);
    if (err.code !== 'InvalidCsrfToken') throw err;
    session = await refreshSession();
    if (!session) throw new ApiError('NotSignedIn', 'Your session has ended; sign in again.', 401);
    res = await post(target, input, session, opts);
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    // Any 401 from the console endpoint means the cookie no longer names a session.
    if (res.status === 401) sessionStore.set(null);
    throw err;
  }
  if (res.status === 204) return {} as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export const ssm = <T>(operation: string, input: unknown = {}, opts?: CallOptions) => call<T>(`AmazonSSM.${operation}`, input, opts);

/**
 * Every page of a paginated operation, concatenated. `onPage` sees each page as it arrives so a
 * long listing can render progressively.
 */
export async function allPages<Page extends { NextToken?: string }, Item>(
  operation: string,
  input: Record<string, unknown>,
  items: (page: Page) => Item[] | undefined,
  opts: CallOptions & { onPage?: (soFar: Item[]) => void; limit?: number } = {},
): Promise<Item[]> {
  const out: Item[] = [];
  let token: string | undefined;
  do {
    const page = await ssm<Page>(operation, token ? { ...input, NextToken: token } : input, opts);
    out.push(...(items(page) ?? []));
    opts.onPage?.(out);
    token = page.NextToken || undefined;
  } while (token && (opts.limit === undefined || out.length < opts.limit));
  return out;
}
