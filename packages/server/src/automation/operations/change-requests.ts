import { z } from 'zod';
import { targetSchema } from '../../nodes/index.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { changeRequestRunbook } from '../change-requests.js';
import { validation } from '../errors.js';
import { definitionArn } from '../service.js';
import { automationService } from '../slot.js';
import { startInput } from './executions.js';

const parameterMap = z.record(z.string().min(1).max(50), z.array(z.string().max(512)).max(50));
const runbook = z.object({
  DocumentName: z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/),
  DocumentVersion: z.string().regex(/^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$/).optional(),
  Parameters: parameterMap.optional(),
  TargetParameterName: z.string().min(1).max(50).optional(),
  Targets: z.array(targetSchema).max(5).optional(),
  TargetMaps: z.array(z.record(z.string(), z.array(z.string()))).max(300).optional(),
  MaxConcurrency: z.string().min(1).max(7).optional(),
  MaxErrors: z.string().min(1).max(7).optional(),
  TargetLocations: z.array(z.unknown()).optional(),
});

export const changeRequestOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'StartChangeRequestExecution',
    input: z.object({
      ScheduledTime: z.coerce.date().optional(),
      DocumentName: startInput.shape.DocumentName,
      DocumentVersion: startInput.shape.DocumentVersion,
      Parameters: parameterMap.optional(),
      ChangeRequestName: z.string().min(1).max(1024).optional(),
      ClientToken: startInput.shape.ClientToken,
      AutoApprove: z.boolean().optional(),
      Runbooks: z.array(runbook).min(1).max(1),
      Tags: startInput.shape.Tags,
      ScheduledEndTime: z.coerce.date().optional(),
      ChangeDetails: z.string().min(1).max(32768).optional(),
    }),
    sensitive: ['Parameters'],
    resources: (i, c) => [definitionArn(c, i.DocumentName), ...i.Runbooks.map((r) => definitionArn(c, r.DocumentName))],
    handler: async (i, c) => {
      const scheduledTime = i.ScheduledTime?.getTime();
      if (i.ScheduledEndTime && scheduledTime !== undefined && i.ScheduledEndTime.getTime() <= scheduledTime) throw validation('ScheduledEndTime must be after ScheduledTime.');
      const ref = i.Runbooks[0]!;
      const id = await automationService(c.core).start(
        c,
        { DocumentName: i.DocumentName, ...(i.DocumentVersion ? { DocumentVersion: i.DocumentVersion } : {}), Parameters: i.Parameters ?? {}, ...(i.ClientToken ? { ClientToken: i.ClientToken } : {}), ...(i.Tags ? { Tags: i.Tags } : {}) },
        {
          name: i.ChangeRequestName ?? i.DocumentName,
          ...(scheduledTime !== undefined ? { scheduledTime } : {}),
          runbooks: i.Runbooks,
          build: (template) => changeRequestRunbook(template, ref, { autoApprove: i.AutoApprove === true, ...(scheduledTime !== undefined && scheduledTime > c.now ? { scheduledTime } : {}) }),
          requireTemplate: true,
        },
      );
      return { AutomationExecutionId: id };
    },
  }),
];
