import { SEVERITIES, SEVERITY_COUNT, type SeveritySummary } from '../../api/compliance';
import { formatCount } from '../../lib/format';
import { Link, withQuery } from '../../router/router';

const SEVERITY_TONE: Record<string, string> = { CRITICAL: 'bad', HIGH: 'bad', MEDIUM: 'warn', LOW: 'info', INFORMATIONAL: 'muted', UNSPECIFIED: 'muted' };
export const severityTone = (s: string | undefined) => SEVERITY_TONE[s ?? ''] ?? 'muted';

/**
 * Compliant and non-compliant nodes of one type as one bar split in two. The bar is decoration
 * (aria-hidden); the counts beside it say the same in words.
 */
export function StackedBar({ compliant, nonCompliant }: { compliant: number; nonCompliant: number }) {
  const total = compliant + nonCompliant;
  const c = total ? (compliant / total) * 100 : 0;
  return (
    <svg className="cmp-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
      <rect x="0" y="0" width="100" height="10" className="bar-track" />
      <rect x="0" y="0" width={c} height="10" className="bar-fill tone-good" />
      <rect x={c} y="0" width={total ? 100 - c : 0} height="10" className="bar-fill tone-bad" />
    </svg>
  );
}

/** The severities of a summary that count anything, most severe first, each a link to those nodes. */
export function SeverityChips({ summary, type, testId }: { summary: SeveritySummary | undefined; type: string; testId: string }) {
  const present = SEVERITIES.map((s) => ({ s, n: summary?.[SEVERITY_COUNT[s]] ?? 0 })).filter((x) => x.n > 0);
  if (!present.length) return <span className="muted small">none</span>;
  return (
    <ul className="chips cmp-severities" aria-label={`Non-compliant ${type} nodes by severity`} data-testid={testId}>
      {present.map(({ s, n }) => (
        <li key={s}>
          <Link to={withQuery('/compliance', { type, severity: s })} className={`badge badge-${severityTone(s)}`} data-severity={s} title={`${type} nodes non-compliant at ${s}`}>
            {s} {formatCount(n)}
          </Link>
        </li>
      ))}
    </ul>
  );
}

export function ComplianceBadge({ status, testId }: { status: string | undefined; testId?: string }) {
  const good = status === 'COMPLIANT';
  return (
    <span className={`badge badge-${good ? 'good' : status === 'NON_COMPLIANT' ? 'bad' : 'muted'}`} data-testid={testId}>
      {good ? 'Compliant' : status === 'NON_COMPLIANT' ? 'Non-compliant' : (status ?? 'Unknown')}
    </span>
  );
}
