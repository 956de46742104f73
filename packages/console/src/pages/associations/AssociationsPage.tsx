import { useEffect, useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import type { Association } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { associationLabel, formatCounts, isRunning, targetsSummary } from './associations';
import { RunNow } from './RunNow';

/** State Manager's associations: ListAssociations a page at a time, filtered by association name or document. */
export function AssociationsPage() {
  const [query, setQuery] = useQuery();
  const name = query.get('name') ?? '';
  const document = query.get('document') ?? '';
  const pager = usePager();
  const [draft, setDraft] = useState({ name, document });

  const filters = [...(name ? [{ key: 'AssociationName', value: name }] : []), ...(document ? [{ key: 'Name', value: document }] : [])];
  const list = useAsync(
    (signal) =>
      ssm<{ Associations?: Association[]; NextToken?: string }>(
        'ListAssociations',
        { MaxResults: 25, ...(filters.length ? { AssociationFilterList: filters } : {}), ...(pager.token ? { NextToken: pager.token } : {}) },
        { signal },
      ),
    [name, document, pager.token],
  );
  const rows = list.data?.Associations ?? [];
  // An association waiting for its first run, or one running now, changes in seconds: keep the list current meanwhile.
  const busy = rows.some((a) => isRunning(a.Overview?.Status) || isRunning(a.Overview?.DetailedStatus));
  const reload = list.reload;
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(reload, 5000);
    return () => clearInterval(timer);
  }, [busy, reload]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    pager.reset();
    setQuery({ name: draft.name.trim(), document: draft.document.trim() });
  };
  const clear = () => {
    setDraft({ name: '', document: '' });
    pager.reset();
    setQuery({ name: '', document: '' });
  };

  return (
    <Page
      title="State Manager"
      testId="associations-page"
      actions={
        <>
          <button type="button" className="button" onClick={list.reload} disabled={list.loading} data-testid="assoc-refresh">
            Refresh
          </button>
          <Link to="/state-manager/create" className="button button-primary" data-testid="assoc-create">
            Create association
          </Link>
        </>
      }
    >
      <p className="hint">An association keeps nodes in a state: it runs a Command document on its targets on a schedule, and on nodes that join the targets later.</p>
      <form className="filters" onSubmit={apply} aria-label="Filter associations">
        <Field label="Association name (exact)">
          {(ids) => <input {...ids} value={draft.name} onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))} data-testid="assoc-filter-name" />}
        </Field>
        <Field label="Document name (exact)">
          {(ids) => <input {...ids} value={draft.document} placeholder="AWS-RunShellScript" onChange={(e) => setDraft((d) => ({ ...d, document: e.target.value }))} data-testid="assoc-filter-document" />}
        </Field>
        <button type="submit" className="button" data-testid="assoc-filter-apply">
          Apply
        </button>
        {name || document ? (
          <button type="button" className="button button-quiet" onClick={clear} data-testid="assoc-filter-clear">
            Clear
          </button>
        ) : null}
      </form>
      {list.loading && !list.data ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && rows.length === 0 ? <Empty>{name || document ? 'No association matches.' : 'There are no associations in this region yet.'}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="assoc-table">
            <thead>
              <tr>
                <th scope="col">Association</th>
                <th scope="col">Document</th>
                <th scope="col">Targets</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last run</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => {
                const counts = formatCounts(a.Overview?.AssociationStatusAggregatedCount);
                const detailed = a.Overview?.DetailedStatus && a.Overview.DetailedStatus !== a.Overview.Status ? a.Overview.DetailedStatus : undefined;
                return (
                  <tr key={a.AssociationId} data-testid="assoc-row" data-association-id={a.AssociationId} data-status={a.Overview?.Status ?? ''}>
                    <td>
                      <Link to={`/state-manager/associations/${a.AssociationId}`} className={a.AssociationName ? undefined : 'mono'} data-testid="assoc-link">
                        {associationLabel(a)}
                      </Link>
                      {a.AssociationName ? <div className="muted small mono">{a.AssociationId}</div> : null}
                    </td>
                    <td>
                      {a.Name ? <Link to={`/documents/view/${encodeURIComponent(a.Name)}`}>{a.Name}</Link> : '—'}
                      {a.DocumentVersion && a.DocumentVersion !== '$DEFAULT' ? <span className="muted"> {a.DocumentVersion === '$LATEST' ? 'latest' : `v${a.DocumentVersion}`}</span> : null}
                    </td>
                    <td className="break" data-testid="assoc-targets-summary">
                      {targetsSummary(a)}
                    </td>
                    <td className="mono small">{a.ScheduleExpression ?? <span className="muted">once</span>}</td>
                    <td title={formatTime(a.LastExecutionDate)}>{a.LastExecutionDate ? ago(a.LastExecutionDate) : '—'}</td>
                    <td>
                      <StatusBadge status={a.Overview?.Status ?? 'Pending'} testId="assoc-status" />
                      {detailed ? <span className="muted small"> {detailed}</span> : null}
                      {counts ? (
                        <div className="small" data-testid="assoc-counts">
                          {counts}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <RunNow associationId={a.AssociationId} label={associationLabel(a)} onStarted={() => setTimeout(reload, 1000)} testId="assoc-run" className="button button-small" />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={pager.page} nextToken={list.data?.NextToken} onNext={pager.next} onPrev={pager.prev} busy={list.loading} />
    </Page>
  );
}
