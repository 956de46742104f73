import { useEffect, useState, useSyncExternalStore } from 'react';
import { ssm } from '../../api/client';
import { isAbort, isApiError } from '../../api/errors';
import { sessionStore } from '../../api/session';
import type { InstanceInformation, StringFilter } from '../../api/types';
import { compareVersions, newestVersion } from '../../lib/versions';
import { organizationFilters, type OrganizationQuery } from './organization';

/**
 * The node list loads every node once and keeps them in memory, rather than showing one server
 * page at a time: the search on name and IP and the OS-version filter have no server-side filter,
 * the dashboard needs every node to count them, and with the rows virtualised a 10,000-node table
 * stays fast in the browser. The listing uses DescribeInstanceProperties, which pages 1,000 nodes
 * at a time (10 round trips for 10,000 nodes instead of 200 with DescribeInstanceInformation's 50),
 * and falls back to DescribeInstanceInformation for a caller allowed only that. The filters the
 * API has (ping status, platform, agent version, tag) still go to the server, so a narrow question
 * about a large fleet fetches only the matching nodes.
 */
export interface ServerQuery {
  /** A region other than the header's, or ALL_REGIONS; none means the header's region. */
  region?: string | undefined;
  ping?: string | undefined;
  platform?: string | undefined;
  agent?: string | undefined;
  tagKey?: string | undefined;
  tagValue?: string | undefined;
  /** The nodes of every account of the organisation the signed-in account manages. */
  organization?: OrganizationQuery | undefined;
}

export function serverFilters(q: ServerQuery): StringFilter[] {
  const f: StringFilter[] = [];
  if (q.ping) f.push({ Key: 'PingStatus', Values: [q.ping] });
  if (q.platform) f.push({ Key: 'PlatformTypes', Values: [q.platform] });
  if (q.agent) f.push({ Key: 'AgentVersion', Values: [q.agent] });
  if (q.tagKey) {
    if (q.tagValue) f.push({ Key: `tag:${q.tagKey}`, Values: q.tagValue.split(',').map((v) => v.trim()).filter(Boolean) });
    else f.push({ Key: 'tag-key', Values: [q.tagKey] });
  }
  return f;
}

/** The region scope of the node list that loads every region the account has nodes in. */
export const ALL_REGIONS = 'all';

const keyOf = (q: ServerQuery) => JSON.stringify(q.organization ? ['organization', organizationFilters(q.organization)] : [q.region ?? '', serverFilters(q)]);

/** A listed node and the region it was listed in; AccountId in the organisation view. */
export type FleetNode = InstanceInformation & { Region: string; AccountId?: string };

/** Capstan's CapstanListNodeRegions answer: the regions where the account has nodes. */
export interface NodeRegions {
  Regions: { Region: string; Total: number; Online: number }[];
}

export interface FleetState {
  nodes: FleetNode[];
  done: boolean;
  error: unknown;
  loadedAt: number | undefined;
}

/** Errors that mean "this caller may not use DescribeInstanceProperties", not "the fleet cannot be listed". */
const FALLBACK = new Set(['AccessDeniedException', 'AccessDenied', 'UnknownOperationException', 'InvalidAction']);

async function pages(
  operation: string,
  max: number,
  filters: { FiltersWithOperator?: unknown[]; Filters?: unknown[] },
  member: string,
  into: FleetNode[],
  publish: () => void,
  signal: AbortSignal,
  region: string,
) {
  const hasFilters = (filters.FiltersWithOperator ?? filters.Filters ?? []).length > 0;
  let token: string | undefined;
  do {
    const input: Record<string, unknown> = { MaxResults: max, ...(hasFilters ? filters : {}), ...(token ? { NextToken: token } : {}) };
    const page = await ssm<Record<string, unknown> & { NextToken?: string }>(operation, input, { signal, region });
    for (const n of (page[member] as InstanceInformation[] | undefined) ?? []) into.push({ ...n, Region: region });
    token = page.NextToken || undefined;
    // A new array each time so React sees the change; cheap next to the network round trip.
    publish();
  } while (token);
}

