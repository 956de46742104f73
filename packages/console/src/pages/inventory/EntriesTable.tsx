import { useDeferredValue, useId, useMemo, useState } from 'react';
import type { InventoryEntry } from '../../api/inventory';
import { VirtualTable, type Column } from '../../components/VirtualTable';
import { formatCount } from '../../lib/format';
import { Link } from '../../router/router';
import { compareText } from './compare';

export interface EntryColumn {
  attr: string;
  label: string;
  width?: string;
  /** How the value shows; sorting and searching still use the raw value. */
  format?: (value: string) => string;
  /** Makes the value a link, such as to the fleet's nodes with the same value. */
  link?: (value: string) => string;
  linkTitle?: string;
}

type Sort = { attr: string; dir: 1 | -1 };
type Row = { e: InventoryEntry; i: number };

/**
 * One type's entries on one node, searched and sorted in the browser over everything loaded.
 * Sorting is by a header button; the column's state is in the button's name, since the virtual
 * table's header cells carry no aria-sort of their own.
 */
export function EntriesTable({ entries, columns, label, loading, testId }: { entries: InventoryEntry[]; columns: EntryColumn[]; label: string; loading: boolean; testId: string }) {
  const searchId = useId();
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<Sort>({ attr: columns[0]?.attr ?? '', dir: 1 });
  const needle = useDeferredValue(search.trim().toLowerCase());

  // Entries may repeat exactly (a custom type's rows), so a row's key is its place in the report.
  const indexed = useMemo(() => entries.map((e, i) => ({ e, i })), [entries]);
  const rows = useMemo(() => {
    const found = needle ? indexed.filter(({ e }) => columns.some((c) => (e[c.attr] ?? '').toLowerCase().includes(needle))) : indexed;
    return [...found].sort((a, b) => sort.dir * compareText(a.e[sort.attr] ?? '', b.e[sort.attr] ?? '') || a.i - b.i);
  }, [indexed, columns, needle, sort]);

  const table: Column<Row>[] = columns.map((c) => ({
    key: c.attr,
    width: c.width,
    header: (
      <button
        type="button"
        className="sort-button"
        onClick={() => setSort((s) => ({ attr: c.attr, dir: s.attr === c.attr ? (-s.dir as 1 | -1) : 1 }))}
        aria-label={`${c.label}${sort.attr === c.attr ? `, sorted ${sort.dir === 1 ? 'ascending' : 'descending'}` : ''}; sort by ${c.label}${sort.attr === c.attr && sort.dir === 1 ? ' descending' : ''}`}
        data-testid={`${testId}-sort-${c.attr}`}
        data-sorted={sort.attr === c.attr ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}
      >
        {c.label}
        <span aria-hidden="true">{sort.attr === c.attr ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
      </button>
    ),
    cell: ({ e }) => {
      const v = e[c.attr];
      if (v === undefined || v === '') return <span className="muted">—</span>;
      const text = c.format ? c.format(v) : v;
      return c.link ? (
        <Link to={c.link(v)} title={c.linkTitle}>
          {text}
        </Link>
      ) : (
        <span title={v}>{text}</span>
      );
    },
  }));

  return (
    <div className="inv-entries">
      <div className="inv-entries-bar">
        <label htmlFor={searchId}>Search</label>
        <input id={searchId} type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="any column" data-testid={`${testId}-search`} />
        <span className="muted" aria-live="polite" data-testid={`${testId}-count`} data-count={rows.length} data-loading={loading ? 'true' : undefined}>
          {needle ? `${formatCount(rows.length)} of ${formatCount(entries.length)}` : formatCount(entries.length)} {entries.length === 1 ? 'entry' : 'entries'}
          {loading ? ' · loading more…' : ''}
        </span>
      </div>
      {rows.length ? (
        <VirtualTable
          label={label}
          rows={rows}
          columns={table}
          rowKey={(r) => String(r.i)}
          height={`min(60vh, ${(rows.length + 1) * 40 + 4}px)`}
          testId={testId}
          rowProps={({ e }) => ({ 'data-testid': `${testId}-row`, 'data-name': e.Name ?? e.Key })}
        />
      ) : (
        <p className="empty">{needle ? 'No entry matches the search.' : 'No entries.'}</p>
      )}
    </div>
  );
}
