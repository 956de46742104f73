import type { EventBridgeEvent } from '../events/shape.js';
import { authorize } from '../iam/authorize.js';
import type { Principal } from '../iam/credentials.js';
import { isAwsError, type AwsError } from '../protocol/errors.js';
import type { Core } from '../protocol/context.js';
import { findOperation } from '../protocol/actor.js';
import { invokeAs } from '../protocol/pipeline.js';
import { LeaseLost, type Job } from '../scheduler/scheduler.js';
import type { ConnectionService } from './connections.js';
import { InputError, ssmParameters, targetInput } from './input.js';
import { FIRE_JOB } from './routing.js';
import { ruleTables, type FiringRow } from './tables.js';
import { classifyTarget, type Target } from './targets.js';
import { checkRole, EVENTS_SERVICE, rolePrincipal } from './trust.js';
import { callWebhook, retryableStatus } from './webhook.js';

/** EventBridge's default retry policy: 185 retries within 24 hours. */
const DEFAULT_RETRIES = 185;
const DEFAULT_MAX_AGE_S = 86_400;

type Result = { executionId?: string; commandId?: string; httpStatus?: number };
type Outcome = ({ ok: true } & Result) | { ok: false; retry: boolean; code: string; message: string; httpStatus?: number };

const fail = (code: string, message: string, retry = false, httpStatus?: number): Outcome => ({ ok: false, retry, code, message, ...(httpStatus !== undefined ? { httpStatus } : {}) });

/**
 * Carries out firings. The target acts as the rule's role, through the same pipeline as any
 * caller (authorization, throttling, audit trail, with `events.amazonaws.com` as the source).
 * The outcome is recorded and the job ended in one transaction; a failure worth retrying
 * (throttling, a server error, an endpoint that did not answer) leaves the job to run again
 * with backoff until the target's RetryPolicy runs out.
 */
export class Firings {
  constructor(
    private readonly core: Core,
    private readonly connections: ConnectionService,
  ) {
    core.scheduler.handle(FIRE_JOB, (job) => this.run(job));
  }

  private async run(job: Job): Promise<void> {
    const { firingId } = job.payload as { firingId: string };
    const db = ruleTables(this.core.database.db);
    const firing = await db.selectFrom('event_rule_firings').selectAll().where('firing_id', '=', firingId).executeTakeFirst();
    if (!firing || firing.status !== 'PENDING') return;
    const target = JSON.parse(firing.target) as Target;
    let outcome: Outcome;
    try {
      outcome = await this.perform(firing, target);
    } catch (e) {
      outcome = isAwsError(e) ? fromAwsError(e) : fail('INTERNAL_ERROR', 'The target could not be invoked because of an internal error.', true);
      if (!isAwsError(e)) console.error(`event rule ${firing.rule_arn} target ${firing.target_id}:`, e);
    }
    const attempts = firing.attempts + 1;
    const now = this.core.clock.now();
    const policy = target.RetryPolicy ?? {};
    const retriesLeft = attempts <= (policy.MaximumRetryAttempts ?? DEFAULT_RETRIES) && now - firing.created_at < (policy.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_S) * 1000;
    if (!outcome.ok && outcome.retry && retriesLeft) {
      await db
        .updateTable('event_rule_firings')
        .set({ attempts, error_code: outcome.code, error_message: outcome.message.slice(0, 2000), http_status: outcome.httpStatus ?? null })
        .where('firing_id', '=', firingId)
        .where('status', '=', 'PENDING')
        .execute();
      throw new Error(`event rule ${firing.rule_name} target ${firing.target_id}: ${outcome.code}: ${outcome.message}`);
    }
    await this.record(job, firingId, attempts, now, outcome);
  }

  /** The effect already happened: a failed write of its record is tried again here rather than by running the job (and the effect) again. */
  private async record(job: Job, firingId: string, attempts: number, now: number, o: Outcome): Promise<void> {
    const set = o.ok
      ? { status: 'SUCCEEDED', attempts, finished_at: now, execution_id: o.executionId ?? '', command_id: o.commandId ?? '', http_status: o.httpStatus ?? null, error_code: '', error_message: '' }
      : { status: 'FAILED', attempts, finished_at: now, http_status: o.httpStatus ?? null, error_code: o.code, error_message: o.message.slice(0, 2000) };
    for (let i = 1; ; i++) {
      try {
        await this.core.database.db.transaction().execute(async (trx) => {
          await job.settle(trx);
          await ruleTables(trx).updateTable('event_rule_firings').set(set).where('firing_id', '=', firingId).where('status', '=', 'PENDING').execute();
        });
        return;
      } catch (e) {
        if (e instanceof LeaseLost || i >= 4) throw e;
        await new Promise((r) => setTimeout(r, 50 * 4 ** i));
      }
    }
  }

