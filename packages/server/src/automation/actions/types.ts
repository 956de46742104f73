import type { CallContext, Core } from '../../protocol/context.js';
import type { Actor } from '../../protocol/actor.js';
import type { StepDef } from '../runbook.js';
import type { ExecutionRow, StepRow } from '../tables.js';

export type Json = Record<string, unknown>;

/** What an action sees of its step while it runs. */
export interface StepContext {
  readonly core: Core;
  readonly execution: ExecutionRow;
  readonly step: StepRow;
  readonly def: StepDef;
  /** The step's inputs with every `{{ }}` resolved (secrets included: never store these). */
  readonly inputs: Json;
  /** The action's own progress, persisted between wakes; `run` may change it. */
  state: Json;
  readonly now: number;
  /** When the step's timeoutSeconds runs out. */
  readonly deadline: number;
  readonly actor: Actor;
  /** A call context acting as the actor (for services that take one). */
  call(): Promise<CallContext>;
  /** Aborted when the step's time runs out or the execution is cancelled. */
  readonly signal: AbortSignal;
  /** Starts a child execution (aws:executeAutomation) with the id the step chose. */
  startChild(input: ChildStart): Promise<void>;
  /** A child execution's status and outputs, or undefined when it does not exist (yet). */
  child(executionId: string): Promise<{ status: string; outputs: Record<string, string[]>; failureMessage: string } | undefined>;
  stopChild(executionId: string): Promise<void>;
}

export interface ChildStart {
  executionId: string;
  documentName: string;
  documentVersion?: string;
  parameters: Record<string, string[]>;
  targetParameterName?: string;
  targets?: unknown[];
  targetMaps?: Record<string, string[]>[];
  maxConcurrency?: string;
  maxErrors?: string;
}

export type Outcome =
  /** `response` is what the step's output Selectors read; `outputs` are the action's own outputs. */
  | { status: 'Success'; outputs?: Json; response?: unknown; responseText?: string; responseCode?: string; next?: string; variables?: Json }
  | { status: 'Failed' | 'TimedOut' | 'Cancelled'; message: string; failureType?: 'Verification' | 'Invocation' | 'Unknown'; outputs?: Json; responseCode?: string }
  /** aws:loop only: run the loop's Steps once more, as this iteration. */
  | { status: 'Enter'; iteration: number; iteratorValue?: unknown }
  /** Not done: run again at `wakeAt` (or when signalled, or at the deadline). Waiting means a person or signal is expected. */
  | { status: 'InProgress'; wakeAt?: number }
  | { status: 'Waiting'; wakeAt?: number };

export interface SignalInput {
  type: string;
  payload: Record<string, string[]>;
  /** The caller's ARN and, for role sessions, the role's ARN: what Approvers may name. */
  who: { arn: string; names: string[] };
  now: number;
}

export interface Action {
  /**
   * Whether running `run` again after a crash mid-run is harmless. An action that is not
   * (a script, a webhook, a write through executeAwsApi) is failed with a clear reason instead
   * of being repeated.
   */
  repeatable(ctx: StepContext): boolean;
  /** Chooses what must be fixed before the first run (a command's id), persisted before `run`. */
  prepare?(ctx: StepContext): Json;
  run(ctx: StepContext): Promise<Outcome>;
  /** Applies a signal to the step's state under the execution's lock; throws InvalidAutomationSignalException if it does not apply. */
  signal?(ctx: Omit<StepContext, 'signal'>, signal: SignalInput): void;
  /** Undoes what is still running when the step is cancelled or times out (a command, a child execution). */
  cancel?(ctx: StepContext): Promise<void>;
}
