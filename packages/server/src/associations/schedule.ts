import { nextFireTime, type ScheduleExpression } from '../scheduler/schedule-expression.js';

const DAY = 86_400_000;

/**
 * When an association runs next after `now`: the next cron time (plus ScheduleOffset days), or
 * the next rate interval counted from its creation. Missed runs are not made up one by one: the
 * next one is always after now.
 */
export function nextRun(schedule: ScheduleExpression, now: number, offsetDays: number | null, createdAt: number): number | undefined {
  const offset = (offsetDays ?? 0) * DAY;
  const next = nextFireTime(schedule, new Date(now - offset), schedule.kind === 'rate' ? { start: new Date(createdAt) } : {});
  return next ? next.getTime() + offset : undefined;
}
