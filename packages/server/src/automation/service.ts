import { randomUUID } from 'node:crypto';
import { resolveDocument, type ResolvedDocument } from '../documents/index.js';
import { bindParameters, interpolate, prepareParameters, type SuppliedParameters } from '../documents/resolve/index.js';
import type { Target } from '../nodes/index.js';
import type { CallContext, Core } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import { actorCall, actorOf, passedRole, type Actor } from '../protocol/actor.js';
import { ACTIONS } from './actions/index.js';
import type { ChildStart, Json, SignalInput } from './actions/types.js';
import { ADVANCE_ATTEMPTS, ADVANCE_JOB, Engine } from './engine.js';
import {
  definitionNotFound,
  definitionVersionNotFound,
  executionLimitExceeded,
  executionNotFound,
  idempotentMismatch,
  invalidExecutionParameters,
  invalidSignal,
  invalidStatusUpdate,
  validation,
} from './errors.js';
import { automationEvents } from './events.js';
import type { Runbook, StepDef } from './runbook.js';
import { automationStore as store, isTerminal, tables, type AutomationDb } from './store.js';
import type { ExecutionRow } from './tables.js';
import { planTargets, resolvedTargets } from './targets.js';
import { resolveInputs, stepValues } from './values.js';

/** Running top-level executions an account may have at once (AWS's default quota). */
export const MAX_RUNNING_EXECUTIONS = 100;

export interface StartInput {
  DocumentName: string;
  DocumentVersion?: string;
  Parameters?: SuppliedParameters;
  ClientToken?: string;
  Mode?: 'Auto' | 'Interactive';
  TargetParameterName?: string;
  Targets?: Target[];
  TargetMaps?: Record<string, string[]>[];
  MaxConcurrency?: string;
  MaxErrors?: string;
  Tags?: { Key: string; Value: string }[];
}

export interface ChangeRequestInput {
  name: string;
  scheduledTime?: number;
  runbooks: unknown[];
  /** The execution's runbook, made from the change template. */
  build(template: unknown): Runbook;
  /** The document must be an Automation.ChangeTemplate. */
  requireTemplate: boolean;
}

interface Spec {
  executionId: string;
  call: { accountId: string; region: string; executedBy: string };
  actor: Actor;
  assumeRole: string;
  doc: Pick<ResolvedDocument, 'name' | 'version'> & { runbook: Runbook; declarations: unknown };
  input: StartInput;
  plan: Record<string, string[]>[];
  parent?: { id: string; seq: number };
  target?: string;
  changeRequest?: ChangeRequestInput;
}

/** Automation: starting runbooks, reading executions, stopping and signalling them. The engine moves them. */
export class AutomationService {
  readonly engine: Engine;
  private readonly db: AutomationDb;
  private readonly postgres: boolean;

  constructor(private readonly core: Core) {
    this.db = tables(core.database.db);
    this.postgres = core.database.engine === 'postgres';
    this.engine = new Engine(core, {
      actions: ACTIONS,
      startChild: (parent, seq, input) => this.startChild(parent, seq, input),
      spawn: (db, parent, seq, child) => this.spawn(db, parent, seq, child),
      stop: (db, id) => this.stopIn(db, id, 'Cancel'),
    });
    core.scheduler.handle(ADVANCE_JOB, (job) => this.engine.handle(job));
  }

