import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Engine } from '../store/database.js';
import { complianceError, severityRank } from './model.js';

export type Operator = 'EQUAL' | 'NOT_EQUAL' | 'BEGIN_WITH' | 'LESS_THAN' | 'GREATER_THAN';
export interface ComplianceFilter {
  Key: string;
  Values: string[];
  Type?: Operator;
}

/** A filter key's column; a severity column compares by rank (CRITICAL is the greatest). */
export interface FilterColumn {
  column: string;
  rankColumn?: string;
}
export type FilterKeys = Readonly<Record<string, FilterColumn>>;

const invalid = (message: string) => complianceError('InvalidFilter', message);

/**
 * The filters as SQL conditions (all must hold). EQUAL matches any of the values, NOT_EQUAL
 * none of them, BEGIN_WITH any of the prefixes (case-sensitive on every engine);
 * LESS_THAN and GREATER_THAN take one value.
 */
export function filterConditions(filters: readonly ComplianceFilter[] | undefined, keys: FilterKeys, engine: Engine): RawBuilder<SqlBool>[] {
  return (filters ?? []).map((f) => {
    const col = keys[f.Key];
    if (!col) throw invalid(`The filter key ${f.Key} is not valid here; use one of ${Object.keys(keys).join(', ')}.`);
    const type = f.Type ?? 'EQUAL';
    const ref = sql.ref(col.column);
    switch (type) {
      case 'EQUAL':
        return sql<SqlBool>`${ref} in (${sql.join(f.Values)})`;
      case 'NOT_EQUAL':
        return sql<SqlBool>`${ref} not in (${sql.join(f.Values)})`;
      case 'BEGIN_WITH':
        // substr rather than LIKE: SQLite's LIKE ignores case and both treat % and _ as wildcards.
        return sql<SqlBool>`(${sql.join(
          f.Values.map((v) => sql`substr(${ref}, 1, ${[...v].length}) = ${v}`),
          sql` or `,
        )})`;
      case 'LESS_THAN':
      case 'GREATER_THAN': {
        if (f.Values.length !== 1) throw invalid(`The filter ${f.Key} with ${type} takes exactly one value, not ${f.Values.length}.`);
        const v = f.Values[0]!;
        const op = sql.raw(type === 'LESS_THAN' ? '<' : '>');
        if (col.rankColumn) {
          const rank = severityRank(v);
          if (rank < 0) throw invalid(`The filter ${f.Key} compares severities; ${v} is not one (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNSPECIFIED).`);
          return sql<SqlBool>`${sql.ref(col.rankColumn)} ${op} ${rank}`;
        }
        // Code-point order on both engines: PostgreSQL's default collation may follow a locale.
        return engine === 'postgres' ? sql<SqlBool>`${ref} collate "C" ${op} ${v}` : sql<SqlBool>`${ref} ${op} ${v}`;
      }
      default:
        throw invalid(`The filter type ${String(type)} is not valid.`);
    }
  });
}

const resourceKeys = { ResourceId: { column: 'resource_id' }, InstanceId: { column: 'resource_id' }, ResourceType: { column: 'resource_type' } };

/** ListComplianceItems. */
export const ITEM_KEYS: FilterKeys = {
  ComplianceType: { column: 'compliance_type' },
  Status: { column: 'status' },
  Severity: { column: 'severity', rankColumn: 'severity_rank' },
  Id: { column: 'item_id' },
  Title: { column: 'title' },
  ExecutionId: { column: 'execution_id' },
  ExecutionType: { column: 'execution_type' },
  ...resourceKeys,
};

/** ListResourceComplianceSummaries, and ListComplianceSummaries (which resources are counted). */
export const SUMMARY_KEYS: FilterKeys = {
  ComplianceType: { column: 'compliance_type' },
  Status: { column: 'status' },
  OverallSeverity: { column: 'overall_severity', rankColumn: 'overall_rank' },
  ExecutionId: { column: 'execution_id' },
  ExecutionType: { column: 'execution_type' },
  ...resourceKeys,
};
