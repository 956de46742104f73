import { useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import type { Command } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';

const STATUSES = ['Pending', 'InProgress', 'Success', 'Cancelled', 'Failed', 'TimedOut', 'Cancelling'];

export function HistoryPage() {
  const [query, setQuery] = useQuery();
  const status = query.get('status') ?? '';
  const documentName = query.get('document') ?? '';
  const after = query.get('after') ?? '';
  const pager = usePager();
  const [draftDoc, setDraftDoc] = useState(documentName);

  const filters = [
    ...(status ? [{ key: 'Status', value: status }] : []),
    ...(documentName ? [{ key: 'DocumentName', value: documentName }] : []),
    ...(after ? [{ key: 'InvokedAfter', value: new Date(after).toISOString() }] : []),
  ];
  const list = useAsync(
    (signal) => ssm<{ Commands?: Command[]; NextToken?: string }>('ListCommands', { MaxResults: 25, ...(filters.length ? { Filters: filters } : {}), ...(pager.token ? { NextToken: pager.token } : {}) }, { signal }),
    [status, documentName, after, pager.token],
  );

  const change = (c: Record<string, string>) => {
    pager.reset();
    setQuery(c);
  };
  const applyDoc = (e: FormEvent) => {
    e.preventDefault();
    change({ document: draftDoc.trim() });
  };

  return (
    <Page
      title="Command history"
      testId="history-page"
      actions={
        <Link to="/run-command" className="button button-primary">
          Run a command
        </Link>
      }
    >
      <form className="filters" onSubmit={applyDoc} aria-label="Filter commands">
        <Field label="Status">
          {(ids) => (
            <select {...ids} value={status} onChange={(e) => change({ status: e.target.value })} data-testid="history-filter-status">
              <option value="">Any</option>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Document">
          {(ids) => <input {...ids} value={draftDoc} placeholder="AWS-RunShellScript" onChange={(e) => setDraftDoc(e.target.value)} onBlur={() => draftDoc.trim() !== documentName && change({ document: draftDoc.trim() })} data-testid="history-filter-document" />}
        </Field>
        <Field label="Sent after">
          {(ids) => <input {...ids} type="datetime-local" value={after} onChange={(e) => change({ after: e.target.value })} data-testid="history-filter-after" />}
        </Field>
        <button type="submit" className="button">
          Apply
        </button>
      </form>
      {list.loading ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && !list.data.Commands?.length ? <Empty>No commands match.</Empty> : null}
      {list.data?.Commands?.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="history-table">
            <thead>
              <tr>
                <th scope="col">Command</th>
                <th scope="col">Document</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Requested</th>
                <th scope="col">Comment</th>
              </tr>
            </thead>
            <tbody>
              {list.data.Commands.map((c) => (
                <tr key={c.CommandId} data-testid="history-row" data-command-id={c.CommandId}>
                  <td>
                    <Link to={`/run-command/commands/${c.CommandId}`} className="mono">
                      {c.CommandId}
                    </Link>
                  </td>
                  <td>{c.DocumentName}</td>
                  <td>
                    <StatusBadge status={c.Status} />
                  </td>
                  <td>
                    {c.CompletedCount ?? 0}/{c.TargetCount ?? 0}
                    {c.ErrorCount ? <span className="bad-text"> · {c.ErrorCount} failed</span> : null}
                  </td>
                  <td title={formatTime(c.RequestedDateTime)}>{ago(c.RequestedDateTime)}</td>
                  <td className="truncate">{c.Comment || '—'}</td>
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
