import type { Core } from '../protocol/context.js';
import { parameterArn } from './names.js';
import type { PolicyType, StoredPolicy } from './policies.js';
import { POLICY_JOB } from './service.js';
import { currentRows } from './slots.js';
import { countingOf, parameterStore } from './store.js';
import type { ParameterTables } from './tables.js';

interface PolicyJob {
  account: string;
  region: string;
  name: string;
  version: number;
  type: PolicyType;
}

/** The EventBridge detail type AWS uses for parameter policy actions. */
export const POLICY_EVENT = 'Parameter Store Policy Action';

/**
 * Runs a parameter policy when it falls due: Expiration deletes the parameter, the
 * notifications record an event. The action, the policy's new status and the event are one
 * transaction, and a job for a version that has since been replaced does nothing.
 */
export function registerPolicyJobs(core: Core): void {
  const db = core.database.db.withTables<ParameterTables>();
  core.scheduler.handle(POLICY_JOB, async (job) => {
    const p = job.payload as PolicyJob;
    await db.transaction().execute(async (trx) => {
      await job.settle(trx);
      const row = await parameterStore.get(trx, p.account, p.region, p.name);
      if (!row || row.version !== p.version) return;
      const policies = JSON.parse(row.policies) as StoredPolicy[];
      const policy = policies.find((x) => x.type === p.type);
      if (!policy || policy.status !== 'Pending') return;
      const arn = parameterArn(p.region, p.account, p.name);
      await core.events.append(
        {
          accountId: p.account,
          region: p.region,
          source: 'aws.ssm',
          detailType: POLICY_EVENT,
          resources: [arn],
          detail: { 'parameter-name': p.name, 'parameter-type': row.type, 'policy-type': p.type, 'action-status': 'Finished', 'parameter-version': row.version },
        },
        trx,
      );
      if (p.type === 'Expiration') {
        await parameterStore.delete(trx, p.account, p.region, p.name, countingOf(core.database.engine));
        return;
      }
      policy.status = 'Finished';
      await parameterStore.setPolicies(trx, p.account, p.region, p.name, row.version, JSON.stringify(policies));
    });
    currentRows(core).forget(p.account, p.region, p.name);
  });
}
