export const COOKIE_NAME = 'capstan_console';
export const COOKIE_PATH = '/capstan/console';

/** Every value the request carries under the console's cookie name (a stale one may come first). */
export function consoleCookies(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  const out: string[] = [];
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== COOKIE_NAME) continue;
    out.push(part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * HttpOnly keeps it from script; SameSite=Strict keeps other sites' pages from sending it;
 * the path keeps it to the console's API; Secure whenever the browser reached us over TLS.
 */
export function sessionCookie(token: string, secure: boolean): string {
  return `${COOKIE_NAME}=${token}; HttpOnly; SameSite=Strict; Path=${COOKIE_PATH}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=${COOKIE_PATH}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? '; Secure' : ''}`;
}
