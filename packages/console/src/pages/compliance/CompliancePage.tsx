import { useState } from 'react';
import { Page } from '../../components/Page';
import { Link, useQuery, withQuery } from '../../router/router';
import { ComplianceSummary } from './ComplianceSummary';
import { NodeItems } from './NodeItems';
import { TypeNodes } from './TypeNodes';

/**
 * Compliance: every type's compliant and non-compliant nodes; `?type=` drills into a type's
 * nodes, `&node=` into one node's items. The place in the drill-down lives in the address so a
 * link or the browser's Back button returns to it.
 */
export function CompliancePage() {
  const [query] = useQuery();
  const type = query.get('type') || undefined;
  const node = type ? query.get('node') || undefined : undefined;
  const status = query.get('status') || 'NON_COMPLIANT';
  const severity = query.get('severity') || undefined;
  // Refresh remounts the sections below, which reload what they show.
  const [round, setRound] = useState(0);
  const refresh = () => setRound((n) => n + 1);

  const title = node ? `${node} · ${type} compliance` : type ? `${type} compliance` : 'Compliance';
  return (
    <Page
      title={title}
      testId="compliance-page"
      actions={
        <>
          {type ? (
            <Link to="/compliance" className="button">
              All types
            </Link>
          ) : null}
          <button type="button" className="button" onClick={refresh} data-testid="cmp-refresh">
            Refresh
          </button>
        </>
      }
    >
      {type ? (
        <nav aria-label="Breadcrumb" className="breadcrumbs">
          <ol>
            <li>
              <Link to="/compliance">Compliance</Link>
            </li>
            <li>{node ? <Link to={withQuery('/compliance', { type })}>{type}</Link> : <span aria-current="page">{type}</span>}</li>
            {node ? (
              <li>
                <span aria-current="page" className="mono">
                  {node}
                </span>
              </li>
            ) : null}
          </ol>
        </nav>
      ) : null}
      <div key={round}>
        {!type ? (
          <section className="panel" aria-labelledby="h-cmp-types">
            <h2 id="h-cmp-types">Nodes by compliance type</h2>
            <ComplianceSummary />
          </section>
        ) : node ? (
          <section className="panel" aria-labelledby="h-cmp-items">
            <h2 id="h-cmp-items">
              {type} items of <Link to={`/nodes/${encodeURIComponent(node)}`} className="mono">{node}</Link>
            </h2>
            <NodeItems type={type} node={node} all={query.get('items') === 'all'} />
          </section>
        ) : (
          <section className="panel" aria-labelledby="h-cmp-nodes">
            <h2 id="h-cmp-nodes">{status === 'COMPLIANT' ? 'Compliant' : status === 'ALL' ? 'All' : 'Non-compliant'} nodes for {type}</h2>
            <TypeNodes type={type} status={status} severity={severity} />
          </section>
        )}
      </div>
    </Page>
  );
}
