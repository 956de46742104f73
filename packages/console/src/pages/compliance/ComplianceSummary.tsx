import { complianceSummaries } from '../../api/compliance';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatCount } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { SeverityChips, StackedBar } from './ComplianceChart';

/** One row per compliance type: its nodes compliant and not, and the severities of those that are not. */
export function ComplianceSummary() {
  const s = useAsync((signal) => complianceSummaries({ signal }), []);
  if (s.loading) return <Loading label="Reading compliance…" />;
  if (s.error !== undefined) return <ErrorBox error={s.error} retry={s.reload} title="The compliance summary could not be read" />;
  const types = s.data ?? [];
  if (!types.length) {
    return (
      <Empty>
        No compliance data yet. State Manager associations, patch scans (<code>AWS-RunPatchBaseline</code> with <code>Operation=Scan</code>) and <code>PutComplianceItems</code> write it.
      </Empty>
    );
  }
  return (
    <ul className="cmp-types" aria-label="Compliance by type" data-testid="cmp-summary">
      {types.map((t) => {
        const ok = t.CompliantSummary?.CompliantCount ?? 0;
        const bad = t.NonCompliantSummary?.NonCompliantCount ?? 0;
        return (
          <li key={t.ComplianceType} className="cmp-type" data-testid="cmp-type" data-type={t.ComplianceType} data-compliant={ok} data-non-compliant={bad}>
            <h3>
              <Link to={withQuery('/compliance', { type: t.ComplianceType })} data-testid="cmp-type-link">
                {t.ComplianceType}
              </Link>
            </h3>
            <StackedBar compliant={ok} nonCompliant={bad} />
            <p className="cmp-counts">
              <Link to={withQuery('/compliance', { type: t.ComplianceType, status: 'COMPLIANT' })} data-testid="cmp-compliant-count">
                <span className="swatch tone-good" aria-hidden="true" /> {formatCount(ok)} compliant
              </Link>
              <Link to={withQuery('/compliance', { type: t.ComplianceType })} data-testid="cmp-non-compliant-count">
                <span className="swatch tone-bad" aria-hidden="true" /> {formatCount(bad)} non-compliant
              </Link>
            </p>
            {bad > 0 ? (
              <div className="cmp-severity-line">
                <span className="muted small">Non-compliant by severity:</span> <SeverityChips summary={t.NonCompliantSummary?.SeveritySummary} type={t.ComplianceType} testId="cmp-severities" />
              </div>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}