  async start(call: CallContext, i: StartInput, changeRequest?: ChangeRequestInput): Promise<string> {
    if (i.Targets?.length && i.TargetMaps?.length) throw validation('Targets and TargetMaps cannot both be given.');
    if (i.Targets?.length && !i.TargetParameterName) throw validation('Targets needs TargetParameterName: the runbook parameter each target value goes into.');
    if (i.TargetParameterName && !i.Targets?.length && !i.TargetMaps?.length) throw validation('TargetParameterName needs Targets (or use TargetMaps).');
    if ((i.Tags?.length ?? 0) > 5) throw validation('An automation takes at most 5 tags.');
    if (i.ClientToken) {
      const prior = await this.db.selectFrom('automation_executions').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region).where('client_token', '=', i.ClientToken.toLowerCase()).executeTakeFirst();
      if (prior) {
        const same = prior.document_name === i.DocumentName && prior.parameters === JSON.stringify(i.Parameters ?? {}) && prior.mode === (i.Mode ?? 'Auto');
        if (!same) throw idempotentMismatch(`ClientToken ${i.ClientToken} was used for another automation (${prior.execution_id}).`);
        return prior.execution_id;
      }
    }
    const executionId = randomUUID();
    const doc = await this.runbookFor(call, i.DocumentName, i.DocumentVersion);
    const plan = await planTargets(this.core, call.accountId, call.region, i);
    const values = this.bind(doc.parameters, i.Parameters ?? {}, plan, i.TargetParameterName);
    if (plan.length === 0) {
      // Resolve {{ssm:…}} references now, so a missing parameter is refused here rather than failing the first step.
      await prepareParameters(call, doc.parameters, i.Parameters ?? {}).catch((err: unknown) => {
        throw isAwsError(err) ? invalidExecutionParameters(err.message) : err;
      });
    }
    if (changeRequest?.requireTemplate && doc.documentType !== 'Automation.ChangeTemplate') throw definitionNotFound(`${doc.name} is not a change template (Automation.ChangeTemplate).`);
    if (!changeRequest && doc.documentType !== 'Automation') throw definitionNotFound(`${doc.name} is a change template; start it with StartChangeRequestExecution.`);
    const runbook = changeRequest ? changeRequest.build(doc.content) : (doc.content as Runbook);
    refuseUnrunnable(doc.name, runbook.mainSteps);
    const assumeRole = String(interpolate(runbook.assumeRole ?? '', values) ?? '').trim();
    const actor = assumeRole ? await this.roleActor(call, assumeRole, executionId) : actorOf(call.principal, executionId);
    const running = await this.db
      .selectFrom('automation_executions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', call.accountId)
      .where('region', '=', call.region)
      .where('parent_id', 'is', null)
      .where('status', 'in', ['Pending', 'InProgress', 'Waiting', 'Cancelling'])
      .executeTakeFirstOrThrow();
    if (Number(running.n) >= MAX_RUNNING_EXECUTIONS) throw executionLimitExceeded(`This account already runs ${MAX_RUNNING_EXECUTIONS} automations in ${call.region}; wait for some to end or stop them.`);
    await this.transaction((db) =>
      this.insert(db, {
        executionId,
        call: { accountId: call.accountId, region: call.region, executedBy: call.principal.arn },
        actor,
        assumeRole,
        doc: { name: doc.name, version: doc.version, runbook, declarations: doc.parameters },
        input: i,
        plan,
        ...(changeRequest ? { changeRequest } : {}),
      }),
    );
    return executionId;
  }

  /** aws:executeAutomation: the child runbook is resolved and checked as the parent's actor. */
  private async startChild(parent: ExecutionRow, seq: number, c: ChildStart): Promise<void> {
    const parentActor = JSON.parse(parent.actor) as Actor;
    const call = await actorCall(this.core, parentActor, parent.region);
    const i: StartInput = {
      DocumentName: c.documentName,
      ...(c.documentVersion ? { DocumentVersion: c.documentVersion } : {}),
      Parameters: c.parameters,
      ...(c.targetParameterName ? { TargetParameterName: c.targetParameterName } : {}),
      ...(c.targets ? { Targets: c.targets as Target[] } : {}),
      ...(c.targetMaps ? { TargetMaps: c.targetMaps } : {}),
      ...(c.maxConcurrency ? { MaxConcurrency: c.maxConcurrency } : {}),
      ...(c.maxErrors ? { MaxErrors: c.maxErrors } : {}),
    };
    await call.authorize('ssm:StartAutomationExecution', [definitionArn(call, c.documentName)]);
    const doc = await this.runbookFor(call, c.documentName, c.documentVersion);
    const plan = await planTargets(this.core, call.accountId, call.region, i);
    const values = this.bind(doc.parameters, c.parameters, plan, i.TargetParameterName);
    if (doc.documentType !== 'Automation') throw definitionNotFound(`${doc.name} is a ${doc.documentType} document, not an Automation runbook.`);
    const runbook = doc.content as Runbook;
    refuseUnrunnable(doc.name, runbook.mainSteps);
    const assumeRole = String(interpolate(runbook.assumeRole ?? '', values) ?? '').trim();
    const actor = assumeRole ? await this.roleActor(call, assumeRole, c.executionId) : parentActor;
    await this.transaction(async (db) => {
      if (await store.get(db, c.executionId)) return;
      await this.insert(db, {
        executionId: c.executionId,
        call: { accountId: parent.account_id, region: parent.region, executedBy: parent.executed_by },
        actor,
        assumeRole,
        doc: { name: doc.name, version: doc.version, runbook, declarations: doc.parameters },
        input: i,
        plan,
        parent: { id: parent.execution_id, seq },
      });
    });
  }

  /** A rate-controlled parent's child: the parent's runbook and actor, one target's parameters. */
  private async spawn(db: AutomationDb, parent: ExecutionRow, seq: number, child: { executionId: string; parameters: Record<string, string[]>; target: string }): Promise<void> {
    await this.insert(db, {
      executionId: child.executionId,
      call: { accountId: parent.account_id, region: parent.region, executedBy: parent.executed_by },
      actor: JSON.parse(parent.actor) as Actor,
      assumeRole: parent.assume_role,
      doc: { name: parent.document_name, version: Number(parent.document_version), runbook: JSON.parse(parent.runbook) as Runbook, declarations: JSON.parse(parent.declarations) },
      input: { DocumentName: parent.document_name, Parameters: child.parameters, Mode: 'Auto' },
      plan: [],
      parent: { id: parent.execution_id, seq },
      target: child.target,
    });
  }

  private async insert(db: AutomationDb, s: Spec): Promise<void> {
    const now = this.core.clock.now();
    const i = s.input;
    const row: ExecutionRow = {
      execution_id: s.executionId,
      account_id: s.call.accountId,
      region: s.call.region,
      document_name: s.doc.name,
      document_version: String(s.doc.version),
      runbook: JSON.stringify(s.doc.runbook),
      declarations: JSON.stringify(s.doc.declarations),
      mode: i.Mode ?? 'Auto',
      status: 'Pending',
      parameters: JSON.stringify(i.Parameters ?? {}),
      outputs: '{}',
      variables: JSON.stringify(initialVariables(s.doc.runbook)),
      current_step: '',
      current_action: '',
      executed_by: s.call.executedBy,
      actor: JSON.stringify(s.actor),
      assume_role: s.assumeRole,
      parent_id: s.parent?.id ?? null,
      parent_step_seq: s.parent?.seq ?? null,
      target_parameter_name: i.TargetParameterName ?? '',
      targets: JSON.stringify(i.Targets ?? []),
      target_maps: JSON.stringify(i.TargetMaps ?? []),
      max_concurrency: s.plan.length ? (i.MaxConcurrency ?? '10') : (i.MaxConcurrency ?? ''),
      max_errors: s.plan.length ? (i.MaxErrors ?? '0') : (i.MaxErrors ?? ''),
      target: s.target ?? '',
      resolved_targets: JSON.stringify(s.plan.length ? { plan: s.plan, shown: resolvedTargets(s.plan, i.TargetParameterName ?? '') } : {}),
      failure_message: '',
      stop_requested: '',
      client_token: i.ClientToken ? i.ClientToken.toLowerCase() : null,
      automation_type: 'Local',
      automation_subtype: s.changeRequest ? 'ChangeRequest' : '',
      change_request_name: s.changeRequest?.name ?? '',
      scheduled_time: s.changeRequest?.scheduledTime ?? null,
      runbooks: JSON.stringify(s.changeRequest?.runbooks ?? []),
      tags: JSON.stringify(i.Tags ?? []),
      next_seq: 0,
      current_seq: null,
      wake_at: null,
      started_at: now,
      ended_at: null,
    };
    await db.insertInto('automation_executions').values(row).execute();
    await automationEvents.execution(this.core, db, row);
    const dueAt = s.changeRequest?.scheduledTime && s.changeRequest.scheduledTime > now ? s.changeRequest.scheduledTime : now;
    await this.core.scheduler.enqueue({ kind: ADVANCE_JOB, dedupeKey: s.executionId, dueAt, payload: { executionId: s.executionId }, maxAttempts: ADVANCE_ATTEMPTS }, db);
  }

  async get(call: CallContext, id: string): Promise<ExecutionRow> {
    const row = await store.get(this.db, id);
    if (!row || row.account_id !== call.accountId || row.region !== call.region) throw executionNotFound(`There is no automation execution ${id} in this account and region.`);
    return row;
  }

  async stop(call: CallContext, id: string, type: 'Cancel' | 'Complete'): Promise<void> {
    await this.get(call, id);
    await this.transaction(async (db) => {
      const ex = (await store.lock(db, id, this.postgres))!;
      if (isTerminal(ex.status)) throw invalidStatusUpdate(`Automation ${id} has already ended (${ex.status}).`);
      if (ex.stop_requested.startsWith('Cancel')) return;
      await this.stopIn(db, id, type);
    });
  }

  private async stopIn(db: AutomationDb, id: string, type: 'Cancel' | 'Complete'): Promise<void> {
    const ex = await store.get(db, id);
    if (!ex || isTerminal(ex.status) || ex.stop_requested.startsWith('Cancel')) return;
    await store.updateExecution(db, id, { stop_requested: type, ...(type === 'Cancel' ? { status: 'Cancelling' } : {}) });
    if (type === 'Cancel') await automationEvents.execution(this.core, db, { ...ex, status: 'Cancelling' });
    await this.engine.wake(db, id);
  }

  /**
   * SendAutomationSignal. The step's inputs (who may approve) are resolved first, outside the
   * lock; the signal is then applied only if the same step is still waiting for it.
   */
  async signal(call: CallContext, id: string, type: string, payload: Record<string, string[]>): Promise<void> {
    const ex = await this.get(call, id);
    if (isTerminal(ex.status)) throw invalidStatusUpdate(`Automation ${id} has already ended (${ex.status}).`);
    if (type === 'Revoke') throw invalidSignal('Revoke applies to change requests awaiting approval of their change template; this execution has none waiting.');
    if (ex.current_seq === null) throw invalidSignal(`Automation ${id} has no step waiting for a signal yet.`);
    const row = (await store.step(this.db, id, ex.current_seq))!;
    const def = JSON.parse(row.definition) as StepDef;
    const actor = JSON.parse(ex.actor) as Actor;
    const values = await stepValues(await actorCall(this.core, actor, ex.region), ex, await store.steps(this.db, id));
    const inputs = resolveInputs(def.inputs, values);
    const who = { arn: call.principal.arn, names: principalNames(call) };
    await this.transaction(async (db) => {
      const now = this.core.clock.now();
      const locked = (await store.lock(db, id, this.postgres))!;
      const current = locked.current_seq === row.seq ? await store.step(db, id, row.seq) : undefined;
      if (isTerminal(locked.status) || !current || current.attempt !== row.attempt) throw invalidSignal(`Automation ${id} moved on while the signal was sent; look at its current step and try again.`);
      const state = JSON.parse(current.state) as Json;
      switch (type) {
        case 'StartStep': {
          const name = payload.StepName?.[0];
          if (locked.mode !== 'Interactive') throw invalidSignal('StartStep applies to executions started in Interactive mode.');
          if (current.status !== 'Pending' || (name !== undefined && name !== current.step_name)) throw invalidSignal(`Step ${name ?? '(no StepName)'} is not the step waiting to start (${current.status === 'Pending' ? current.step_name : 'none'}).`);
          state.startRequested = true;
          break;
        }
        case 'StopStep': {
          const stepId = payload.StepExecutionId?.[0];
          if (stepId !== current.step_execution_id) throw invalidSignal(`Step execution ${stepId ?? '(no StepExecutionId)'} is not the running step (${current.step_execution_id}).`);
          state.stopRequested = true;
          break;
        }
        default: {
          const action = ACTIONS[def.action];
          if (!action?.signal || (current.status !== 'Waiting' && current.status !== 'InProgress')) throw invalidSignal(`The current step ${current.step_name} (${def.action}, ${current.status}) does not take ${type}.`);
          const ctx = { core: this.core, execution: locked, step: current, def, inputs, state, now, deadline: now, actor, call: () => actorCall(this.core, actor, locked.region), startChild: async () => undefined, child: async () => undefined, stopChild: async () => undefined };
          action.signal(ctx, { type, payload, who, now } as SignalInput);
        }
      }
      await store.updateStep(db, id, row.seq, { state: JSON.stringify(state) });
      await this.engine.wake(db, id);
    });
  }

  private bind(declarations: ResolvedDocument['parameters'], supplied: SuppliedParameters, plan: Record<string, string[]>[], targetParameter?: string) {
    try {
      if (targetParameter && !declarations.some((d) => d.name === targetParameter)) throw invalidExecutionParameters(`TargetParameterName ${targetParameter} is not a parameter of the runbook.`);
      for (const target of plan) bindParameters(declarations, { ...supplied, ...target });
      return bindParameters(declarations, plan[0] ? { ...supplied, ...plan[0] } : supplied);
    } catch (err) {
      throw isAwsError(err) && err.code !== 'InvalidAutomationExecutionParametersException' ? invalidExecutionParameters(err.message) : err;
    }
  }

  private async runbookFor(call: CallContext, name: string, version?: string): Promise<ResolvedDocument> {
    let doc: ResolvedDocument;
    try {
      doc = await resolveDocument(call, name, version);
    } catch (err) {
      if (isAwsError(err) && err.code === 'InvalidDocumentVersion') throw definitionVersionNotFound(`Runbook ${name} has no version ${version}.`);
      if (isAwsError(err) && (err.code === 'InvalidDocument' || err.code === 'AccessDeniedException')) throw definitionNotFound(`There is no Automation runbook ${name} this account can run.`);
      throw err;
    }
    if (!doc.documentType.startsWith('Automation')) throw definitionNotFound(`${doc.name} is a ${doc.documentType} document, not an Automation runbook.`);
    return doc;
  }

  /**
   * The runbook's assumeRole: a role of this account that trusts Automation (ssm.amazonaws.com),
   * which the caller may pass (iam:PassRole), as AWS requires.
   */
  private roleActor(call: CallContext, roleArn: string, executionId: string): Promise<Actor> {
    return passedRole(call, roleArn, executionId, 'an automation', (reason) => invalidExecutionParameters(`assumeRole: ${reason}`));
  }

  private transaction<T>(fn: (db: AutomationDb) => Promise<T>): Promise<T> {
    return this.core.database.db.transaction().execute((trx) => fn(tables(trx)));
  }
}

