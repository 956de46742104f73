import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { maintenanceService } from '../slot.js';
import { tables } from '../store.js';
import { targetView } from '../views.js';
import { arnOf, clientToken, description, filters, filterValues, maxResults, name, ownerInformation, paged, resourceType, targets, uuid, windowId } from './common.js';

const FILTER_KEYS = ['Type', 'WindowTargetId', 'OwnerInformation'];

export const targetOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'RegisterTargetWithMaintenanceWindow',
    input: z.object({ WindowId: windowId, ResourceType: resourceType, Targets: targets, OwnerInformation: ownerInformation.optional(), Name: name.optional(), Description: description.optional(), ClientToken: clientToken.optional() }),
    sensitive: ['OwnerInformation', 'Description'],
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const { WindowId, ...rest } = i;
      return { WindowTargetId: await maintenanceService(c.core).registrations.registerTarget(c, WindowId, rest) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateMaintenanceWindowTarget',
    input: z.object({ WindowId: windowId, WindowTargetId: uuid, Targets: targets.optional(), OwnerInformation: ownerInformation.optional(), Name: name.optional(), Description: description.optional(), Replace: z.boolean().optional() }),
    sensitive: ['OwnerInformation', 'Description'],
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const row = await maintenanceService(c.core).registrations.updateTarget(c, i.WindowId, i.WindowTargetId, i);
      const { ResourceType: _r, ...view } = targetView(row);
      return view;
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeregisterTargetFromMaintenanceWindow',
    input: z.object({ WindowId: windowId, WindowTargetId: uuid, Safe: z.boolean().optional() }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      await maintenanceService(c.core).registrations.deregisterTarget(c, i.WindowId, i.WindowTargetId, i.Safe ?? false);
      return { WindowId: i.WindowId, WindowTargetId: i.WindowTargetId };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindowTargets',
    input: z.object({ WindowId: windowId, Filters: filters, MaxResults: maxResults, NextToken: z.string().optional() }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const f = filterValues(i.Filters, FILTER_KEYS, 'DescribeMaintenanceWindowTargets');
      await maintenanceService(c.core).get(c, i.WindowId);
      let rows = await tables(c.core.database.db).selectFrom('maintenance_window_targets').selectAll().where('window_id', '=', i.WindowId).orderBy('created_at').orderBy('window_target_id').execute();
      const field = { Type: 'resource_type', WindowTargetId: 'window_target_id', OwnerInformation: 'owner_information' } as const;
      for (const [k, values] of f) rows = rows.filter((r) => values.includes(r[field[k as keyof typeof field]]));
      const { items, NextToken } = paged(rows, `targets|${i.WindowId}|${JSON.stringify(i.Filters ?? [])}`, i);
      return { Targets: items.map(targetView), ...(NextToken ? { NextToken } : {}) };
    },
  }),
];
