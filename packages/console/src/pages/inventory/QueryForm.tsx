import { useState, type FormEvent } from 'react';
import type { InventoryFilterType, InventorySchema } from '../../api/inventory';
import { navigate } from '../../router/router';
import { MAX_FILTERS, OPERATORS, PLATFORM_KEY, queryPath, type AttrFilter, type FleetQuery } from './query';

/**
 * The question's editor. The type and the counted attribute apply as they change; attribute
 * filters apply with Search, so a half-typed version is not sent. It is remounted for each new
 * address, which is how the drafts follow Back and Forward.
 */
export function QueryForm({ query: q, schemas, by }: { query: FleetQuery; schemas: InventorySchema[] | undefined; by: string }) {
  const [drafts, setDrafts] = useState<AttrFilter[]>(q.filters);
  const [missing, setMissing] = useState<Set<number>>(new Set());
  const types = schemas?.map((s) => s.TypeName) ?? [q.type];
  const attributes = schemas?.find((s) => s.TypeName === q.type)?.Attributes.map((a) => a.Name) ?? [];
  // An attribute named by the address but not in the schema stays selectable, so the server's refusal of it can be seen and undone.
  const options = (current: string) => (current && !attributes.includes(current) ? [current, ...attributes] : attributes);
  const room = drafts.length + (q.platform ? 1 : 0) < MAX_FILTERS;

  const go = (next: FleetQuery) => navigate(queryPath(next));
  const edit = (i: number, change: Partial<AttrFilter>) => {
    setDrafts((d) => d.map((f, j) => (j === i ? { ...f, ...change } : f)));
    setMissing((m) => new Set([...m].filter((j) => j !== i)));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const empty = new Set(drafts.flatMap((f, i) => (f.op !== 'Exists' && f.value.trim() === '' ? [i] : [])));
    setMissing(empty);
    if (empty.size) return;
    go({ ...q, filters: drafts.map((f) => ({ ...f, value: f.op === 'Exists' ? '' : f.value.trim() })) });
  };

  return (
    <form className="filters inv-query" onSubmit={submit} aria-label="Inventory query" noValidate>
      <div className="field">
        <label htmlFor="inv-type">Type</label>
        <select id="inv-type" value={q.type} onChange={(e) => go({ type: e.target.value, filters: [], platform: q.platform, by: '' })} data-testid="inv-type">
          {(types.includes(q.type) ? types : [q.type, ...types]).map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="inv-filters">
        <legend>Filters on {q.type}</legend>
        {drafts.length === 0 ? <p className="muted small">No filters: every node that reported inventory.</p> : null}
        <ol className="inv-filter-list">
          {drafts.map((f, i) => (
            <li key={i} className="inv-filter-row" data-testid="inv-filter">
              <label htmlFor={`inv-f-attr-${i}`} className="visually-hidden">
                Attribute of filter {i + 1}
              </label>
              <select id={`inv-f-attr-${i}`} value={f.attr} onChange={(e) => edit(i, { attr: e.target.value })} data-testid={`inv-filter-attr-${i}`}>
                {options(f.attr).map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
              <label htmlFor={`inv-f-op-${i}`} className="visually-hidden">
                Comparison of filter {i + 1}
              </label>
              <select id={`inv-f-op-${i}`} value={f.op} onChange={(e) => edit(i, { op: e.target.value as InventoryFilterType })} data-testid={`inv-filter-op-${i}`}>
                {OPERATORS.map((o) => (
                  <option key={o.op} value={o.op}>
                    {o.label}
                  </option>
                ))}
              </select>
              {f.op === 'Exists' ? null : (
                <>
                  <label htmlFor={`inv-f-value-${i}`} className="visually-hidden">
                    Value of filter {i + 1}
                  </label>
                  <input
                    id={`inv-f-value-${i}`}
                    value={f.value}
                    onChange={(e) => edit(i, { value: e.target.value })}
                    placeholder="value"
                    aria-invalid={missing.has(i) || undefined}
                    aria-describedby={missing.has(i) ? `inv-f-err-${i}` : undefined}
                    data-testid={`inv-filter-value-${i}`}
                  />
                </>
              )}
              <button type="button" className="button button-quiet" onClick={() => setDrafts((d) => d.filter((_, j) => j !== i))} aria-label={`Remove filter ${i + 1}`} data-testid={`inv-filter-remove-${i}`}>
                Remove
              </button>
              {missing.has(i) ? (
                <p className="field-error" id={`inv-f-err-${i}`}>
                  Enter a value, or choose “exists”.
                </p>
              ) : null}
            </li>
          ))}
        </ol>
        <button
          type="button"
          className="button"
          disabled={!room}
          title={room ? undefined : `At most ${MAX_FILTERS} filters, the platform included`}
          onClick={() => setDrafts((d) => [...d, { attr: attributes.includes('Name') ? 'Name' : attributes[0] ?? '', op: 'Equal', value: '' }])}
          data-testid="inv-filter-add"
        >
          Add filter
        </button>
      </fieldset>
      {q.platform ? (
        <p className="chip" data-testid="inv-platform">
          Platform: {q.platform}
          <button type="button" className="chip-remove" onClick={() => go({ ...q, platform: '' })} aria-label={`Remove the platform filter ${q.platform}`} title={PLATFORM_KEY}>
            ×
          </button>
        </p>
      ) : null}
      <div className="field">
        <label htmlFor="inv-by">Count by</label>
        <select id="inv-by" value={by} onChange={(e) => go({ ...q, by: e.target.value })} data-testid="inv-by">
          {options(by).map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <div className="inv-query-actions">
        <button type="submit" className="button button-primary" data-testid="inv-search">
          Search
        </button>
        {q.filters.length || q.platform ? (
          <button type="button" className="button button-quiet" onClick={() => go({ type: q.type, filters: [], platform: '', by: q.by })} data-testid="inv-clear">
            Clear filters
          </button>
        ) : null}
      </div>
    </form>
  );
}
