import { useMemo } from 'react';
import { getInventory, INSTANCE_INFO, inventorySchemas, type InventoryEntity } from '../../api/inventory';
import { BarList, type Slice } from '../../components/Charts';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatCount, plural } from '../../lib/format';
import { slug } from '../../lib/slug';
import { useAsync } from '../../lib/useAsync';
import { Link, useLocation } from '../../router/router';
import { MatchedEntries } from './MatchedEntries';
import { QueryForm } from './QueryForm';
import { apiFilters, defaultCountBy, narrowTo, parseQuery, PLATFORM_KEY, queryPath, type FleetQuery } from './query';

const PAGE_SIZE = 25;
/** Values beyond these are summed up in a line: a package's versions rarely run further. */
const TOP_VALUES = 20;

/**
 * The fleet's inventory: pick a type, filter its attributes, and see the matching nodes with
 * counts by an attribute's values (Version by default) and by platform. The whole question is in
 * the address, so a link reproduces it; a count is a link that narrows the question to its value.
 */
export function InventoryPage() {
  const { query } = useLocation();
  const q = useMemo(() => parseQuery(query), [query]);
  const schemas = useAsync((signal) => inventorySchemas({ signal }), []);
  const attributes = useMemo(() => schemas.data?.find((s) => s.TypeName === q.type)?.Attributes.map((a) => a.Name) ?? [], [schemas.data, q.type]);
  const by = q.by || defaultCountBy(attributes);
  const key = queryPath(q);

  return (
    <Page title="Inventory" testId="inventory-page">
      <p className="muted">
        What software and configuration the nodes report. Filters on a type hold on the same entry: <em>Name equals openssl</em> and <em>Version less than 3.0.13</em> find the nodes with an openssl older than
        3.0.13. Versions compare as package managers order them (3.0.9 before 3.0.13, 1.0~rc1 before 1.0).
      </p>
      {schemas.error !== undefined ? <ErrorBox error={schemas.error} retry={schemas.reload} title="The inventory types could not be listed" /> : null}
      <QueryForm key={`form ${key}`} query={q} schemas={schemas.data} by={by} />
      {/* The key starts paging over for each new question. */}
      <Results key={`results ${key}`} q={q} by={by} />
    </Page>
  );
}

