import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../events/log.js';
import { eventBridgeShape, type EventBridgeEvent } from '../events/shape.js';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import { parsePattern, type EventPattern } from './pattern.js';
import type { PatternedRules } from './patterned.js';
import { ruleTables, type FiringRow, type RuleRow, type TargetRow } from './tables.js';

export const FIRE_JOB = 'rules.fire';
/** Above any RetryPolicy's MaximumRetryAttempts (185): the firing, not the scheduler, decides when to stop. */
const FIRE_JOB_ATTEMPTS = 1_000;
const CACHED_PATTERNS = 1_000;

export interface Match {
  rule: Pick<RuleRow, 'name' | 'arn'>;
  target: TargetRow;
  event: EventBridgeEvent;
}

/**
 * Matches every event against the enabled rules of its account and region as it is written,
 * and makes a firing (and the job that carries it out) for each target of each rule it
 * matches, in the event's own transaction: the firing exists exactly when the event does, and
 * exactly once.
 */
export class Router {
  private readonly patterns = new Map<string, EventPattern>();

  constructor(
    private readonly core: Core,
    private readonly rules: PatternedRules,
  ) {
    core.events.onAppend((events, db) => this.route(events, db));
  }

  private async route(events: readonly StoredEvent[], db: AnyDb): Promise<void> {
    const t = ruleTables(db);
    const groups = new Map<string, StoredEvent[]>();
    for (const e of events) {
      const key = `${e.accountId}\u0000${e.region}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const matches: Match[] = [];
    for (const group of groups.values()) {
      const { accountId, region } = group[0]!;
      const rules = await this.rules.of(t, accountId, region);
      if (rules.length === 0) continue;
      const hits: [Pick<RuleRow, 'name' | 'arn'>, EventBridgeEvent][] = [];
      for (const e of group) {
        const shaped = eventBridgeShape(e);
        for (const r of rules) if (this.pattern(r.event_pattern)?.matches(shaped)) hits.push([r, shaped]);
      }
      if (hits.length === 0) continue;
      const names = [...new Set(hits.map(([r]) => r.name))];
      const targets = await t.selectFrom('event_targets').selectAll().where('account_id', '=', accountId).where('region', '=', region).where('rule_name', 'in', names).orderBy('target_id').execute();
      for (const [rule, event] of hits) for (const target of targets) if (target.rule_name === rule.name) matches.push({ rule, target, event });
    }
    await createFirings(this.core, db, matches);
  }

  /** Patterns were checked when their rules were written; one that no longer parses matches nothing. */
  private pattern(text: string): EventPattern | undefined {
    let p = this.patterns.get(text);
    if (!p) {
      try {
        p = parsePattern(text);
      } catch {
        return undefined;
      }
      if (this.patterns.size >= CACHED_PATTERNS) this.patterns.delete(this.patterns.keys().next().value!);
      this.patterns.set(text, p);
    }
    return p;
  }
}

/** Records each match as a PENDING firing with its job, using `db` (the transaction of what caused them). */
export async function createFirings(core: Core, db: AnyDb, matches: readonly Match[]): Promise<void> {
  if (matches.length === 0) return;
  const now = core.clock.now();
  const rows = matches.map((m): FiringRow => ({
    firing_id: randomUUID(),
    account_id: m.target.account_id,
    region: m.target.region,
    rule_name: m.rule.name,
    rule_arn: m.rule.arn,
    target_id: m.target.target_id,
    target_arn: m.target.arn,
    target: m.target.target,
    event_id: m.event.id,
    event_source: m.event.source,
    event_detail_type: m.event['detail-type'],
    event: JSON.stringify(m.event),
    created_at: now,
    status: 'PENDING',
    attempts: 0,
    finished_at: null,
    execution_id: '',
    command_id: '',
    http_status: null,
    error_code: '',
    error_message: '',
  }));
  const t = ruleTables(db);
  // SQLite binds at most 32,766 values per statement: 21 columns a row.
  for (let i = 0; i < rows.length; i += 1000) await t.insertInto('event_rule_firings').values(rows.slice(i, i + 1000)).execute();
  for (const r of rows) await core.scheduler.enqueue({ kind: FIRE_JOB, dueAt: now, dedupeKey: r.firing_id, maxAttempts: FIRE_JOB_ATTEMPTS, payload: { firingId: r.firing_id } }, db);
}