  private async perform(firing: FiringRow, target: Target): Promise<Outcome> {
    const kind = classifyTarget(target.Arn, firing.region, firing.account_id);
    const role = await checkRole(this.core, target.RoleArn ?? '', firing.account_id, firing.rule_arn);
    if (!role.ok) return fail('NO_PERMISSIONS', role.reason);
    const principal = await rolePrincipal(this.core, role.accountId, role.roleName, firing.rule_name);
    if (!principal) return fail('NO_PERMISSIONS', `Role ${target.RoleArn} does not exist.`);
    const event = JSON.parse(firing.event) as EventBridgeEvent;
    const facts = { name: firing.rule_name, arn: firing.rule_arn, ingestedAt: firing.created_at };
    const hasInput = target.Input !== undefined || target.InputPath !== undefined || target.InputTransformer !== undefined;
    if (kind.kind === 'api-destination') return this.webhook(firing, target, principal, targetInput(target, event, facts));
    if (kind.kind === 'association') {
      // The association runs as it always does (its own parameters and targets), now.
      const out = await this.ssm(principal, firing.region, 'StartAssociationsOnce', { AssociationIds: [kind.associationId] });
      return out.ok ? { ok: true } : out.failure;
    }
    if (kind.kind === 'incident') {
      const op = findOperation(this.core, 'ssm-incidents', 'StartIncident');
      if (!op) return fail('RESOURCE_NOT_FOUND', 'Incident Manager is not available on this server.');
      const input = { responsePlanArn: kind.responsePlanArn, clientToken: firing.firing_id, triggerDetails: { source: event.source, triggerArn: firing.rule_arn, timestamp: Date.parse(event.time) / 1000, rawData: JSON.stringify(event).slice(0, 10_000) } };
      const result = await invokeAs(this.core, { service: op.service, op, principal, region: firing.region, input, sourceIp: EVENTS_SERVICE, userAgent: EVENTS_SERVICE });
      return 'error' in result ? fromAwsError(result.error) : { ok: true };
    }
    let parameters: Record<string, string[]>;
    try {
      parameters = ssmParameters(hasInput ? targetInput(target, event, facts) : undefined);
    } catch (e) {
      if (e instanceof InputError) return fail('INVALID_PARAMETER', e.message);
      throw e;
    }
    if (kind.kind === 'runbook') {
      const out = await this.ssm(principal, firing.region, 'StartAutomationExecution', {
        DocumentName: kind.document,
        ...(kind.version !== undefined ? { DocumentVersion: kind.version } : {}),
        Parameters: parameters,
        // The firing's id: a start repeated after a crash finds the execution the first one began.
        ClientToken: firing.firing_id,
      });
      return out.ok ? { ok: true, executionId: String((out.output as { AutomationExecutionId?: unknown }).AutomationExecutionId ?? '') } : out.failure;
    }
    const out = await this.ssm(principal, firing.region, 'SendCommand', {
      DocumentName: kind.document,
      Targets: target.RunCommandParameters!.RunCommandTargets,
      Parameters: parameters,
      Comment: `Event rule ${firing.rule_name}`.slice(0, 100),
    });
    return out.ok ? { ok: true, commandId: String((out.output as { Command?: { CommandId?: unknown } }).Command?.CommandId ?? '') } : out.failure;
  }

  private async ssm(principal: Principal, region: string, name: string, input: unknown): Promise<{ ok: true; output: unknown } | { ok: false; failure: Outcome }> {
    const op = this.core.registry.byJsonTarget(`AmazonSSM.${name}`);
    if (!op) return { ok: false, failure: fail('RESOURCE_NOT_FOUND', `${name} is not available on this server.`) };
    const result = await invokeAs(this.core, { service: op.service, op, principal, region, input, sourceIp: EVENTS_SERVICE, userAgent: EVENTS_SERVICE });
    return 'error' in result ? { ok: false, failure: fromAwsError(result.error) } : { ok: true, output: result.output };
  }

  private async webhook(firing: FiringRow, target: Target, principal: Principal, body: string): Promise<Outcome> {
    const dest = await this.connections.apiDestinationByArn(firing.account_id, firing.region, target.Arn);
    if (!dest) return fail('RESOURCE_NOT_FOUND', `API destination ${target.Arn} does not exist.`);
    const now = this.core.clock.now();
    try {
      await authorize({
        principal,
        action: 'events:InvokeApiDestination',
        resources: [dest.arn],
        context: { 'aws:CurrentTime': new Date(now).toISOString(), 'aws:EpochTime': Math.floor(now / 1000), 'aws:RequestedRegion': firing.region, 'aws:SourceArn': firing.rule_arn, 'aws:SourceAccount': firing.account_id },
        tags: this.core.resourceTags,
      });
    } catch (e) {
      if (isAwsError(e)) return fail('NO_PERMISSIONS', e.message);
      throw e;
    }
    const conn = await this.connections.connectionByArn(firing.account_id, firing.region, dest.connection_arn);
    if (!conn) return fail('RESOURCE_NOT_FOUND', `Connection ${dest.connection_arn} of API destination ${dest.name} does not exist.`);
    let status: number;
    try {
      status = await callWebhook({ endpoint: dest.endpoint, method: dest.http_method, authorizationType: conn.authorization_type, auth: this.connections.secrets(conn), http: target.HttpParameters, body });
    } catch (e) {
      // The endpoint's address is the user's; what the network said about it is theirs to see. Nothing of the connection's secrets is in it.
      const timedOut = (e as Error).name === 'TimeoutError';
      return fail(timedOut ? 'TIMEOUT' : 'SDK_CLIENT_ERROR', timedOut ? `${dest.endpoint} did not answer within 5 seconds.` : `${dest.endpoint} could not be reached: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, true);
    }
    if (status >= 200 && status < 300) return { ok: true, httpStatus: status };
    return fail(status === 429 ? 'THROTTLING' : 'SDK_CLIENT_ERROR', `${dest.endpoint} answered HTTP ${status}.`, retryableStatus(status), status);
  }
}

function fromAwsError(e: AwsError): Outcome {
  const retry = e.code === 'ThrottlingException' || e.status >= 500;
  return fail(e.code, e.message, retry);
}
