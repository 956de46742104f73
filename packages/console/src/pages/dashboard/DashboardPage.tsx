import { ssm } from '../../api/client';
import { BarList, Donut, type Slice } from '../../components/Charts';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { ago, formatCount, plural } from '../../lib/format';
import { slug } from '../../lib/slug';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { ALL_REGIONS, type NodeRegions } from '../nodes/fleet';
import { FailedInvocations } from './FailedInvocations';
import { dashboardOf, type NodesSummary } from './summary';

const PING: { key: string; label: string; tone: string }[] = [
  { key: 'Online', label: 'Online', tone: 'good' },
  { key: 'ConnectionLost', label: 'Connection lost', tone: 'bad' },
  { key: 'Inactive', label: 'Inactive', tone: 'muted' },
];

export function DashboardPage() {
  // One call counts the fleet on the server; listing 10,000 nodes to count them would take seconds.
  const summary = useAsync(async (signal) => ({ at: Date.now(), d: dashboardOf(await ssm<NodesSummary>('CapstanSummarizeNodes', {}, { signal })) }), []);
  const s = summary.data?.d;
  // Where else the account has nodes: the counts above are the header's region only.
  const regions = useAsync((signal) => ssm<NodeRegions>('CapstanListNodeRegions', {}, { signal }), []);
  const refresh = () => {
    summary.reload();
    regions.reload();
  };

  return (
    <Page
      title="Dashboard"
      testId="dashboard"
      actions={
        <button type="button" className="button" onClick={refresh} disabled={summary.loading}>
          Refresh
        </button>
      }
    >
      {summary.error !== undefined ? <ErrorBox error={summary.error} retry={summary.reload} title="The nodes could not be counted" /> : null}
      {summary.loading && !s ? <Loading label="Counting nodes…" /> : null}
      {s && !summary.loading ? (
        <div data-testid="dashboard-ready">
          <p className="muted small">
            As of {ago(summary.data!.at / 1000)} · <Link to="/nodes">all nodes</Link>
          </p>
          <div className="cards">
            <Card label="Managed nodes" count={s.total} to="/nodes" testId="dash-count-total" />
            {PING.map((p) => (
              <Card key={p.key} label={p.label} count={s.ping.get(p.key) ?? 0} to={withQuery('/nodes', { ping: p.key })} testId={`dash-count-ping-${p.key}`} tone={p.tone} />
            ))}
            <Card
              label={s.newest ? `Agents older than ${s.newest}` : 'Outdated agents'}
              count={s.outdated}
              to={withQuery('/nodes', { outdated: 1 })}
              testId="dash-count-agent-outdated"
              tone={s.outdated ? 'warn' : 'good'}
            />
          </div>
          {(regions.data?.Regions.length ?? 0) > 1 ? <RegionBreakdown regions={regions.data!.Regions} /> : null}
          {s.total === 0 ? (
            <p className="empty">
              No managed nodes yet. Register one with <code>capstan agent register</code> and an activation (<code>aws ssm create-activation</code>).
            </p>
          ) : (
            <div className="grid">
              <section className="panel" aria-labelledby="h-ping">
                <h2 id="h-ping">Ping status</h2>
                <Donut label="Nodes by ping status" total={s.total} items={PING.map((p): Slice => ({ key: p.key, label: p.label, count: s.ping.get(p.key) ?? 0, to: withQuery('/nodes', { ping: p.key }), tone: p.tone }))} />
              </section>
              <section className="panel" aria-labelledby="h-platform">
                <h2 id="h-platform">Platform</h2>
                <BarList
                  label="Nodes by platform"
                  items={s.platforms.map(([k, n]) => ({ key: k, label: k, count: n, to: withQuery('/nodes', { platform: k }), testId: `dash-count-platform-${slug(k)}` }))}
                />
                <h3>Operating system</h3>
                <BarList label="Nodes by operating system" items={s.os.slice(0, 12).map(([k, n]) => ({ key: k, label: k, count: n, to: withQuery('/nodes', { os: k }), testId: `dash-count-os-${slug(k)}` }))} />
                {s.os.length > 12 ? <p className="muted small">{plural(s.os.length - 12, 'more OS version')} in the node list.</p> : null}
              </section>
              <section className="panel" aria-labelledby="h-agent">
                <h2 id="h-agent">Agent version</h2>
                {s.outdated > 0 ? (
                  <p className="callout callout-warn" data-testid="dash-outdated-callout">
                    <Link to={withQuery('/nodes', { outdated: 1 })}>{plural(s.outdated, 'node')}</Link> {s.outdated === 1 ? 'runs' : 'run'} an agent older than {s.newest}, the newest in this fleet.
                  </p>
                ) : (
                  <p className="callout callout-good">Every node runs agent {s.newest ?? '—'}.</p>
                )}
                <BarList
                  label="Nodes by agent version"
                  items={s.agents.slice(0, 12).map(([k, n]) => ({
                    key: k,
                    label: k,
                    count: n,
                    to: withQuery('/nodes', { agent: k }),
                    tone: k === s.newest ? 'good' : 'warn',
                    note: k === s.newest ? '(newest)' : '(outdated)',
                    testId: `dash-count-agent-${slug(k)}`,
                  }))}
                />
              </section>
              <section className="panel panel-wide" aria-labelledby="h-failed">
                <h2 id="h-failed">Recent failed commands</h2>
                <FailedInvocations />
              </section>
            </div>
          )}
        </div>
      ) : null}
    </Page>
  );
}

/** The account's nodes region by region, each count leading to that region's node list. */
function RegionBreakdown({ regions }: { regions: NodeRegions['Regions'] }) {
  const total = regions.reduce((n, r) => n + r.Total, 0);
  return (
    <section className="panel" aria-labelledby="h-regions" data-testid="dash-regions">
      <h2 id="h-regions">By region</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Region</th>
            <th scope="col">Nodes</th>
            <th scope="col">Online</th>
          </tr>
        </thead>
        <tbody>
          {regions.map((r) => (
            <tr key={r.Region}>
              <td className="mono">{r.Region}</td>
              <td>
                <Link to={withQuery('/nodes', { region: r.Region })} data-testid={`dash-region-${slug(r.Region)}`} title={`The nodes of ${r.Region}`}>
                  {formatCount(r.Total)}
                </Link>
              </td>
              <td>{formatCount(r.Online)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        <Link to={withQuery('/nodes', { region: ALL_REGIONS })}>All {formatCount(total)} nodes in one list</Link>
      </p>
    </section>
  );
}

function Card({ label, count, to, testId, tone }: { label: string; count: number; to: string; testId: string; tone?: string }) {
  return (
    <Link to={to} className={`card tone-border-${tone ?? 'info'}`}>
      <span className="card-count" data-testid={testId}>
        {formatCount(count)}
      </span>
      <span className="card-label">{label}</span>
    </Link>
  );
}
