import { incidents, listIncidentMetrics, type ResponsePlanSummary } from '../../api/incidents';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';

/** The response plans of this account, each with how many incidents it has open and in all. */
export function ResponsePlansPage() {
  const state = useAsync(async (signal) => {
    const plans: ResponsePlanSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await incidents<{ responsePlanSummaries?: ResponsePlanSummary[]; nextToken?: string }>('ListResponsePlans', { maxResults: 100, ...(nextToken ? { nextToken } : {}) }, { signal });
      plans.push(...(page.responsePlanSummaries ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return { plans, incidents: await listIncidentMetrics(undefined, { signal }) };
  }, []);
  const count = (arn: string, open?: boolean) => (state.data?.incidents ?? []).filter((i) => i.ResponsePlanArn === arn && (open === undefined || (i.Status === 'OPEN') === open)).length;
  return (
    <Page
      title="Response plans"
      testId="response-plans-page"
      actions={
        <Link to="/incidents" className="button">
          Incidents
        </Link>
      }
    >
      {state.loading && !state.data ? <Loading /> : null}
      {state.error !== undefined ? <ErrorBox error={state.error} retry={state.reload} /> : null}
      {state.data && state.data.plans.length === 0 ? <Empty>There are no response plans.</Empty> : null}
      {state.data?.plans.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="im-plans-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Display name</th>
                <th scope="col">Open incidents</th>
                <th scope="col">All incidents</th>
                <th scope="col">
                  <span className="visually-hidden">Insight</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.data.plans.map((p) => (
                <tr key={p.arn} data-testid="im-plan-row" data-name={p.name}>
                  <td className="mono">{p.name}</td>
                  <td>{p.displayName ?? '—'}</td>
                  <td>{count(p.arn, true)}</td>
                  <td>{count(p.arn)}</td>
                  <td>
                    <Link to={`/incidents/response-plans/insight?arn=${encodeURIComponent(p.arn)}`} data-testid="im-insight-link">
                      Insight
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
