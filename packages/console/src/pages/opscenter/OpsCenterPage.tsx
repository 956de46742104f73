import { useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { OpsStatus } from './OpsStatus';
import { OPS_STATUSES, type OpsItemSummary } from './types';

const SEVERITIES = ['1', '2', '3', '4'];

/**
 * OpsCenter: the OpsItems of this region, filtered by status (Open by default), severity and
 * source. The filters live in the address so a link or Back returns to the same list.
 */
export function OpsCenterPage() {
  const [query, setQuery] = useQuery();
  const status = query.get('status') ?? 'Open';
  const severity = query.get('severity') ?? '';
  const source = query.get('source') ?? '';
  const [draftSource, setDraftSource] = useState(source);
  const pager = usePager();

  const filters = [
    ...(status !== 'All' ? [{ Key: 'Status', Values: [status], Operator: 'Equal' }] : []),
    ...(severity ? [{ Key: 'Severity', Values: [severity], Operator: 'Equal' }] : []),
    ...(source ? [{ Key: 'Source', Values: [source], Operator: 'Contains' }] : []),
  ];
  const list = useAsync(
    (signal) => ssm<{ OpsItemSummaries?: OpsItemSummary[]; NextToken?: string }>('DescribeOpsItems', { MaxResults: 25, ...(filters.length ? { OpsItemFilters: filters } : {}), ...(pager.token ? { NextToken: pager.token } : {}) }, { signal }),
    [status, severity, source, pager.token],
  );
  const rows = list.data?.OpsItemSummaries ?? [];
  const change = (c: Record<string, string>) => {
    pager.reset();
    setQuery(c);
  };
  const applySource = (e: FormEvent) => {
    e.preventDefault();
    change({ source: draftSource.trim() });
  };

  return (
    <Page
      title="OpsCenter"
      testId="opscenter-page"
      actions={
        <button type="button" className="button" onClick={list.reload} disabled={list.loading} data-testid="ops-refresh">
          Refresh
        </button>
      }
    >
      <form className="filters" onSubmit={applySource} aria-label="Filter OpsItems">
        <Field label="Status">
          {(ids) => (
            <select {...ids} value={status} onChange={(e) => change({ status: e.target.value })} data-testid="ops-filter-status">
              {[...OPS_STATUSES, 'All'].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Severity">
          {(ids) => (
            <select {...ids} value={severity} onChange={(e) => change({ severity: e.target.value })} data-testid="ops-filter-severity">
              <option value="">Any</option>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Source contains">
          {(ids) => <input {...ids} value={draftSource} placeholder="Automation" onChange={(e) => setDraftSource(e.target.value)} onBlur={() => draftSource.trim() !== source && change({ source: draftSource.trim() })} data-testid="ops-filter-source" />}
        </Field>
        <button type="submit" className="button">
          Apply
        </button>
      </form>
      {list.loading && !list.data ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && rows.length === 0 ? <Empty>{filters.length ? 'No OpsItem matches.' : 'There are no OpsItems in this region.'}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="ops-table">
            <thead>
              <tr>
                <th scope="col">OpsItem</th>
                <th scope="col">Title</th>
                <th scope="col">Source</th>
                <th scope="col">Status</th>
                <th scope="col">Severity</th>
                <th scope="col">Priority</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((x) => (
                <tr key={x.OpsItemId} data-testid="ops-row" data-ops-item-id={x.OpsItemId} data-status={x.Status}>
                  <td>
                    <Link to={`/opscenter/items/${x.OpsItemId}`} className="mono" data-testid="ops-link">
                      {x.OpsItemId}
                    </Link>
                  </td>
                  <td className="truncate">{x.Title}</td>
                  <td>{x.Source}</td>
                  <td>
                    <OpsStatus status={x.Status} />
                  </td>
                  <td>{x.Severity ?? '—'}</td>
                  <td>{x.Priority ?? '—'}</td>
                  <td title={formatTime(x.CreatedTime)}>{ago(x.CreatedTime)}</td>
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
