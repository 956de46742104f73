import { listInventoryEntries, type InventoryEntry } from '../../api/inventory';
import { useAsync } from '../../lib/useAsync';
import type { FleetQuery } from './query';

const SHOWN = 5;

/** An entry in a few words: its name and version when it has them, else its first two values. */
function describe(e: InventoryEntry): string {
  if (e.Name !== undefined && e.Version !== undefined) return `${e.Name} ${e.Version}`;
  return Object.values(e).slice(0, 2).join(' ') || '(empty)';
}

/** The entries of one node that the question's filters on the type matched (ListInventoryEntries takes the same filters). */
export function MatchedEntries({ id, q }: { id: string; q: FleetQuery }) {
  const r = useAsync(
    (signal) =>
      listInventoryEntries(
        { InstanceId: id, TypeName: q.type, Filters: q.filters.map((f) => ({ Key: `${q.type}.${f.attr}`, Values: [f.value], Type: f.op })), MaxResults: SHOWN },
        { signal },
      ),
    [id],
  );
  if (r.loading) return <span className="muted">…</span>;
  if (r.error !== undefined) return <span className="muted">not available</span>;
  const entries = r.data?.Entries ?? [];
  return (
    <span data-testid="inv-node-matched">
      {entries.map(describe).join(', ') || '—'}
      {r.data?.NextToken ? <span className="muted"> and more</span> : null}
    </span>
  );
}
