import type { Kysely } from 'kysely';
import type { AnyDb } from '../store/database.js';
import { invalidParameter } from './errors.js';
import { opsTables, type OpsTables } from './tables.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The automatic-creation rules Capstan has, with their defaults. */
export interface AutoRuleDef {
  name: string;
  description: string;
  /** How long the condition must last before an OpsItem is made; null when it acts at once. */
  defaultThresholdMs: number | null;
  defaultRunbooks: string[];
}

export const AUTO_RULES: readonly AutoRuleDef[] = [
  { name: 'AutomationFailed', description: 'An automation execution ended Failed or TimedOut.', defaultThresholdMs: null, defaultRunbooks: [] },
  { name: 'MaintenanceWindowTaskFailed', description: 'A maintenance window task execution (of any type) ended FAILED or TIMED_OUT.', defaultThresholdMs: null, defaultRunbooks: [] },
  { name: 'NodeConnectionLost', description: 'A managed node stayed ConnectionLost for the threshold.', defaultThresholdMs: 10 * MINUTE, defaultRunbooks: ['Capstan-TroubleshootNode'] },
  { name: 'PatchNonCompliant', description: 'A managed node stayed non-compliant for Patch for the threshold.', defaultThresholdMs: 7 * DAY, defaultRunbooks: ['Capstan-TroubleshootNode'] },
  { name: 'ParameterPolicy', description: 'A parameter policy acted (Expiration, ExpirationNotification, NoChangeNotification).', defaultThresholdMs: null, defaultRunbooks: [] },
];

export interface AutoRule {
  name: string;
  description: string;
  enabled: boolean;
  thresholdMs: number | null;
  runbooks: string[];
  customized: boolean;
}

export function ruleDef(name: string): AutoRuleDef {
  const def = AUTO_RULES.find((r) => r.name === name);
  if (!def) throw invalidParameter(['Name'], `There is no OpsCenter rule ${name}; the rules are ${AUTO_RULES.map((r) => r.name).join(', ')}.`);
  return def;
}

/** A rule as this account and region have it, read with `db` (an event's transaction, or the store). */
export async function readRule(db: AnyDb, account: string, region: string, def: AutoRuleDef): Promise<AutoRule> {
  const row = await opsTables(db).selectFrom('opscenter_rules').selectAll().where('account_id', '=', account).where('region', '=', region).where('rule_name', '=', def.name).executeTakeFirst();
  return {
    name: def.name,
    description: def.description,
    enabled: row ? row.enabled === 1 : true,
    thresholdMs: def.defaultThresholdMs === null ? null : row?.threshold_ms != null ? Number(row.threshold_ms) : def.defaultThresholdMs,
    runbooks: row ? (JSON.parse(row.runbooks) as string[]) : def.defaultRunbooks,
    customized: row !== undefined,
  };
}

export async function writeRule(db: Kysely<OpsTables>, account: string, region: string, now: number, rule: AutoRule): Promise<void> {
  const values = { enabled: rule.enabled ? 1 : 0, threshold_ms: rule.thresholdMs, runbooks: JSON.stringify(rule.runbooks), modified_at: now };
  await db
    .insertInto('opscenter_rules')
    .values({ account_id: account, region, rule_name: rule.name, ...values })
    .onConflict((oc) => oc.columns(['account_id', 'region', 'rule_name']).doUpdateSet(values))
    .execute();
}
