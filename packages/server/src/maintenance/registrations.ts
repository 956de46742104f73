import { randomUUID } from 'node:crypto';
import type { Target } from '../nodes/index.js';
import type { CallContext, Core } from '../protocol/context.js';
import { doesNotExist, idempotentMismatch, limitExceeded, targetInUse, validation } from './errors.js';
import { checkTask, type TaskInput } from './task-definition.js';
import { requestHash, tables, type MaintenanceDb } from './store.js';
import type { TargetRow, TaskRow, WindowRow } from './tables.js';

/** AWS's quotas: targets and tasks per window, node ids per target. */
export const MAX_TARGETS = 100;
export const MAX_TASKS = 20;

export interface TargetInput {
  ResourceType?: string;
  Targets?: Target[];
  OwnerInformation?: string;
  Name?: string;
  Description?: string;
}

/** The targets and tasks registered with windows. */
export class Registrations {
  private readonly db: MaintenanceDb;

  constructor(
    private readonly core: Core,
    private readonly window: (call: CallContext, id: string) => Promise<WindowRow>,
  ) {
    this.db = tables(core.database.db);
  }

  async registerTarget(call: CallContext, windowId: string, i: TargetInput & { ClientToken?: string } & Record<string, unknown>): Promise<string> {
    const w = await this.window(call, windowId);
    const hash = requestHash(i);
    if (i.ClientToken) {
      const prior = await this.db.selectFrom('maintenance_window_targets').select(['window_target_id', 'request_hash']).where('window_id', '=', w.window_id).where('client_token', '=', i.ClientToken).executeTakeFirst();
      if (prior) {
        if (prior.request_hash !== hash) throw idempotentMismatch(`ClientToken ${i.ClientToken} was used to register target ${prior.window_target_id} with other parameters.`);
        return prior.window_target_id;
      }
    }
    checkTargets(i.ResourceType!, i.Targets ?? []);
    const row: TargetRow = {
      window_target_id: randomUUID(),
      window_id: w.window_id,
      account_id: w.account_id,
      region: w.region,
      resource_type: i.ResourceType!,
      targets: JSON.stringify(i.Targets),
      owner_information: i.OwnerInformation ?? '',
      name: i.Name ?? '',
      description: i.Description ?? '',
      client_token: i.ClientToken ?? '',
      request_hash: hash,
      created_at: call.now,
    };
    await this.transaction(async (db) => {
      const n = await db.selectFrom('maintenance_window_targets').select((eb) => eb.fn.countAll<number>().as('n')).where('window_id', '=', w.window_id).executeTakeFirstOrThrow();
      if (Number(n.n) >= MAX_TARGETS) throw limitExceeded(`A maintenance window has at most ${MAX_TARGETS} targets.`);
      await db.insertInto('maintenance_window_targets').values(row).execute();
    });
    return row.window_target_id;
  }

  async updateTarget(call: CallContext, windowId: string, targetId: string, i: TargetInput & { Replace?: boolean }): Promise<TargetRow> {
    const current = await this.target(call, windowId, targetId);
    if (i.Replace && !i.Targets) throw validation('Targets is required when Replace is true.');
    const keep = (given: string | undefined, stored: string) => given ?? (i.Replace ? '' : stored);
    const row: TargetRow = {
      ...current,
      targets: i.Targets ? JSON.stringify(i.Targets) : current.targets,
      owner_information: keep(i.OwnerInformation, current.owner_information),
      name: keep(i.Name, current.name),
      description: keep(i.Description, current.description),
    };
    checkTargets(row.resource_type, JSON.parse(row.targets) as Target[]);
    await this.db.updateTable('maintenance_window_targets').set(row).where('window_target_id', '=', targetId).execute();
    return row;
  }

  /** Safe refuses while a task names the target; otherwise those tasks simply no longer run on its nodes. */
  async deregisterTarget(call: CallContext, windowId: string, targetId: string, safe: boolean): Promise<void> {
    await this.target(call, windowId, targetId);
    if (safe) {
      const tasks = await this.db.selectFrom('maintenance_window_tasks').select(['window_task_id', 'targets']).where('window_id', '=', windowId).execute();
      const users = tasks.filter((t) => (JSON.parse(t.targets) as Target[]).some((x) => x.Key === 'WindowTargetIds' && x.Values.includes(targetId)));
      if (users.length) throw targetInUse(`Window target ${targetId} is used by task${users.length > 1 ? 's' : ''} ${users.map((t) => t.window_task_id).join(', ')}.`);
    }
    await this.db.deleteFrom('maintenance_window_targets').where('window_target_id', '=', targetId).execute();
  }

  async target(call: CallContext, windowId: string, targetId: string): Promise<TargetRow> {
    const w = await this.window(call, windowId);
    const row = await this.db.selectFrom('maintenance_window_targets').selectAll().where('window_id', '=', w.window_id).where('window_target_id', '=', targetId).executeTakeFirst();
    if (!row) throw doesNotExist(`Window target ${targetId} is not registered with maintenance window ${windowId}.`);
    return row;
  }

