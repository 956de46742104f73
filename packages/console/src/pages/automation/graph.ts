import type { AutomationExecution, StepExecution } from '../../api/types';
import { toDate } from '../../lib/format';

/** One step of a runbook's `mainSteps`, as far as the graph needs it. */
export interface StepDefinition {
  name: string;
  action: string;
  description?: string | undefined;
  nextStep?: string | undefined;
  isEnd?: boolean | undefined;
  /** `Abort` (the default), `Continue` or `step:<name>`. */
  onFailure?: string | undefined;
  /** `Abort` (the default) or `step:<name>`. */
  onCancel?: string | undefined;
  /** aws:branch: each choice's NextStep, in the document's order. */
  choices?: string[] | undefined;
  /** aws:branch: where it goes when no choice matches. */
  defaultNext?: string | undefined;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The steps of a runbook from its JSON content (GetDocument with DocumentFormat JSON). */
export function stepDefinitions(contentJson: string | undefined): StepDefinition[] {
  if (!contentJson) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(contentJson);
  } catch {
    return [];
  }
  const steps = (doc as { mainSteps?: unknown } | null)?.mainSteps;
  if (!Array.isArray(steps)) return [];
  const out: StepDefinition[] = [];
  for (const s of steps as Record<string, unknown>[]) {
    const name = str(s?.name);
    if (!name) continue;
    const action = str(s.action) ?? '';
    const inputs = (typeof s.inputs === 'object' && s.inputs ? s.inputs : {}) as Record<string, unknown>;
    const def: StepDefinition = { name, action, description: str(s.description), nextStep: str(s.nextStep), isEnd: s.isEnd === true || s.isEnd === 'true', onFailure: str(s.onFailure), onCancel: str(s.onCancel) };
    if (action === 'aws:branch') {
      def.choices = Array.isArray(inputs.Choices) ? (inputs.Choices as Record<string, unknown>[]).map((c) => str(c?.NextStep)).filter((n): n is string => !!n) : [];
      def.defaultNext = str(inputs.Default);
    }
    out.push(def);
  }
  return out;
}

export type EdgeKind = 'next' | 'branch' | 'default' | 'failure' | 'cancel' | 'ran';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The execution went this way. */
  taken: boolean;
  /** The target is the row right below: drawn as a straight arrow down the middle. */
  straight: boolean;
  /** For the others: which lane right of the nodes carries it, from 1. */
  lane: number;
  /** Which of its source's side edges this is, and of how many: spreads their starting points. */
  outIndex: number;
  outCount: number;
  inIndex: number;
  inCount: number;
}

export interface GraphNode {
  name: string;
  action: string;
  row: number;
  /** The latest run of the step's status; `NotRun` for a step the execution did not reach. */
  status: string;
  /** The latest run of the step, if it ran or is listed. */
  execution?: StepExecution | undefined;
  /** How many times it started (retries, loops, interactive reruns). */
  runs: number;
  ran: boolean;
  current: boolean;
  isEnd: boolean;
  /** Where it may go next, with the one taken marked. */
  targets: { to: string; kind: EdgeKind; taken: boolean }[];
  definition?: StepDefinition | undefined;
  /** For an aws:loop step: the runs of the steps inside it, in order. */
  children: StepExecution[];
}

export interface StepGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Side lanes used (0 when the flow is a straight line). */
  lanes: number;
}

/** AWS's statuses after which nothing more happens to an execution or a step. */
export const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut', 'CompletedWithSuccess', 'CompletedWithFailure', 'Rejected', 'Exited', 'ChangeCalendarOverrideRejected']);

export const isTerminal = (status: string | undefined) => status !== undefined && TERMINAL.has(status);

const STARTED = new Set(['InProgress', 'Waiting', 'Success', 'Failed', 'TimedOut', 'Cancelling', 'CompletedWithSuccess', 'CompletedWithFailure']);

/** A step execution that really began (a listed step may still be Pending, or be cancelled before it began). */
export const started = (s: StepExecution) => toDate(s.ExecutionStartTime) !== undefined || STARTED.has(s.StepStatus ?? '');

const stepTarget = (v: string | undefined) => (v && v.startsWith('step:') ? v.slice(5) : undefined);

