import { randomUUID } from 'node:crypto';
import { forgetAssociation } from '../compliance/index.js';
import { resolveDocument, type ResolvedDocument } from '../documents/index.js';
import { bindParameters, type SuppliedParameters } from '../documents/resolve/index.js';
import { nodeService, resolveTargets, type Target } from '../nodes/index.js';
import { actorOf, passedRole, type Actor } from '../protocol/actor.js';
import type { CallContext, Core } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import { parseScheduleExpression, ScheduleExpressionError, type ScheduleExpression } from '../scheduler/schedule-expression.js';
import type { Job } from '../scheduler/scheduler.js';
import {
  associationAlreadyExists,
  associationDoesNotExist,
  associationLimitExceeded,
  associationVersionLimitExceeded,
  invalidAssociationVersion,
  invalidDocument,
  invalidDocumentVersion,
  invalidParameters,
  invalidSchedule,
  invalidTarget,
  invalidTargetMaps,
  validation,
} from './errors.js';
import { Runs, DISPATCH_JOB, SCHEDULE_JOB, SWEEP_JOB, TRACK_JOB } from './runs.js';
import { nextRun } from './schedule.js';
import { associationStore as store, tables, type AssociationDb } from './store.js';
import type { AssociationRow } from './tables.js';

export const MAX_ASSOCIATIONS = 2000;
export const MAX_VERSIONS = 1000;
/** AWS's shortest association rate. */
const MIN_RATE_MINUTES = 30;

export interface AssociationInput {
  Name?: string;
  DocumentVersion?: string;
  InstanceId?: string;
  Parameters?: SuppliedParameters;
  Targets?: Target[];
  TargetMaps?: Record<string, string[]>[];
  ScheduleExpression?: string;
  ScheduleOffset?: number;
  ApplyOnlyAtCronInterval?: boolean;
  OutputLocation?: { S3Location?: { OutputS3Region?: string; OutputS3BucketName?: string; OutputS3KeyPrefix?: string } };
  AssociationName?: string;
  AutomationTargetParameterName?: string;
  MaxErrors?: string;
  MaxConcurrency?: string;
  ComplianceSeverity?: string;
  SyncCompliance?: string;
  CalendarNames?: string[];
  Duration?: number;
  Tags?: { Key: string; Value: string }[];
  AssociationDispatchAssumeRole?: string;
}

/** State Manager: associations, their versions and runs. `Runs` does the running. */
export class AssociationService {
  readonly runs: Runs;
  private readonly db: AssociationDb;
  private readonly postgres: boolean;

  constructor(
    private readonly core: Core,
    sweepMs: number,
  ) {
    this.db = tables(core.database.db);
    this.postgres = core.database.engine === 'postgres';
    this.runs = new Runs(core, sweepMs);
    core.scheduler.handle(SCHEDULE_JOB, (job) => this.scheduled(job));
    core.scheduler.handle(DISPATCH_JOB, (job) => this.runs.dispatch(job));
    core.scheduler.handle(TRACK_JOB, (job) => this.runs.track(job));
    core.scheduler.handle(SWEEP_JOB, (job) => this.runs.sweep(job));
  }

  /** Starts the sweep that gives new nodes their associations; once per store, whichever replica asks first. */
  async startSweep(): Promise<void> {
    await this.runs.ensureSweep();
  }

  async create(call: CallContext, i: AssociationInput, dispatchRole?: string): Promise<AssociationRow> {
    const id = randomUUID();
    const row = await this.check(call, id, i, dispatchRole ?? i.AssociationDispatchAssumeRole);
    const count = await this.db.selectFrom('associations').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', call.accountId).where('region', '=', call.region).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_ASSOCIATIONS) throw associationLimitExceeded(`An account has at most ${MAX_ASSOCIATIONS} associations per region.`);
    if (row.instance_id) {
      const same = await this.db.selectFrom('associations').select('association_id').where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', row.name).where('instance_id', '=', row.instance_id).executeTakeFirst();
      if (same) throw associationAlreadyExists(`Node ${row.instance_id} already has an association with ${row.name} (${same.association_id}).`);
    }
    const now = call.now;
    await this.transaction(async (db) => {
      await db.insertInto('associations').values(row).execute();
      await store.addVersion(db, row, now);
      if (!row.apply_only_at_cron_interval) await this.runs.start(db, row, 'Creation', now);
      await this.reschedule(db, row, now);
    });
    return (await store.get(this.db, id))!;
  }

