import { randomUUID } from 'node:crypto';
import type { CommandPayload } from '@capstan/wire';
import type { SuppliedParameters } from '../documents/resolve/index.js';
import { instanceArn, resolveTargets, type InstanceRow, type NewJob, type NodeService, type Target } from '../nodes/index.js';
import type { CallContext, Core } from '../protocol/context.js';
import type { Job } from '../scheduler/scheduler.js';
import { AgentReplies } from './apply.js';
import { Dispatcher, type CommandChanged } from './dispatch.js';
import { duplicateInstanceId, invalidCommandId, invalidInstanceId, invalidOutputFolder, unsupportedPlatformType, validation } from './errors.js';
import { CommandEvents } from './events.js';
import { NodePayloads } from './node-payload.js';
import { Notifier } from './notify.js';
import { putObject, type S3Config } from '../objects/s3.js';
import { outputKey } from './output-key.js';
import { readStream } from './store.js';
import type { StepResult } from '@capstan/wire';
import { planCommand } from './plan.js';
import { FINISHED_COMMAND, TERMINAL } from './status.js';
import { commandEvent, invocationsChanged } from './status-events.js';
import { ChangeCounter, commandById, refreshCommand, tables } from './store.js';
import type { CommandRow, InvocationRow } from './tables.js';

const EXPIRE_JOB = 'commands.delivery-timeout';
const ABANDON_JOB = 'commands.abandon';
const S3_JOB = 'commands.s3-output';
/** Bus topic: commands whose statuses or output changed, for followers on other replicas. */
const CHANGED_TOPIC = 'commands.changed';
/** After its delivery timeout and every step's timeout, a node that never answered is given up on. */
const ABANDON_GRACE_MS = 5 * 60_000;

export interface SendInput {
  InstanceIds?: string[];
  Targets?: Target[];
  DocumentName: string;
  DocumentVersion?: string;
  DocumentHash?: string;
  DocumentHashType?: string;
  TimeoutSeconds?: number;
  Comment?: string;
  Parameters?: SuppliedParameters;
  OutputS3BucketName?: string;
  OutputS3KeyPrefix?: string;
  MaxConcurrency?: string;
  MaxErrors?: string;
  ServiceRoleArn?: string;
  NotificationConfig?: unknown;
  CloudWatchOutputConfig?: unknown;
}

export interface SendOptions {
  /**
   * The id to give the command, chosen by a caller that records it first (an automation step),
   * so that after a crash it can tell whether the command was sent: a second send with the same
   * id fails on the key instead of running the command twice.
   */
  commandId?: string;
  /** Policy documents (AWS-GatherSoftwareInventory) run only through State Manager, as on AWS; associations pass ['Command', 'Policy']. */
  documentTypes?: readonly string[];
}

/** Run Command: commands, their invocations on each node, rate control, timeouts and cancellation. */
export class CommandService {
  readonly events = new CommandEvents();
  readonly changes: ChangeCounter;
  readonly dispatcher: Dispatcher;
  readonly replies: AgentReplies;
  /** What other capabilities add to each node's job (Patch Manager's baseline snapshot). */
  readonly nodePayloads: NodePayloads;
  private changeListeners: CommandChanged[] = [];
  /** Where commands that name OutputS3BucketName put their output; such commands are refused without it. */
  s3: S3Config | undefined;
  /** The server's URL as clients reach it, for output links. */
  publicUrl: () => string = () => '';

