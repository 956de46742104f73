import { useCallback, useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/**
 * A router of a few dozen lines instead of a dependency: the console has a handful of flat
 * routes under one base path, and history.pushState plus a pattern match covers them.
 * Paths inside the app are written without the base: `/nodes/mi-…`.
 */
export const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

const NAVIGATE = 'capstan:navigate';

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

function subscribe(onChange: () => void) {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE, onChange);
  };
}

export function href(to: string): string {
  return BASE + (to.startsWith('/') ? to : `/${to}`);
}

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  const url = href(to);
  if (url === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE));
}

export interface AppLocation {
  /** The path inside the app, starting with `/`. */
  path: string;
  query: URLSearchParams;
  search: string;
}

export function useLocation(): AppLocation {
  const raw = useSyncExternalStore(subscribe, snapshot);
  return useMemo(() => {
    const url = new URL(raw, window.location.origin);
    let path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
    if (path === '') path = '/';
    return { path, query: url.searchParams, search: url.search };
  }, [raw]);
}

/** Reads and writes the query string, which holds a page's filters so that links can carry them. */
export function useQuery(): [URLSearchParams, (changes: Record<string, string | undefined | null>, opts?: { replace?: boolean }) => void] {
  const { path, query } = useLocation();
  const update = useCallback(
    (changes: Record<string, string | undefined | null>, opts: { replace?: boolean } = {}) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined || v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      const s = next.toString();
      navigate(path + (s ? `?${s}` : ''), { replace: opts.replace ?? true });
    },
    [path],
  );
  return [query, update];
}

export type Params = Record<string, string>;

/** Matches `/documents/:name/edit` against a path; segments are URI-decoded. */
export function match(pattern: string, path: string): Params | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Params = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(s[i]!);
      } catch {
        return null;
      }
    } else if (part !== s[i]) return null;
  }
  return params;
}

export interface Route {
  pattern: string;
  render: (params: Params) => ReactNode;
}

export function useRoute(routes: Route[]): { route: Route; params: Params } | null {
  const { path } = useLocation();
  for (const route of routes) {
    const params = match(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** A real link (open in new tab and copy work) that navigates in place on a plain click. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || rest.target) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={href(to)} onClick={handle} {...rest} />;
}

/** Builds `/path?k=v` leaving out empty values. */
export function withQuery(path: string, q: Record<string, string | number | undefined | null | false>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '' && v !== false) s.set(k, String(v));
  const str = s.toString();
  return str ? `${path}?${str}` : path;
}
