import { listIncidentMetrics, IMPACTS, planName } from '../../api/incidents';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { duration } from './stats';

/** Incident Manager's incidents of this region, open or resolved (the choice lives in the address). */
export function IncidentsPage() {
  const [query, setQuery] = useQuery();
  const status = query.get('status') === 'RESOLVED' ? 'RESOLVED' : 'OPEN';
  const list = useAsync((signal) => listIncidentMetrics(undefined, { signal }), []);
  const rows = (list.data ?? []).filter((i) => i.Status === status).sort((a, b) => b.CreationTime - a.CreationTime);
  return (
    <Page
      title="Incidents"
      testId="incidents-page"
      actions={
        <>
          <Link to="/incidents/response-plans" className="button" data-testid="im-plans-link">
            Response plans
          </Link>
          <button type="button" className="button" onClick={list.reload} disabled={list.loading} data-testid="im-refresh">
            Refresh
          </button>
        </>
      }
    >
      <div className="im-switch" role="group" aria-label="Incident status">
        {(['OPEN', 'RESOLVED'] as const).map((s) => (
          <button key={s} type="button" aria-pressed={status === s} className="button" onClick={() => setQuery({ status: s })} data-testid={`im-tab-${s.toLowerCase()}`}>
            {s === 'OPEN' ? 'Open' : 'Resolved'}
          </button>
        ))}
      </div>
      {list.loading && !list.data ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && rows.length === 0 ? <Empty>{status === 'OPEN' ? 'No incident is open.' : 'No incident has been resolved.'}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="im-table">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Impact</th>
                <th scope="col">Response plan</th>
                <th scope="col">Started</th>
                <th scope="col">Time to acknowledge</th>
                <th scope="col">Time to resolve</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => (
                <tr key={i.Arn} data-testid="im-row" data-arn={i.Arn} data-status={i.Status}>
                  <td>
                    <Link to={`/incidents/record?arn=${encodeURIComponent(i.Arn)}`} data-testid="im-link">
                      {i.Title}
                    </Link>
                  </td>
                  <td>
                    <span className={`badge im-impact-${i.Impact}`} data-testid="im-impact">
                      {i.Impact} {IMPACTS[i.Impact]}
                    </span>
                  </td>
                  <td>
                    <Link to={`/incidents/response-plans/insight?arn=${encodeURIComponent(i.ResponsePlanArn)}`}>{planName(i.ResponsePlanArn)}</Link>
                  </td>
                  <td title={formatTime(i.CreationTime)}>{ago(i.CreationTime)}</td>
                  <td data-testid="im-tta">{duration(i.TimeToAcknowledgeSeconds)}</td>
                  <td data-testid="im-ttr">{duration(i.TimeToResolveSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
