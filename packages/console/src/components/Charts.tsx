import type { ReactNode } from 'react';
import { formatCount } from '../lib/format';
import { Link } from '../router/router';

export interface Slice {
  key: string;
  label: ReactNode;
  count: number;
  to: string;
  tone?: string;
  testId?: string;
  note?: ReactNode;
}

/**
 * Horizontal bars; the numbers are links to the matching nodes. The bars are decoration
 * (aria-hidden): the list itself carries the numbers for assistive technology.
 */
export function BarList({ items, label }: { items: Slice[]; label: string }) {
  const max = Math.max(1, ...items.map((i) => i.count));
  return (
    <ul className="bar-list" aria-label={label}>
      {items.map((i) => (
        <li key={i.key}>
          <span className="bar-label" title={typeof i.label === 'string' ? i.label : undefined}>
            {i.label}
            {i.note ? <span className="bar-note"> {i.note}</span> : null}
          </span>
          <svg className="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
            <rect x="0" y="0" width="100" height="10" className="bar-track" />
            <rect x="0" y="0" width={(i.count / max) * 100} height="10" className={`bar-fill tone-${i.tone ?? 'info'}`} />
          </svg>
          <Link className="bar-count" to={i.to} data-testid={i.testId}>
            {formatCount(i.count)}
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** A ring of the slices' shares with a legend of links; the total sits in the middle. */
export function Donut({ items, label, total }: { items: Slice[]; label: string; total: number }) {
  const r = 40;
  const c = 2 * Math.PI * r;
  let offset = 0;
  return (
    <div className="donut">
      <svg viewBox="0 0 100 100" role="img" aria-label={`${label}: ${items.map((i) => `${formatCount(i.count)} ${typeof i.label === 'string' ? i.label : i.key}`).join(', ')}`}>
        <circle cx="50" cy="50" r={r} className="donut-track" />
        {items
          .filter((i) => i.count > 0)
          .map((i) => {
            const len = total > 0 ? (i.count / total) * c : 0;
            const el = <circle key={i.key} cx="50" cy="50" r={r} className={`donut-slice tone-${i.tone ?? 'info'}`} strokeDasharray={`${len} ${c - len}`} strokeDashoffset={-offset} transform="rotate(-90 50 50)" />;
            offset += len;
            return el;
          })}
        <text x="50" y="50" className="donut-total" textAnchor="middle" dominantBaseline="central">
          {formatCount(total)}
        </text>
      </svg>
      <ul className="legend">
        {items.map((i) => (
          <li key={i.key}>
            <span className={`swatch tone-${i.tone ?? 'info'}`} aria-hidden="true" />
            <span className="legend-label">{i.label}</span>
            <Link to={i.to} data-testid={i.testId}>
              {formatCount(i.count)}
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
