import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { checkTagKeys, tagListSchema } from '../../tagging/index.js';
import { maintenanceService } from '../slot.js';
import { tables } from '../store.js';
import { windowDefinition, windowIdentity, windowView } from '../views.js';
import { arnOf, clientToken, description, filters, filterValues, maxResults, name, paged, windowId } from './common.js';

const definition = {
  Description: description.optional(),
  StartDate: z.string().optional(),
  EndDate: z.string().optional(),
  ScheduleTimezone: z.string().optional(),
  ScheduleOffset: z.number().int().min(1).max(6).optional(),
};
const schedule = z.string().min(1).max(256);
const duration = z.number().int().min(1).max(24);
const cutoff = z.number().int().min(0).max(23);

export const windowOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CreateMaintenanceWindow',
    input: z.object({ Name: name, ...definition, Schedule: schedule, Duration: duration, Cutoff: cutoff, AllowUnassociatedTargets: z.boolean(), ClientToken: clientToken.optional(), Tags: tagListSchema.optional() }),
    sensitive: ['Description'],
    conditionKeys: (i) => (i.Tags ? { 'aws:TagKeys': i.Tags.map((t) => t.Key), ...Object.fromEntries(i.Tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) } : {}),
    handler: async (i, c) => {
      if (i.Tags) checkTagKeys(i.Tags.map((t) => t.Key));
      return { WindowId: await maintenanceService(c.core).create(c, i) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetMaintenanceWindow',
    input: z.object({ WindowId: windowId }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const svc = maintenanceService(c.core);
      const w = await svc.get(c, i.WindowId);
      return windowView(w, svc.nextExecution(w, c.now));
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateMaintenanceWindow',
    input: z.object({ WindowId: windowId, Name: name.optional(), ...definition, Schedule: schedule.optional(), Duration: duration.optional(), Cutoff: cutoff.optional(), AllowUnassociatedTargets: z.boolean().optional(), Enabled: z.boolean().optional(), Replace: z.boolean().optional() }),
    sensitive: ['Description'],
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => windowDefinition(await maintenanceService(c.core).update(c, i)),
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteMaintenanceWindow',
    input: z.object({ WindowId: windowId }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      await maintenanceService(c.core).delete(c, i.WindowId);
      return { WindowId: i.WindowId };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindows',
    input: z.object({ Filters: filters, MaxResults: maxResults, NextToken: z.string().optional() }),
    handler: async (i, c) => {
      const f = filterValues(i.Filters, ['Name', 'Enabled'], 'DescribeMaintenanceWindows');
      let q = tables(c.core.database.db).selectFrom('maintenance_windows').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region);
      const names = f.get('Name');
      if (names) q = q.where('name', 'in', names);
      const enabled = f.get('Enabled');
      if (enabled) q = q.where('enabled', 'in', enabled.map((v) => (v.toLowerCase() === 'true' ? 1 : v.toLowerCase() === 'false' ? 0 : -1)));
      const rows = await q.orderBy('created_at').orderBy('window_id').execute();
      const svc = maintenanceService(c.core);
      const { items, NextToken } = paged(rows, `windows|${c.accountId}|${c.region}|${JSON.stringify(i.Filters ?? [])}`, i);
      return { WindowIdentities: items.map((w) => windowIdentity(w, svc.nextExecution(w, c.now))), ...(NextToken ? { NextToken } : {}) };
    },
  }),
];
