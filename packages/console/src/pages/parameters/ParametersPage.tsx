import { useState, type FormEvent } from 'react';
import { allPages } from '../../api/client';
import type { Parameter, ParameterMetadata } from '../../api/types';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { ago, formatCount, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery, withQuery } from '../../router/router';
import { leafOf, normalisePath, splitLevel } from './paths';

/** Enough for a browsable level; past it the page says so instead of loading without end. */
const META_LIMIT = 5000;

export function ParametersPage() {
  const [query] = useQuery();
  const path = normalisePath(query.get('path'));

  const level = useAsync(
    async (signal) => {
      // Metadata of everything below the path gives the folders and their sizes; values come
      // only for this level and never decrypted.
      const metaInput = path === '/' ? { MaxResults: 50 } : { MaxResults: 50, ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: [path] }] };
      const [meta, values] = await Promise.all([
        allPages<{ Parameters?: ParameterMetadata[]; NextToken?: string }, ParameterMetadata>('DescribeParameters', metaInput, (p) => p.Parameters, { signal, limit: META_LIMIT }),
        allPages<{ Parameters?: Parameter[]; NextToken?: string }, Parameter>('GetParametersByPath', { Path: path, Recursive: false, MaxResults: 10 }, (p) => p.Parameters, { signal, limit: 500 }),
      ]);
      const valueOf = new Map(values.filter((p) => p.Type !== 'SecureString').map((p) => [p.Name, p.Value ?? '']));
      return { ...splitLevel(path, meta), valueOf, truncated: meta.length >= META_LIMIT };
    },
    [path],
  );

  const crumbs = path === '/' ? [] : path.slice(1).split('/');
  const [jump, setJump] = useState('');
  const go = (e: FormEvent) => {
    e.preventDefault();
    const v = jump.trim();
    if (!v) return;
    if (v.endsWith('/')) navigate(withQuery('/parameters', { path: normalisePath(v) }));
    else navigate(withQuery('/parameters/view', { name: v }));
  };

  return (
    <Page
      title="Parameter Store"
      testId="parameters-page"
      actions={
        <Link to={withQuery('/parameters/new', { path })} className="button button-primary" data-testid="param-create">
          Create parameter
        </Link>
      }
    >
      <nav aria-label="Path" className="breadcrumbs" data-testid="param-breadcrumbs">
        <ol>
          <li>
            <Link to="/parameters" aria-current={path === '/' ? 'page' : undefined}>
              /
            </Link>
          </li>
          {crumbs.map((c, i) => {
            const p = `/${crumbs.slice(0, i + 1).join('/')}`;
            return (
              <li key={p}>
                <Link to={withQuery('/parameters', { path: p })} aria-current={p === path ? 'page' : undefined}>
                  {c}
                </Link>
              </li>
            );
          })}
        </ol>
      </nav>
      <form className="filters" onSubmit={go} role="search">
        <div className="field">
          <label htmlFor="p-jump">Go to a parameter or path</label>
          <input id="p-jump" placeholder="/prod/db/url, or /prod/ for a path" value={jump} onChange={(e) => setJump(e.target.value)} data-testid="param-jump" />
        </div>
        <button type="submit" className="button">
          Go
        </button>
      </form>
      {level.loading ? <Loading /> : null}
      {level.error !== undefined ? <ErrorBox error={level.error} retry={level.reload} /> : null}
      {level.data ? (
        <>
          {level.data.truncated ? <p className="callout callout-warn">Only the first {formatCount(META_LIMIT)} parameters below this path were read; open a deeper path to see the rest.</p> : null}
          {level.data.folders.length === 0 && level.data.params.length === 0 ? (
            <Empty>
              No parameters under <code>{path}</code>.
            </Empty>
          ) : null}
          {level.data.folders.length ? (
            <ul className="folders" aria-label="Paths below" data-testid="param-folders">
              {level.data.folders.map((f) => (
                <li key={f.path}>
                  <Link to={withQuery('/parameters', { path: f.path })}>
                    <span aria-hidden="true">📁 </span>
                    {f.name}/
                  </Link>{' '}
                  <span className="muted small">{formatCount(f.count)}</span>
                </li>
              ))}
            </ul>
          ) : null}
          {level.data.params.length ? (
            <div className="table-wrap">
              <table className="table" data-testid="param-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Value</th>
                    <th scope="col">Tier</th>
                    <th scope="col">Version</th>
                    <th scope="col">Last modified</th>
                  </tr>
                </thead>
                <tbody>
                  {level.data.params.map((p) => (
                    <tr key={p.Name} data-testid="param-row" data-name={p.Name}>
                      <td>
                        <Link to={withQuery('/parameters/view', { name: p.Name })} title={p.Name}>
                          {leafOf(p.Name)}
                        </Link>
                        {p.Description ? <div className="muted small truncate">{p.Description}</div> : null}
                      </td>
                      <td>{p.Type}</td>
                      <td className="truncate value-cell">
                        {p.Type === 'SecureString' ? <span className="muted">hidden</span> : <code>{level.data!.valueOf.get(p.Name) ?? ''}</code>}
                      </td>
                      <td>{p.Tier ?? 'Standard'}</td>
                      <td>{p.Version}</td>
                      <td title={formatTime(p.LastModifiedDate)}>{ago(p.LastModifiedDate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      ) : null}
    </Page>
  );
}
