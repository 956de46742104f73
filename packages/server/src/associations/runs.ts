import { randomUUID } from 'node:crypto';
import { commandService } from '../commands/index.js';
import { calendarState, parseCalendar } from '../documents/calendar.js';
import { recordAssociationRun } from '../compliance/index.js';
import { resolveDocument } from '../documents/index.js';
import { nodeService, type AssociationSummary } from '../nodes/index.js';
import { actorCall, callAs, type Actor } from '../protocol/actor.js';
import type { Core } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import type { Job } from '../scheduler/scheduler.js';
import { nodesOf } from './service.js';
import { associationStore as store, tables, type AssociationDb, type LatestResult } from './store.js';
import type { AssociationRow, ExecutionRow } from './tables.js';

export const SCHEDULE_JOB = 'association.schedule';
export const DISPATCH_JOB = 'association.dispatch';
export const TRACK_JOB = 'association.track';
export const SWEEP_JOB = 'association.sweep';

const FINISHED_COMMAND = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
const FINISHED_AUTOMATION = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
/** AWS's per-target statuses from Run Command's invocation details. */
const TARGET_STATUS: Record<string, string> = { Success: 'Success', Failed: 'Failed', 'Execution Timed Out': 'Failed', 'Delivery Timed Out': 'Failed', Cancelled: 'Failed', Undeliverable: 'Failed', Terminated: 'Failed', Pending: 'Pending', InProgress: 'InProgress', Delayed: 'Pending' };

type Json = Record<string, unknown>;

/**
 * An association's runs. Each run is an execution row written with a dispatch job in one
 * transaction; the dispatch sends one command (whose id the row already holds, so a repeated
 * dispatch finds it instead of sending another) and a tracking job follows it to the end,
 * recording each node's result. A sweep gives nodes that newly match an association's targets
 * their own run.
 */
export class Runs {
  private readonly db: AssociationDb;

  constructor(
    private readonly core: Core,
    private readonly sweepMs: number,
  ) {
    this.db = tables(core.database.db);
  }

  /** A new execution of the association's current version, dispatched as soon as possible; `nodes` limits it (new targets). */
  async start(db: AssociationDb, row: AssociationRow, trigger: string, now: number, nodes?: string[]): Promise<string> {
    const automation = row.document_type === 'Automation';
    const execution: ExecutionRow = {
      execution_id: randomUUID(),
      association_id: row.association_id,
      account_id: row.account_id,
      region: row.region,
      association_version: row.association_version,
      status: 'Pending',
      detailed_status: 'Pending',
      trigger,
      command_id: automation ? '' : randomUUID(),
      automation_id: automation ? randomUUID() : '',
      target_ids: nodes ? JSON.stringify(nodes) : '',
      resource_counts: '{}',
      created_at: now,
      ended_at: null,
    };
    await db.insertInto('association_executions').values(execution).execute();
    await this.core.scheduler.enqueue({ kind: DISPATCH_JOB, dedupeKey: execution.execution_id, dueAt: now, payload: { executionId: execution.execution_id }, maxAttempts: 10 }, db);
    return execution.execution_id;
  }