/** What the node list reads of a loading, whether of one region or of all. */
abstract class Load {
  state: FleetState = { nodes: [], done: false, error: undefined, loadedAt: undefined };
  private listeners = new Set<() => void>();
  protected ctl = new AbortController();
  users = 0;

  protected set(next: Partial<FleetState>) {
    this.state = { ...this.state, ...next };
    this.listeners.forEach((l) => l());
  }

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  };

  getState = () => this.state;

  abort() {
    this.ctl.abort();
  }
}

/** One loading of one filter set in one region; listeners see each page arrive. */
class FleetLoad extends Load {
  constructor(
    readonly filters: StringFilter[],
    readonly region: string,
  ) {
    super();
    void this.run();
  }

  private async run() {
    const nodes: FleetNode[] = [];
    const signal = this.ctl.signal;
    const publish = () => this.set({ nodes: nodes.slice() });
    try {
      try {
        await pages('DescribeInstanceProperties', 1000, { FiltersWithOperator: this.filters.map((f) => ({ ...f, Operator: 'Equal' })) }, 'InstanceProperties', nodes, publish, signal, this.region);
      } catch (e) {
        if (!(isApiError(e) && FALLBACK.has(e.code)) || nodes.length) throw e;
        await pages('DescribeInstanceInformation', 50, { Filters: this.filters }, 'InstanceInformationList', nodes, publish, signal, this.region);
      }
      this.set({ done: true, loadedAt: Date.now() });
    } catch (error) {
      if (!isAbort(error)) this.set({ error, done: true });
    }
  }
}

/**
 * The fleet of every region the account has nodes in: CapstanListNodeRegions names them, then
 * each region loads in parallel (its own x-capstan-region, the same server-side filters) and
 * the rows merge, region by region, as their pages arrive.
 */
class AllRegionsLoad extends Load {
  private parts: FleetLoad[] = [];
  private offs: (() => void)[] = [];

  constructor(readonly filters: StringFilter[]) {
    super();
    void this.run();
  }

  private async run() {
    try {
      const r = await ssm<NodeRegions>('CapstanListNodeRegions', {}, { signal: this.ctl.signal });
      if (this.ctl.signal.aborted) return;
      this.parts = (r.Regions ?? []).map((x) => new FleetLoad(this.filters, x.Region));
      for (const p of this.parts) this.offs.push(p.subscribe(this.merge));
      this.merge();
    } catch (error) {
      if (!isAbort(error)) this.set({ error, done: true });
    }
  }

  private merge = () => {
    const states = this.parts.map((p) => p.state);
    const done = states.every((s) => s.done);
    this.set({
      nodes: states.flatMap((s) => s.nodes),
      done,
      error: states.find((s) => s.error !== undefined)?.error,
      loadedAt: done ? Date.now() : undefined,
    });
  };

  override abort() {
    super.abort();
    for (const off of this.offs) off();
    for (const p of this.parts) p.abort();
  }
}

/**
 * The nodes of every account and region of the organisation, as CapstanListOrganizationNodes
 * pages them (1,000 at a time); its filters, account and region among them, go to the server.
 */
class OrganizationLoad extends Load {
  constructor(readonly filters: StringFilter[]) {
    super();
    void this.run();
  }

  private async run() {
    const nodes: FleetNode[] = [];
    const signal = this.ctl.signal;
    try {
      let token: string | undefined;
      do {
        const input = { MaxResults: 1000, ...(this.filters.length ? { Filters: this.filters } : {}), ...(token ? { NextToken: token } : {}) };
        const page = await ssm<{ Nodes?: FleetNode[]; NextToken?: string }>('CapstanListOrganizationNodes', input, { signal });
        nodes.push(...(page.Nodes ?? []));
        token = page.NextToken || undefined;
        this.set({ nodes: nodes.slice() });
      } while (token);
      this.set({ done: true, loadedAt: Date.now() });
    } catch (error) {
      if (!isAbort(error)) this.set({ error, done: true });
    }
  }
}

/** Answers older than this are loaded again when a page asks for them. */
const FRESH_MS = 30_000;
const MAX_CACHED = 4;
const loads = new Map<string, Load>();