  constructor(
    readonly core: Core,
    readonly nodes: NodeService,
  ) {
    this.changes = new ChangeCounter(() => core.clock.now(), core.database.engine);
    this.nodePayloads = new NodePayloads(nodes);
    this.dispatcher = new Dispatcher(core, nodes, this.events, this.changes, this.nodePayloads);
    this.replies = new AgentReplies(core, nodes, this.dispatcher, this.events, this.changes);
    const changed: CommandChanged = (b, a) => {
      for (const f of this.changeListeners) f(b, a);
    };
    this.dispatcher.onChange = changed;
    this.replies.onChange = changed;
    // A finished command sends nothing more: its payloads (which may hold secrets) go.
    this.onCommandChange((_, after) => {
      if (!FINISHED_COMMAND.has(after.status)) return;
      void (async () => {
        await nodes.jobs.forgetPayload(undefined, after.payload_id);
        await nodes.jobs.forgetPayload(undefined, `cancel:${after.command_id}`);
      })().catch(() => undefined);
    });
    nodes.jobs.sink = this.replies;
    if (core.cluster.shared) {
      // 150 ids keep a wake-up inside one PostgreSQL notification.
      this.events.tellOthers = (ids) => {
        for (let k = 0; k < ids.length; k += 150) void core.cluster.bus.publish(CHANGED_TOPIC, { ids: ids.slice(k, k + 150) }).catch(() => undefined);
      };
      core.cluster.bus.subscribe(CHANGED_TOPIC, (m: { ids?: unknown }) => {
        if (Array.isArray(m.ids)) for (const id of m.ids) if (typeof id === 'string') this.events.wake(id);
      });
    }
    const notifier = new Notifier(core);
    this.onCommandChange((_, after) => void notifier.commandChanged(after).catch(() => undefined));
    this.replies.onInvocation = (cmd, instanceId, details) => {
      if (cmd.notification_config) void notifier.invocationChanged(cmd, instanceId, details).catch(() => undefined);
    };
    nodes.onDeregister.push((account, region, id) => this.undeliverable(account, region, id));
    core.scheduler.handle(EXPIRE_JOB, (job) => this.deliveryTimeout(job));
    core.scheduler.handle(ABANDON_JOB, (job) => this.abandon(job));
    core.scheduler.handle(S3_JOB, (job) => this.uploadOutput(job));
    this.replies.onFinal = (cmd, instanceId) => {
      if (!cmd.output_s3_bucket || !this.s3) return;
      const commandId = cmd.command_id;
      void core.scheduler.enqueue({ kind: S3_JOB, dueAt: core.clock.now(), maxAttempts: 10, dedupeKey: `${commandId}/${instanceId}`, payload: { commandId, instanceId } }).catch(() => undefined);
    };
  }

  onCommandChange(f: CommandChanged): void {
    this.changeListeners.push(f);
  }