  async registerTask(call: CallContext, windowId: string, i: TaskInput & { ClientToken?: string } & Record<string, unknown>): Promise<string> {
    const w = await this.window(call, windowId);
    const hash = requestHash(i);
    if (i.ClientToken) {
      const prior = await this.db.selectFrom('maintenance_window_tasks').select(['window_task_id', 'request_hash']).where('window_id', '=', w.window_id).where('client_token', '=', i.ClientToken).executeTakeFirst();
      if (prior) {
        if (prior.request_hash !== hash) throw idempotentMismatch(`ClientToken ${i.ClientToken} was used to register task ${prior.window_task_id} with other parameters.`);
        return prior.window_task_id;
      }
    }
    const id = randomUUID();
    const row: TaskRow = { ...(await checkTask(call, this.db, w, id, i)), client_token: i.ClientToken ?? '', request_hash: hash, created_at: call.now, updated_at: call.now };
    await this.transaction(async (db) => {
      const n = await db.selectFrom('maintenance_window_tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('window_id', '=', w.window_id).executeTakeFirstOrThrow();
      if (Number(n.n) >= MAX_TASKS) throw limitExceeded(`A maintenance window has at most ${MAX_TASKS} tasks.`);
      await db.insertInto('maintenance_window_tasks').values(row).execute();
    });
    return id;
  }

  /**
   * Given fields replace the stored ones; TaskInvocationParameters is replaced whole, as AWS
   * does. With Replace, optional fields left out are cleared.
   */
  async updateTask(call: CallContext, windowId: string, taskId: string, i: TaskInput & { Replace?: boolean }): Promise<TaskRow> {
    const current = await this.task(call, windowId, taskId);
    if (i.Replace && !i.TaskArn) throw validation('TaskArn is required when Replace is true.');
    const w = await this.window(call, windowId);
    const keep = <T>(given: T | undefined, stored: T | undefined): T | undefined => (given !== undefined ? given : i.Replace ? undefined : stored);
    const nonEmpty = <T>(text: string): T | undefined => {
      const v = JSON.parse(text) as T;
      return v && typeof v === 'object' && Object.keys(v).length ? v : undefined;
    };
    const targets = JSON.parse(current.targets) as Target[];
    const merged: TaskInput = {
      TaskType: current.task_type,
      TaskArn: i.TaskArn ?? current.task_arn,
      Targets: keep(i.Targets, targets.length ? targets : undefined),
      ServiceRoleArn: keep(i.ServiceRoleArn, current.service_role_arn || undefined),
      TaskParameters: keep(i.TaskParameters, nonEmpty(current.task_parameters)),
      TaskInvocationParameters: keep(i.TaskInvocationParameters, nonEmpty(current.invocation_parameters)),
      Priority: keep(i.Priority, current.priority),
      MaxConcurrency: keep(i.MaxConcurrency, current.max_concurrency),
      MaxErrors: keep(i.MaxErrors, current.max_errors),
      LoggingInfo: keep(i.LoggingInfo, nonEmpty(current.logging_info)),
      Name: keep(i.Name, current.name || undefined),
      Description: keep(i.Description, current.description || undefined),
      CutoffBehavior: keep(i.CutoffBehavior, current.cutoff_behavior),
      AlarmConfiguration: i.AlarmConfiguration,
    };
    // The task acts as whoever last defined it (or their role, which they must be allowed to pass): an edit cannot borrow another's rights.
    const row: TaskRow = { ...current, ...(await checkTask(call, this.db, w, taskId, merged)), updated_at: call.now };
    await this.db.updateTable('maintenance_window_tasks').set(row).where('window_task_id', '=', taskId).execute();
    return row;
  }

  async deregisterTask(call: CallContext, windowId: string, taskId: string): Promise<void> {
    await this.task(call, windowId, taskId);
    await this.db.deleteFrom('maintenance_window_tasks').where('window_task_id', '=', taskId).execute();
  }

  async task(call: CallContext, windowId: string, taskId: string): Promise<TaskRow> {
    const w = await this.window(call, windowId);
    const row = await this.db.selectFrom('maintenance_window_tasks').selectAll().where('window_id', '=', w.window_id).where('window_task_id', '=', taskId).executeTakeFirst();
    if (!row) throw doesNotExist(`Task ${taskId} is not registered with maintenance window ${windowId}.`);
    return row;
  }

  private transaction<T>(fn: (db: MaintenanceDb) => Promise<T>): Promise<T> {
    return this.core.database.db.transaction().execute((trx) => fn(tables(trx)));
  }
}

function checkTargets(resourceType: string, targets: Target[]): void {
  if (!targets.length) throw validation('Targets needs at least one target: InstanceIds, tag:KEY or tag-key.');
  if (resourceType === 'RESOURCE_GROUP') {
    if (!targets.some((t) => t.Key === 'resource-groups:Name') || targets.some((t) => t.Key !== 'resource-groups:Name' && t.Key !== 'resource-groups:ResourceTypeFilters')) throw validation('ResourceType RESOURCE_GROUP takes Targets resource-groups:Name, and optionally resource-groups:ResourceTypeFilters.');
    for (const t of targets) {
      if (!t.Values.length) throw validation(`Targets: ${t.Key} needs at least one value.`);
      const other = t.Key === 'resource-groups:ResourceTypeFilters' ? t.Values.find((v) => v !== 'AWS::EC2::Instance' && v !== 'AWS::SSM::ManagedInstance') : undefined;
      if (other) throw validation(`Targets: resource-groups:ResourceTypeFilters value ${other} is not supported; use AWS::EC2::Instance or AWS::SSM::ManagedInstance.`);
    }
    return;
  }
  for (const t of targets) {
    if (!t.Values.length) throw validation(`Targets: ${t.Key} needs at least one value.`);
    if (t.Key.startsWith('resource-groups:')) throw validation(`Targets: ${t.Key} needs ResourceType RESOURCE_GROUP.`);
    if (t.Key !== 'InstanceIds' && t.Key !== 'tag-key' && !/^tag:.+/.test(t.Key)) throw validation(`Targets: key ${t.Key} is not supported for INSTANCE targets; use InstanceIds, tag:KEY or tag-key.`);
    if (t.Key === 'InstanceIds') for (const v of t.Values) if (!/^(mi-[0-9a-f]{17}|i-[0-9a-f]{8,17})$/.test(v)) throw validation(`Targets: ${v} is not a managed node id (mi-… or i-…).`);
  }
}
