import type { Kysely } from 'kysely';
import type { CallContext, Core } from '../protocol/context.js';
import { isUniqueViolation } from '../store/errors.js';
import { invalidEventPattern, limitExceeded, resourceNotFound, ruleNotFound, validation } from './errors.js';
import { decodeToken, encodeToken, ruleArn } from './names.js';
import { parsePattern, PatternError } from './pattern.js';
import { PatternedRules } from './patterned.js';
import { checkSchedule, RuleSchedules } from './schedule.js';
import { ruleTables, type RuleRow, type RuleTables, type TargetRow } from './tables.js';
import { checkTarget, classifyTarget, type Target } from './targets.js';
import { checkRole } from './trust.js';
import { apiDestinationExists } from './connections.js';

/** EventBridge's quota of targets per rule. */
export const MAX_TARGETS = 5;

export interface PutRuleInput {
  Name: string;
  EventPattern?: string | undefined;
  ScheduleExpression?: string | undefined;
  State?: string | undefined;
  Description?: string | undefined;
  RoleArn?: string | undefined;
  Tags?: { Key: string; Value: string }[] | undefined;
}

/** Checks an event pattern, answering as EventBridge does when it cannot be used. */
export function checkPattern(text: string): void {
  try {
    parsePattern(text);
  } catch (e) {
    if (e instanceof PatternError) throw invalidEventPattern(e.message);
    throw e;
  }
}

/** Rules and their targets: each write owns its transaction and is all or nothing. */
export class RuleService {
  readonly db: Kysely<RuleTables>;
  readonly schedules: RuleSchedules;
  readonly patterned: PatternedRules;

  constructor(
    private readonly core: Core,
    sharedTtlMs?: number,
  ) {
    this.db = ruleTables(core.database.db);
    this.schedules = new RuleSchedules(core);
    this.patterned = new PatternedRules(core, sharedTtlMs);
  }

  rule = (account: string, region: string, name: string) =>
    this.db.selectFrom('event_rules').selectAll().where('account_id', '=', account).where('region', '=', region).where('name', '=', name).executeTakeFirst();

  async requireRule(call: CallContext, name: string): Promise<RuleRow> {
    const row = await this.rule(call.accountId, call.region, name);
    if (!row) throw ruleNotFound(name);
    return row;
  }