  async send(call: CallContext, i: SendInput, options: SendOptions = {}): Promise<CommandRow> {
    const hasIds = (i.InstanceIds?.length ?? 0) > 0;
    const hasTargets = (i.Targets?.length ?? 0) > 0;
    if (hasIds === hasTargets) throw validation(hasIds ? 'Give InstanceIds or Targets, not both.' : 'Give the nodes to run on: InstanceIds or Targets.');
    if (i.OutputS3BucketName && !this.s3) throw invalidOutputFolder(`Bucket ${i.OutputS3BucketName} cannot be written: this server has no S3-compatible endpoint configured (CAPSTAN_S3_ENDPOINT and its credentials). Without OutputS3BucketName the whole output stays in Capstan's output store.`);
    const plan = await planCommand(call, i, options.documentTypes);
    const nodes = hasIds ? await this.namedNodes(call, i.InstanceIds!, plan.doc.platformTypes) : await resolveTargets(this.nodes, call.accountId, call.region, i.Targets!);
    if (nodes.length) await call.authorize('ssm:SendCommand', nodes.map((n) => instanceArn(call.region, call.accountId, n.instance_id)));

    const now = call.now;
    const commandId = options.commandId ?? randomUUID();
    const timeout = i.TimeoutSeconds ?? 3600;
    const expiresAt = now + timeout * 1000;
    const given: CommandPayload = {
      commandId,
      documentName: plan.doc.name,
      documentVersion: String(plan.doc.version),
      document: plan.runnable,
      ...(Object.keys(plan.documents).length ? { documents: plan.documents } : {}),
      region: call.region,
      ...(i.OutputS3BucketName ? { outputS3BucketName: i.OutputS3BucketName, outputS3KeyPrefix: i.OutputS3KeyPrefix ?? '' } : {}),
      expiresAt,
    };
    const payload = await this.nodePayloads.prepare(given, call.accountId, call.region);
    const row: CommandRow = {
      account_id: call.accountId,
      region: call.region,
      command_id: commandId,
      document_name: plan.doc.name,
      document_version: i.DocumentVersion ?? String(plan.doc.version),
      comment: i.Comment ?? '',
      parameters: JSON.stringify(i.Parameters ?? {}),
      instance_ids: JSON.stringify(i.InstanceIds ?? []),
      targets: JSON.stringify(i.Targets ?? []),
      requested_at: now,
      expires_at: expiresAt,
      timeout_seconds: timeout,
      abandon_at: expiresAt + plan.executionBudgetMs + ABANDON_GRACE_MS,
      status: 'Pending',
      status_details: 'Pending',
      output_s3_bucket: i.OutputS3BucketName ?? '',
      output_s3_prefix: i.OutputS3KeyPrefix ?? '',
      max_concurrency: i.MaxConcurrency ?? '50',
      max_errors: i.MaxErrors ?? '0',
      target_count: nodes.length,
      completed_count: 0,
      error_count: 0,
      delivery_timed_out_count: 0,
      service_role: i.ServiceRoleArn ?? '',
      notification_config: i.NotificationConfig ? JSON.stringify(i.NotificationConfig) : '',
      cloudwatch_config: i.CloudWatchOutputConfig ? JSON.stringify(i.CloudWatchOutputConfig) : '',
      cancel_requested: 0,
      payload_id: commandId,
    };
    const saved = await this.core.database.db.transaction().execute(async (trx) => {
      await this.changes.claim(trx, [commandId]);
      await tables(trx).insertInto('commands').values(row).execute();
      const seq = this.changes.next();
      const invocations = nodes.map((n, k): InvocationRow => ({
        command_id: commandId,
        instance_id: n.instance_id,
        account_id: call.accountId,
        region: call.region,
        seq: k,
        instance_name: n.computer_name,
        status_details: 'Pending',
        dispatched: 0,
        requested_at: now,
        delivered_at: null,
        started_at: null,
        ended_at: null,
        response_code: -1,
        plugins: '[]',
        trace_output: '',
        final: 0,
        change_seq: seq,
      }));
      // SQLite binds at most 32,766 values per statement: 17 columns a row.
      for (let k = 0; k < invocations.length; k += 1500) await tables(trx).insertInto('command_invocations').values(invocations.slice(k, k + 1500)).execute();
      if (nodes.length) await this.nodes.jobs.savePayload(trx, commandId, payload);
      await this.core.scheduler.enqueue({ kind: EXPIRE_JOB, dueAt: expiresAt, dedupeKey: commandId, payload: { commandId } }, trx);
      await this.core.scheduler.enqueue({ kind: ABANDON_JOB, dueAt: row.abandon_at, dedupeKey: commandId, payload: { commandId } }, trx);
      if (!nodes.length) return refreshCommand(trx, row, this.core.events);
      await this.core.events.append(commandEvent(row), trx);
      return row;
    });
    if (nodes.length) await this.dispatcher.kick(commandId);
    return (await commandById(this.core.database.db, commandId)) ?? saved;
  }