export const definitionArn = (call: Pick<CallContext, 'region' | 'accountId'>, name: string) => `arn:aws:ssm:${call.region}:${call.accountId}:automation-definition/${name}:$DEFAULT`;

/**
 * AWS runbooks may use actions on EC2, CloudFormation, Lambda or Step Functions, which a
 * Capstan fleet does not have. Such a runbook can be stored (it is a valid AWS document), but
 * starting it is refused before anything runs, rather than failing halfway through.
 */
function refuseUnrunnable(name: string, steps: readonly StepDef[]): void {
  for (const step of steps) {
    if (!ACTIONS[step.action]) throw validation(`Runbook ${name} cannot run here: step ${step.name} uses ${step.action}, which acts on AWS resources Capstan does not manage. Capstan runs ${Object.keys(ACTIONS).join(', ')}.`);
    if (step.action === 'aws:loop') refuseUnrunnable(name, (step.inputs?.Steps ?? []) as StepDef[]);
  }
}

function initialVariables(runbook: Runbook): Json {
  const out: Json = {};
  for (const [name, decl] of Object.entries(runbook.variables ?? {})) if (decl && decl.default !== undefined) out[name] = decl.default;
  return out;
}

/** Who an approver entry may name for this caller: the user (name or ARN), or the role behind a role session. */
function principalNames(call: CallContext): string[] {
  const p = call.principal;
  if (p.kind === 'user') return [p.name, p.arn];
  return [p.name, `arn:aws:iam::${p.accountId}:role/${p.name}`];
}