  async update(call: CallContext, i: AssociationInput & { AssociationId: string; AssociationVersion?: string }): Promise<AssociationRow> {
    const current = await this.get(call, i.AssociationId);
    if (i.AssociationVersion !== undefined && i.AssociationVersion !== '$LATEST' && Number(i.AssociationVersion) !== current.association_version) {
      throw invalidAssociationVersion(`Association ${current.association_id} is at version ${current.association_version}, not ${i.AssociationVersion}; read it again and retry.`);
    }
    if (current.association_version >= MAX_VERSIONS) throw associationVersionLimitExceeded(`Association ${current.association_id} already has ${MAX_VERSIONS} versions.`);
    // What the update leaves out stays as it was, as on AWS.
    const merged: AssociationInput = {
      Name: i.Name ?? current.name,
      DocumentVersion: i.DocumentVersion ?? (current.document_version || undefined),
      ...(current.instance_id ? { InstanceId: current.instance_id } : {}),
      Parameters: i.Parameters ?? (JSON.parse(current.parameters) as SuppliedParameters),
      Targets: i.Targets ?? (JSON.parse(current.targets) as Target[]),
      TargetMaps: i.TargetMaps ?? (JSON.parse(current.target_maps) as Record<string, string[]>[]),
      ScheduleExpression: i.ScheduleExpression ?? (current.schedule_expression || undefined),
      ...((i.ScheduleOffset ?? current.schedule_offset) ? { ScheduleOffset: i.ScheduleOffset ?? current.schedule_offset! } : {}),
      ApplyOnlyAtCronInterval: i.ApplyOnlyAtCronInterval ?? current.apply_only_at_cron_interval === 1,
      OutputLocation: i.OutputLocation ?? (JSON.parse(current.output_location) as AssociationInput['OutputLocation']),
      AssociationName: i.AssociationName ?? (current.association_name || undefined),
      AutomationTargetParameterName: i.AutomationTargetParameterName ?? (current.automation_target_parameter_name || undefined),
      MaxErrors: i.MaxErrors ?? (current.max_errors || undefined),
      MaxConcurrency: i.MaxConcurrency ?? (current.max_concurrency || undefined),
      ComplianceSeverity: i.ComplianceSeverity ?? current.compliance_severity,
      SyncCompliance: i.SyncCompliance ?? current.sync_compliance,
      CalendarNames: i.CalendarNames ?? (JSON.parse(current.calendar_names) as string[]),
      ...((i.Duration ?? current.duration) ? { Duration: i.Duration ?? current.duration! } : {}),
    };
    if (merged.Targets?.length && current.instance_id) delete merged.InstanceId;
    const role = i.AssociationDispatchAssumeRole ?? (current.dispatch_role || undefined);
    const next = await this.check(call, current.association_id, merged, role);
    const now = call.now;
    await this.transaction(async (db) => {
      const locked = await store.lock(db, current.association_id, this.postgres);
      if (!locked) throw associationDoesNotExist(`Association ${current.association_id} does not exist.`);
      if (locked.association_version !== current.association_version) throw invalidAssociationVersion(`Association ${current.association_id} changed while this update was made; read it again and retry.`);
      const row: AssociationRow = {
        ...next,
        association_version: current.association_version + 1,
        created_at: current.created_at,
        updated_at: now,
        tags: current.tags,
        last_execution_at: current.last_execution_at,
        last_success_at: current.last_success_at,
        status: current.status,
        detailed_status: current.detailed_status,
        status_counts: current.status_counts,
      };
      await db.updateTable('associations').set(row).where('association_id', '=', row.association_id).execute();
      // The nodes it ran on are associated with the new document now, not at their next run (DocumentName filter).
      if (row.name !== current.name) await this.runs.summarize(db, await store.nodesOf(db, row.association_id));
      await store.addVersion(db, row, now);
      if (!row.apply_only_at_cron_interval) await this.runs.start(db, row, 'Update', now);
      await this.reschedule(db, row, now);
    });
    return (await store.get(this.db, current.association_id))!;
  }

  async delete(call: CallContext, id: string): Promise<void> {
    const row = await this.get(call, id);
    await this.transaction(async (db) => {
      const nodes = await store.remove(db, row.association_id);
      await this.runs.summarize(db, nodes);
      await this.core.scheduler.cancel(SCHEDULE_JOB, row.association_id, db);
    });
    await forgetAssociation(this.core, row.account_id, row.region, row.association_id);
  }

  async startOnce(call: CallContext, ids: string[]): Promise<void> {
    const rows: AssociationRow[] = [];
    for (const id of ids) rows.push(await this.get(call, id));
    await this.transaction(async (db) => {
      for (const row of rows) await this.runs.start(db, row, 'Manual', call.now);
    });
  }

