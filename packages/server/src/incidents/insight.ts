import { z } from 'zod';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { metricsOf } from './records.js';
import { incidentsOf } from './slot.js';

const seconds = (ms: number | null) => (ms === null ? undefined : Number(ms) / 1000);
const PLAN_ARN = /^arn:aws(-cn|-us-gov)?:ssm-incidents::[0-9]{12}:response-plan\/[a-zA-Z0-9_-]{1,200}$/;

/**
 * Not an AWS operation: each incident with its response plan, when it was acknowledged and
 * resolved, and the runbooks it ran with how each ended — what the console's incident list and
 * a plan's Insight view need, which AWS's API would give only through a timeline read per incident.
 */
export const insightOperations = [
  defineOperation({
    service: SSM,
    name: 'CapstanListIncidentMetrics',
    action: 'ssm-incidents:ListIncidentRecords',
    input: z.object({ ResponsePlanArn: z.string().max(1000).regex(PLAN_ARN).optional() }),
    handler: async (i, c) => {
      const svc = incidentsOf(c.core);
      const rows = (await svc.incidents(c.accountId, c.region)).filter((r) => !i.ResponsePlanArn || r.plan_arn === i.ResponsePlanArn);
      const arns = rows.map((r) => r.arn);
      const links = arns.length ? await svc.db.selectFrom('im_runbooks').selectAll().where('incident_arn', 'in', arns).execute() : [];
      const ended = new Map<string, string>();
      if (links.length) {
        const events = await svc.db.selectFrom('im_timeline').select(['event_data', 'event_time']).where('incident_arn', 'in', [...new Set(links.map((l) => l.incident_arn))]).where('event_type', '=', 'Automation Execution').orderBy('event_time').execute();
        for (const e of events) {
          const d = JSON.parse(e.event_data) as { executionId?: string; status?: string };
          if (d.executionId && d.status) ended.set(d.executionId, d.status);
        }
      }
      return {
        Incidents: rows.map((r) => {
          const m = metricsOf(r);
          return {
            Arn: r.arn,
            Title: r.title,
            Status: r.status,
            Impact: Number(r.impact),
            ResponsePlanArn: r.plan_arn,
            CreationTime: seconds(r.created_at),
            ...(r.acknowledged_at !== null ? { AcknowledgedTime: seconds(r.acknowledged_at), TimeToAcknowledgeSeconds: m.timeToAcknowledgeSeconds } : {}),
            ...(r.resolved_at !== null ? { ResolvedTime: seconds(r.resolved_at), TimeToResolveSeconds: m.timeToResolveSeconds } : {}),
            Runbooks: links.filter((l) => l.incident_arn === r.arn).map((l) => ({ DocumentName: l.document_name, ExecutionId: l.execution_id, ...(ended.has(l.execution_id) ? { Status: ended.get(l.execution_id) } : {}) })),
          };
        }),
      };
    },
  }),
];
