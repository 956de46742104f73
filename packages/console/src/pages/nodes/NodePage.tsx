import { useSyncExternalStore } from 'react';
import { ssm } from '../../api/client';
import { sessionStore } from '../../api/session';
import type { CommandInvocation, InstanceInformation, NodeDiagnosis, Session, Tag } from '../../api/types';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery, withQuery } from '../../router/router';
import { NodeAssociations } from '../associations/NodeAssociations';
import { NodeInventory } from '../inventory/NodeInventory';
import { NodeWindows } from '../maintenance/NodeWindows';
import { NodePatches } from '../patching/NodePatches';
import { osLabel } from './fleet';

/**
 * One node. A node of another region than the header's (opened from the fleet across regions)
 * is named with `?region=`, and every call of the page goes to that region; Run Command and
 * sessions run in the header's region, so the page offers to switch the header to it first.
 */
export function NodePage({ id }: { id: string }) {
  const [query] = useQuery();
  const headerRegion = useSyncExternalStore(sessionStore.subscribe, sessionStore.effectiveRegion);
  const region = query.get('region') || undefined;
  const elsewhere = region !== undefined && region !== headerRegion;
  const node = useAsync(
    async (signal) => {
      const r = await ssm<{ InstanceInformationList?: InstanceInformation[] }>('DescribeInstanceInformation', { Filters: [{ Key: 'InstanceIds', Values: [id] }] }, { signal, region });
      return r.InstanceInformationList?.[0] ?? null;
    },
    [id, region],
  );
  const n = node.data;
  return (
    <Page
      title={id}
      heading={
        <>
          <span className="mono">{id}</span> {n?.Name ? <span className="muted">{n.Name}</span> : null}
        </>
      }
      testId="node-detail"
      actions={
        <>
          <Link to={region ? withQuery('/nodes', { region }) : '/nodes'} className="button">
            All nodes
          </Link>
          {elsewhere ? (
            <button type="button" className="button button-primary" onClick={() => sessionStore.setRegion(region)} data-testid="node-switch-region" title="Run Command and sessions run in the header's region">
              Switch the console to {region}
            </button>
          ) : (
            <Link to={withQuery('/run-command', { instanceIds: id })} className="button button-primary" data-testid="node-run-command">
              Run command
            </Link>
          )}
          {elsewhere ? null : n?.PingStatus === 'Online' ? (
            <Link to={`/sessions/shell/${encodeURIComponent(id)}`} className="button button-primary" data-testid="session-start">
              Start session
            </Link>
          ) : (
            <button type="button" className="button" disabled title="A session needs the node Online" data-testid="session-start">
              Start session
            </button>
          )}
        </>
      }
    >
      {node.loading ? <Loading /> : null}
      {node.error !== undefined ? <ErrorBox error={node.error} retry={node.reload} /> : null}
      {node.data === null ? <Empty>No managed node {id} in this account and region{region ? ` (${region})` : ''}.</Empty> : null}
      {n ? (
        <>
          {elsewhere ? (
            <p className="callout" data-testid="node-region">
              This node is in <strong>{region}</strong>; the console's region is {headerRegion}.
            </p>
          ) : null}
          {n.PingStatus !== 'Online' ? <Diagnosis id={id} region={region} elsewhere={elsewhere} /> : null}
          <div className="grid two">
            <section className="panel" aria-labelledby="h-info">
              <h2 id="h-info">Information</h2>
              <dl className="facts" data-testid="node-info">
                <dt>Region</dt>
                <dd className="mono">{region ?? headerRegion}</dd>
                <dt>Ping status</dt>
                <dd>
                  <StatusBadge status={n.PingStatus} testId="node-ping" />
                </dd>
                <dt>Last ping</dt>
                <dd title={formatTime(n.LastPingDateTime)}>{ago(n.LastPingDateTime)}</dd>
                <dt>Name</dt>
                <dd>{n.Name || '—'}</dd>
                <dt>Computer name</dt>
                <dd>{n.ComputerName || '—'}</dd>
                <dt>IP address</dt>
                <dd className="mono">{n.IPAddress || '—'}</dd>
                <dt>Platform</dt>
                <dd>
                  {osLabel(n)} ({n.PlatformType ?? 'unknown'})
                </dd>
                <dt>Agent version</dt>
                <dd>
                  {n.AgentVersion ?? '—'}
                </dd>
                <dt>Resource type</dt>
                <dd>{n.ResourceType ?? '—'}</dd>
                <dt>IAM role</dt>
                <dd>{n.IamRole || '—'}</dd>
                <dt>Activation</dt>
                <dd className="mono">{n.ActivationId || '—'}</dd>
                <dt>Registered</dt>
                <dd>{formatTime(n.RegistrationDate)}</dd>
              </dl>
            </section>
            <section className="panel" aria-labelledby="h-tags">
              <h2 id="h-tags">Tags</h2>
              <Tags id={id} region={region} />
            </section>
            <section className="panel panel-wide" aria-labelledby="h-commands">
              <h2 id="h-commands">Recent commands</h2>
              <Commands id={id} region={region} elsewhere={elsewhere} />
            </section>
            <section className="panel panel-wide" aria-labelledby="h-node-inventory">
              <h2 id="h-node-inventory">Inventory</h2>
              <NodeInventory id={id} region={region} elsewhere={elsewhere} />
            </section>
            <section className="panel panel-wide" aria-labelledby="h-node-patches">
              <h2 id="h-node-patches">Patches</h2>
              <NodePatches id={id} region={region} elsewhere={elsewhere} />
            </section>
            <section className="panel panel-wide" aria-labelledby="h-node-associations">
              <h2 id="h-node-associations">State Manager associations</h2>
              <NodeAssociations id={id} region={region} elsewhere={elsewhere} />
            </section>
            <section className="panel panel-wide" aria-labelledby="h-node-windows">
              <h2 id="h-node-windows">Maintenance windows</h2>
              <NodeWindows id={id} region={region} elsewhere={elsewhere} />
            </section>
            <section className="panel panel-wide" aria-labelledby="h-sessions">
              <h2 id="h-sessions">Sessions</h2>
              <Sessions id={id} region={region} elsewhere={elsewhere} />
            </section>
          </div>
        </>
      ) : null}
    </Page>
  );
}