function acquire(q: ServerQuery, force: boolean): Load {
  const key = keyOf(q);
  const have = loads.get(key);
  const stale = have && (have.state.error !== undefined || (have.state.loadedAt !== undefined && Date.now() - have.state.loadedAt > FRESH_MS));
  if (have && !force && !stale) {
    // Most recently used goes last, so eviction drops the oldest.
    loads.delete(key);
    loads.set(key, have);
    return have;
  }
  if (have && have.users === 0) have.abort();
  const load = q.organization ? new OrganizationLoad(organizationFilters(q.organization)) : q.region === ALL_REGIONS ? new AllRegionsLoad(serverFilters(q)) : new FleetLoad(serverFilters(q), q.region ?? sessionStore.effectiveRegion());
  loads.set(key, load);
  for (const [k, l] of loads) {
    if (loads.size <= MAX_CACHED) break;
    if (l !== load && l.users === 0) {
      l.abort();
      loads.delete(k);
    }
  }
  return load;
}

/** Forgets every cached listing, e.g. after signing out. */
export function clearFleet() {
  for (const l of loads.values()) l.abort();
  loads.clear();
}

const EMPTY: FleetState = { nodes: [], done: false, error: undefined, loadedAt: undefined };
const noop = () => () => {};

export function useFleet(q: ServerQuery): FleetState & { refresh: () => void } {
  const key = keyOf(q);
  const [nonce, setNonce] = useState(0);
  const [held, setHeld] = useState<{ key: string; load: Load } | undefined>();
  useEffect(() => {
    const l = acquire(q, nonce > 0);
    l.users++;
    setHeld({ key, load: l });
    return () => {
      l.users--;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, nonce]);
  // Until the effect has picked up the listing for new filters, the old one's rows are not shown as its answer.
  const load = held?.key === key ? held.load : undefined;
  const state = useSyncExternalStore(load?.subscribe ?? noop, load?.getState ?? (() => EMPTY));
  return { ...state, refresh: () => setNonce((n) => n + 1) };
}

/** The nodes' OS as one label, which the OS filter and the dashboard group by. */
export const osLabel = (n: InstanceInformation) => [n.PlatformName, n.PlatformVersion].filter(Boolean).join(' ') || 'Unknown';

export interface LocalFilters {
  os?: string | undefined;
  outdated?: boolean | undefined;
  search?: string | undefined;
  /** Applied here only when the nodes were not already filtered by the server. */
  ping?: string | undefined;
  platform?: string | undefined;
  agent?: string | undefined;
}

export function filterNodes<T extends InstanceInformation>(nodes: T[], f: LocalFilters, newest: string | undefined): T[] {
  const text = f.search?.trim().toLowerCase();
  if (!f.os && !f.outdated && !text && !f.ping && !f.platform && !f.agent) return nodes;
  return nodes.filter((n) => {
    if (f.ping && n.PingStatus !== f.ping) return false;
    if (f.platform && n.PlatformType !== f.platform) return false;
    if (f.agent && n.AgentVersion !== f.agent) return false;
    if (f.os && osLabel(n) !== f.os) return false;
    if (f.outdated && !(newest && n.AgentVersion && compareVersions(n.AgentVersion, newest) < 0)) return false;
    if (text) {
      const hay = `${n.InstanceId} ${n.Name ?? ''} ${n.ComputerName ?? ''} ${n.IPAddress ?? ''}`.toLowerCase();
      if (!hay.includes(text)) return false;
    }
    return true;
  });
}

export function newestAgent(nodes: InstanceInformation[]): string | undefined {
  return newestVersion(nodes.map((n) => n.AgentVersion));
}

/** Counts of nodes by a label, largest first. */
export function countBy(nodes: InstanceInformation[], label: (n: InstanceInformation) => string | undefined): [string, number][] {
  const m = new Map<string, number>();
  for (const n of nodes) {
    const k = label(n) ?? 'Unknown';
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The cached listing for a filter set if it is complete and fresh, without loading anything. */
export function peekFleet(q: ServerQuery): FleetState | undefined {
  const l = loads.get(keyOf(q));
  if (!l || !l.state.done || l.state.error !== undefined || l.state.loadedAt === undefined) return undefined;
  return Date.now() - l.state.loadedAt <= FRESH_MS ? l.state : undefined;
}