function Results({ q, by }: { q: FleetQuery; by: string }) {
  const pager = usePager();
  const filters = apiFilters(q);
  const withFilters = filters.length ? { Filters: filters } : {};
  const list = useAsync((signal) => getInventory({ ...withFilters, MaxResults: PAGE_SIZE, ...(pager.token ? { NextToken: pager.token } : {}) }, { signal }), [pager.token]);
  // Counting by the type's own attribute needs a filter on the type: unfiltered, every package's versions would be counted together.
  const countByType = q.filters.length > 0 && by !== '';
  const counts = useAsync(async (signal) => {
    const expressions = [...(countByType ? [`${q.type}.${by}`] : []), PLATFORM_KEY];
    const r = await getInventory({ ...withFilters, Aggregators: expressions.map((Expression) => ({ Expression })) }, { signal });
    const of = (i: number) => (r.Entities?.[i] ? Object.values(r.Entities[i]!.Data ?? {})[0]?.Content ?? [] : []);
    const values = countByType ? of(0) : undefined;
    const platforms = of(countByType ? 1 : 0);
    return { values, platforms };
    // The counted attribute is known once the type's schema has loaded.
  }, [countByType, by]);

  // Both calls carry the same filters: a refused question is shown once.
  if (list.error !== undefined) return <ErrorBox error={list.error} retry={list.reload} title="The inventory query was refused" testId="inv-error" />;

  const total = counts.data?.platforms.reduce((n, c) => n + Number(c.Count ?? 0), 0);
  const slices = (content: Record<string, string>[], attr: string, to: (v: string) => string, prefix: string): Slice[] =>
    content.slice(0, TOP_VALUES).map((c) => {
      const v = c[attr] ?? '';
      return { key: v, label: v || 'Unknown', count: Number(c.Count ?? 0), to: to(v), testId: `${prefix}-${slug(v)}` };
    });
  const rest = (content: Record<string, string>[]) => (content.length > TOP_VALUES ? <p className="muted small">and {plural(content.length - TOP_VALUES, 'more value')}</p> : null);
  const entities = list.data?.Entities ?? [];

  return (
    <>
      <p className="result-line" aria-live="polite">
        {total !== undefined ? (
          <>
            <span data-testid="inv-match-count" data-count={total}>
              {formatCount(total)}
            </span>{' '}
            {total === 1 ? 'node matches' : 'nodes match'}
          </>
        ) : (
          'Counting…'
        )}
      </p>
      <div className="grid two inv-results">
        <section className="panel panel-wide" aria-labelledby="h-inv-nodes">
          <h2 id="h-inv-nodes">Matching nodes</h2>
          {list.loading && !list.data ? <Loading label="Querying the inventory…" /> : null}
          {list.data && entities.length === 0 ? <Empty>No node's inventory matches.</Empty> : null}
          {entities.length ? <NodesTable q={q} entities={entities} /> : null}
          <Pager page={pager.page} nextToken={list.data?.NextToken} onNext={pager.next} onPrev={pager.prev} busy={list.loading} />
        </section>
        <section className="panel" aria-labelledby="h-inv-by">
          <h2 id="h-inv-by">
            Nodes by {q.type}.{by || '…'}
          </h2>
          {!countByType ? (
            <Empty>Add a filter on {q.type} (such as Name equals openssl) to count its values across the matching nodes.</Empty>
          ) : counts.error !== undefined ? (
            <ErrorBox error={counts.error} retry={counts.reload} title="The counts could not be made" />
          ) : counts.data?.values ? (
            counts.data.values.length ? (
              <>
                <BarList label={`Matching nodes by ${by}`} items={slices(counts.data.values, by, (v) => queryPath(narrowTo(q, by, v)), 'inv-count-by')} />
                {rest(counts.data.values)}
              </>
            ) : (
              <Empty>No values.</Empty>
            )
          ) : (
            <Loading label="Counting…" />
          )}
        </section>
        <section className="panel" aria-labelledby="h-inv-platform">
          <h2 id="h-inv-platform">Nodes by platform</h2>
          {counts.error !== undefined && !countByType ? <ErrorBox error={counts.error} retry={counts.reload} title="The counts could not be made" /> : null}
          {counts.data ? (
            counts.data.platforms.length ? (
              <>
                <BarList label="Matching nodes by platform" items={slices(counts.data.platforms, 'PlatformName', (v) => queryPath({ ...q, platform: v }), 'inv-count-platform')} />
                {rest(counts.data.platforms)}
              </>
            ) : (
              <Empty>No nodes.</Empty>
            )
          ) : counts.error === undefined ? (
            <Loading label="Counting…" />
          ) : null}
        </section>
      </div>
    </>
  );
}

function NodesTable({ q, entities }: { q: FleetQuery; entities: InventoryEntity[] }) {
  // The matched entries are worth a call a node only when the type is filtered and is not the one every node has.
  const showMatched = q.filters.length > 0 && q.type !== INSTANCE_INFO;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="inv-nodes">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Computer name</th>
            <th scope="col">Platform</th>
            {showMatched ? <th scope="col">Matching {q.type} entries</th> : null}
          </tr>
        </thead>
        <tbody>
          {entities.map((e) => {
            const info = e.Data?.[INSTANCE_INFO]?.Content?.[0] ?? {};
            return (
              <tr key={e.Id} data-testid="inv-node-row" data-instance-id={e.Id}>
                <td>
                  <Link to={`/nodes/${e.Id}`} className="mono" data-testid="inv-node-link">
                    {e.Id}
                  </Link>
                </td>
                <td>{info.ComputerName || '—'}</td>
                <td data-testid="inv-node-platform">{[info.PlatformName, info.PlatformVersion].filter(Boolean).join(' ') || '—'}</td>
                {showMatched ? (
                  <td>
                    <MatchedEntries id={e.Id!} q={q} />
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