  async get(call: CallContext, id: string): Promise<AssociationRow> {
    const row = await store.get(this.db, id);
    if (!row || row.account_id !== call.accountId || row.region !== call.region) throw associationDoesNotExist(`Association ${id} does not exist in this account and region.`);
    return row;
  }

  /** The deprecated Name + InstanceId form. */
  async byNameAndInstance(call: CallContext, name: string, instanceId: string): Promise<AssociationRow> {
    const row = await this.db.selectFrom('associations').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', name).where('instance_id', '=', instanceId).executeTakeFirst();
    if (!row) throw associationDoesNotExist(`Node ${instanceId} has no association with ${name}.`);
    return row;
  }

  /** A scheduled run: one execution however many intervals were missed, then the next run from now. */
  private async scheduled(job: Job): Promise<void> {
    const { associationId } = job.payload as { associationId: string };
    await this.transaction(async (db) => {
      const row = await store.lock(db, associationId, this.postgres);
      await job.settle(db);
      if (!row) return;
      const now = this.core.clock.now();
      await this.runs.start(db, row, 'Schedule', now);
      await this.reschedule(db, row, now);
    });
  }

  private async reschedule(db: AssociationDb, row: AssociationRow, now: number): Promise<void> {
    await this.core.scheduler.cancel(SCHEDULE_JOB, row.association_id, db);
    if (!row.schedule_expression) return;
    const at = nextRun(parseScheduleExpression(row.schedule_expression), now, row.schedule_offset, row.created_at);
    if (at !== undefined) await this.core.scheduler.enqueue({ kind: SCHEDULE_JOB, dedupeKey: row.association_id, dueAt: at, payload: { associationId: row.association_id }, maxAttempts: 20 }, db);
  }

  /** Checks an association's definition and returns its row (bookkeeping fields fresh). */
  private async check(call: CallContext, id: string, i: AssociationInput, dispatchRole: string | undefined): Promise<AssociationRow> {
    if (!i.Name) throw validation('Name is required: the document the association applies.');
    if (i.InstanceId && i.Targets?.length) throw validation('Give Targets or the deprecated InstanceId, not both.');
    if (!i.InstanceId && !i.Targets?.length && !i.TargetMaps?.length) throw validation('Give Targets: the nodes the association applies to (InstanceIds, tag:KEY, or InstanceIds=* for every node).');
    if (i.Targets?.length && i.TargetMaps?.length) throw invalidTargetMaps('Targets and TargetMaps cannot both be given.');
    const doc = await this.document(call, i.Name, i.DocumentVersion);
    const automation = doc.documentType === 'Automation';
    if (!automation && doc.documentType !== 'Command' && doc.documentType !== 'Policy') throw invalidDocument(`${doc.name} is a ${doc.documentType} document; associations apply Command documents and Automation runbooks.`);
    if (i.TargetMaps?.length && !automation) throw invalidTargetMaps('TargetMaps are for Automation runbooks.');
    for (const t of i.Targets ?? []) checkTarget(t, automation);
    if (automation && i.Targets?.length && !i.AutomationTargetParameterName) throw validation('An association with an Automation runbook and Targets needs AutomationTargetParameterName: the runbook parameter each target goes into.');
    try {
      bindParameters(doc.parameters, automation && i.AutomationTargetParameterName ? { [i.AutomationTargetParameterName]: ['placeholder'], ...(i.Parameters ?? {}) } : (i.Parameters ?? {}));
    } catch (err) {
      throw isAwsError(err) ? invalidParameters(err.message) : err;
    }
    let schedule: ScheduleExpression | undefined;
    if (i.ScheduleExpression) {
      try {
        schedule = parseScheduleExpression(i.ScheduleExpression);
      } catch (err) {
        if (err instanceof ScheduleExpressionError) throw invalidSchedule(err.message);
        throw err;
      }
      if (schedule.kind === 'at') throw invalidSchedule('Associations take cron() or rate() schedules, not at().');
      if (schedule.kind === 'rate' && rateMinutes(schedule) < MIN_RATE_MINUTES) throw invalidSchedule(`${i.ScheduleExpression}: an association runs at most every ${MIN_RATE_MINUTES} minutes.`);
    }
    if (i.ScheduleOffset !== undefined && (!i.ApplyOnlyAtCronInterval || schedule?.kind !== 'cron')) throw validation('ScheduleOffset needs a cron() ScheduleExpression and ApplyOnlyAtCronInterval.');
    if (i.ApplyOnlyAtCronInterval && !schedule) throw validation('ApplyOnlyAtCronInterval needs a ScheduleExpression.');
    for (const name of i.CalendarNames ?? []) {
      const calendar = await resolveDocument(call, name).catch((err: unknown) => {
        throw isAwsError(err) ? invalidDocument(`CalendarNames: ${err.message}`) : err;
      });
      if (calendar.documentType !== 'ChangeCalendar') throw invalidDocument(`CalendarNames: ${calendar.name} is a ${calendar.documentType} document, not a ChangeCalendar.`);
    }
    if (i.OutputLocation?.S3Location?.OutputS3BucketName) throw validation('OutputLocation S3 buckets are not supported for associations yet; the output stays in Run Command.');
    const actor: Actor = dispatchRole ? await passedRole(call, dispatchRole, `association-${id}`.slice(0, 64), 'an association', (r) => validation(`AssociationDispatchAssumeRole: ${r}`)) : actorOf(call.principal, `association-${id}`.slice(0, 64));
    const now = call.now;
    return {
      association_id: id,
      account_id: call.accountId,
      region: call.region,
      name: doc.name,
      document_type: automation ? 'Automation' : 'Command',
      document_version: i.DocumentVersion ?? '',
      association_version: 1,
      association_name: i.AssociationName ?? '',
      instance_id: i.InstanceId ?? '',
      parameters: JSON.stringify(i.Parameters ?? {}),
      targets: JSON.stringify(i.InstanceId ? [{ Key: 'InstanceIds', Values: [i.InstanceId] }] : (i.Targets ?? [])),
      target_maps: JSON.stringify(i.TargetMaps ?? []),
      schedule_expression: i.ScheduleExpression ?? '',
      schedule_offset: i.ScheduleOffset ?? null,
      apply_only_at_cron_interval: i.ApplyOnlyAtCronInterval ? 1 : 0,
      max_concurrency: i.MaxConcurrency ?? '',
      max_errors: i.MaxErrors ?? '',
      compliance_severity: i.ComplianceSeverity ?? 'UNSPECIFIED',
      sync_compliance: i.SyncCompliance ?? 'AUTO',
      output_location: JSON.stringify(i.OutputLocation ?? {}),
      calendar_names: JSON.stringify(i.CalendarNames ?? []),
      duration: i.Duration ?? null,
      automation_target_parameter_name: i.AutomationTargetParameterName ?? '',
      dispatch_role: dispatchRole ?? '',
      tags: JSON.stringify(i.Tags ?? []),
      actor: JSON.stringify(actor),
      created_at: now,
      updated_at: now,
      last_execution_at: null,
      last_success_at: null,
      status: 'Pending',
      detailed_status: 'Creating',
      status_counts: '{}',
    };
  }