  async dispatch(job: Job): Promise<void> {
    const { executionId } = job.payload as { executionId: string };
    const execution = await this.db.selectFrom('association_executions').selectAll().where('execution_id', '=', executionId).executeTakeFirst();
    const current = execution && (await store.get(this.db, execution.association_id));
    if (!execution || !current || execution.status !== 'Pending') return;
    const row = await store.version(this.db, current, execution.association_version);
    const actor = JSON.parse(row.actor) as Actor;
    const now = this.core.clock.now();
    await this.db.updateTable('associations').set({ last_execution_at: now }).where('association_id', '=', row.association_id).execute();
    let nodes: string[] = [];
    try {
      const closed = await this.closedCalendar(row, actor, now);
      if (closed) return await this.end(execution, 'Skipped', `The change calendar ${closed} is CLOSED; the run was skipped.`, {});
      nodes = execution.target_ids ? (JSON.parse(execution.target_ids) as string[]) : await nodesOf(this.core, row);
      if (execution.automation_id) await this.startAutomation(row, execution, actor);
      else if (nodes.length === 0) return await this.end(execution, 'Success', 'No managed node matches the targets.', {});
      else await this.sendCommand(row, execution, actor, nodes);
      await this.core.database.db.transaction().execute(async (trx) => {
        const db = tables(trx);
        await db.updateTable('association_executions').set({ status: 'InProgress', detailed_status: 'InProgress', target_ids: JSON.stringify(nodes) }).where('execution_id', '=', executionId).execute();
        for (const id of execution.automation_id ? [] : nodes) {
          await db
            .insertInto('association_execution_targets')
            .values({ execution_id: executionId, association_id: row.association_id, resource_id: id, resource_type: 'ManagedInstance', status: 'Pending', detailed_status: 'Pending', error_code: '', output_url: '', summary: '', updated_at: now })
            .onConflict((oc) => oc.columns(['execution_id', 'resource_id']).doNothing())
            .execute();
          await db
            .insertInto('association_nodes')
            .values({ association_id: row.association_id, instance_id: id, association_version: row.association_version, execution_id: executionId, at: now })
            .onConflict((oc) => oc.columns(['association_id', 'instance_id']).doUpdateSet({ association_version: row.association_version, execution_id: executionId, at: now }))
            .execute();
        }
        // A node shows Pending while a run is under way on it, as on AWS, not its previous result.
        if (!execution.automation_id) await this.summarize(db, nodes);
        await this.core.scheduler.enqueue({ kind: TRACK_JOB, dedupeKey: executionId, dueAt: now + 1_000, payload: { executionId }, maxAttempts: 50 }, trx);
      });
    } catch (err) {
      if (!isAwsError(err)) throw err;
      // The nodes it was for count as given this version (failed), or the sweep would see them as new and start the same failing run again.
      await this.end(execution, 'Failed', `${err.code}: ${err.message}`, nodes.length ? { Failed: nodes.length } : {}, { nodes, version: row.association_version, message: `${err.code}: ${err.message}` });
    }
  }