/** Where the page's calls go: a region named in the address, else the header's. */
interface InRegion {
  id: string;
  region: string | undefined;
  /** The region is not the header's, so links to pages that call in the header's region are left out. */
  elsewhere?: boolean;
}

function Diagnosis({ id, region, elsewhere }: InRegion) {
  const d = useAsync((signal) => ssm<NodeDiagnosis>('CapstanDiagnoseNode', { InstanceId: id }, { signal, region }), [id, region]);
  return (
    <section className="panel panel-alert" aria-labelledby="h-diag" data-testid="node-diagnosis">
      <h2 id="h-diag">Why is this node not Online?</h2>
      {d.loading ? <Loading label="Diagnosing…" /> : null}
      {d.error !== undefined ? <ErrorBox error={d.error} retry={d.reload} /> : null}
      {d.data ? (
        <>
          <p data-testid="node-diagnosis-text">
            <Ticks text={d.data.Diagnosis} />
          </p>
          {d.data.LastAgentError ? (
            <p>
              The agent last reported <code>{d.data.LastAgentError}</code> ({ago(d.data.LastAgentErrorAt)}).
            </p>
          ) : null}
          {d.data.NextSteps.length ? (
            <>
              <h3>What to do</h3>
              <ol>
                {d.data.NextSteps.map((s) => (
                  <li key={s}>
                    <Ticks text={s} />
                  </li>
                ))}
              </ol>
            </>
          ) : null}
          {elsewhere ? null : (
            <p>
              <Link to={withQuery('/automation/start', { document: 'Capstan-TroubleshootNode', 'param.InstanceId': id })} className="button" data-testid="node-remediate">
                Run the troubleshooting runbook
              </Link>
            </p>
          )}
          {elsewhere ? null : (
            <p className="muted small">
              Once the node is back, <Link to={withQuery('/run-command', { instanceIds: id, document: 'Capstan-DiagnoseAgent' })}>run Capstan-DiagnoseAgent</Link> for the agent's own layer-by-layer check.
            </p>
          )}
        </>
      ) : null}
    </section>
  );
}

