import { z } from 'zod';
import { CONCURRENCY_PATTERN, ERRORS_PATTERN } from '../../commands/rate.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { maintenanceService } from '../slot.js';
import { tables } from '../store.js';
import type { TaskInput } from '../task-definition.js';
import { taskDetailView, taskView } from '../views.js';
import { arnOf, clientToken, description, filters, filterValues, maxResults, name, paged, targets, uuid, windowId } from './common.js';

const documentVersion = z.string().regex(/^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$/);
const invocationParameters = z.object({
  RunCommand: z
    .object({
      Comment: z.string().max(100).optional(),
      CloudWatchOutputConfig: z.object({ CloudWatchLogGroupName: z.string().min(1).max(512).optional(), CloudWatchOutputEnabled: z.boolean().optional() }).optional(),
      DocumentHash: z.string().max(256).optional(),
      DocumentHashType: z.enum(['Sha256', 'Sha1']).optional(),
      DocumentVersion: documentVersion.optional(),
      NotificationConfig: z.object({ NotificationArn: z.string().optional(), NotificationEvents: z.array(z.enum(['All', 'InProgress', 'Success', 'TimedOut', 'Cancelled', 'Failed'])).optional(), NotificationType: z.enum(['Command', 'Invocation']).optional() }).optional(),
      OutputS3BucketName: z.string().min(3).max(63).optional(),
      OutputS3KeyPrefix: z.string().max(500).optional(),
      Parameters: z.record(z.string(), z.array(z.string())).optional(),
      ServiceRoleArn: z.string().optional(),
      TimeoutSeconds: z.number().int().min(30).max(2592000).optional(),
    })
    .optional(),
  Automation: z.object({ DocumentVersion: documentVersion.optional(), Parameters: z.record(z.string().min(1).max(50), z.array(z.string().min(1).max(512)).max(50)).optional() }).optional(),
  StepFunctions: z.object({ Input: z.string().max(4096).optional(), Name: z.string().min(1).max(80).optional() }).optional(),
  Lambda: z.object({ ClientContext: z.string().min(1).max(8000).optional(), Qualifier: z.string().min(1).max(128).optional(), Payload: z.string().optional() }).optional(),
});
const definition = {
  Targets: targets.optional(),
  ServiceRoleArn: z.string().optional(),
  TaskParameters: z.record(z.string().min(1).max(255), z.object({ Values: z.array(z.string().min(1).max(255)).optional() })).optional(),
  TaskInvocationParameters: invocationParameters.optional(),
  Priority: z.number().int().min(0).optional(),
  MaxConcurrency: z.string().min(1).max(7).regex(CONCURRENCY_PATTERN).optional(),
  MaxErrors: z.string().min(1).max(7).regex(ERRORS_PATTERN).optional(),
  LoggingInfo: z.object({ S3BucketName: z.string().min(3).max(63), S3KeyPrefix: z.string().max(500).optional(), S3Region: z.string().min(3).max(20) }).optional(),
  Name: name.optional(),
  Description: description.optional(),
  CutoffBehavior: z.enum(['CONTINUE_TASK', 'CANCEL_TASK']).optional(),
  AlarmConfiguration: z.object({ IgnorePollAlarmFailure: z.boolean().optional(), Alarms: z.array(z.object({ Name: z.string().min(1).max(255) })).min(1).max(1) }).optional(),
};
const taskArn = z.string().min(1).max(1600);
const SENSITIVE = ['TaskParameters', 'TaskInvocationParameters', 'Description'];
const FILTER_KEYS = ['WindowTaskId', 'TaskArn', 'Priority', 'TaskType'];

export const taskOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'RegisterTaskWithMaintenanceWindow',
    input: z.object({ WindowId: windowId, TaskArn: taskArn, TaskType: z.enum(['RUN_COMMAND', 'AUTOMATION', 'STEP_FUNCTIONS', 'LAMBDA']), ClientToken: clientToken.optional(), ...definition }),
    sensitive: SENSITIVE,
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const { WindowId, ...rest } = i;
      return { WindowTaskId: await maintenanceService(c.core).registrations.registerTask(c, WindowId, rest as TaskInput & Record<string, unknown>) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateMaintenanceWindowTask',
    input: z.object({ WindowId: windowId, WindowTaskId: uuid, TaskArn: taskArn.optional(), Replace: z.boolean().optional(), ...definition }),
    sensitive: SENSITIVE,
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const row = await maintenanceService(c.core).registrations.updateTask(c, i.WindowId, i.WindowTaskId, i as TaskInput & { Replace?: boolean });
      const { TaskType: _t, ...view } = taskDetailView(row);
      return view;
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeregisterTaskFromMaintenanceWindow',
    input: z.object({ WindowId: windowId, WindowTaskId: uuid }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      await maintenanceService(c.core).registrations.deregisterTask(c, i.WindowId, i.WindowTaskId);
      return { WindowId: i.WindowId, WindowTaskId: i.WindowTaskId };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetMaintenanceWindowTask',
    input: z.object({ WindowId: windowId, WindowTaskId: uuid }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => taskDetailView(await maintenanceService(c.core).registrations.task(c, i.WindowId, i.WindowTaskId)),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeMaintenanceWindowTasks',
    input: z.object({ WindowId: windowId, Filters: filters, MaxResults: maxResults, NextToken: z.string().optional() }),
    resources: (i, c) => [arnOf(c, i.WindowId)],
    handler: async (i, c) => {
      const f = filterValues(i.Filters, FILTER_KEYS, 'DescribeMaintenanceWindowTasks');
      await maintenanceService(c.core).get(c, i.WindowId);
      let rows = await tables(c.core.database.db).selectFrom('maintenance_window_tasks').selectAll().where('window_id', '=', i.WindowId).orderBy('priority').orderBy('created_at').execute();
      for (const [k, values] of f) rows = rows.filter((r) => values.includes(k === 'WindowTaskId' ? r.window_task_id : k === 'TaskArn' ? r.task_arn : k === 'Priority' ? String(r.priority) : r.task_type));
      const { items, NextToken } = paged(rows, `tasks|${i.WindowId}|${JSON.stringify(i.Filters ?? [])}`, i);
      return { Tasks: items.map(taskView), ...(NextToken ? { NextToken } : {}) };
    },
  }),
];