  /** Follows the execution's command (or automation) and records each node's result until it ends. */
  async track(job: Job): Promise<void> {
    const { executionId } = job.payload as { executionId: string };
    const execution = await this.db.selectFrom('association_executions').selectAll().where('execution_id', '=', executionId).executeTakeFirst();
    const row = execution && (await store.get(this.db, execution.association_id));
    if (!execution || !row || execution.status !== 'InProgress') return;
    const actor = JSON.parse(row.actor) as Actor;
    const now = this.core.clock.now();
    let finished = false;
    let counts: Record<string, number> = {};
    if (execution.automation_id) {
      const out = await callAs(this.core, actor, row.region, 'ssm', 'GetAutomationExecution', { AutomationExecutionId: execution.automation_id });
      const status = String((out.AutomationExecution as Json | undefined)?.AutomationExecutionStatus ?? 'Pending');
      finished = FINISHED_AUTOMATION.has(status);
      counts = { [status === 'Success' ? 'Success' : finished ? 'Failed' : 'InProgress']: 1 };
    } else {
      const command = ((await callAs(this.core, actor, row.region, 'ssm', 'ListCommands', { CommandId: execution.command_id })).Commands as Json[] | undefined)?.[0];
      finished = FINISHED_COMMAND.has(String(command?.Status ?? ''));
      let token: string | undefined;
      do {
        const page = await callAs(this.core, actor, row.region, 'ssm', 'ListCommandInvocations', { CommandId: execution.command_id, Details: true, ...(token ? { NextToken: token } : {}) });
        const invocations = (page.CommandInvocations ?? []) as Json[];
        const recorded = await this.recorded(executionId, invocations.map((inv) => String(inv.InstanceId)));
        for (const inv of invocations) {
          const details = String(inv.StatusDetails ?? inv.Status ?? 'Pending');
          const status = TARGET_STATUS[details] ?? 'InProgress';
          counts[status] = (counts[status] ?? 0) + 1;
          const node = String(inv.InstanceId);
          const was = recorded.get(node);
          // Only a change is written, so updated_at is when the node's result last changed (its
          // ExecutionDate), and a poll that finds nothing new writes nothing.
          if (!was || (was.status === status && was.detailed_status === details)) continue;
          const plugin = ((inv.CommandPlugins ?? []) as Json[])[0];
          const code = plugin && typeof plugin.ResponseCode === 'number' && plugin.ResponseCode !== 0 && status === 'Failed' ? String(plugin.ResponseCode) : '';
          // One node per transaction: it holds one result row and one node row at a time, so it
          // cannot deadlock with a deletion of the association, which takes all of them.
          const moved = await this.core.database.db.transaction().execute(async (trx) => {
            const db = tables(trx);
            const changed = await db
              .updateTable('association_execution_targets')
              .set({ status, detailed_status: details, error_code: code, summary: summaryOf(status, details), updated_at: now })
              .where('execution_id', '=', executionId)
              .where('resource_id', '=', node)
              .where((eb) => eb.or([eb('status', '!=', status), eb('detailed_status', '!=', details)]))
              .executeTakeFirst();
            if (Number(changed.numUpdatedRows) > 0) await this.summarize(db, [node]);
            return Number(changed.numUpdatedRows) > 0;
          });
          if (moved) await recordAssociationRun(this.core, row, { executionId, instanceIds: [node], status, documentVersion: String(inv.DocumentVersion ?? '') });
        }
        token = page.NextToken as string | undefined;
      } while (token);
    }
    if (finished) {
      const failed = (counts.Failed ?? 0) > 0;
      await this.end(execution, failed ? 'Failed' : 'Success', failed ? 'Failed' : 'Success', counts);
      return;
    }
    await this.db.updateTable('association_executions').set({ resource_counts: JSON.stringify(counts) }).where('execution_id', '=', executionId).execute();
    // Sooner at first, when most runs finish; a long one is looked at every 15 s.
    const age = now - execution.created_at;
    await this.core.scheduler.enqueue({ kind: TRACK_JOB, dedupeKey: `${executionId}:${now}`, dueAt: now + (age < 60_000 ? 1_000 : 15_000), payload: { executionId }, maxAttempts: 50 });
  }