  /** PutRule creates or replaces: what the call leaves out is cleared, as in EventBridge (tags stay). */
  async putRule(call: CallContext, i: PutRuleInput): Promise<{ RuleArn: string }> {
    if (i.EventPattern === undefined && i.ScheduleExpression === undefined) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    if (i.EventPattern !== undefined) checkPattern(i.EventPattern);
    if (i.ScheduleExpression !== undefined) checkSchedule(i.ScheduleExpression);
    const arn = ruleArn(call.region, call.accountId, i.Name);
    const now = call.now;
    const fields = {
      event_pattern: i.EventPattern ?? '',
      schedule_expression: i.ScheduleExpression ?? '',
      state: i.State ?? 'ENABLED',
      description: i.Description ?? '',
      role_arn: i.RoleArn ?? '',
      updated_at: now,
    };
    const write = () =>
      this.db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('event_rules').select('name').where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', i.Name).executeTakeFirst();
        if (existing) {
          await trx.updateTable('event_rules').set(fields).where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', i.Name).execute();
        } else {
          const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
          await trx.insertInto('event_rules').values({ account_id: call.accountId, region: call.region, name: i.Name, arn, tags: JSON.stringify(tags), created_at: now, ...fields }).execute();
        }
        await this.schedules.arm(trx, { accountId: call.accountId, region: call.region, name: i.Name, expression: fields.schedule_expression, enabled: fields.state !== 'DISABLED' }, now);
      });
    try {
      await write();
    } catch (e) {
      // Two first PutRules of one name at once: the second replaces the first, as it would a moment later.
      if (!isUniqueViolation(e)) throw e;
      await write();
    } finally {
      this.patterned.forget(call.accountId, call.region);
    }
    return { RuleArn: arn };
  }

  async listRules(call: CallContext, i: { NamePrefix?: string | undefined; NextToken?: string | undefined; Limit?: number | undefined }) {
    const scope = JSON.stringify(['rules', call.accountId, call.region, i.NamePrefix ?? '']);
    const after = decodeToken(i.NextToken, scope);
    let q = this.db.selectFrom('event_rules').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region);
    if (i.NamePrefix) q = q.where('name', '>=', i.NamePrefix).where('name', '<', `${i.NamePrefix}\uffff`);
    if (after !== undefined) q = q.where('name', '>', after);
    const limit = i.Limit ?? 100;
    const rows = await q.orderBy('name').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return { rules: page, ...(rows.length > limit ? { NextToken: encodeToken(scope, page[page.length - 1]!.name) } : {}) };
  }

  /** Deleting a rule that is not there succeeds, as in EventBridge; one with targets is refused. */
  async deleteRule(call: CallContext, name: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const targets = await this.targetRows(trx, call.accountId, call.region, name);
      if (targets.length) throw validation("Rule can't be deleted since it has targets.");
      await trx.deleteFrom('event_rules').where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', name).execute();
      await this.schedules.disarm(trx, call.accountId, call.region, name);
    });
    this.patterned.forget(call.accountId, call.region);
  }

  async setState(call: CallContext, name: string, state: 'ENABLED' | 'DISABLED'): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('event_rules').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', name).executeTakeFirst();
      if (!row) throw ruleNotFound(name);
      await trx.updateTable('event_rules').set({ state, updated_at: call.now }).where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', name).execute();
      await this.schedules.arm(trx, { accountId: call.accountId, region: call.region, name, expression: row.schedule_expression, enabled: state !== 'DISABLED' }, call.now);
    });
    this.patterned.forget(call.accountId, call.region);
  }

  targetRows = (db: Kysely<RuleTables>, account: string, region: string, rule: string): Promise<TargetRow[]> =>
    db.selectFrom('event_targets').selectAll().where('account_id', '=', account).where('region', '=', region).where('rule_name', '=', rule).orderBy('target_id').execute();

  /**
   * Every target is checked (its kind, input, role and the caller's iam:PassRole of it) before
   * any is written; then all are written in one transaction, replacing targets of the same Id.
   */
  async putTargets(call: CallContext, ruleName: string, targets: Target[]): Promise<{ FailedEntryCount: number; FailedEntries: never[] }> {
    const rule = await this.requireRule(call, ruleName);
    const ids = new Set<string>();
    for (const t of targets) {
      if (ids.has(t.Id)) throw validation(`Target Id ${t.Id} is given more than once.`);
      ids.add(t.Id);
      const kind = classifyTarget(t.Arn, call.region, call.accountId);
      checkTarget(t, kind);
      const role = await checkRole(call.core, t.RoleArn!, call.accountId, rule.arn);
      if (!role.ok) throw validation(`Target ${t.Id}: ${role.reason}`);
      await call.authorize('iam:PassRole', [t.RoleArn!]);
      if (kind.kind === 'api-destination' && !(await apiDestinationExists(this.db, call.accountId, call.region, kind.arn))) {
        throw validation(`Target ${t.Id}: API destination ${kind.arn} does not exist.`);
      }
    }
    await this.db.transaction().execute(async (trx) => {
      const existing = await this.targetRows(trx, call.accountId, call.region, ruleName);
      const after = new Set([...existing.map((r) => r.target_id), ...ids]);
      if (after.size > MAX_TARGETS) throw limitExceeded(`The requested resource exceeds the maximum number allowed: a rule can have at most ${MAX_TARGETS} targets; ${ruleName} would have ${after.size}.`);
      for (const t of targets) {
        await trx.deleteFrom('event_targets').where('account_id', '=', call.accountId).where('region', '=', call.region).where('rule_name', '=', ruleName).where('target_id', '=', t.Id).execute();
        await trx.insertInto('event_targets').values({ account_id: call.accountId, region: call.region, rule_name: ruleName, target_id: t.Id, arn: t.Arn, target: JSON.stringify(t), created_at: call.now }).execute();
      }
      // The rule may have gone meanwhile: targets of no rule would never be reachable.
      const still = await trx.selectFrom('event_rules').select('name').where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', ruleName).executeTakeFirst();
      if (!still) throw ruleNotFound(ruleName);
    });
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  /** Ids the rule does not have are ignored, as EventBridge does. */
  async removeTargets(call: CallContext, ruleName: string, ids: string[]): Promise<void> {
    await this.requireRule(call, ruleName);
    await this.db.deleteFrom('event_targets').where('account_id', '=', call.accountId).where('region', '=', call.region).where('rule_name', '=', ruleName).where('target_id', 'in', ids).execute();
  }

  async listTargets(call: CallContext, ruleName: string, i: { NextToken?: string | undefined; Limit?: number | undefined }) {
    await this.requireRule(call, ruleName);
    const scope = JSON.stringify(['targets', call.accountId, call.region, ruleName]);
    const after = decodeToken(i.NextToken, scope);
    let q = this.db.selectFrom('event_targets').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region).where('rule_name', '=', ruleName);
    if (after !== undefined) q = q.where('target_id', '>', after);
    const limit = i.Limit ?? 100;
    const rows = await q.orderBy('target_id').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return { Targets: page.map((r) => JSON.parse(r.target) as Target), ...(rows.length > limit ? { NextToken: encodeToken(scope, page[page.length - 1]!.target_id) } : {}) };
  }

  async ruleNamesByTarget(call: CallContext, arn: string, i: { NextToken?: string | undefined; Limit?: number | undefined }) {
    const scope = JSON.stringify(['rule-names', call.accountId, call.region, arn]);
    const after = decodeToken(i.NextToken, scope);
    let q = this.db.selectFrom('event_targets').select('rule_name').distinct().where('arn', '=', arn).where('account_id', '=', call.accountId).where('region', '=', call.region);
    if (after !== undefined) q = q.where('rule_name', '>', after);
    const limit = i.Limit ?? 100;
    const rows = await q.orderBy('rule_name').limit(limit + 1).execute();
    const page = rows.slice(0, limit).map((r) => r.rule_name);
    return { RuleNames: page, ...(rows.length > limit ? { NextToken: encodeToken(scope, page[page.length - 1]!) } : {}) };
  }

  /** Rules are the taggable resource of this service. */
  async tagsOf(call: CallContext, arn: string): Promise<Record<string, string>> {
    const row = await this.ruleByArn(call, arn);
    return JSON.parse(row.tags) as Record<string, string>;
  }

  async setTags(call: CallContext, arn: string, change: (tags: Record<string, string>) => Record<string, string>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('event_rules').selectAll().where('arn', '=', arn).where('account_id', '=', call.accountId).where('region', '=', call.region).executeTakeFirst();
      if (!row) throw resourceNotFound(`Resource ${arn} does not exist.`);
      const next = change(JSON.parse(row.tags) as Record<string, string>);
      if (Object.keys(next).length > 50) throw limitExceeded(`A rule can have at most 50 tags.`);
      await trx.updateTable('event_rules').set({ tags: JSON.stringify(next) }).where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', row.name).execute();
    });
  }

  private async ruleByArn(call: CallContext, arn: string): Promise<RuleRow> {
    const row = await this.db.selectFrom('event_rules').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw resourceNotFound(`Resource ${arn} does not exist.`);
    return row;
  }
}
