import { useDeferredValue, useEffect, useMemo, useState, useSyncExternalStore, type FormEvent } from 'react';
import { sessionStore } from '../../api/session';
import { Page } from '../../components/Page';
import { StatusBadge, ErrorBox, Loading } from '../../components/Status';
import { VirtualTable, type Column } from '../../components/VirtualTable';
import { ago, formatCount, formatTime, plural } from '../../lib/format';
import { compareVersions } from '../../lib/versions';
import { Link, useQuery, withQuery } from '../../router/router';
import { ALL_REGIONS, countBy, filterNodes, newestAgent, osLabel, peekFleet, useFleet, type FleetNode, type ServerQuery } from './fleet';
import { useManagedOrganization } from './organization';

/** SendCommand takes at most 50 instance ids; more nodes are reached by tag. */
const MAX_SELECTED = 50;

export function parseTag(tag: string | null): { key?: string; value?: string } {
  if (!tag) return {};
  const i = tag.indexOf('=');
  return i < 0 ? { key: tag } : { key: tag.slice(0, i), value: tag.slice(i + 1) };
}

export function NodesPage() {
  const [query, setQuery] = useQuery();
  const ping = query.get('ping') ?? '';
  const platform = query.get('platform') ?? '';
  const agent = query.get('agent') ?? '';
  const os = query.get('os') ?? '';
  const outdated = query.get('outdated') === '1';
  const tag = parseTag(query.get('tag'));
  const search = query.get('q') ?? '';
  const deferredSearch = useDeferredValue(search);

  // The header's region unless the address names another (`region=eu-west-1`, from the
  // dashboard's breakdown) or every region (`region=all`).
  const headerRegion = useSyncExternalStore(sessionStore.subscribe, sessionStore.effectiveRegion);
  const regionParam = query.get('region') ?? '';
  const region = regionParam && regionParam !== headerRegion ? regionParam : undefined;
  const allRegions = region === ALL_REGIONS;

  // The organisation scope (`scope=organization`), offered to the management account of an
  // organisation: every account's nodes in every region, `account` and `region` filtering them.
  const org = useManagedOrganization();
  const myAccount = useSyncExternalStore(sessionStore.subscribe, () => sessionStore.get()?.principal.accountId);
  const orgScope = org !== undefined && query.get('scope') === 'organization';
  const account = orgScope ? (query.get('account') ?? '') : '';
  const orgRegion = orgScope && regionParam !== ALL_REGIONS ? regionParam : '';

  // With the whole fleet already in memory and fresh, every filter but tags is answered here at once.
  const full = orgScope ? undefined : peekFleet({ region });
  const local = !orgScope && !tag.key && (full !== undefined || outdated);
  const serverQuery: ServerQuery = orgScope
    ? { organization: { account, region: orgRegion, ping, platform, agent, tagKey: tag.key, tagValue: tag.value } }
    : local
      ? { region }
      : { region, ping, platform, agent, tagKey: tag.key, tagValue: tag.value };
  const fleet = useFleet(serverQuery);

  const newest = useMemo(() => newestAgent(full?.nodes ?? fleet.nodes), [full, fleet.nodes]);
  const rows = useMemo(
    () => filterNodes(fleet.nodes, { os, outdated, search: deferredSearch, ...(local ? { ping, platform, agent } : {}) }, newest),
    [fleet.nodes, os, outdated, deferredSearch, local, ping, platform, agent, newest],
  );
  const options = full?.nodes ?? fleet.nodes;
  const osOptions = useMemo(() => countBy(options, osLabel).map(([k]) => k).sort(), [options]);
  const agentOptions = useMemo(() => countBy(options, (n) => n.AgentVersion).map(([k]) => k).sort((a, b) => compareVersions(b, a)), [options]);
  const regionOptions = useMemo(() => [...new Set([...fleet.nodes.map((n) => n.Region), ...(orgRegion ? [orgRegion] : [])])].sort(), [fleet.nodes, orgRegion]);
  const ownNode = (n: FleetNode) => !n.AccountId || n.AccountId === myAccount;

  // Run Command runs in the header's region and the signed-in account, so only those nodes can be picked for it.
  const selectable = (n: FleetNode) => n.Region === headerRegion && ownNode(n);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const pickable = useMemo(() => rows.filter(selectable), [rows, headerRegion, myAccount]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else if (n.size < MAX_SELECTED) n.add(id);
      return n;
    });

  const [tagDraft, setTagDraft] = useState({ key: tag.key ?? '', value: tag.value ?? '' });
  useEffect(() => setTagDraft({ key: tag.key ?? '', value: tag.value ?? '' }), [tag.key, tag.value]);
  const applyTag = (e: FormEvent) => {
    e.preventDefault();
    const k = tagDraft.key.trim();
    setQuery({ tag: k ? (tagDraft.value.trim() ? `${k}=${tagDraft.value.trim()}` : k) : undefined });
  };

  const columns: Column<FleetNode>[] = [
    {
      key: 'sel',
      header: <span className="visually-hidden">Select</span>,
      width: '2.5rem',
      cell: (n) => (
        <input
          type="checkbox"
          aria-label={`Select ${n.InstanceId}`}
          checked={selected.has(n.InstanceId)}
          disabled={!selectable(n) || (!selected.has(n.InstanceId) && selected.size >= MAX_SELECTED)}
          title={selectable(n) ? undefined : ownNode(n) ? `Run Command runs in the header's region (${headerRegion}); switch to ${n.Region} to run on this node` : `A node of account ${n.AccountId}: Run Command runs in this account`}
          onChange={() => toggle(n.InstanceId)}
          data-testid={`node-select-${n.InstanceId}`}
        />
      ),
    },
    {
      key: 'id',
      header: 'Node',
      width: '13rem',
      cell: (n) =>
        ownNode(n) ? (
          <Link to={region || orgScope ? withQuery(`/nodes/${n.InstanceId}`, { region: n.Region }) : `/nodes/${n.InstanceId}`} className="mono" data-testid="node-link">
            {n.InstanceId}
          </Link>
        ) : (
          <span className="mono" title={`A node of account ${n.AccountId}; its details are shown to that account`}>
            {n.InstanceId}
          </span>
        ),
    },
    ...(orgScope ? [{ key: 'account', header: 'Account', width: '9rem', cell: (n: FleetNode) => <span className="mono" data-testid="node-account">{n.AccountId}</span> }] : []),
    ...(region || orgScope ? [{ key: 'region', header: 'Region', width: '8.5rem', cell: (n: FleetNode) => <span className="mono" data-testid="node-region">{n.Region}</span> }] : []),
    { key: 'name', header: 'Name', width: '14rem', cell: (n) => <span title={n.ComputerName}>{n.Name || n.ComputerName || '—'}</span> },
    { key: 'ping', header: 'Ping status', width: '9.5rem', cell: (n) => <StatusBadge status={n.PingStatus} /> },
    { key: 'os', header: 'Platform', width: '12rem', cell: (n) => <span title={n.PlatformType}>{osLabel(n)}</span> },
    {
      key: 'agent',
      header: 'Agent',
      width: '9rem',
      cell: (n) => (
        <span>
          {n.AgentVersion ?? '—'}
          {newest && n.AgentVersion && compareVersions(n.AgentVersion, newest) < 0 ? (
            <span className="tag-outdated" title={`Older than ${newest}`}>
              {' '}
              outdated
            </span>
          ) : null}
        </span>
      ),
    },
    { key: 'ip', header: 'IP address', width: '9rem', cell: (n) => <span className="mono">{n.IPAddress ?? '—'}</span> },
    { key: 'seen', header: 'Last ping', width: '8rem', cell: (n) => <span title={formatTime(n.LastPingDateTime)}>{ago(n.LastPingDateTime)}</span> },
  ];

  const anyFilter = ping || platform || agent || os || outdated || tag.key || search || account || orgRegion;
  const setScope = (next: 'account' | 'organization') => {
    setSelected(new Set());
    setQuery({ scope: next === 'organization' ? 'organization' : undefined, account: undefined, region: undefined });
  };
  const runTo = withQuery('/run-command', { instanceIds: [...selected].join(',') });

  return (
    <Page
      title="Nodes"
      testId="nodes-page"
      actions={
        <>
          <button type="button" className="button" onClick={fleet.refresh} disabled={!fleet.done}>
            Refresh
          </button>
          {selected.size ? (
            <Link to={runTo} className="button button-primary" data-testid="nodes-run-selected">
              Run command on {plural(selected.size, 'node')}
            </Link>
          ) : null}
        </>
      }
    >
      {org ? (
        <div className="scope-switch" role="radiogroup" aria-label="Which nodes" data-testid="nodes-scope" style={{ display: 'flex', gap: '1.5rem', margin: '0 0 0.75rem' }}>
          <label className="field-check">
            <input type="radio" name="nodes-scope" checked={!orgScope} onChange={() => setScope('account')} data-testid="nodes-scope-account" /> This account
          </label>
          <label className="field-check">
            <input type="radio" name="nodes-scope" checked={orgScope} onChange={() => setScope('organization')} data-testid="nodes-scope-organization" /> Organization{' '}
            <span className="muted">
              ({org.id}, {plural(org.accounts.length, 'account')})
            </span>
          </label>
        </div>
      ) : null}
      <form className="filters" onSubmit={applyTag} aria-label="Filter nodes">
        {orgScope ? (
          <>
            <div className="field">
              <label htmlFor="f-account">Account</label>
              <select id="f-account" value={account} onChange={(e) => setQuery({ account: e.target.value })} data-testid="nodes-filter-account">
                <option value="">Any</option>
                {org.accounts.map((a) => (
                  <option key={a} value={a}>
                    {a}
                    {a === myAccount ? ' (this account)' : ''}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="f-region">Region</label>
              <select id="f-region" value={orgRegion} onChange={(e) => setQuery({ region: e.target.value })} data-testid="nodes-filter-region">
                <option value="">Any</option>
                {regionOptions.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </div>
          </>
        ) : (
          <div className="field field-check">
            <input
              id="f-all-regions"
              type="checkbox"
              checked={allRegions}
              onChange={(e) => setQuery({ region: e.target.checked ? ALL_REGIONS : undefined })}
              data-testid="nodes-all-regions"
            />
            <label htmlFor="f-all-regions">
              All regions{' '}
              <span className="muted">
                {allRegions ? '(every region with nodes)' : region ? `(showing ${region}; the header says ${headerRegion})` : `(showing ${headerRegion})`}
              </span>
            </label>
          </div>
        )}
        <div className="field">
          <label htmlFor="f-q">Search</label>
          <input id="f-q" type="search" placeholder="id, name or IP" value={search} onChange={(e) => setQuery({ q: e.target.value })} data-testid="nodes-filter-search" />
        </div>
        <div className="field">
          <label htmlFor="f-ping">Ping status</label>
          <select id="f-ping" value={ping} onChange={(e) => setQuery({ ping: e.target.value })} data-testid="nodes-filter-ping">
            <option value="">Any</option>
            <option value="Online">Online</option>
            <option value="ConnectionLost">Connection lost</option>
            <option value="Inactive">Inactive</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-platform">Platform</label>
          <select id="f-platform" value={platform} onChange={(e) => setQuery({ platform: e.target.value })} data-testid="nodes-filter-platform">
            <option value="">Any</option>
            <option value="Linux">Linux</option>
            <option value="Windows">Windows</option>
            <option value="MacOS">macOS</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-os">OS version</label>
          <select id="f-os" value={os} onChange={(e) => setQuery({ os: e.target.value })} data-testid="nodes-filter-os">
            <option value="">Any</option>
            {(os && !osOptions.includes(os) ? [os, ...osOptions] : osOptions).map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-agent">Agent version</label>
          <select id="f-agent" value={agent} onChange={(e) => setQuery({ agent: e.target.value })} data-testid="nodes-filter-agent">
            <option value="">Any</option>
            {(agent && !agentOptions.includes(agent) ? [agent, ...agentOptions] : agentOptions).map((o) => (
              <option key={o} value={o}>
                {o}
                {o === newest ? ' (newest)' : ''}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-check">
          <input id="f-outdated" type="checkbox" checked={outdated} onChange={(e) => setQuery({ outdated: e.target.checked ? '1' : undefined })} data-testid="nodes-filter-outdated" />
          <label htmlFor="f-outdated">Only agents older than {newest ?? 'the newest'}</label>
        </div>
        <fieldset className="tag-filter">
          <legend>Tag</legend>
          <label htmlFor="f-tag-key" className="visually-hidden">
            Tag key
          </label>
          <input id="f-tag-key" placeholder="key" value={tagDraft.key} onChange={(e) => setTagDraft((d) => ({ ...d, key: e.target.value }))} data-testid="nodes-filter-tag-key" />
          <span aria-hidden="true">=</span>
          <label htmlFor="f-tag-value" className="visually-hidden">
            Tag value (comma-separated for any of several)
          </label>
          <input id="f-tag-value" placeholder="value (any if empty)" value={tagDraft.value} onChange={(e) => setTagDraft((d) => ({ ...d, value: e.target.value }))} data-testid="nodes-filter-tag-value" />
          <button type="submit" className="button" data-testid="nodes-filter-tag-apply">
            Apply
          </button>
        </fieldset>
        {anyFilter ? (
          <button type="button" className="button button-quiet" onClick={() => setQuery({ ping: '', platform: '', agent: '', os: '', outdated: '', tag: '', q: '', ...(orgScope ? { account: '', region: '' } : {}) })} data-testid="nodes-filter-clear">
            Clear filters
          </button>
        ) : null}
      </form>

      {fleet.error !== undefined ? <ErrorBox error={fleet.error} retry={fleet.refresh} title="The nodes could not be listed" /> : null}
      <p className="result-line" aria-live="polite">
        <span data-testid="nodes-count" data-count={rows.length} data-loading={fleet.done ? undefined : 'true'}>
          {formatCount(rows.length)}
        </span>{' '}
        {rows.length === 1 ? 'node' : 'nodes'}
        {anyFilter ? ` match of ${formatCount(fleet.nodes.length)} loaded` : ''}
        {!fleet.done ? ' · loading more…' : ''}
        {selected.size ? (
          <>
            {' '}
            · {selected.size} selected{' '}
            <button type="button" className="link-button" onClick={() => setSelected(new Set())}>
              clear
            </button>
          </>
        ) : null}
        {pickable.length > 0 && selected.size < MAX_SELECTED ? (
          <>
            {' '}
            ·{' '}
            <button type="button" className="link-button" onClick={() => setSelected(new Set(pickable.slice(0, MAX_SELECTED).map((n) => n.InstanceId)))}>
              select {pickable.length > MAX_SELECTED ? `first ${MAX_SELECTED}` : 'all'}
              {region ? ` in ${headerRegion}` : ''}
            </button>
          </>
        ) : null}
      </p>
      {!fleet.done && fleet.nodes.length === 0 ? <Loading label="Loading nodes…" /> : null}
      {fleet.done && rows.length === 0 && fleet.error === undefined ? (
        <p className="empty">{anyFilter ? 'No node matches these filters.' : orgScope ? 'No managed nodes in the organization yet.' : allRegions ? 'No managed nodes in any region yet.' : `No managed nodes in ${region ?? headerRegion} yet.`}</p>
      ) : null}
      {rows.length > 0 ? (
        <VirtualTable
          label="Managed nodes"
          rows={rows}
          columns={columns}
          rowKey={(n) => `${n.AccountId ?? ''}/${n.Region}/${n.InstanceId}`}
          height="min(70vh, 720px)"
          testId="nodes-table"
          rowProps={(n) => ({ 'data-testid': 'node-row', 'data-instance-id': n.InstanceId, 'data-ping': n.PingStatus, 'data-region': n.Region, ...(n.AccountId ? { 'data-account': n.AccountId } : {}) })}
        />
      ) : null}
    </Page>
  );
}
