import { z } from 'zod';
import type { CallContext } from '../../protocol/context.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { doesNotExist } from '../errors.js';
import { maintenanceService } from '../slot.js';
import { tables } from '../store.js';
import { executionDetailView, executionView, invocationView, taskExecutionIdentity, taskExecutionView } from '../views.js';
import { arnOf, executionResources, filters, filterTime, filterValues, maxResults, paged, uuid, windowId } from './common.js';

const page = { MaxResults: maxResults, NextToken: z.string().optional() };

async function taskExecution(c: CallContext, executionId: string, taskId: string) {
  const e = await maintenanceService(c.core).execution(c, executionId);
  const t = await tables(c.core.database.db).selectFrom('maintenance_window_task_executions').selectAll().where('window_execution_id', '=', e.window_execution_id).where('task_execution_id', '=', taskId).executeTakeFirst();
  if (!t) throw doesNotExist(`Maintenance window execution ${executionId} has no task execution ${taskId}.`);
  return t;
}

export const executionOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindowExecutions',
    input: z.object({ WindowId: windowId, Filters: filters, ...page }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const f = filterValues(i.Filters, ['ExecutedBefore', 'ExecutedAfter'], 'DescribeMaintenanceWindowExecutions');
      await maintenanceService(c.core).get(c, i.WindowId);
      let q = tables(c.core.database.db).selectFrom('maintenance_window_executions').selectAll().where('window_id', '=', i.WindowId);
      for (const v of f.get('ExecutedBefore') ?? []) q = q.where('start_time', '<', filterTime('ExecutedBefore', v));
      for (const v of f.get('ExecutedAfter') ?? []) q = q.where('start_time', '>', filterTime('ExecutedAfter', v));
      const rows = await q.orderBy('start_time', 'desc').orderBy('created_at', 'desc').orderBy('window_execution_id').execute();
      const { items, NextToken } = paged(rows, `executions|${i.WindowId}|${JSON.stringify(i.Filters ?? [])}`, i);
      return { WindowExecutions: items.map(executionView), ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetMaintenanceWindowExecution',
    input: z.object({ WindowExecutionId: uuid }),
    resources: (i, c) => executionResources(c, i.WindowExecutionId),
    handler: async (i, c) => {
      const e = await maintenanceService(c.core).execution(c, i.WindowExecutionId);
      const tasks = await tables(c.core.database.db).selectFrom('maintenance_window_task_executions').select('task_execution_id').where('window_execution_id', '=', e.window_execution_id).orderBy('priority').orderBy('created_at').execute();
      return executionDetailView(e, tasks.map((t) => t.task_execution_id));
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindowExecutionTasks',
    input: z.object({ WindowExecutionId: uuid, Filters: filters, ...page }),
    resources: (i, c) => executionResources(c, i.WindowExecutionId),
    handler: async (i, c) => {
      const f = filterValues(i.Filters, ['Status'], 'DescribeMaintenanceWindowExecutionTasks');
      const e = await maintenanceService(c.core).execution(c, i.WindowExecutionId);
      let rows = await tables(c.core.database.db).selectFrom('maintenance_window_task_executions').selectAll().where('window_execution_id', '=', e.window_execution_id).orderBy('priority').orderBy('created_at').execute();
      const statuses = f.get('Status');
      if (statuses) rows = rows.filter((r) => statuses.includes(r.status));
      const { items, NextToken } = paged(rows, `execution-tasks|${e.window_execution_id}|${JSON.stringify(i.Filters ?? [])}`, i);
      return { WindowExecutionTaskIdentities: items.map(taskExecutionIdentity), ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetMaintenanceWindowExecutionTask',
    input: z.object({ WindowExecutionId: uuid, TaskId: uuid }),
    resources: (i, c) => executionResources(c, i.WindowExecutionId),
    handler: async (i, c) => taskExecutionView(await taskExecution(c, i.WindowExecutionId, i.TaskId)),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindowExecutionTaskInvocations',
    input: z.object({ WindowExecutionId: uuid, TaskId: uuid, Filters: filters, ...page }),
    resources: (i, c) => executionResources(c, i.WindowExecutionId),
    handler: async (i, c) => {
      const f = filterValues(i.Filters, ['Status'], 'DescribeMaintenanceWindowExecutionTaskInvocations');
      const t = await taskExecution(c, i.WindowExecutionId, i.TaskId);
      let rows = await tables(c.core.database.db).selectFrom('maintenance_window_invocations').selectAll().where('task_execution_id', '=', t.task_execution_id).orderBy('seq').execute();
      const statuses = f.get('Status');
      if (statuses) rows = rows.filter((r) => statuses.includes(r.status));
      const { items, NextToken } = paged(rows, `invocations|${t.task_execution_id}|${JSON.stringify(i.Filters ?? [])}`, i);
      return { WindowExecutionTaskInvocationIdentities: items.map(invocationView), ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetMaintenanceWindowExecutionTaskInvocation',
    input: z.object({ WindowExecutionId: uuid, TaskId: uuid, InvocationId: uuid }),
    resources: (i, c) => executionResources(c, i.WindowExecutionId),
    handler: async (i, c) => {
      const t = await taskExecution(c, i.WindowExecutionId, i.TaskId);
      const inv = await tables(c.core.database.db).selectFrom('maintenance_window_invocations').selectAll().where('task_execution_id', '=', t.task_execution_id).where('invocation_id', '=', i.InvocationId).executeTakeFirst();
      if (!inv) throw doesNotExist(`Task execution ${i.TaskId} has no invocation ${i.InvocationId}.`);
      return invocationView(inv);
    },
  }),
  defineOperation({
    service: SSM,
    name: 'CancelMaintenanceWindowExecution',
    input: z.object({ WindowExecutionId: uuid }),
    resources: (i, c) => executionResources(c, i.WindowExecutionId),
    handler: async (i, c) => {
      await maintenanceService(c.core).cancelExecution(c, i.WindowExecutionId);
      return { WindowExecutionId: i.WindowExecutionId };
    },
  }),
];
