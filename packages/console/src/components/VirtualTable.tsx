import { useCallback, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: ReactNode;
  width?: string;
  cell: (row: T) => ReactNode;
}

/**
 * A real <table> that renders only the rows in view (plus a margin) between two spacer rows,
 * so 10,000 rows scroll as smoothly as 50. Rows have one fixed height, which is what makes the
 * arithmetic exact; cells clip their text instead of wrapping.
 */
export function VirtualTable<T>({
  rows,
  columns,
  rowKey,
  rowHeight = 40,
  height = 560,
  overscan = 10,
  label,
  rowProps,
  testId,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  rowHeight?: number;
  height?: number | string;
  overscan?: number;
  label: string;
  rowProps?: (row: T) => Record<string, string | undefined>;
  testId?: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [range, setRange] = useState({ top: 0, view: 600 });

  const measure = useCallback(() => {
    const el = scroller.current;
    if (el) setRange({ top: el.scrollTop, view: el.clientHeight });
  }, []);

  useLayoutEffect(() => {
    measure();
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [measure]);

  // A shorter list (a new filter) may leave the scroll position past its end.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && el.scrollTop > rows.length * rowHeight) {
      el.scrollTop = 0;
      measure();
    }
  }, [rows.length, rowHeight, measure]);

  const first = Math.max(0, Math.floor(range.top / rowHeight) - overscan);
  const last = Math.min(rows.length, Math.ceil((range.top + range.view) / rowHeight) + overscan);
  const visible = rows.slice(first, last);

  // Page Up/Down and Home/End move the scroll box even when focus sits on a link inside it.
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const el = scroller.current;
    if (!el || e.target !== el) return;
    if (e.key === 'Home') el.scrollTop = 0;
    else if (e.key === 'End') el.scrollTop = el.scrollHeight;
    else return;
    e.preventDefault();
  };

  return (
    <div className="vtable-scroll" ref={scroller} onScroll={measure} style={{ height }} tabIndex={0} onKeyDown={onKey} role="region" aria-label={label} data-testid={testId}>
      <table className="table vtable" aria-rowcount={rows.length + 1}>
        <colgroup>
          {columns.map((c) => (
            <col key={c.key} style={c.width ? { width: c.width } : undefined} />
          ))}
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            {columns.map((c) => (
              <th key={c.key} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first > 0 ? (
            <tr className="spacer" aria-hidden="true" style={{ height: first * rowHeight }}>
              <td colSpan={columns.length} />
            </tr>
          ) : null}
          {visible.map((row, i) => (
            <tr key={rowKey(row)} style={{ height: rowHeight }} aria-rowindex={first + i + 2} {...(rowProps?.(row) ?? {})}>
              {columns.map((c) => (
                <td key={c.key}>{c.cell(row)}</td>
              ))}
            </tr>
          ))}
          {last < rows.length ? (
            <tr className="spacer" aria-hidden="true" style={{ height: (rows.length - last) * rowHeight }}>
              <td colSpan={columns.length} />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
