import { useEffect, type ReactNode } from 'react';

/** Every page: a document title, one h1, optional actions beside it. */
export function Page({ title, heading, actions, children, testId }: { title: string; heading?: ReactNode; actions?: ReactNode; children: ReactNode; testId?: string }) {
  useEffect(() => {
    document.title = `${title} · Capstan`;
  }, [title]);
  return (
    <section className="page" data-testid={testId}>
      <header className="page-header">
        <h1 id="page-title">{heading ?? title}</h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}