  /**
   * Nodes that match an association's targets and never had it (registered or tagged since)
   * get a run of their own, without waiting for the next scheduled one. Associations that only
   * run at their cron interval and have not run yet are left to it.
   */
  async sweep(job: Job): Promise<void> {
    const now = this.core.clock.now();
    const rows = await this.db.selectFrom('associations').selectAll().where('last_execution_at', 'is not', null).execute();
    for (const row of rows) {
      if (JSON.parse(row.target_maps).length || row.automation_target_parameter_name) continue;
      if (row.document_type === 'Automation') continue;
      // While a change calendar is closed every run would be skipped: new nodes wait until it opens.
      if (await this.closedCalendar(row, JSON.parse(row.actor) as Actor, now).catch(() => 'unreadable')) continue;
      const nodes = await nodesOf(this.core, row).catch(() => [] as string[]);
      if (nodes.length === 0) continue;
      const known = new Set((await this.db.selectFrom('association_nodes').select('instance_id').where('association_id', '=', row.association_id).execute()).map((r) => r.instance_id));
      // Nodes waiting in a run that has not been dispatched yet are not new either.
      const pending = await this.db.selectFrom('association_executions').select(['target_ids']).where('association_id', '=', row.association_id).where('status', '=', 'Pending').execute();
      if (pending.some((p) => p.target_ids === '')) continue;
      for (const p of pending) for (const id of JSON.parse(p.target_ids) as string[]) known.add(id);
      const fresh = nodes.filter((n) => !known.has(n));
      if (fresh.length === 0) continue;
      await this.core.database.db.transaction().execute((trx) => this.start(tables(trx), row, 'NewTarget', now, fresh));
    }
    await this.core.database.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      await this.core.scheduler.enqueue({ kind: SWEEP_JOB, dedupeKey: 'sweep', dueAt: now + this.sweepMs, payload: {} }, trx);
    });
  }

  async ensureSweep(): Promise<void> {
    await this.core.scheduler.enqueue({ kind: SWEEP_JOB, dedupeKey: 'sweep', dueAt: this.core.clock.now() + this.sweepMs, payload: {} });
  }

  private async sendCommand(row: AssociationRow, execution: ExecutionRow, actor: Actor, nodes: string[]): Promise<void> {
    const call = await actorCall(this.core, actor, row.region);
    const svc = commandService(this.core);
    try {
      await svc.command(call, execution.command_id);
      return; // sent by an earlier try of this dispatch
    } catch (err) {
      if (!isAwsError(err) || err.code !== 'InvalidCommandId') throw err;
    }
    await svc.send(
      call,
      {
        DocumentName: row.name,
        ...(row.document_version ? { DocumentVersion: row.document_version } : {}),
        InstanceIds: nodes,
        Parameters: JSON.parse(row.parameters) as Record<string, string[]>,
        Comment: `Association ${row.association_name || row.association_id}`.slice(0, 100),
        ...(row.max_concurrency ? { MaxConcurrency: row.max_concurrency } : {}),
        ...(row.max_errors ? { MaxErrors: row.max_errors } : {}),
        ...(row.duration ? { TimeoutSeconds: row.duration * 3600 } : {}),
      },
      { commandId: execution.command_id, documentTypes: ['Command', 'Policy'] },
    );
  }

  private async startAutomation(row: AssociationRow, execution: ExecutionRow, actor: Actor): Promise<void> {
    const targets = JSON.parse(row.targets) as unknown[];
    await callAs(this.core, actor, row.region, 'ssm', 'StartAutomationExecution', {
      DocumentName: row.name,
      ...(row.document_version ? { DocumentVersion: row.document_version } : {}),
      Parameters: JSON.parse(row.parameters),
      // The execution id doubles as the idempotency token: a repeated dispatch gets the same automation.
      ClientToken: execution.automation_id,
      ...(row.automation_target_parameter_name && targets.length ? { TargetParameterName: row.automation_target_parameter_name, Targets: targets } : {}),
      ...(JSON.parse(row.target_maps).length ? { TargetMaps: JSON.parse(row.target_maps) } : {}),
      ...(row.max_concurrency ? { MaxConcurrency: row.max_concurrency } : {}),
      ...(row.max_errors ? { MaxErrors: row.max_errors } : {}),
    }).then(async (out) => {
      await this.db.updateTable('association_executions').set({ automation_id: String(out.AutomationExecutionId) }).where('execution_id', '=', execution.execution_id).execute();
    });
  }

  private async end(execution: ExecutionRow, status: string, detailed: string, counts: Record<string, number>, failedOn?: { nodes: string[]; version: number; message: string }): Promise<void> {
    const now = this.core.clock.now();
    await this.core.database.db.transaction().execute(async (trx) => {
      const db = tables(trx);
      await db.updateTable('association_executions').set({ status, detailed_status: detailed, resource_counts: JSON.stringify(counts), ended_at: now, ...(failedOn ? { target_ids: JSON.stringify(failedOn.nodes) } : {}) }).where('execution_id', '=', execution.execution_id).execute();
      for (const id of failedOn?.nodes ?? []) {
        await db
          .insertInto('association_execution_targets')
          .values({ execution_id: execution.execution_id, association_id: execution.association_id, resource_id: id, resource_type: 'ManagedInstance', status: 'Failed', detailed_status: 'Failed', error_code: '', output_url: '', summary: failedOn!.message.slice(0, 512), updated_at: now })
          .onConflict((oc) => oc.columns(['execution_id', 'resource_id']).doNothing())
          .execute();
        await db
          .insertInto('association_nodes')
          .values({ association_id: execution.association_id, instance_id: id, association_version: failedOn!.version, execution_id: execution.execution_id, at: now })
          .onConflict((oc) => oc.columns(['association_id', 'instance_id']).doUpdateSet({ association_version: failedOn!.version, execution_id: execution.execution_id, at: now }))
          .execute();
      }
      await this.summarize(db, failedOn?.nodes ?? []);
      if (status === 'Skipped') return;
      // The association reports its latest run; an older run finishing late does not overwrite it.
      const newer = await db.selectFrom('association_executions').select('execution_id').where('association_id', '=', execution.association_id).where('created_at', '>', execution.created_at).where('status', 'in', ['Success', 'Failed']).executeTakeFirst();
      if (newer) return;
      await db
        .updateTable('associations')
        .set({ status: status === 'Success' ? 'Success' : 'Failed', detailed_status: detailed, status_counts: JSON.stringify(counts), ...(status === 'Success' ? { last_success_at: now } : {}) })
        .where('association_id', '=', execution.association_id)
        .execute();
    });
    const row = failedOn && (await store.get(this.db, execution.association_id));
    if (row) await recordAssociationRun(this.core, row, { executionId: execution.execution_id, instanceIds: failedOn!.nodes, status: 'Failed' });
  }

  /**
   * Hands the nodes' summaries of their associations to nodes (DescribeInstanceInformation's
   * AssociationStatus and AssociationOverview), in `db`: the transaction that changed their results.
   */
  async summarize(db: AssociationDb, instanceIds: readonly string[]): Promise<void> {
    if (!instanceIds.length) return;
    await nodeService(this.core).setAssociationSummaries(db, instanceIds, async (ids) => nodeSummaries(await store.latestResults(db, ids)));
  }

  /** What the execution's target rows say now, for the nodes of one page of invocations. */
  private async recorded(executionId: string, nodes: string[]): Promise<Map<string, { status: string; detailed_status: string }>> {
    if (!nodes.length) return new Map();
    const rows = await this.db.selectFrom('association_execution_targets').select(['resource_id', 'status', 'detailed_status']).where('execution_id', '=', executionId).where('resource_id', 'in', nodes).execute();
    return new Map(rows.map((r) => [r.resource_id, r]));
  }

  /** The first of the association's change calendars that is closed now, if any. */
  private async closedCalendar(row: AssociationRow, actor: Actor, now: number): Promise<string | undefined> {
    const names = JSON.parse(row.calendar_names) as string[];
    if (!names.length) return undefined;
    const call = await actorCall(this.core, actor, row.region);
    for (const name of names) {
      const doc = await resolveDocument(call, name);
      if (!calendarState([parseCalendar(doc.text)], now).open) return doc.name;
    }
    return undefined;
  }
}

