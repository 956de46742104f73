import { useCallback, useState } from 'react';

/**
 * Forward-only NextToken paging with a stack of the tokens seen, so "Previous" works without
 * the server knowing about it.
 */
export function usePager() {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const token = stack[stack.length - 1];
  const next = useCallback((t: string) => setStack((s) => [...s, t]), []);
  const prev = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const reset = useCallback(() => setStack([undefined]), []);
  return { token, page: stack.length, next, prev, reset };
}

export function Pager({ page, nextToken, onNext, onPrev, busy }: { page: number; nextToken: string | undefined; onNext: (t: string) => void; onPrev: () => void; busy?: boolean }) {
  if (page === 1 && !nextToken) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="button" onClick={onPrev} disabled={page === 1 || busy}>
        Previous
      </button>
      <span>Page {page}</span>
      <button type="button" className="button" onClick={() => nextToken && onNext(nextToken)} disabled={!nextToken || busy}>
        Next
      </button>
    </nav>
  );
}