/** The diagnosis writes commands between backticks, as the CLI prints them. */
function Ticks({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part))}
    </>
  );
}

function Tags({ id, region }: InRegion) {
  const t = useAsync((signal) => ssm<{ TagList?: Tag[] }>('ListTagsForResource', { ResourceType: 'ManagedInstance', ResourceId: id }, { signal, region }), [id, region]);
  if (t.loading) return <Loading />;
  if (t.error !== undefined) return <ErrorBox error={t.error} retry={t.reload} />;
  const tags = t.data?.TagList ?? [];
  if (!tags.length) return <Empty>No tags.</Empty>;
  return (
    <table className="table" data-testid="node-tags">
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {tags.map((tag) => (
          <tr key={tag.Key}>
            <td>{tag.Key}</td>
            <td>
              <Link to={withQuery('/nodes', { tag: `${tag.Key}=${tag.Value}`, region })} title="Nodes with this tag">
                {tag.Value || '(empty)'}
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Commands({ id, region, elsewhere }: InRegion) {
  const c = useAsync((signal) => ssm<{ CommandInvocations?: CommandInvocation[] }>('ListCommandInvocations', { InstanceId: id, MaxResults: 20 }, { signal, region }), [id, region]);
  if (c.loading) return <Loading />;
  if (c.error !== undefined) return <ErrorBox error={c.error} retry={c.reload} />;
  const list = c.data?.CommandInvocations ?? [];
  if (!list.length) return <Empty>No commands have run on this node.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="node-commands">
        <thead>
          <tr>
            <th scope="col">Command</th>
            <th scope="col">Document</th>
            <th scope="col">Status</th>
            <th scope="col">Requested</th>
            <th scope="col">Comment</th>
          </tr>
        </thead>
        <tbody>
          {list.map((i) => (
            <tr key={i.CommandId}>
              <td>
                {elsewhere ? (
                  <span className="mono">{i.CommandId}</span>
                ) : (
                  <Link to={`/run-command/commands/${i.CommandId}`} className="mono">
                    {i.CommandId}
                  </Link>
                )}
              </td>
              <td>{i.DocumentName}</td>
              <td>
                <StatusBadge status={i.StatusDetails ?? i.Status} />
              </td>
              <td title={formatTime(i.RequestedDateTime)}>{ago(i.RequestedDateTime)}</td>
              <td>{i.Comment || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Sessions({ id, region, elsewhere }: InRegion) {
  const s = useAsync(
    async (signal) => {
      const filters = [{ key: 'Target', value: id }];
      const [active, history] = await Promise.all([
        ssm<{ Sessions?: Session[] }>('DescribeSessions', { State: 'Active', Filters: filters, MaxResults: 20 }, { signal, region }),
        ssm<{ Sessions?: Session[] }>('DescribeSessions', { State: 'History', Filters: filters, MaxResults: 20 }, { signal, region }),
      ]);
      return [...(active.Sessions ?? []), ...(history.Sessions ?? [])];
    },
    [id, region],
  );
  if (s.loading) return <Loading />;
  if (s.error !== undefined) return <ErrorBox error={s.error} retry={s.reload} />;
  const list = s.data ?? [];
  if (!list.length) return <Empty>No sessions on this node.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="node-sessions">
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Status</th>
            <th scope="col">Owner</th>
            <th scope="col">Document</th>
            <th scope="col">Started</th>
            <th scope="col">Ended</th>
          </tr>
        </thead>
        <tbody>
          {list.map((x) => (
            <tr key={x.SessionId}>
              <td className="mono">{x.SessionId}</td>
              <td>
                <StatusBadge status={x.Status} />
              </td>
              <td className="truncate" title={x.Owner}>
                {x.Owner?.split('/').pop() ?? '—'}
              </td>
              <td>{x.DocumentName ?? '—'}</td>
              <td>{formatTime(x.StartDate)}</td>
              <td>{formatTime(x.EndDate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {elsewhere ? null : (
        <p className="muted small">
          <Link to={withQuery('/sessions', { target: id })}>All sessions on this node</Link>
        </p>
      )}
    </div>
  );
}
