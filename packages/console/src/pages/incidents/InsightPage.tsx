import { listIncidentMetrics, planName } from '../../api/incidents';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatCount } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { duration, insightOf, type Spread } from './stats';

/**
 * Mean, p50 and p90 of one measure as horizontal bars on a shared scale. The bars are decoration
 * (aria-hidden); the figures beside them say the same in words.
 */
function SpreadChart({ label, spread, scale, testId }: { label: string; spread: Spread; scale: number; testId: string }) {
  const rows = [
    ['Mean', spread.mean],
    ['p50', spread.p50],
    ['p90', spread.p90],
  ] as const;
  return (
    <figure className="im-chart" data-testid={testId} data-count={spread.count}>
      <figcaption>
        {label} <span className="muted small">({formatCount(spread.count)} incidents)</span>
      </figcaption>
      <dl className="im-bars">
        {rows.map(([name, v]) => (
          <div key={name} className="im-bar-row" data-stat={name} data-seconds={v ?? ''}>
            <dt>{name}</dt>
            <dd>
              <svg className="im-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                <rect x="0" y="0" width="100" height="8" className="bar-track" />
                <rect x="0" y="0" width={v !== undefined && scale > 0 ? (v / scale) * 100 : 0} height="8" className="bar-fill tone-info" />
              </svg>
              <span className="im-bar-value">{duration(v)}</span>
            </dd>
          </div>
        ))}
      </dl>
    </figure>
  );
}

/** A response plan's record: its incidents, how fast they were acknowledged and resolved, and which runbooks helped. */
export function InsightPage() {
  const [query] = useQuery();
  const arn = query.get('arn') ?? '';
  const state = useAsync((signal) => listIncidentMetrics(arn, { signal }), [arn]);
  const insight = state.data ? insightOf(state.data) : undefined;
  const scale = insight ? Math.max(insight.acknowledge.p90 ?? 0, insight.acknowledge.mean ?? 0, insight.resolve.p90 ?? 0, insight.resolve.mean ?? 0) : 0;
  const most = Math.max(1, ...(insight?.runbooks.map((r) => r.runs) ?? []));
  return (
    <Page
      title={`Insight: ${planName(arn)}`}
      testId="insight-page"
      actions={
        <Link to="/incidents/response-plans" className="button">
          Response plans
        </Link>
      }
    >
      {state.loading && !state.data ? <Loading /> : null}
      {state.error !== undefined ? <ErrorBox error={state.error} retry={state.reload} /> : null}
      {insight ? (
        <>
          <section className="panel" aria-labelledby="h-im-counts">
            <h2 id="h-im-counts">Incidents</h2>
            <dl className="facts" data-testid="im-counts">
              <dt>All</dt>
              <dd data-testid="im-count-total">{formatCount(insight.total)}</dd>
              <dt>Open</dt>
              <dd data-testid="im-count-open">{formatCount(insight.open)}</dd>
              <dt>Resolved</dt>
              <dd data-testid="im-count-resolved">{formatCount(insight.resolved)}</dd>
            </dl>
          </section>
          <section className="panel" aria-labelledby="h-im-times">
            <h2 id="h-im-times">Response times</h2>
            <SpreadChart label="Time to acknowledge" spread={insight.acknowledge} scale={scale} testId="im-chart-acknowledge" />
            <SpreadChart label="Time to resolve" spread={insight.resolve} scale={scale} testId="im-chart-resolve" />
          </section>
          <section className="panel" aria-labelledby="h-im-runbooks">
            <h2 id="h-im-runbooks">Runbooks</h2>
            {insight.runbooks.length === 0 ? <Empty>No runbook ran in these incidents.</Empty> : null}
            <ul className="plain im-runbooks" data-testid="im-runbooks">
              {insight.runbooks.map((r) => (
                <li key={r.name} data-testid="im-runbook" data-name={r.name} data-runs={r.runs} data-mitigated={r.mitigated}>
                  <span className="mono">{r.name}</span>
                  <svg className="im-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                    <rect x="0" y="0" width={(r.runs / most) * 100} height="8" className="bar-fill tone-muted" />
                    <rect x="0" y="0" width={(r.mitigated / most) * 100} height="8" className="bar-fill tone-good" />
                  </svg>
                  <span className="small">
                    ran {formatCount(r.runs)} times, mitigated {formatCount(r.mitigated)} ({Math.round((r.mitigated / r.runs) * 100)}%)
                  </span>
                </li>
              ))}
            </ul>
          </section>
        </>
      ) : null}
    </Page>
  );
}