  private async document(call: CallContext, name: string, version?: string): Promise<ResolvedDocument> {
    try {
      return await resolveDocument(call, name, version);
    } catch (err) {
      if (isAwsError(err) && err.code === 'InvalidDocumentVersion') throw invalidDocumentVersion(err.message);
      if (isAwsError(err) && err.code === 'InvalidDocument') throw invalidDocument(err.message);
      throw err;
    }
  }

  private transaction<T>(fn: (db: AssociationDb) => Promise<T>): Promise<T> {
    return this.core.database.db.transaction().execute((trx) => fn(tables(trx)));
  }
}

function checkTarget(t: Target, automation: boolean): void {
  if (t.Values.length === 0) throw invalidTarget(`Target ${t.Key} needs at least one value.`);
  const known = t.Key === 'InstanceIds' || t.Key === 'tag-key' || t.Key.startsWith('tag:') || t.Key === 'resource-groups:Name' || t.Key === 'resource-groups:ResourceTypeFilters' || (automation && (t.Key === 'ParameterValues' || t.Key === 'ResourceGroup'));
  if (!known) throw invalidTarget(`Target key ${t.Key} is not supported: use InstanceIds (or InstanceIds=* for every node), tag:KEY, tag-key or resource-groups:Name.`);
  if (t.Key === 'InstanceIds') for (const v of t.Values) if (v !== '*' && !/^(mi-[0-9a-f]{17}|i-[0-9a-f]{8,17})$/.test(v)) throw invalidTarget(`${v} is not a managed node id (mi-… or i-…).`);
}

const rateMinutes = (s: ScheduleExpression & { kind: 'rate' }): number => s.intervalMs / 60_000;

/** For the sweep and DescribeEffectiveInstanceAssociations: the nodes an association's targets name now. */
export async function nodesOf(core: Core, row: AssociationRow): Promise<string[]> {
  const targets = JSON.parse(row.targets) as Target[];
  if (!targets.length) return [];
  return (await resolveTargets(nodeService(core), row.account_id, row.region, targets)).map((n) => n.instance_id);
}