/**
 * The graph of an execution's steps: the runbook's steps in document order, one row each, with
 * every way out of each (the next step, nextStep, aws:branch's choices and default, onFailure and
 * onCancel `step:` targets, and the ValidNextSteps the server names), and the path the execution
 * took marked. Steps the execution ran that the definition lacks (or all of them, when the
 * definition could not be read) are added in the order they ran.
 */
export function layoutGraph(defs: StepDefinition[], allExecutions: StepExecution[] = [], opts: { currentStep?: string | undefined; terminal?: boolean } = {}): StepGraph {
  // The steps inside an aws:loop belong to their loop's box, not to the flow of mainSteps.
  const executions = allExecutions.filter((e) => !e.ParentStepDetails?.StepName);
  const inside = new Map<string, StepExecution[]>();
  for (const e of allExecutions) {
    const parent = e.ParentStepDetails?.StepName;
    if (parent) (inside.get(parent) ?? inside.set(parent, []).get(parent)!).push(e);
  }
  const names: string[] = defs.map((d) => d.name);
  const defOf = new Map(defs.map((d) => [d.name, d]));
  const latest = new Map<string, StepExecution>();
  const runs = new Map<string, number>();
  for (const e of executions) {
    if (!e.StepName) continue;
    latest.set(e.StepName, e);
    if (started(e)) runs.set(e.StepName, (runs.get(e.StepName) ?? 0) + 1);
    if (!defOf.has(e.StepName) && !names.includes(e.StepName)) names.push(e.StepName);
  }
  const row = new Map(names.map((n, i) => [n, i]));

  const edges: GraphEdge[] = [];
  const edgeOf = new Map<string, GraphEdge>();
  const add = (from: string, to: string | undefined, kind: EdgeKind) => {
    if (!to || from === to || !row.has(to)) return;
    const key = `${from}\u0000${to}`;
    if (edgeOf.has(key)) return;
    const e: GraphEdge = { from, to, kind, taken: false, straight: row.get(to) === row.get(from)! + 1, lane: 0, outIndex: 0, outCount: 0, inIndex: 0, inCount: 0 };
    edgeOf.set(key, e);
    edges.push(e);
  };

  names.forEach((name, i) => {
    const d = defOf.get(name);
    const run = latest.get(name);
    if (d) {
      if (d.action === 'aws:branch') {
        for (const c of d.choices ?? []) add(name, c, 'branch');
        add(name, d.defaultNext, 'default');
      } else if (!d.isEnd) add(name, d.nextStep ?? names[i + 1], 'next');
      add(name, stepTarget(d.onFailure), 'failure');
      add(name, stepTarget(d.onCancel), 'cancel');
    } else if (run && !run.IsEnd && run.NextStep) add(name, run.NextStep, 'next');
    if (run?.ValidNextSteps && run.ValidNextSteps.length > 0) for (const n of run.ValidNextSteps) add(name, n, run.ValidNextSteps.length > 1 ? 'branch' : 'next');
  });

  // The path taken: each step that began, to the next one that began.
  const path = executions.filter((e) => e.StepName && started(e)).map((e) => e.StepName!);
  for (let i = 1; i < path.length; i++) {
    const from = path[i - 1]!;
    const to = path[i]!;
    if (from === to) continue;
    add(from, to, 'ran');
    edgeOf.get(`${from}\u0000${to}`)!.taken = true;
  }

  assignLanes(edges, row);

  const current = opts.currentStep ?? [...executions].reverse().find((e) => e.StepStatus === 'InProgress' || e.StepStatus === 'Waiting')?.StepName;
  const nodes: GraphNode[] = names.map((name, i) => {
    const run = latest.get(name);
    const d = defOf.get(name);
    const status = run?.StepStatus ?? (opts.terminal ? 'NotRun' : 'Pending');
    return {
      name,
      action: d?.action || run?.Action || '',
      row: i,
      status: opts.terminal && status === 'Pending' ? 'NotRun' : status,
      execution: run,
      runs: runs.get(name) ?? 0,
      ran: (runs.get(name) ?? 0) > 0,
      current: !opts.terminal && name === current,
      isEnd: d?.isEnd ?? run?.IsEnd ?? false,
      targets: edges.filter((e) => e.from === name).map((e) => ({ to: e.to, kind: e.kind, taken: e.taken })),
      definition: d,
      children: inside.get(name) ?? [],
    };
  });
  return { nodes, edges, lanes: Math.max(0, ...edges.map((e) => e.lane)) };
}

