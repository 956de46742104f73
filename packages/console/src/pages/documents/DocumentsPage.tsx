import { useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import type { DocumentIdentifier } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';

export const DOCUMENT_TYPES = ['Command', 'Automation', 'Session', 'Package', 'Policy', 'ChangeCalendar', 'ApplicationConfiguration', 'ApplicationConfigurationSchema', 'ProblemAnalysis', 'ProblemAnalysisTemplate', 'ChangeTemplate'];

export function DocumentsPage() {
  const [query, setQuery] = useQuery();
  const owner = query.get('owner') ?? 'Self';
  const type = query.get('type') ?? '';
  const search = query.get('q') ?? '';
  const [draft, setDraft] = useState(search);
  const pager = usePager();

  const filters = [
    ...(owner !== 'All' ? [{ Key: 'Owner', Values: [owner] }] : []),
    ...(type ? [{ Key: 'DocumentType', Values: [type] }] : []),
    ...(search ? [{ Key: 'SearchKeyword', Values: [search] }] : []),
  ];
  const list = useAsync(
    (signal) => ssm<{ DocumentIdentifiers?: DocumentIdentifier[]; NextToken?: string }>('ListDocuments', { MaxResults: 50, ...(filters.length ? { Filters: filters } : {}), ...(pager.token ? { NextToken: pager.token } : {}) }, { signal }),
    [owner, type, search, pager.token],
  );
  const change = (c: Record<string, string>) => {
    pager.reset();
    setQuery(c);
  };
  const applySearch = (e: FormEvent) => {
    e.preventDefault();
    change({ q: draft.trim() });
  };

  return (
    <Page
      title="Documents"
      testId="documents-page"
      actions={
        <Link to="/documents/new" className="button button-primary" data-testid="doc-create">
          Create document
        </Link>
      }
    >
      <form className="filters" onSubmit={applySearch} aria-label="Filter documents">
        <div className="segmented" role="radiogroup" aria-label="Owner">
          {[
            ['Self', 'Owned by me'],
            ['Amazon', 'Built in'],
            ['All', 'All'],
          ].map(([v, label]) => (
            <label key={v}>
              <input type="radio" name="owner" checked={owner === v} onChange={() => change({ owner: v! })} data-testid={`doc-owner-${v}`} />
              {label}
            </label>
          ))}
        </div>
        <Field label="Type">
          {(ids) => (
            <select {...ids} value={type} onChange={(e) => change({ type: e.target.value })} data-testid="doc-filter-type">
              <option value="">Any</option>
              {DOCUMENT_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Search">
          {(ids) => <input {...ids} type="search" value={draft} placeholder="name contains…" onChange={(e) => setDraft(e.target.value)} data-testid="doc-filter-search" />}
        </Field>
        <button type="submit" className="button">
          Search
        </button>
      </form>
      {list.loading ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && !list.data.DocumentIdentifiers?.length ? (
        <Empty>{owner === 'Self' && !type && !search ? 'You have no documents of your own yet.' : 'No document matches.'}</Empty>
      ) : null}
      {list.data?.DocumentIdentifiers?.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="doc-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Owner</th>
                <th scope="col">Platforms</th>
                <th scope="col">Default version</th>
                <th scope="col">Format</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.DocumentIdentifiers.map((d) => (
                <tr key={d.Name} data-testid="doc-row" data-name={d.Name}>
                  <td>
                    <Link to={`/documents/view/${encodeURIComponent(d.Name)}`}>{d.Name}</Link>
                    {d.DisplayName ? <div className="muted small">{d.DisplayName}</div> : null}
                  </td>
                  <td>{d.DocumentType}</td>
                  <td className="truncate">{d.Owner}</td>
                  <td>{d.PlatformTypes?.join(', ') || '—'}</td>
                  <td>{d.DocumentVersion}</td>
                  <td>{d.DocumentFormat}</td>
                  <td>{formatTime(d.CreatedDate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={pager.page} nextToken={list.data?.NextToken} onNext={pager.next} onPrev={pager.prev} busy={list.loading} />
    </Page>
  );
}