/**
 * AWS's aggregate of a node's associations: Failed if the latest run of any of them failed on it,
 * Pending while any has not finished (with DetailedStatus InProgress, as AWS reports such a
 * node), otherwise Success; the counts are of each association's own status on the node.
 */
export function nodeSummaries(results: readonly LatestResult[]): Map<string, AssociationSummary> {
  const byNode = new Map<string, LatestResult[]>();
  for (const r of results) {
    const list = byNode.get(r.instanceId);
    if (list) list.push(r);
    else byNode.set(r.instanceId, [r]);
  }
  const out = new Map<string, AssociationSummary>();
  for (const [node, mine] of byNode) {
    const counts: Record<string, number> = {};
    for (const r of mine) counts[r.status] = (counts[r.status] ?? 0) + 1;
    const failed = (counts.Failed ?? 0) > 0;
    const unfinished = mine.some((r) => r.status !== 'Success' && r.status !== 'Failed');
    const status = failed ? 'Failed' : unfinished ? 'Pending' : 'Success';
    out.set(node, {
      status,
      detailedStatus: status === 'Pending' ? 'InProgress' : status,
      counts,
      lastExecutionAt: Math.max(...mine.map((r) => r.at)),
      documents: [...new Set(mine.map((r) => r.document))],
    });
  }
  return out;
}

function summaryOf(status: string, details: string): string {
  if (status === 'Success') return '1 out of 1 plugin processed, 1 success, 0 failed, 0 timedout, 0 skipped.';
  if (status === 'Failed') return `1 out of 1 plugin processed, 0 success, 1 failed (${details}).`;
  return '';
}
