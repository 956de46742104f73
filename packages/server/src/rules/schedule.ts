import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from '../events/shape.js';
import { isoSeconds } from '../events/shape.js';
import type { Core } from '../protocol/context.js';
import { nextFireTime, parseScheduleExpression, ScheduleExpressionError } from '../scheduler/schedule-expression.js';
import type { Job } from '../scheduler/scheduler.js';
import type { AnyDb } from '../store/database.js';
import { validation } from './errors.js';
import { createFirings } from './routing.js';
import { ruleTables } from './tables.js';

const SCHEDULE_JOB = 'rules.schedule';

interface Armed {
  accountId: string;
  region: string;
  name: string;
  expression: string;
  /** rate() counts its periods from here. */
  start: number;
}

/** EventBridge rules take cron() and rate(), in UTC. */
export function checkSchedule(text: string): void {
  try {
    const s = parseScheduleExpression(text);
    if (s.kind === 'at') throw validation(`Parameter ScheduleExpression is not valid: a rule's schedule is cron(...) or rate(...); at(...) is for one-off schedules, which rules do not have.`);
  } catch (e) {
    if (e instanceof ScheduleExpressionError) throw validation(`Parameter ScheduleExpression is not valid: ${e.message}`);
    throw e;
  }
}

const keyOf = (account: string, region: string, name: string) => `${account}|${region}|${name}`;

/**
 * A scheduled rule is one durable job at its next fire time. When it runs, the rule's targets
 * get a `Scheduled Event` (delivered to this rule alone, as in EventBridge) and the job is
 * written again for the time after, in one transaction.
 */
export class RuleSchedules {
  constructor(private readonly core: Core) {
    core.scheduler.handle(SCHEDULE_JOB, (job) => this.fire(job));
  }

  async arm(db: AnyDb, rule: { accountId: string; region: string; name: string; expression: string; enabled: boolean }, now: number): Promise<void> {
    await this.disarm(db, rule.accountId, rule.region, rule.name);
    if (!rule.expression || !rule.enabled) return;
    await this.enqueue(db, { accountId: rule.accountId, region: rule.region, name: rule.name, expression: rule.expression, start: now }, now);
  }

  disarm(db: AnyDb, account: string, region: string, name: string): Promise<void> {
    return this.core.scheduler.cancel(SCHEDULE_JOB, keyOf(account, region, name), db);
  }

  private async enqueue(db: AnyDb, armed: Armed, after: number): Promise<void> {
    const next = nextFireTime(parseScheduleExpression(armed.expression), new Date(after), { start: new Date(armed.start) });
    if (!next) return;
    await this.core.scheduler.enqueue({ kind: SCHEDULE_JOB, dedupeKey: keyOf(armed.accountId, armed.region, armed.name), dueAt: next.getTime(), maxAttempts: 1_000_000, payload: armed }, db);
  }

  private async fire(job: Job): Promise<void> {
    const armed = job.payload as Armed;
    await this.core.database.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      const t = ruleTables(trx);
      const rule = await t.selectFrom('event_rules').selectAll().where('account_id', '=', armed.accountId).where('region', '=', armed.region).where('name', '=', armed.name).executeTakeFirst();
      // A rule replaced or disabled since was armed again (or not) by that change.
      if (!rule || rule.schedule_expression !== armed.expression || rule.state === 'DISABLED') return;
      const event: EventBridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: armed.accountId,
        time: isoSeconds(job.dueAt),
        region: armed.region,
        resources: [rule.arn],
        detail: {},
      };
      const targets = await t.selectFrom('event_targets').selectAll().where('account_id', '=', armed.accountId).where('region', '=', armed.region).where('rule_name', '=', armed.name).orderBy('target_id').execute();
      await createFirings(this.core, trx, targets.map((target) => ({ rule, target, event })));
      // From now, not from the due time: a server that was down for a day fires once, not once per missed period.
      await this.enqueue(trx, armed, Math.max(this.core.clock.now(), job.dueAt));
    });
  }
}