  /** Explicit InstanceIds: each must be a node of this account and region that can run the document. */
  private async namedNodes(call: CallContext, ids: string[], platforms: readonly string[]): Promise<InstanceRow[]> {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) throw duplicateInstanceId(`Instance ${id} is named more than once.`);
      seen.add(id);
    }
    const rows: InstanceRow[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const r = await this.nodes.instance(call.accountId, call.region, id);
      if (r) rows.push(r);
      else missing.push(id);
    }
    if (missing.length) throw invalidInstanceId(`Instances [${missing.join(', ')}] are not registered managed nodes of account ${call.accountId} in ${call.region}.`);
    const wrong = rows.filter((r) => r.platform_type && platforms.length && !platforms.includes(r.platform_type as never));
    if (wrong.length) throw unsupportedPlatformType(`The document runs on ${platforms.join(', ')}; ${wrong.map((r) => `${r.instance_id} is ${r.platform_type}`).join(', ')}.`);
    return rows;
  }

  async command(call: CallContext, commandId: string): Promise<CommandRow> {
    const row = await commandById(this.core.database.db, commandId);
    if (!row || row.account_id !== call.accountId || row.region !== call.region) throw invalidCommandId(`Command ${commandId} does not exist in this account and region.`);
    return row;
  }

  /**
   * CancelCommand: invocations not yet sent end Canceled at once; those sent get a cancel job
   * and stay Cancelling until the node answers (or the command is given up on).
   */
  async cancel(call: CallContext, commandId: string, instanceIds?: string[]): Promise<void> {
    const cmd = await this.command(call, commandId);
    if (instanceIds) {
      const seen = new Set<string>();
      for (const id of instanceIds) {
        if (seen.has(id)) throw duplicateInstanceId(`Instance ${id} is named more than once.`);
        seen.add(id);
      }
    }
    const now = this.core.clock.now();
    const jobs = await this.core.database.db.transaction().execute(async (trx) => {
      await this.changes.claim(trx, [commandId]);
      const t = tables(trx);
      let q = t.selectFrom('command_invocations').select(['instance_id', 'dispatched', 'status_details']).where('command_id', '=', commandId);
      if (instanceIds?.length) q = q.where('instance_id', 'in', instanceIds);
      const rows = await q.execute();
      if (instanceIds?.length) {
        const known = new Set(rows.map((r) => r.instance_id));
        const unknown = instanceIds.filter((id) => !known.has(id));
        if (unknown.length) throw invalidInstanceId(`Command ${commandId} was not sent to ${unknown.join(', ')}.`);
      }
      const open = rows.filter((r) => !TERMINAL.has(r.status_details) && r.status_details !== 'Cancelling');
      const notSent = open.filter((r) => r.dispatched === 0).map((r) => r.instance_id);
      const sent = open.filter((r) => r.dispatched === 1).map((r) => r.instance_id);
      const seq = this.changes.next();
      for (let k = 0; k < notSent.length; k += 500)
        await t.updateTable('command_invocations').set({ status_details: 'Canceled', ended_at: now, change_seq: seq }).where('command_id', '=', commandId).where('instance_id', 'in', notSent.slice(k, k + 500)).execute();
      for (let k = 0; k < sent.length; k += 500)
        await t.updateTable('command_invocations').set({ status_details: 'Cancelling', change_seq: seq }).where('command_id', '=', commandId).where('instance_id', 'in', sent.slice(k, k + 500)).execute();
      await invocationsChanged(this.core.events, trx, cmd, notSent, 'Canceled');
      await invocationsChanged(this.core.events, trx, cmd, sent, 'Cancelling');
      const cancelPayload = `cancel:${commandId}`;
      const jobs = sent.map((instanceId): NewJob => ({ instanceId, id: cancelPayload, kind: 'cancel', payloadId: cancelPayload }));
      if (jobs.length) {
        const exists = await trx.withTables<{ node_job_payloads: { payload_id: string } }>().selectFrom('node_job_payloads').select('payload_id').where('payload_id', '=', cancelPayload).executeTakeFirst();
        if (!exists) await this.nodes.jobs.savePayload(trx, cancelPayload, { commandId });
        await this.nodes.jobs.enqueue(trx, jobs);
      }
      if (!instanceIds?.length) await t.updateTable('commands').set({ cancel_requested: 1 }).where('command_id', '=', commandId).execute();
      const after = await refreshCommand(trx, { ...cmd, cancel_requested: instanceIds?.length ? cmd.cancel_requested : 1 }, this.core.events);
      return { jobs, before: cmd, after };
    });
    this.nodes.jobs.push(jobs.jobs);
    this.events.changed(commandId);
    if (jobs.before.status_details !== jobs.after.status_details) for (const f of this.changeListeners) f(jobs.before, jobs.after);
  }

  /** The delivery timeout: what no node has received by now will not run. */
  private async deliveryTimeout(job: Job): Promise<void> {
    const { commandId } = job.payload as { commandId: string };
    await this.giveUp(commandId, ['Pending', 'Delayed'], 'DeliveryTimedOut');
  }

  /** Long after every step could have ended, a node that never answered is written off. */
  private async abandon(job: Job): Promise<void> {
    const { commandId } = job.payload as { commandId: string };
    await this.giveUp(commandId, ['InProgress'], 'DeliveryTimedOut');
    await this.giveUp(commandId, ['Cancelling'], 'Canceled');
  }

  private async giveUp(commandId: string, from: string[], to: string): Promise<void> {
    const now = this.core.clock.now();
    const changed = await this.core.database.db.transaction().execute(async (trx) => {
      await this.changes.claim(trx, [commandId]);
      const cmd = await commandById(trx, commandId);
      if (!cmd) return undefined;
      const t = tables(trx);
      const ids = (await t.selectFrom('command_invocations').select('instance_id').where('command_id', '=', commandId).where('status_details', 'in', from).execute()).map((r) => r.instance_id);
      if (!ids.length) return undefined;
      const seq = this.changes.next();
      for (let k = 0; k < ids.length; k += 500) {
        const part = ids.slice(k, k + 500);
        await t.updateTable('command_invocations').set({ status_details: to, ended_at: now, final: 1, change_seq: seq }).where('command_id', '=', commandId).where('instance_id', 'in', part).execute();
        await trx.withTables<{ node_jobs: { instance_id: string; job_id: string } }>().deleteFrom('node_jobs').where('job_id', '=', commandId).where('instance_id', 'in', part).execute();
      }
      await invocationsChanged(this.core.events, trx, cmd, ids, to);
      return { before: cmd, after: await refreshCommand(trx, cmd, this.core.events) };
    });
    if (!changed) return;
    this.events.changed(commandId);
    if (changed.before.status_details !== changed.after.status_details) for (const f of this.changeListeners) f(changed.before, changed.after);
    await this.dispatcher.kick(commandId);
  }

  /** Copies a finished invocation's whole output to the command's bucket, each step's streams as AWS names them. */
  private async uploadOutput(job: Job): Promise<void> {
    const { commandId, instanceId } = job.payload as { commandId: string; instanceId: string };
    const db = this.core.database.db;
    const cmd = await commandById(db, commandId);
    const inv = cmd && (await tables(db).selectFrom('command_invocations').select('plugins').where('command_id', '=', commandId).where('instance_id', '=', instanceId).executeTakeFirst());
    if (!cmd || !inv || !this.s3 || !cmd.output_s3_bucket) return;
    for (const step of JSON.parse(inv.plugins) as StepResult[]) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if ((stream === 'stdout' ? step.stdoutBytes : step.stderrBytes) === 0 && stream === 'stderr') continue;
        const body = await readStream(db, commandId, instanceId, step.name, stream);
        await putObject(this.s3, cmd.output_s3_bucket, outputKey(cmd.output_s3_prefix, commandId, instanceId, step.action, step.name, stream), body);
      }
    }
  }

  /** A deregistered node will never answer: its unfinished invocations are Undeliverable. */
  private async undeliverable(account: string, region: string, instanceId: string): Promise<void> {
    const t = tables(this.core.database.db);
    const open = await t.selectFrom('command_invocations').select('command_id').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).where('status_details', 'not in', [...TERMINAL]).execute();
    const now = this.core.clock.now();
    for (const { command_id } of open) {
      const changed = await this.core.database.db.transaction().execute(async (trx) => {
        await this.changes.claim(trx, [command_id]);
        await tables(trx).updateTable('command_invocations').set({ status_details: 'Undeliverable', ended_at: now, final: 1, change_seq: this.changes.next() }).where('command_id', '=', command_id).where('instance_id', '=', instanceId).execute();
        const cmd = await commandById(trx, command_id);
        if (!cmd) return undefined;
        await invocationsChanged(this.core.events, trx, cmd, [instanceId], 'Undeliverable');
        return { before: cmd, after: await refreshCommand(trx, cmd, this.core.events) };
      });
      this.events.changed(command_id);
      if (changed && changed.before.status_details !== changed.after.status_details) for (const f of this.changeListeners) f(changed.before, changed.after);
      await this.dispatcher.kick(command_id);
    }
  }
}