/**
 * Gives each edge that is not a straight arrow down a lane beside the nodes, so that no two
 * edges whose spans of rows overlap share one. Short spans take the inner lanes.
 */
function assignLanes(edges: GraphEdge[], row: Map<string, number>) {
  const side = edges.filter((e) => !e.straight);
  const span = (e: GraphEdge) => {
    const a = row.get(e.from)!;
    const b = row.get(e.to)!;
    return [Math.min(a, b), Math.max(a, b)] as const;
  };
  const order = [...side].sort((x, y) => {
    const [xa, xb] = span(x);
    const [ya, yb] = span(y);
    return xb - xa - (yb - ya) || xa - ya;
  });
  const used: (readonly [number, number])[][] = [];
  for (const e of order) {
    const [a, b] = span(e);
    let lane = 0;
    while (used[lane]?.some(([c, d]) => a <= d && c <= b)) lane++;
    (used[lane] ??= []).push([a, b]);
    e.lane = lane + 1;
  }
  // Where several side edges leave or enter one node, their ends are spread along its side.
  const outs = new Map<string, GraphEdge[]>();
  const ins = new Map<string, GraphEdge[]>();
  for (const e of side) {
    (outs.get(e.from) ?? outs.set(e.from, []).get(e.from)!).push(e);
    (ins.get(e.to) ?? ins.set(e.to, []).get(e.to)!).push(e);
  }
  for (const list of outs.values()) list.forEach((e, i) => Object.assign(e, { outIndex: i, outCount: list.length }));
  for (const list of ins.values()) list.forEach((e, i) => Object.assign(e, { inIndex: i, inCount: list.length }));
}

/** What the execution waits for from a person, if anything. */
export type Waiting =
  | { kind: 'approve'; step: StepExecution }
  | { kind: 'resume'; step: StepExecution }
  | { kind: 'startStep'; next: string | undefined; candidates: string[] }
  | { kind: 'none' };

const WAITING_STEP = new Set(['InProgress', 'Waiting']);

/**
 * Which signal the execution is waiting for: an aws:approve step that has begun waits for Approve
 * or Reject, an aws:pause step for Resume, and an Interactive execution with no step running for
 * StartStep (suggesting the step the server lists next, else where the last step that ran leads).
 */
export function waitingFor(exec: AutomationExecution | undefined, graph?: StepGraph): Waiting {
  if (!exec || isTerminal(exec.AutomationExecutionStatus) || exec.AutomationExecutionStatus === 'Cancelling') return { kind: 'none' };
  const steps = exec.StepExecutions ?? [];
  // A step not yet begun (Interactive mode lists the next one as Pending) waits for nobody's decision yet.
  const byName = exec.CurrentStepName ? [...steps].reverse().find((s) => s.StepName === exec.CurrentStepName && WAITING_STEP.has(s.StepStatus ?? '')) : undefined;
  const current = byName ?? [...steps].reverse().find((s) => WAITING_STEP.has(s.StepStatus ?? ''));
  const action = current?.Action ?? (current && current.StepName === exec.CurrentStepName ? exec.CurrentAction : undefined);
  if (current && action === 'aws:approve') return { kind: 'approve', step: current };
  if (current && action === 'aws:pause') return { kind: 'resume', step: current };
  if (exec.Mode === 'Interactive' && exec.AutomationExecutionStatus === 'Waiting' && !steps.some((s) => s.StepStatus === 'InProgress' || s.StepStatus === 'Waiting')) {
    const candidates = graph ? graph.nodes.map((n) => n.name) : [...new Set(steps.map((s) => s.StepName).filter((n): n is string => !!n))];
    const ran = steps.filter((s) => started(s) && !s.ParentStepDetails?.StepName);
    const last = ran[ran.length - 1];
    const pending = exec.CurrentStepName ? [...steps].reverse().find((s) => s.StepName === exec.CurrentStepName) : undefined;
    let next: string | undefined;
    // The server may already have chosen the step that comes next (listed, not yet begun).
    if (pending && !started(pending)) next = pending.StepName;
    else if (!last) next = candidates[0];
    else if (last.NextStep) next = last.NextStep;
    else if (graph) {
      const out = graph.nodes.find((n) => n.name === last.StepName)?.targets.filter((t) => t.kind === 'next' || t.kind === 'default') ?? [];
      next = out[0]?.to;
    }
    return { kind: 'startStep', next, candidates };
  }
  return { kind: 'none' };
}
