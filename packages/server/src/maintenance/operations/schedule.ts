import { z } from 'zod';
import { decodeToken, encodeToken } from '../../documents/paging.js';
import type { Target } from '../../nodes/index.js';
import type { CallContext } from '../../protocol/context.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { validation } from '../errors.js';
import { formatInZone, nextStart } from '../schedule.js';
import { maintenanceService } from '../slot.js';
import { tables } from '../store.js';
import type { WindowRow } from '../tables.js';
import { nodesOf } from '../targets.js';
import { arnOf, filterTime, filterValues, paged, resourceType, targets, windowId } from './common.js';

/** The nodes a caller's Targets name: InstanceIds as given (a node need not exist to be asked about), other keys as they match now. */
async function askedNodes(c: CallContext, t: Target[], type: string | undefined): Promise<Set<string>> {
  if (!type) throw validation('ResourceType is required with Targets.');
  if (type === 'RESOURCE_GROUP') throw validation('ResourceType RESOURCE_GROUP needs Resource Groups, which this server does not have yet; ask about INSTANCE targets.');
  const ids = new Set<string>();
  for (const x of t) {
    if (x.Key === 'InstanceIds') for (const v of x.Values) ids.add(v);
    else for (const id of await nodesOf(c.core, c.accountId, c.region, [x])) ids.add(id);
  }
  return ids;
}

/** Whether a window's registered targets, or its tasks' own targets, take in any of the nodes. */
async function windowTakesIn(c: CallContext, w: WindowRow, nodes: Set<string>): Promise<boolean> {
  const db = tables(c.core.database.db);
  const lists: Target[][] = (await db.selectFrom('maintenance_window_targets').select('targets').where('window_id', '=', w.window_id).execute()).map((r) => JSON.parse(r.targets) as Target[]);
  for (const r of await db.selectFrom('maintenance_window_tasks').select('targets').where('window_id', '=', w.window_id).execute()) {
    const t = JSON.parse(r.targets) as Target[];
    if (t.length && t[0]!.Key !== 'WindowTargetIds') lists.push(t);
  }
  for (const list of lists) for (const id of await nodesOf(c.core, w.account_id, w.region, list)) if (nodes.has(id)) return true;
  return false;
}

const windowsOf = (c: CallContext) => tables(c.core.database.db).selectFrom('maintenance_windows').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region).orderBy('created_at').orderBy('window_id').execute();

type After = { t: number; w: string };
const isAfter = (a: unknown): a is After => typeof a === 'object' && a !== null && typeof (a as After).t === 'number' && typeof (a as After).w === 'string';

export const scheduleOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindowSchedule',
    input: z.object({ WindowId: windowId.optional(), Targets: targets.optional(), ResourceType: resourceType.optional(), Filters: z.array(z.object({ Key: z.string().min(1).max(128).optional(), Values: z.array(z.string().min(1).max(256)).optional() })).max(5).optional(), MaxResults: z.number().int().min(1).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => (i.WindowId ? [arnOf(c, i.WindowId)] : ['*']),
    handler: async (i, c) => {
      const f = filterValues(i.Filters, ['ScheduledBefore', 'ScheduledAfter'], 'DescribeMaintenanceWindowSchedule');
      const svc = maintenanceService(c.core);
      let windows = i.WindowId ? [await svc.get(c, i.WindowId)] : await windowsOf(c);
      windows = windows.filter((w) => w.enabled);
      if (i.Targets?.length) {
        const nodes = await askedNodes(c, i.Targets, i.ResourceType);
        const keep: WindowRow[] = [];
        for (const w of windows) if (await windowTakesIn(c, w, nodes)) keep.push(w);
        windows = keep;
      }
      const before = Math.min(...(f.get('ScheduledBefore') ?? []).map((v) => filterTime('ScheduledBefore', v)));
      const afterFilter = Math.max(...(f.get('ScheduledAfter') ?? []).map((v) => filterTime('ScheduledAfter', v)));
      const scope = JSON.stringify([i.WindowId ?? '', i.Targets ?? [], i.ResourceType ?? '', i.Filters ?? []]);
      const token = decodeToken(i.NextToken, scope, isAfter);
      const from = Math.max(c.now, afterFilter);
      // AWS sets no maximum; a page is computed, so it is kept to a size a client can use.
      const limit = Math.min(i.MaxResults ?? 50, 1000);
      // Each window's next starts after the page's starting point, merged in time order.
      const found: { at: number; w: WindowRow }[] = [];
      for (const w of windows) {
        let t = token ? token.t - 1 : from;
        for (let n = 0; n <= limit; ) {
          const s = nextStart(w, t);
          if (s === undefined || s >= before) break;
          t = s;
          if (token && (s < token.t || (s === token.t && w.window_id <= token.w))) continue;
          found.push({ at: s, w });
          n++;
        }
      }
      found.sort((a, b) => a.at - b.at || a.w.window_id.localeCompare(b.w.window_id));
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return {
        ScheduledWindowExecutions: page.map((x) => ({ WindowId: x.w.window_id, Name: x.w.name, ExecutionTime: formatInZone(x.at, x.w.schedule_timezone) })),
        ...(found.length > limit && last ? { NextToken: encodeToken(scope, { t: last.at, w: last.w.window_id }) } : {}),
      };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindowsForTarget',
    input: z.object({ Targets: targets, ResourceType: resourceType, MaxResults: z.number().int().min(1).optional(), NextToken: z.string().optional() }),
    handler: async (i, c) => {
      if (!i.Targets.length) throw validation('Targets needs at least one target, e.g. Key=InstanceIds,Values=mi-….');
      const nodes = await askedNodes(c, i.Targets, i.ResourceType);
      const out: { WindowId: string; Name: string }[] = [];
      for (const w of await windowsOf(c)) if (await windowTakesIn(c, w, nodes)) out.push({ WindowId: w.window_id, Name: w.name });
      const { items, NextToken } = paged(out, `for-target|${JSON.stringify(i.Targets)}|${i.ResourceType}`, i, 50);
      return { WindowIdentities: items, ...(NextToken ? { NextToken } : {}) };
    },
  }),
];
