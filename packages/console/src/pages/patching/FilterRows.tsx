import { useId } from 'react';
import type { FilterRow } from './baselineForm';

/** AWS allows four filters a group, each key once. */
const MAX_FILTERS = 4;

/** A patch filter group: key and comma-separated values per row. */
export function FilterRows({ rows, keys, onChange, label, testId }: { rows: FilterRow[]; keys: string[]; onChange: (rows: FilterRow[]) => void; label: string; testId: string }) {
  const id = useId();
  const set = (i: number, row: FilterRow) => onChange(rows.map((r, k) => (k === i ? row : r)));
  const unused = keys.filter((k) => !rows.some((r) => r.key === k));
  return (
    <div className="pb-filters" data-testid={testId}>
      {rows.length ? (
        <ul className="pb-filter-list" aria-label={label}>
          {rows.map((r, i) => (
            <li key={i} className="pb-filter-row" data-testid={`${testId}-row`}>
              <label className="visually-hidden" htmlFor={`${id}-key-${i}`}>
                {label}: key of filter {i + 1}
              </label>
              <select id={`${id}-key-${i}`} value={r.key} onChange={(e) => set(i, { ...r, key: e.target.value })} data-testid={`${testId}-key-${i}`}>
                {(keys.includes(r.key) ? keys : [r.key, ...keys]).map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
              <label className="visually-hidden" htmlFor={`${id}-values-${i}`}>
                {label}: values of filter {i + 1}, separated by commas
              </label>
              <input id={`${id}-values-${i}`} value={r.values} placeholder="values, separated by commas (* for any)" onChange={(e) => set(i, { ...r, values: e.target.value })} data-testid={`${testId}-values-${i}`} />
              <button type="button" className="button button-small" onClick={() => onChange(rows.filter((_, k) => k !== i))} aria-label={`Remove filter ${i + 1} (${r.key})`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No filters.</p>
      )}
      {rows.length < MAX_FILTERS && unused.length ? (
        <button type="button" className="button button-small" onClick={() => onChange([...rows, { key: unused[0]!, values: '' }])} data-testid={`${testId}-add`}>
          Add filter
        </button>
      ) : null}
    </div>
  );
}
