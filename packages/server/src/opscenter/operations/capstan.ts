import { z } from 'zod';
import type { CallContext } from '../../protocol/context.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { opsItemContext } from '../context.js';
import { invalidParameter } from '../errors.js';
import { opsItemArn } from '../model.js';
import { AUTO_RULES, readRule, ruleDef, writeRule, type AutoRule } from '../rules.js';
import { startRunbook } from '../runbooks.js';
import { opsItems } from '../slot.js';
import { opsItemId } from './shapes.js';

const arnOf = (c: CallContext, id: string) => opsItemArn(c.region, c.accountId, id);
const ruleView = (r: AutoRule) => ({ Name: r.name, Description: r.description, Enabled: r.enabled, ...(r.thresholdMs !== null ? { ThresholdMinutes: r.thresholdMs / 60_000 } : {}), Runbooks: r.runbooks, Customized: r.customized });
/** A runbook name as documents take it. */
const runbookName = z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/);

/** Not AWS operations: OpsCenter's automatic-creation rules, an OpsItem's context, and running a runbook from an OpsItem. */
export const capstanOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CapstanDescribeOpsItemRules',
    action: 'ssm:GetServiceSetting',
    input: z.object({}),
    handler: async (_i, c) => ({ Rules: await Promise.all(AUTO_RULES.map(async (d) => ruleView(await readRule(c.core.database.db, c.accountId, c.region, d)))) }),
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanUpdateOpsItemRule',
    action: 'ssm:UpdateServiceSetting',
    input: z.object({ Name: z.string().min(1).max(64), Enabled: z.boolean().optional(), ThresholdMinutes: z.number().positive().max(366 * 24 * 60).optional(), Runbooks: z.array(runbookName).max(10).optional() }),
    handler: async (i, c) => {
      const def = ruleDef(i.Name);
      if (i.ThresholdMinutes !== undefined && def.defaultThresholdMs === null) throw invalidParameter(['ThresholdMinutes'], `Rule ${def.name} acts at once; it takes no ThresholdMinutes.`);
      const svc = opsItems(c.core);
      const current = await readRule(svc.db, c.accountId, c.region, def);
      const next: AutoRule = {
        ...current,
        ...(i.Enabled !== undefined ? { enabled: i.Enabled } : {}),
        ...(i.ThresholdMinutes !== undefined ? { thresholdMs: Math.round(i.ThresholdMinutes * 60_000) } : {}),
        ...(i.Runbooks !== undefined ? { runbooks: i.Runbooks } : {}),
        customized: true,
      };
      await writeRule(svc.db, c.accountId, c.region, c.now, next);
      return { Rule: ruleView(next) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanGetOpsItemContext',
    action: 'ssm:GetOpsItem',
    input: z.object({ OpsItemId: opsItemId }),
    resources: (i, c) => [arnOf(c, i.OpsItemId)],
    handler: async (i, c) => {
      const svc = opsItems(c.core);
      return opsItemContext(c, svc, await svc.get(c.accountId, c.region, i.OpsItemId));
    },
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanStartOpsItemRunbook',
    action: 'ssm:UpdateOpsItem',
    input: z.object({ OpsItemId: opsItemId, DocumentName: runbookName, DocumentVersion: z.string().regex(/^([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)$/).optional(), Parameters: z.record(z.string().min(1).max(50), z.array(z.string())).optional() }),
    sensitive: ['Parameters'],
    resources: (i, c) => [arnOf(c, i.OpsItemId)],
    handler: async (i, c) => ({ AutomationExecutionId: await startRunbook(c, opsItems(c.core), i) }),
  }),
];
