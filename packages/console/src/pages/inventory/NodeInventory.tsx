import { useEffect, useMemo, useState } from 'react';
import { allPages } from '../../api/client';
import { INSTANCE_INFO, inventorySchemas, listInventoryEntries, type InventoryEntry, type InventorySchema, type ListInventoryEntriesResult } from '../../api/inventory';
import { isAbort } from '../../api/errors';
import { ErrorBox, Loading } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useQuery } from '../../router/router';
import { CollectInventory } from './CollectInventory';
import { EntriesTable, type EntryColumn } from './EntriesTable';
import { queryPath } from './query';

/** A node keeps at most this many entries of a type (AWS's limit on one item). */
const MAX_ENTRIES = 10_000;

const APPLICATION_COLUMNS: EntryColumn[] = [
  { attr: 'Name', label: 'Name', width: '16rem', link: (name) => queryPath({ type: 'AWS:Application', filters: [{ attr: 'Name', op: 'Equal', value: name }], platform: '', by: '' }), linkTitle: 'Nodes with this application, by version' },
  { attr: 'Version', label: 'Version', width: '14rem' },
  { attr: 'Publisher', label: 'Publisher', width: '18rem' },
  { attr: 'Architecture', label: 'Architecture', width: '8rem' },
  { attr: 'InstalledTime', label: 'Installed', width: '13rem', format: (v) => formatTime(v) },
];

interface Reported {
  schema: InventorySchema;
  captureTime: string;
}

/**
 * A node's inventory: the types it reported with their capture times, and one type's entries at
 * a time (the address's `inventory=` names it). AWS:InstanceInformation is the server's copy of
 * what the page shows above it, so it is listed last.
 */
export function NodeInventory({ id, region, elsewhere }: { id: string; region: string | undefined; elsewhere?: boolean }) {
  const [query, setQuery] = useQuery();
  const types = useAsync(
    async (signal) => {
      const schemas = await inventorySchemas({ signal, region });
      const found = await Promise.all(
        schemas.map(async (schema) => {
          const r = await listInventoryEntries({ InstanceId: id, TypeName: schema.TypeName, MaxResults: 1 }, { signal, region });
          return r.CaptureTime ? { schema, captureTime: r.CaptureTime } : undefined;
        }),
      );
      return found.filter((x): x is Reported => x !== undefined).sort((a, b) => Number(a.schema.TypeName === INSTANCE_INFO) - Number(b.schema.TypeName === INSTANCE_INFO));
    },
    [id, region],
  );

  const reported = types.data ?? [];
  const wanted = query.get('inventory');
  const selected = reported.find((r) => r.schema.TypeName === wanted) ?? reported.find((r) => r.schema.TypeName === 'AWS:Application') ?? reported[0];

  if (types.loading && !types.data) return <Loading label="Loading the node's inventory…" />;
  if (types.error !== undefined) return <ErrorBox error={types.error} retry={types.reload} />;
  if (!reported.some((r) => r.schema.TypeName !== INSTANCE_INFO)) return <CollectInventory id={id} region={region} elsewhere={elsewhere} onReported={types.reload} />;

  return (
    <div data-testid="node-inventory">
      <ul className="inv-types" aria-label="Inventory types">
        {reported.map((r) => (
          <li key={r.schema.TypeName}>
            <button
              type="button"
              className="inv-type"
              aria-pressed={r === selected}
              onClick={() => setQuery({ inventory: r.schema.TypeName })}
              data-testid="node-inventory-type"
              data-type={r.schema.TypeName}
            >
              <span className="inv-type-name">{r.schema.TypeName}</span>
              <span className="muted small" title={formatTime(r.captureTime)}>
                captured {ago(r.captureTime)}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {selected ? <TypeEntries key={selected.schema.TypeName} id={id} region={region} reported={selected} elsewhere={elsewhere} /> : null}
    </div>
  );
}

function TypeEntries({ id, region, reported, elsewhere }: { id: string; region: string | undefined; reported: Reported; elsewhere: boolean | undefined }) {
  const type = reported.schema.TypeName;
  const { entries, done, error, reload } = useAllEntries(id, type, region);
  const columns = useMemo<EntryColumn[]>(() => {
    // The fleet page asks in the header's region, so a node of another region links nowhere.
    if (type === 'AWS:Application') return elsewhere ? APPLICATION_COLUMNS.map(({ link: _, ...c }) => c) : APPLICATION_COLUMNS;
    // The schema's attributes that this node's entries use, in the schema's order.
    const used = new Set(entries.flatMap((e) => Object.keys(e)));
    const attrs = reported.schema.Attributes.map((a) => a.Name).filter((a) => used.size === 0 || used.has(a));
    return attrs.map((attr) => ({ attr, label: attr, width: '12rem' }));
  }, [type, entries, reported.schema, elsewhere]);
  return (
    <section aria-labelledby="h-inv-type" className="inv-type-entries" data-testid="node-inventory-entries" data-type={type}>
      <h3 id="h-inv-type">
        {type} <span className="muted small">captured {formatTime(reported.captureTime)}</span>
      </h3>
      {error !== undefined ? <ErrorBox error={error} retry={reload} /> : null}
      {!done && entries.length === 0 && error === undefined ? <Loading label={`Loading ${type}…`} /> : null}
      {entries.length > 0 || (done && error === undefined) ? <EntriesTable entries={entries} columns={columns} label={`${type} on ${id}`} loading={!done} testId="inv-entries" /> : null}
    </section>
  );
}

/** Every page of ListInventoryEntries, shown as each page arrives. */
function useAllEntries(id: string, type: string, region: string | undefined) {
  const [state, setState] = useState<{ entries: InventoryEntry[]; done: boolean; error: unknown }>({ entries: [], done: false, error: undefined });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setState({ entries: [], done: false, error: undefined });
    allPages<ListInventoryEntriesResult, InventoryEntry>('ListInventoryEntries', { InstanceId: id, TypeName: type, MaxResults: 50 }, (p) => p.Entries, {
      signal: ctl.signal,
      region,
      limit: MAX_ENTRIES,
      onPage: (soFar) => {
        if (!ctl.signal.aborted) setState({ entries: [...soFar], done: false, error: undefined });
      },
    }).then(
      (entries) => {
        if (!ctl.signal.aborted) setState({ entries, done: true, error: undefined });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted && !isAbort(error)) setState((s) => ({ entries: s.entries, done: true, error }));
      },
    );
    return () => ctl.abort();
  }, [id, type, region, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}
